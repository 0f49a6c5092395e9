"""JSONata, the second query language of Step Functions (QueryLanguage "JSONata").

The Step Functions guide (Transforming data with JSONata): a value written as a string
that "must start with {% with no leading spaces, and must end with %} with no trailing
spaces" is a JSONata expression; it reads ``$states.input``, ``$states.result``,
``$states.errorOutput``, ``$states.context`` and the workflow variables (``$name``), and
Step Functions adds ``$partition``, ``$range``, ``$hash``, ``$random``, ``$uuid`` and
``$parse``. Any failure, and a result that is undefined, is
``States.QueryEvaluationError``.

The engine is jsonatapy (Rust, JSONata 2.x semantics): imported on first use only, so a
definition without JSONata never loads it. Each expression is compiled once.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from steplane.asl.failures import QueryEvaluationError
from steplane.asl.intrinsic_functions import (
    HASH_ALGORITHMS,
    MAX_ENCODED_CHARACTERS,
    MAX_RANGE_ITEMS,
)
from steplane.asl.scope import Scope
from steplane.asl.templates import CLOSE, OPEN
from steplane.jsontypes import Json

# Guardrails per evaluation (Step Functions stops an expression after about a second).
_TIMEOUT_MS = 1000
_MAX_DEPTH = 500


class JsonataSyntaxError(ValueError):
    """An expression that does not compile; ``position`` is in the expression text when
    the engine reports one."""

    def __init__(self, text: str, reason: str, position: int | None = None) -> None:
        where = f" (at position {position} of {text!r})" if position is not None else ""
        super().__init__(f"JSONata syntax error: {reason}{where}")
        self.text = text
        self.reason = reason
        self.position = position


def is_expression(value: Json) -> bool:
    """Whether ``value`` is written as a JSONata expression: ``"{% ... %}"``."""
    return isinstance(value, str) and value.startswith(OPEN) and value.endswith(CLOSE)


_WHOLE_STATES = re.compile(r"\$states(?!\.(input|result|errorOutput)\b)")

# The scope of the evaluation under way, for the functions Step Functions adds ($uuid and
# $random draw from the state visit's seed, so a decision derived again is the same).
_SCOPE: ContextVar[Scope | None] = ContextVar("steplane_jsonata_scope", default=None)


def _random_bytes(salt: str) -> bytes:
    scope = _SCOPE.get()
    return scope.random_bytes(salt) if scope is not None else uuid.uuid4().bytes * 2


@dataclass
class _Draws:
    """Counts draws within one evaluation, so two $uuid() calls differ."""

    count: int = 0


_DRAWS: ContextVar[_Draws | None] = ContextVar("steplane_jsonata_draws", default=None)


def _draw(kind: str) -> bytes:
    draws = _DRAWS.get() or _Draws()
    draws.count += 1
    return _random_bytes(f"jsonata-{kind}-{draws.count}")


def _fail(function: str, reason: str) -> QueryEvaluationError:
    return QueryEvaluationError(f"{function}: {reason}")


def _integer(function: str, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(function, f"{what} must be a number")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise _fail(function, f"{what} must be an integer")
    return int(value)


def _partition(items: Any, size: Any) -> Any:
    if not isinstance(items, list):
        raise _fail("$partition", "the first argument must be an array")
    chunk = _integer("$partition", size, "the chunk size")
    if chunk <= 0:
        raise _fail("$partition", "the chunk size must be positive")
    return [items[i : i + chunk] for i in range(0, len(items), chunk)]


def _range(start: Any, end: Any, step: Any) -> Any:
    first, last = _integer("$range", start, "start"), _integer("$range", end, "end")
    by = _integer("$range", step, "step")
    if by == 0:
        raise _fail("$range", "the step must not be 0")
    values = list(range(first, last + (1 if by > 0 else -1), by))
    if len(values) > MAX_RANGE_ITEMS:
        raise _fail("$range", f"at most {MAX_RANGE_ITEMS} items")
    return values


def _hash(data: Any, algorithm: Any) -> Any:
    if not isinstance(data, str):
        raise _fail("$hash", "the data must be a string")
    if algorithm not in HASH_ALGORITHMS:
        raise _fail("$hash", f"{algorithm!r} is not one of {', '.join(HASH_ALGORITHMS)}")
    if len(data) > MAX_ENCODED_CHARACTERS:
        raise _fail("$hash", f"the data has more than {MAX_ENCODED_CHARACTERS} characters")
    import hashlib  # noqa: PLC0415 - stdlib, cheap; kept beside its only use

    return hashlib.new(HASH_ALGORITHMS[algorithm], data.encode()).hexdigest()


def _random(seed: Any = None) -> Any:
    import random  # noqa: PLC0415

    source = _draw("random") if seed is None else _integer("$random", seed, "the seed")
    return random.Random(source).random()  # "not cryptographically secure", as AWS says


def _uuid() -> Any:
    return str(uuid.UUID(bytes=_draw("uuid")[:16], version=4))


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise _fail("$parse", "the argument must be a string")
    try:
        return json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError) as error:
        raise _fail("$parse", f"not JSON ({error})") from None


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def _eval(*_: Any) -> Any:
    # The guide: "$eval is not available. Use $parse instead."
    raise _fail("$eval", "not available in Step Functions; use $parse")


def _clock() -> datetime:
    scope = _SCOPE.get()
    if scope is None or scope.now is None:
        raise _fail("$now", "there is no clock here")
    return scope.now


def _now(*picture: Any) -> Any:
    # The decision's time, not the wall clock: a task input derived again is the same.
    if picture:
        raise _fail("$now", "a picture or time zone is not supported; use $fromMillis($millis())")
    moment = _clock()
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _millis() -> Any:
    return int(_clock().timestamp() * 1000)


AWS_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "now": _now,
    "millis": _millis,
    "eval": _eval,
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": _uuid,
    "parse": _parse,
}


@dataclass(frozen=True)
class JsonataExpression:
    """A compiled ``{% ... %}`` expression."""

    text: str  # the expression, without {% and %}
    compiled: Any = field(repr=False, compare=False)

    @property
    def reads_context(self) -> bool:
        """Whether it may read ``$states.context`` (then the context, execution input
        included, is bound): it names it, or uses ``$states`` other than through
        ``.input``, ``.result`` or ``.errorOutput``."""
        return "context" in self.text or _WHOLE_STATES.search(self.text) is not None

    def evaluate(self, scope: Scope, field_name: str) -> Json:
        """The expression's value.

        Args:
            scope: ``$states.input`` (its data), the rest of ``$states``, the variables,
                the Context Object (``$states.context``) and the seed.
            field_name: the field, for the cause (``Output``, ``Arguments/id``...).

        Raises:
            QueryEvaluationError: it failed, or its value is undefined.
        """
        bindings: dict[str, Any] = dict(scope.variables)
        states = {"input": scope.data, **scope.states}
        if self.reads_context and scope.context is not None:
            states["context"] = scope.context.to_json()
        bindings["states"] = states
        token, draws = _SCOPE.set(scope), _DRAWS.set(_Draws())
        try:
            value = self.compiled.evaluate(None, bindings)
            if value is None and self._undefined(bindings):
                raise QueryEvaluationError(
                    f"The JSONata expression '{self.text}' specified for the field "
                    f"'{field_name}' returned nothing (undefined)."
                )
            return value
        except (ValueError, TypeError, OverflowError, RecursionError) as error:
            # The engine's own errors, and values it cannot take (an integer beyond 64 bits).
            raise QueryEvaluationError(
                f"An error occurred while evaluating the JSONata expression '{self.text}' "
                f"specified for the field '{field_name}': {error}"
            ) from None
        finally:
            _SCOPE.reset(token)
            _DRAWS.reset(draws)

    def _undefined(self, bindings: dict[str, Any]) -> bool:
        # evaluate() gives None for both null and undefined; the JSON form tells them apart.
        return self.compiled.evaluate_json_or_none("null", bindings) is None


@lru_cache(maxsize=4096)
def compile_jsonata(text: str) -> JsonataExpression:
    """Compile one expression (the text between ``{%`` and ``%}``), once per text.

    Raises:
        JsonataSyntaxError: it does not compile.
    """
    import jsonatapy  # noqa: PLC0415 - loaded only by definitions that use JSONata

    try:
        compiled = jsonatapy.compile(text, timeout=_TIMEOUT_MS, max_stack_depth=_MAX_DEPTH)
    except ValueError as error:
        reason = str(error)
        raise JsonataSyntaxError(text, reason, _position(reason)) from None
    for name, function in AWS_FUNCTIONS.items():
        try:
            compiled.register(name, function)
        except ValueError:  # a JSONata built-in ($random) that Step Functions redefines
            compiled.register_override(name, function)
    return JsonataExpression(text, compiled)


def _position(reason: str) -> int | None:
    match = re.search(r"position (\d+)", reason) or re.search(r"at (\d+)", reason)
    return int(match.group(1)) if match else None


def expression_text(value: str) -> str:
    """The expression inside ``{% ... %}``."""
    return value[len(OPEN) : -len(CLOSE)].strip()
