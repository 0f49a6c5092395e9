"""JSONPath queries beyond reference paths: wildcards, recursive descent, slices, unions,
negative indexes and filters, for the fields where ASL takes a Path rather than a
Reference Path (InputPath, OutputPath, and the ``.$`` values of payload templates).

The spec (Paths): "A Path is a string, beginning with "$", used to identify components with
a JSON text. The syntax is that of JsonPath." Step Functions evaluates them as the Jayway
JsonPath library does: a query that can select many nodes (an "indefinite" path) gives
an array of every node it selects, in document order, and an empty array when it selects
none (the guide's ``"flattenArray.$": "$[*][*]"``).

Filters take ``@``-relative (or ``$``-rooted) paths compared with ``==``, ``!=``, ``<``,
``<=``, ``>``, ``>=`` to JSON literals or other paths, a bare path as an existence test,
``!``, ``&&``, ``||`` and parentheses.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from steplane.asl.intrinsic_syntax import ExpressionSyntaxError
from steplane.asl.path_errors import InvalidPathError
from steplane.asl.path_syntax import read_quoted, scan_brackets
from steplane.jsontypes import Json

_NAME = re.compile(r"[^.\[\]\s()=!<>&|,'\"@$?*]+")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_INT = re.compile(r"\s*(-?[0-9]+)\s*")

# A selector takes a node and yields the nodes it selects.
Selector = Callable[[Json, Json], Iterator[Json]]  # (node, root) -> selected


@dataclass(frozen=True)
class Query:
    """A parsed JSONPath query: its text and its selectors, applied in turn."""

    text: str
    selectors: tuple[Selector, ...]
    # Whether it can select one node at most (names and single indexes only, as Jayway
    # decides): then it gives that node, not an array of it.
    definite: bool = False

    def select(self, root: Json) -> list[Json]:
        """Every node the query selects in ``root``, in document order."""
        nodes = [root]
        for selector in self.selectors:
            nodes = [found for node in nodes for found in selector(node, root)]
        return nodes


def parse_query(text: str) -> Query:
    """Parse a JSONPath query that starts at ``$``.

    Raises:
        ExpressionSyntaxError: not a JSONPath query; the message gives the position.
    """
    if not text.startswith("$"):
        raise ExpressionSyntaxError(text, 0, "a path must start with '$'")
    parser = _Parser(text)
    selectors, end = parser.segments(1, stop="")
    if end != len(text):
        raise ExpressionSyntaxError(text, end, f"unexpected {text[end]!r}")
    return Query(text, tuple(selectors), not parser.indefinite)


# -- selectors --------------------------------------------------------------------------


def _child(name: str) -> Selector:
    def select(node: Json, root: Json) -> Iterator[Json]:
        if isinstance(node, dict) and name in node:
            yield node[name]

    return select


def _index(index: int) -> Selector:
    def select(node: Json, root: Json) -> Iterator[Json]:
        if isinstance(node, list) and -len(node) <= index < len(node):
            yield node[index]

    return select


def _wildcard(node: Json, root: Json) -> Iterator[Json]:
    if isinstance(node, dict):
        yield from node.values()
    elif isinstance(node, list):
        yield from node


def _slice(start: int | None, stop: int | None, step: int | None) -> Selector:
    def select(node: Json, root: Json) -> Iterator[Json]:
        if isinstance(node, list):
            yield from node[start:stop:step]

    return select


def _union(parts: list[Selector]) -> Selector:
    def select(node: Json, root: Json) -> Iterator[Json]:
        for part in parts:
            yield from part(node, root)

    return select


def _descendants(node: Json) -> Iterator[Json]:
    """``node`` and everything below it, in document order."""
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from _descendants(child)


def _descent(inner: Selector) -> Selector:
    def select(node: Json, root: Json) -> Iterator[Json]:
        for each in _descendants(node):
            yield from inner(each, root)

    return select


Predicate = Callable[[Json, Json], bool]  # (candidate, root) -> keep


def _filter(predicate: Predicate) -> Selector:
    def select(node: Json, root: Json) -> Iterator[Json]:
        items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for item in items:
            if predicate(item, root):
                yield item

    return select


# -- filter expressions -----------------------------------------------------------------

_MISSING = object()


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(relation: str, left: object, right: object) -> bool:
    """Jayway's comparisons: a missing value equals nothing; order compares two numbers
    or two strings, and is false for any other pair."""
    if left is _MISSING or right is _MISSING:
        return relation == "!=" and left is not right
    if relation in ("==", "!="):
        return _same_json(left, right) is (relation == "==")
    comparable = (_is_number(left) and _is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    )
    return comparable and _ORDER[relation](left, right)


def _same_json(left: object, right: object) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return left == right


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        # Set by any selector that can select more than one node (not by those inside
        # a filter's own paths).
        self.indefinite = False

    def fail(self, position: int, reason: str) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(self.text, position, reason)

    def segments(self, position: int, stop: str) -> tuple[list[Selector], int]:
        """Selectors from ``position`` until the text ends or a character of ``stop``."""
        selectors: list[Selector] = []
        text = self.text
        while position < len(text) and text[position] not in stop and not text[position].isspace():
            char = text[position]
            if text.startswith("..", position):
                inner, position = self.after_descent(position + 2)
                selectors.append(_descent(inner))
                self.indefinite = True
            elif char == ".":
                selector, position = self.dot(position + 1)
                selectors.append(selector)
            elif char == "[":
                selector, position = self.bracket(position)
                selectors.append(selector)
            else:
                raise self.fail(position, f"unexpected {char!r}; expected '.', '..' or '['")
        return selectors, position

    def after_descent(self, position: int) -> tuple[Selector, int]:
        if position < len(self.text) and self.text[position] == "[":
            return self.bracket(position)
        return self.dot(position)

    def dot(self, position: int) -> tuple[Selector, int]:
        if position < len(self.text) and self.text[position] == "*":
            self.indefinite = True
            return _wildcard, position + 1
        if position < len(self.text) and self.text[position] == "[":
            return self.bracket(position)
        match = _NAME.match(self.text, position)
        if match is None:
            raise self.fail(position, "expected a field name or '*'")
        return _child(match.group()), match.end()

    def bracket(self, start: int) -> tuple[Selector, int]:
        close = self._closing(start)
        inner = self.text[start + 1 : close]
        stripped = inner.strip()
        if stripped == "*":
            self.indefinite = True
            return _wildcard, close + 1
        if stripped.startswith("?"):
            # A filter selects any number of nodes, whatever its own paths are.
            selector = self.filter(start, close)
            self.indefinite = True
            return selector, close + 1
        if stripped[:1] in ("'", '"'):
            names = self.quoted_names(start + 1 + inner.index(stripped[0]), close)
            children = [_child(name) for name in names]
            if len(children) == 1:
                return children[0], close + 1
            self.indefinite = True
            return _union(children), close + 1
        if ":" in stripped:
            self.indefinite = True
            return self.slice(start, stripped), close + 1
        parts = stripped.split(",")
        indexes = []
        for part in parts:
            match = _INT.fullmatch(part)
            if match is None:
                raise self.fail(
                    start + 1, f"'[{inner}]' is not an index, a name, '*', a slice or a filter"
                )
            indexes.append(int(match.group(1)))
        if len(indexes) == 1:
            return _index(indexes[0]), close + 1
        self.indefinite = True
        return _union([_index(i) for i in indexes]), close + 1

    def _closing(self, start: int) -> int:
        close = scan_brackets(self.text, start, lambda char: char == "]")
        if close == len(self.text):
            raise self.fail(start, f"the '[' at position {start} is never closed")
        return close

    def quoted_names(self, position: int, close: int) -> list[str]:
        names: list[str] = []
        while True:
            name, position = self.quoted(position)
            names.append(name)
            position = self._skip(position)
            if position == close:
                return names
            if self.text[position] != ",":
                raise self.fail(position, "expected ',' or ']' after a quoted name")
            position = self._skip(position + 1)

    def quoted(self, position: int) -> tuple[str, int]:
        try:
            return read_quoted(self.text, position)
        except InvalidPathError as error:
            raise self.fail(position, error.reason) from None

    def _skip(self, position: int) -> int:
        while position < len(self.text) and self.text[position].isspace():
            position += 1
        return position

    def slice(self, start: int, inner: str) -> Selector:
        parts = inner.split(":")
        if len(parts) > 3:
            raise self.fail(start, f"'[{inner}]' has too many ':' for a slice")
        values: list[int | None] = []
        for part in parts:
            if not part.strip():
                values.append(None)
                continue
            match = _INT.fullmatch(part)
            if match is None:
                raise self.fail(start, f"'[{inner}]': slice bounds are whole numbers")
            values.append(int(match.group(1)))
        values += [None] * (3 - len(values))
        if values[2] == 0:
            raise self.fail(start, "a slice step must not be 0")
        return _slice(values[0], values[1], values[2])

    # filters: [?(<expression>)]
    def filter(self, start: int, close: int) -> Selector:
        position = self._skip(self.text.index("?", start) + 1)
        if position >= close or self.text[position] != "(":
            raise self.fail(position, "a filter is written [?(...)]")
        predicate, position = self.disjunction(self._skip(position + 1))
        position = self._skip(position)
        if self.text[position : position + 1] != ")":
            raise self.fail(position, "expected ')' to close the filter")
        if self._skip(position + 1) != close:
            raise self.fail(position + 1, "unexpected text after the filter")
        return _filter(predicate)

    def disjunction(self, position: int) -> tuple[Predicate, int]:
        left, position = self.conjunction(position)
        while self.text.startswith("||", self._skip(position)):
            right, position = self.conjunction(self._skip(self._skip(position) + 2))
            left = _or(left, right)
        return left, position

    def conjunction(self, position: int) -> tuple[Predicate, int]:
        left, position = self.unary(position)
        while self.text.startswith("&&", self._skip(position)):
            right, position = self.unary(self._skip(self._skip(position) + 2))
            left = _and(left, right)
        return left, position

    def unary(self, position: int) -> tuple[Predicate, int]:
        position = self._skip(position)
        if self.text.startswith("!", position) and not self.text.startswith("!=", position):
            inner, position = self.unary(position + 1)
            return _not(inner), position
        if self.text.startswith("(", position):
            inner, position = self.disjunction(self._skip(position + 1))
            position = self._skip(position)
            if self.text[position : position + 1] != ")":
                raise self.fail(position, "expected ')'")
            return inner, position + 1
        return self.comparison(position)

    def comparison(self, position: int) -> tuple[Predicate, int]:
        left, position = self.operand(position)
        position = self._skip(position)
        for relation in ("==", "!=", "<=", ">=", "<", ">"):
            if self.text.startswith(relation, position):
                right, position = self.operand(self._skip(position + len(relation)))
                return _comparison(relation, left, right), position
        return _exists(left), position

    def operand(self, position: int) -> tuple[Callable[[Json, Json], object], int]:
        text = self.text
        if position >= len(text):
            raise self.fail(position, "expected a value or a path")
        char = text[position]
        if char in "@$":
            selectors, end = self.segments(position + 1, stop=")=!<>&|,")
            query = Query(text[position:end], tuple(selectors))
            relative = char == "@"
            return _path_value(query, relative), end
        if char in "'\"":
            value, end = self.quoted(position)
            return (lambda item, root: value), end
        number = _NUMBER.match(text, position)
        if number is not None:
            parsed = json.loads(number.group())
            return (lambda item, root: parsed), number.end()
        for word, literal in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, position):
                return (lambda item, root, v=literal: v), position + len(word)
        raise self.fail(position, f"unexpected {char!r} in a filter")


def _path_value(query: Query, relative: bool) -> Callable[[Json, Json], object]:
    def value(item: Json, root: Json) -> object:
        found = query.select(item if relative else root)
        return found[0] if found else _MISSING

    return value


def _comparison(
    relation: str, left: Callable[[Json, Json], object], right: Callable[[Json, Json], object]
) -> Predicate:
    return lambda item, root: _compare(relation, left(item, root), right(item, root))


def _exists(operand: Callable[[Json, Json], object]) -> Predicate:
    return lambda item, root: operand(item, root) is not _MISSING


def _and(left: Predicate, right: Predicate) -> Predicate:
    return lambda item, root: left(item, root) and right(item, root)


def _or(left: Predicate, right: Predicate) -> Predicate:
    return lambda item, root: left(item, root) or right(item, root)


def _not(inner: Predicate) -> Predicate:
    return lambda item, root: not inner(item, root)
