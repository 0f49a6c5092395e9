"""Check a Choice Rule's ``Variable`` and each comparison operator's operand.

The Step Functions guide (Choice Rules, JSONPath): "For each of these operators, the
corresponding value must be of the appropriate type: string, number, Boolean, or
timestamp", and "The values of Variable and Path fields in a comparison must be valid
Reference Paths".
"""

from __future__ import annotations

from steplane.asl.paths import InvalidPathError, NonReferencePathError
from steplane.asl.references import compile_path
from steplane.asl.timestamps import parse_instant
from steplane.asl.wildcard import PatternError, split_pattern
from steplane.definition.showing import show
from steplane.jsontypes import Json


def check_path(value: Json) -> str | None:
    """The problem with ``value`` as a ``Variable`` or ``...Path`` operand, or None."""
    if not isinstance(value, str):
        return f"must be a string holding a reference path (got {show(value)})"
    try:
        compile_path(value)  # $.x, $$.x (the Context Object) or $name (a variable)
    except NonReferencePathError as error:
        # The guide: "The values of Variable and Path fields in a comparison must be
        # valid Reference Paths" (a query that selects many nodes is not one).
        return (
            f"{value!r}: {error.reason}; a Choice Rule compares one value, so this must "
            "be a reference path"
        )
    except InvalidPathError as error:
        return f"{value!r} is not a valid reference path: {error.reason}"
    return None


def check_operand(operator: str, value: Json) -> str | None:
    """The problem with ``value`` as the operand of ``operator``, or None if it fits."""
    if operator.endswith("Path"):
        return check_path(value)
    if operator.startswith("Is"):
        return None if isinstance(value, bool) else f"must be true or false (got {show(value)})"
    if operator.startswith("Numeric"):
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return None if is_number else f"must be a number (got {show(value)})"
    if operator.startswith("Boolean"):
        return None if isinstance(value, bool) else f"must be true or false (got {show(value)})"
    if not isinstance(value, str):
        return f"must be a string (got {show(value)})"
    if operator == "StringMatches":
        return _pattern_problem(value)
    if operator.startswith("Timestamp") and parse_instant(value) is None:
        # A constant that is not a timestamp could never compare true; say so now.
        return f"must be an RFC 3339 timestamp such as 2016-03-14T01:59:00Z (got {show(value)})"
    return None


def _pattern_problem(pattern: str) -> str | None:
    # The spec: "If an open escape backslash \ is found in the StringMatches string, the
    # interpreter will throw a runtime error" -- the pattern is constant, so it always would.
    try:
        split_pattern(pattern)
    except PatternError as error:
        return str(error)
    return None
