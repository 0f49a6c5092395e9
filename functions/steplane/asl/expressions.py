"""The value of a ``.$`` field: a path (``$.x``, ``$$.x``, ``$name``) or an intrinsic
function call, compiled once and evaluated against a :class:`~steplane.asl.scope.Scope`.

The spec (Payload Template): "If the field value begins with only one "$" character, it
MUST be a Path ... If the field value begins with "$$", the first dollar sign is stripped
and the remainder MUST be a Path ... applied to the Context Object ... Otherwise, the value
MUST be an Intrinsic Function." Failures are ``States.Runtime`` with the causes Step
Functions gives: "The JSONPath '$.x' specified for the field 'x.$' could not be found in
the input '{}'", and "The function 'States.X(...)' had the following error: ...".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from steplane.asl.failures import AslError
from steplane.asl.intrinsic_functions import FUNCTIONS, InvalidArguments, Invocation
from steplane.asl.intrinsic_syntax import (
    Call,
    ExpressionSyntaxError,
    Literal,
    Reference,
    is_intrinsic,
    parse_intrinsic,
)
from steplane.asl.path_errors import InvalidPathError, PathNotFoundError
from steplane.asl.references import CompiledPath, Root, compile_path
from steplane.asl.scope import Scope
from steplane.jsontypes import Json
from steplane.suggest import did_you_mean

# How much of an input a cause quotes: enough to see the shape, never the whole payload.
_QUOTED_INPUT_CHARACTERS = 200


def quote_input(value: Json) -> str:
    """A value as a cause quotes it: compact JSON, shortened past a few hundred characters."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    if len(text) <= _QUOTED_INPUT_CHARACTERS:
        return text
    return text[: _QUOTED_INPUT_CHARACTERS - 3] + "..."


def _not_found(path: CompiledPath, scope: Scope, error: PathNotFoundError) -> str:
    """Why ``path`` read nothing, in Step Functions' words where it has them."""
    if path.root is Root.VARIABLE and path.variable not in scope.variables:
        return f"the variable ${path.variable} is not assigned ({path.text!r})"
    if path.root is Root.CONTEXT:
        return f"the Context Object has no {path.text!r} here ({error.reason})"
    return f"could not be found in the input '{quote_input(scope.data)}'"


@dataclass(frozen=True)
class PathExpression:
    """A ``.$`` value that is a path."""

    path: CompiledPath

    @property
    def text(self) -> str:
        """The expression as written."""
        return self.path.text

    @property
    def paths(self) -> tuple[CompiledPath, ...]:
        """Every path the expression reads."""
        return (self.path,)

    def evaluate(self, scope: Scope, field: str) -> Json:
        """The value the path selects.

        Raises:
            AslError: ``States.Runtime``, naming the path, the field and the input.
        """
        try:
            return self.path.read(scope)
        except PathNotFoundError as error:
            why = _not_found(self.path, scope, error)
            raise AslError(
                f"The JSONPath '{self.text}' specified for the field '{field}' {why}"
            ) from None


@dataclass(frozen=True)
class CompiledCall:
    """A call with its paths compiled: what an intrinsic expression evaluates."""

    name: str
    args: tuple[Argument, ...]
    position: int

    @property
    def format_text(self) -> str | None:
        """The first argument's marked text, when it is a string literal (States.Format)."""
        first = self.args[0] if self.args else None
        return first.format_text if isinstance(first, Literal) else None

    def paths(self) -> tuple[CompiledPath, ...]:
        """Every path the call reads, nested calls included."""
        found: list[CompiledPath] = []
        for arg in self.args:
            if isinstance(arg, CompiledPath):
                found.append(arg)
            elif isinstance(arg, CompiledCall):
                found.extend(arg.paths())
        return tuple(found)


Argument = Literal | CompiledPath | CompiledCall


@dataclass(frozen=True)
class IntrinsicExpression:
    """A ``.$`` value that calls an intrinsic function."""

    text: str
    call: CompiledCall

    @property
    def paths(self) -> tuple[CompiledPath, ...]:
        """Every path the expression reads, nested calls included."""
        return self.call.paths()

    def evaluate(self, scope: Scope, field: str) -> Json:
        """The call's result.

        Raises:
            AslError: ``States.Runtime``: an argument path selects nothing, or the
                arguments do not fit a function (their number, type or range).
        """
        try:
            return self._call(self.call, scope, field)
        except InvalidArguments as error:
            raise AslError(f"The function '{self.text}' had the following error: {error}") from None

    def _call(self, call: CompiledCall, scope: Scope, field: str) -> Json:
        args = [self._argument(arg, scope, field) for arg in call.args]
        salt = f"{field}|{call.position}"
        try:
            return FUNCTIONS[call.name](Invocation(call.name, args, scope, salt, call.format_text))
        except (OverflowError, RecursionError) as error:  # a value too big or too deep
            raise InvalidArguments(f"{call.name}: {error}") from None

    def _argument(self, arg: Argument, scope: Scope, field: str) -> Json:
        if isinstance(arg, Literal):
            return arg.value
        if isinstance(arg, CompiledCall):
            return self._call(arg, scope, field)
        try:
            return arg.read(scope)
        except PathNotFoundError as error:
            why = _not_found(arg, scope, error)
            raise InvalidArguments(
                f"The JsonPath argument for the field '{arg.text}' {why}"
            ) from None


Expression = PathExpression | IntrinsicExpression


@lru_cache(maxsize=1024)
def cached_expression(text: str) -> Expression:
    """:func:`compile_expression`, once per text (for fields kept as text in the model)."""
    return compile_expression(text)


def compile_expression(text: str, *, queries: bool = True) -> Expression:
    """Compile the value of a ``.$`` field.

    ``queries``: whether a path may be a query that selects many nodes (a Path, as in
    payload templates) rather than a Reference Path (ErrorPath, CausePath).

    Raises:
        ExpressionSyntaxError: not a path nor a call of a known intrinsic function; the
            message gives the position in ``text``.
    """
    if is_intrinsic(text):
        return IntrinsicExpression(text, _compile_call(text, parse_intrinsic(text)))
    if not text.startswith("$"):
        raise ExpressionSyntaxError(
            text,
            0,
            "a '.$' field's value must be a path ($.x, $$.x, $name) or an "
            "intrinsic function (States.Format(...))",
        )
    try:
        return PathExpression(compile_path(text, queries=queries))
    except InvalidPathError as error:
        raise ExpressionSyntaxError(text, error.position, error.reason) from None


def _compile_call(text: str, call: Call) -> CompiledCall:
    if call.name not in FUNCTIONS:
        hint = did_you_mean(call.name, FUNCTIONS) or "; see the guide's list of intrinsic functions"
        raise ExpressionSyntaxError(
            text, call.position, f"{call.name} is not an intrinsic function{hint}"
        )
    args: list[Argument] = []
    for arg in call.args:
        if isinstance(arg, Call):
            args.append(_compile_call(text, arg))
        elif isinstance(arg, Reference):
            try:
                args.append(compile_path(arg.text, queries=True))
            except InvalidPathError as error:
                raise ExpressionSyntaxError(
                    text, arg.position + error.position, error.reason
                ) from None
        else:
            args.append(arg)
    return CompiledCall(call.name, tuple(args), call.position)
