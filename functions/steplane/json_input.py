"""The one door every client JSON document goes through: parse strictly, refuse what breaks us.

What is refused, and why (each would otherwise surface later as a 5xx, a poison message in
a retry loop, or silently changed data):
- text that is not JSON;
- ``NaN``, ``Infinity`` and ``-Infinity``: Python's parser accepts them, no JSON parser
  elsewhere does (they would be stored, then served back as invalid JSON, or become null);
- lone UTF-16 surrogates (``"\\ud800"``): they cannot be encoded as UTF-8, so sizing,
  hashing and storing the value would fail;
- nesting deeper than ``MAX_JSON_DEPTH`` levels: Python's recursive copy and serialise
  (and pydantic's parser, at about 200 levels) would fail on the value later.
"""

from __future__ import annotations

import json
import math
import sys
from typing import NoReturn

from steplane.errors import InvalidJsonError
from steplane.jsontypes import Json

# Deep enough for any real business document; shallow enough that a state may nest a
# result under its input (ResultPath) without reaching a parser's or copier's limit.
MAX_JSON_DEPTH = 100


class _NotJsonConstantError(ValueError):
    pass


def _refuse_constant(name: str) -> NoReturn:
    raise _NotJsonConstantError(name)


def parse_json(text: str | bytes, what: str, api_error: str | None = None) -> Json:
    """Parse ``text`` as one JSON document, or raise InvalidJsonError naming ``what``.

    ``api_error`` names the refusal in an API answer (default ``InvalidJson``).
    """
    try:
        return _parse(text, what)
    except InvalidJsonError as error:
        raise InvalidJsonError(what, error.reason, api_error) from None


def _parse(text: str | bytes, what: str) -> Json:
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidJsonError(what, _too_deep()) from None
    except _NotJsonConstantError as error:
        raise InvalidJsonError(what, f"{error} is not a JSON number") from None
    except json.JSONDecodeError as error:
        reason = f"it is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        raise InvalidJsonError(what, reason) from None
    except UnicodeDecodeError as error:
        raise InvalidJsonError(what, f"it is not UTF-8: {error.reason}") from None
    except ValueError:
        # Python refuses to convert an integer of more than sys.get_int_max_str_digits()
        # digits (4,300), a guard against quadratic-time conversion.
        limit = sys.get_int_max_str_digits()
        raise InvalidJsonError(what, f"it holds an integer of more than {limit} digits") from None
    check_json(value, what)
    return value


def check_json(value: Json, what: str) -> None:
    """Raise InvalidJsonError if ``value`` (already parsed, or built in Python) is refused."""
    problem = json_problem(value)
    if problem is not None:
        raise InvalidJsonError(what, problem)


def json_problem(value: Json) -> str | None:
    """Why ``value`` is not a JSON value steplane accepts, or None.

    Iterative, so a hostile depth cannot exhaust the stack while being measured.
    """
    stack: list[tuple[Json, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                return _too_deep()
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and (problem := _string_problem(key)):
                    return problem
                stack.append((child, depth + 1))
        elif isinstance(item, str):
            if problem := _string_problem(item):
                return problem
        elif isinstance(item, float) and not math.isfinite(item):
            return f"{item!r} is not a JSON number"
        elif not (item is None or isinstance(item, bool | int | float)):
            return f"a {type(item).__name__} is not a JSON value"
    return None


def _string_problem(text: str) -> str | None:
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(text[error.start])
        return f"it contains a lone UTF-16 surrogate (U+{code:04X}), which is not valid Unicode"
    return None


def _too_deep() -> str:
    return f"it is nested more than {MAX_JSON_DEPTH} levels deep"
