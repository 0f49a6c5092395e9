"""Parse intrinsic function invocations (``States.Format('{}', $.x)``) once, at load time.

The grammar, from the Step Functions guide (Intrinsic functions for JSONPath states):
an invocation is ``States.<Name>(<arguments>)``; an argument is a string literal in
single quotes, a number, ``true``/``false``/``null``, a path (``$.x``), a Context Object
path (``$$.Execution.Id``), a variable (``$name.x``), or another invocation. Inside a
string literal "The following characters are reserved for intrinsic functions, and must be
escaped with a backslash ('\\'): ' { } and \\"; ``{}`` is the placeholder of
``States.Format``. "If an open escape backslash \\ is found in the intrinsic invocation
string, the interpreter will throw a runtime error": a definition is refused for it at
load instead, since the text never changes. "You can nest up to 10 intrinsic functions
within a field."
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from steplane.asl.failures import ExpressionSyntaxError
from steplane.asl.path_syntax import scan_brackets
from steplane.jsontypes import Json

__all__ = ["ExpressionSyntaxError", "parse_intrinsic"]

MAX_NESTING = 10

_NAME = re.compile(r"States\.[A-Za-z0-9]+")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_KEYWORDS: dict[str, Json] = {"true": True, "false": False, "null": None}
_ESCAPABLE = frozenset("'{}\\")


# Where a string literal had an escaped brace, its format text holds one of these
# (Unicode private-use characters), so States.Format tells a placeholder from a brace.
ESCAPED_OPEN, ESCAPED_CLOSE = "\ue000", "\ue001"
_MARKED = {"{": ESCAPED_OPEN, "}": ESCAPED_CLOSE}


@dataclass(frozen=True)
class Literal:
    """A literal argument. A string literal also keeps ``format_text``: its text with
    escaped braces marked (ESCAPED_OPEN/CLOSE), which only ``States.Format`` reads."""

    value: Json
    format_text: str | None = None


@dataclass(frozen=True)
class Reference:
    """A path argument as written (``$.a``, ``$$.Execution.Id``, ``$name.a``) and where."""

    text: str
    position: int


@dataclass(frozen=True)
class Call:
    """An invocation: the function's name, its arguments, and where it starts."""

    name: str
    args: tuple[Argument, ...]
    position: int


Argument = Literal | Reference | Call


def is_intrinsic(text: str) -> bool:
    """Whether ``text`` is written as an invocation (starts with ``States.`` and a name)."""
    return text.startswith("States.")


def parse_intrinsic(text: str) -> Call:
    """Parse an invocation; the whole text must be exactly one call.

    Raises:
        ExpressionSyntaxError: naming what is wrong and where.
    """
    parser = _Parser(text)
    call = parser.call(parser.skip_space(0), depth=1)
    end = parser.skip_space(call[1])
    if end != len(text):
        raise ExpressionSyntaxError(
            text, end, f"unexpected {text[end]!r} after the call; one invocation per field"
        )
    return call[0]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text

    def fail(self, position: int, reason: str) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(self.text, position, reason)

    def skip_space(self, position: int) -> int:
        while position < len(self.text) and self.text[position].isspace():
            position += 1
        return position

    def call(self, start: int, depth: int) -> tuple[Call, int]:
        if depth > MAX_NESTING:
            raise self.fail(start, f"more than {MAX_NESTING} nested intrinsic functions")
        match = _NAME.match(self.text, start)
        if match is None:
            raise self.fail(start, "expected an intrinsic function name like States.Format")
        position = self.skip_space(match.end())
        if position >= len(self.text) or self.text[position] != "(":
            raise self.fail(position, f"expected '(' after {match.group()}")
        args: list[Argument] = []
        position = self.skip_space(position + 1)
        if position < len(self.text) and self.text[position] == ")":
            return Call(match.group(), (), start), position + 1
        while True:
            arg, position = self.argument(position, depth)
            args.append(arg)
            position = self.skip_space(position)
            if position >= len(self.text):
                raise self.fail(start, f"the '(' of {match.group()} is never closed")
            char = self.text[position]
            if char == ")":
                return Call(match.group(), tuple(args), start), position + 1
            if char != ",":
                raise self.fail(position, f"expected ',' or ')', found {char!r}")
            position = self.skip_space(position + 1)

    def argument(self, position: int, depth: int) -> tuple[Argument, int]:
        if position >= len(self.text):
            raise self.fail(position, "expected an argument")
        char = self.text[position]
        if char == "'":
            return self.string(position)
        if char == "$":
            return self.reference(position)
        if self.text.startswith("States.", position):
            return self.call(position, depth + 1)
        number = _NUMBER.match(self.text, position)
        if number is not None:
            literal = number.group()
            is_int = not any(c in literal for c in ".eE")
            return Literal(int(literal) if is_int else float(literal)), number.end()
        for keyword, value in _KEYWORDS.items():
            if self.text.startswith(keyword, position):
                return Literal(value), position + len(keyword)
        raise self.fail(
            position,
            f"unexpected {char!r}; an argument is a 'string', a number, true, false, null, "
            "a path ($.x, $$.x, $variable) or an intrinsic function",
        )

    def string(self, start: int) -> tuple[Literal, int]:
        chars: list[str] = []
        marked: list[str] = []
        position = start + 1
        while position < len(self.text):
            char = self.text[position]
            if char == "\\":
                escaped = self.text[position + 1 : position + 2]
                if escaped not in _ESCAPABLE or not escaped:
                    raise self.fail(
                        position,
                        "an open escape backslash: only \\' \\{ \\} and \\\\ are escapes",
                    )
                chars.append(escaped)
                marked.append(_MARKED.get(escaped, escaped))
                position += 2
            elif char == "'":
                return Literal("".join(chars), "".join(marked)), position + 1
            else:
                chars.append(char)
                marked.append(char)
                position += 1
        raise self.fail(start, "the string literal is never closed")

    def reference(self, start: int) -> tuple[Reference, int]:
        """A path runs to the next ',' or ')' (or white space) outside brackets and quotes."""
        end = scan_brackets(self.text, start, lambda char: char in ",)" or char.isspace())
        return Reference(self.text[start:end], start), end
