"""Turn pydantic's validation errors into problems in steplane's own words.

Users write JSON, not Python: a message names the JSON type expected and shows the value
given as JSON (``must be an integer >= 0, got -1``), never pydantic's phrasing
("Input should be ...", "Field required"). Every error type the definition models can
raise has a message here; anything else falls back to a neutral message of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from steplane.definition.pointers import pointer
from steplane.definition.showing import show
from steplane.definition.templated import TEMPLATE_ERROR
from steplane.errors import Problem
from steplane.states import STATE_TYPES

# What each pydantic type error expected, said as JSON types.
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "int_parsing_size": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "tuple_type": "an array",
    "list_type": "an array",
    "dict_type": "a JSON object",
    "model_type": "a JSON object",
    "model_attributes_type": "a JSON object",
}
_BOUNDS = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}


def pydantic_problems(error: ValidationError, locate: Callable[[str], str]) -> list[Problem]:
    """The problems in ``error``, each at the location ``locate`` maps its pointer to.

    ``locate`` turns a pointer into the validated document into one into the document
    as the user wrote it, so a message can name a field in the user's spelling.
    """
    problems = []
    for detail in error.errors():
        location = _location(detail)
        if location.startswith("/States/") and "/Choices/" in location:
            continue  # the choice parser reports these, with better messages
        if detail["type"] == TEMPLATE_ERROR:
            for inside, reason in (detail.get("ctx") or {}).get("problems", ()):
                problems.append(Problem(locate(location + inside), reason))
            continue
        where = locate(location)
        message = _message(detail, _last_token(where))
        if message is not None:
            problems.append(Problem(where, message))
    return problems


def _location(detail: ErrorDetails) -> str:
    parts = list(detail["loc"])
    # A discriminated union inserts the tag ("Task") after a state's name, at every depth
    # of nesting (States/P/Branches/0/States/X/Task/...); drop it.
    parts = [
        part
        for index, part in enumerate(parts)
        if not (index >= 2 and parts[index - 2] == "States" and part in STATE_TYPES)
    ]
    if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
        parts.append("Type")  # the problem is the state's Type field, not the whole state
    return pointer(*parts)


def _message(detail: ErrorDetails, field: str) -> str | None:
    kind, given = detail["type"], detail.get("input")
    context: dict[str, Any] = dict(detail.get("ctx") or {})
    if kind == "extra_forbidden":
        return f"unknown field {field!r}"
    if kind in ("missing", "union_tag_not_found"):
        return f"missing required field {field!r}"
    if kind == "union_tag_invalid":
        return _state_type_message(given)
    if kind in _EXPECTED:
        return f"must be {_EXPECTED[kind]}, got {show(given)}"
    if kind in _BOUNDS:
        key, symbol = _BOUNDS[kind]
        bound = context[key]
        number = "an integer" if isinstance(bound, int) else "a number"
        return f"must be {number} {symbol} {bound}, got {show(given)}"
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", '"')
        return f"must be {expected}, got {show(given)}"
    if kind == "too_short":
        return _too_short_message(given, int(context.get("min_length", 1)))
    return f"is not allowed here, got {show(given)}"


def _state_type_message(state: Any) -> str:
    kind = state.get("Type") if isinstance(state, dict) else None
    expected = ", ".join(STATE_TYPES)
    if isinstance(kind, str):
        return f"unknown state type {kind!r}; expected one of {expected}"
    return f"must be a state type (one of {expected}), got {show(kind)}"


def _too_short_message(given: Any, minimum: int) -> str | None:
    # pydantic counts only the items that validated, so ["E", 5] can be "too short";
    # the bad item has its own problem, and the array itself is long enough.
    if isinstance(given, list | dict) and len(given) >= minimum:
        return None
    if isinstance(given, dict):
        shape, unit = "an object", "entry" if minimum == 1 else "entries"
    else:
        shape, unit = "an array", "item" if minimum == 1 else "items"
    return f"must be {shape} with at least {minimum} {unit}, got {show(given)}"


def _last_token(location: str) -> str:
    """The last reference token of a JSON pointer, unescaped (RFC 6901)."""
    return location.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
