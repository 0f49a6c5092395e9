"""Parse ASL reference paths into steps: field names (``str``) and array indexes (``int``).

The spec (JSONPath Concepts > Reference Paths): "A Reference Path is a Path with syntax
limited in such a way that it can only identify a single node in a JSON structure: the
operators "@", ",", ":", and "?" are not supported - all Reference Paths MUST be
unambiguous references to a single value, array, or object (subtree)." Its examples
include backslash escapes in dot notation (``$.store\\.book``, ``$.foo\\@bar``) and
bracket notation (``$['store'][0]['book']``); the Step Functions guide adds that field
names with punctuation or spaces need bracket notation (``$.abc.['def ghi']``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from steplane.asl.path_errors import InvalidPathError, NonReferencePathError

PathStep = str | int

# JSONPath operators that reference paths do not allow unescaped. They, and the
# structural characters, end a dot-notation name; a backslash escapes any of them (the
# spec's ``$.foo\\@bar``).
_OPERATORS = frozenset("@,:?*")
_NAME_STOP = frozenset(".[]'\"()\\") | _OPERATORS
# Bracket selectors that pick many nodes, or pick by a computation: by leading character,
# except that ":" (slice) and "," (union) count anywhere inside the brackets.
_SELECTORS = (
    ("*", "wildcard"),
    ("?", "filter"),
    ("(", "script expression"),
    (":", "slice"),
    (",", "union"),
)
_SIMPLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_reference_path(path: str) -> tuple[PathStep, ...]:
    """Parse a reference path; ``$`` alone gives ``()``.

    Raises:
        NonReferencePathError: a JSONPath or ASL construct outside reference paths
            (wildcard, ``..``, filter, slice, union, function, ``$$``, ``$variable``).
        InvalidPathError: anything else that is not a path; the message says what is
            wrong and at which (0-based) position.
    """
    if not path.startswith("$"):
        raise InvalidPathError(path, 0, "a path must start with '$'")
    if path.startswith("$$"):
        raise NonReferencePathError(
            path, 0, "context object", "'$$' starts a Context Object path, not a path into the data"
        )
    if len(path) > 1 and path[1] not in ".[":
        if path[1] not in _NAME_STOP and not path[1].isspace():
            variable = re.split(r"[.\[]", path, maxsplit=1)[0]
            raise NonReferencePathError(
                path, 0, "variable", f"{variable!r} names a workflow variable, not the data"
            )
        raise InvalidPathError(
            path, 1, f"unexpected {path[1]!r} at position 1; expected '.' or '['"
        )
    steps: list[PathStep] = []
    position = 1
    while position < len(path):
        position = _step(path, position, steps)
    return tuple(steps)


def format_path(steps: tuple[PathStep, ...]) -> str:
    """Write steps back as a reference path: ``("a", 0, "b c")`` gives ``$.a[0]['b c']``."""
    parts = ["$"]
    for step in steps:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _SIMPLE_NAME.fullmatch(step):
            parts.append(f".{step}")
        else:
            quoted = step.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(f"['{quoted}']")
    return "".join(parts)


def _step(path: str, position: int, steps: list[PathStep]) -> int:
    """Parse the step at ``position`` into ``steps``; return the position after it."""
    char = path[position]
    if char == ".":
        return _dot_step(path, position, steps)
    if char == "[":
        return _bracket_step(path, position, steps)
    if char in _OPERATORS:
        raise InvalidPathError(
            path,
            position,
            f"{char!r} at position {position} is a JSONPath operator, which "
            f"reference paths do not allow; escape it as '\\{char}' or use bracket notation",
        )
    raise InvalidPathError(
        path, position, f"unexpected {char!r} at position {position}; expected '.' or '['"
    )


def _dot_step(path: str, dot: int, steps: list[PathStep]) -> int:
    start = dot + 1
    if start == len(path):
        raise InvalidPathError(
            path, dot, f"the path ends with '.' at position {dot}; a field name must follow"
        )
    following = path[start]
    if following == ".":
        raise NonReferencePathError(
            path, dot, "recursive descent", f"'..' at position {dot} is recursive descent"
        )
    if following == "*":
        raise NonReferencePathError(
            path, start, "wildcard", f"'*' at position {start} is a wildcard"
        )
    if following == "[":
        # "$.abc.['def ghi']" is the Step Functions guide's own example of bracket notation.
        return _bracket_step(path, start, steps)
    name, end = _read_name(path, start)
    if end < len(path) and path[end] == "(":
        raise NonReferencePathError(
            path, start, "function", f"'{name}()' at position {start} is a function call"
        )
    steps.append(name)
    return end


def _read_name(path: str, start: int) -> tuple[str, int]:
    chars: list[str] = []
    index = start
    while index < len(path):
        char = path[index]
        if char == "\\":
            if index + 1 == len(path):
                raise InvalidPathError(
                    path, index, f"the backslash at position {index} escapes nothing"
                )
            chars.append(path[index + 1])
            index += 2
            continue
        if char.isspace():
            raise InvalidPathError(
                path,
                index,
                f"white space at position {index}; write names with spaces in bracket "
                "notation, e.g. $['a b']",
            )
        if char in _NAME_STOP:
            break
        chars.append(char)
        index += 1
    if not chars:
        raise InvalidPathError(path, start, f"expected a field name at position {start}")
    return "".join(chars), index


def _bracket_step(path: str, bracket: int, steps: list[PathStep]) -> int:
    start = bracket + 1
    if start >= len(path):
        raise InvalidPathError(path, bracket, f"the '[' at position {bracket} is never closed")
    opener = path[start]
    if opener in "'\"":
        name, end = read_quoted(path, start)
        if end < len(path) and path[end] == ",":
            raise NonReferencePathError(
                path, end, "union", f"',' at position {end} makes a union of names"
            )
        if end >= len(path) or path[end] != "]":
            raise InvalidPathError(path, end, f"expected ']' at position {end}")
        steps.append(name)
        return end + 1
    close = path.find("]", start)
    if close < 0:
        raise InvalidPathError(path, bracket, f"the '[' at position {bracket} is never closed")
    inner = path[start:close]
    _reject_selectors(path, start, inner)
    if inner.isascii() and inner.isdigit():
        steps.append(int(inner))
        return close + 1
    raise InvalidPathError(
        path,
        start,
        f"{inner!r} at position {start} is neither an array index nor a quoted field name",
    )


def _reject_selectors(path: str, start: int, inner: str) -> None:
    """Name the JSONPath selectors that can pick more (or other) than one node."""
    for marker, kind in _SELECTORS:
        if inner.startswith(marker) or (marker in ":," and marker in inner):
            raise NonReferencePathError(
                path, start - 1, kind, f"'[{inner}]' at position {start - 1} is a {kind}"
            )
    if re.fullmatch(r"-[0-9]+", inner):
        raise NonReferencePathError(
            path,
            start - 1,
            "negative index",
            f"'[{inner}]' at position {start - 1} counts from the end",
        )


def scan_brackets(text: str, start: int, stop: Callable[[str], bool]) -> int:
    """The position of the first character from ``start`` that ``stop`` accepts outside
    brackets (a ``]`` that closes the outermost bracket counts), skipping quoted names
    inside brackets; ``len(text)`` when there is none."""
    depth, quote, position = 0, "", start
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = ""
        elif char in "'\"" and depth:
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0 and stop(char):
                return position
        elif depth == 0 and stop(char):
            return position
        position += 1
    return len(text)


def read_quoted(path: str, start: int) -> tuple[str, int]:
    """The quoted name at ``start`` (``'a b'`` or ``"a b"``, backslash escapes) and the
    position after it.

    Raises:
        InvalidPathError: the quote is never closed.
    """
    quote = path[start]
    chars: list[str] = []
    index = start + 1
    while index < len(path):
        char = path[index]
        if char == "\\" and index + 1 < len(path):
            chars.append(path[index + 1])
            index += 2
            continue
        if char == quote:
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    raise InvalidPathError(
        path, start, f"the quoted name starting at position {start} is never closed"
    )
