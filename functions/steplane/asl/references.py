"""Paths that read a value: ``$.x`` (the data), ``$$.x`` (the Context Object) and
``$name.x`` (a workflow variable), each parsed once and read many times.

The spec (Paths): "A Path is a string, beginning with "$", used to identify components
with a JSON text." "When a Path begins with "$$", it is a Context Object path"; the Step
Functions guide (Variables): "reference a variable ... with a dollar sign and the name,
e.g. ``$productName``", and a variable's fields like any path (``$product.price``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING

from steplane.asl.failures import ExpressionSyntaxError
from steplane.asl.path_errors import InvalidPathError, NonReferencePathError, PathNotFoundError
from steplane.asl.path_syntax import PathStep, parse_reference_path
from steplane.asl.paths import read_steps
from steplane.asl.scope import Scope
from steplane.asl.variable_names import NAME_PATTERN, name_problem
from steplane.jsontypes import Json

if TYPE_CHECKING:
    from steplane.asl.jsonpath import Query


class Root(Enum):
    """What a path reads from."""

    DATA = "$"
    CONTEXT = "$$"
    VARIABLE = "$name"


@dataclass(frozen=True)
class CompiledPath:
    """A parsed path: its root, the variable it names (for ``$name``), and its steps; or,
    for a path that can select many nodes (``$.items[*].id``), its ``query``."""

    text: str
    root: Root
    steps: tuple[PathStep, ...]
    variable: str = ""
    query: Query | None = None

    def read(self, scope: Scope) -> Json:
        """The value this path selects in ``scope``.

        Raises:
            PathNotFoundError: the path selects nothing (``States.Runtime``), or reads a
                variable not assigned yet, or the Context Object where there is none.
        """
        if self.root is Root.DATA:
            start = scope.data
        elif self.root is Root.CONTEXT:
            if scope.context is None:
                raise PathNotFoundError(self.text, "there is no Context Object here")
            start = scope.context.to_json()
        elif self.variable in scope.variables:
            start = scope.variables[self.variable]
        else:
            raise PathNotFoundError(self.text, f"the variable ${self.variable} is not assigned")
        if self.query is not None:
            found = self.query.select(start)
            if self.query.definite:  # e.g. a negative index: one node, or none
                if not found:
                    raise PathNotFoundError(self.text, "it selects nothing")
                return found[0]
            # An indefinite path gives every node it selects, [] when none (Jayway).
            return found
        return read_steps(start, self.steps, self.text)

    @property
    def reads_execution_input(self) -> bool:
        """Whether reading it needs the execution's input (``$$``, ``$$.Execution``, ...)."""
        if self.root is not Root.CONTEXT:
            return False
        # A query could select anything in the Context Object: assume it reads the input.
        return self.query is not None or self.steps[:2] == ("Execution", "Input")[: len(self.steps)]


@lru_cache(maxsize=4096)
def cached_path(text: str) -> CompiledPath:
    """:func:`compile_path` (queries allowed), once per text: definitions are immutable
    and validated at load (which decides where queries are allowed), so the fields a
    state reads (InputPath, Variable, SecondsPath...) parse once."""
    return compile_path(text, queries=True)


def read(scope: Scope, path: str) -> Json:
    """The value ``path`` (of any root) selects in ``scope``.

    Raises:
        InvalidPathError: not a path (a definition validated at load has none).
        PathNotFoundError: the path selects nothing.
    """
    return cached_path(path).read(scope)


def select(scope: Scope, path: str | None) -> Json:
    """InputPath and OutputPath: the value ``path`` selects, or ``{}`` for ``null``.

    The spec: "If the value of InputPath is null, that means that the raw input is
    discarded, and the effective input for the state is an empty JSON object, {}"
    (and the same for OutputPath).
    """
    return {} if path is None else read(scope, path)


def compile_path(text: str, *, queries: bool = False) -> CompiledPath:
    """Parse a path of any root: a reference path, or (with ``queries``, for the fields
    that take a Path) a JSONPath query that can select many nodes.

    Raises:
        InvalidPathError: the text is not a path (position and reason in the message).
    """
    try:
        return _reference(text)
    except NonReferencePathError as error:
        if not queries or error.feature in ("context object", "variable"):
            raise
        return _query(text)


def _query(text: str) -> CompiledPath:
    from steplane.asl.jsonpath import parse_query  # noqa: PLC0415 - only queries need it

    root, variable, offset = Root.DATA, "", 1
    if text.startswith("$$"):
        root, offset = Root.CONTEXT, 2
    elif text[1:2] not in (".", "["):
        name = NAME_PATTERN.match(text, 1)
        assert name is not None, "a reference path's variable was checked first"
        root, variable, offset = Root.VARIABLE, name.group(), name.end()
    try:
        query = parse_query("$" + text[offset:])
    except ExpressionSyntaxError as error:
        position = error.position + offset - 1
        raise InvalidPathError(text, position, error.reason) from None
    return CompiledPath(text, root, (), variable, query)


# The Context Object's fields (the guide, "Context object"): a path naming another fails
# at load rather than at run time.
CONTEXT_FIELDS: dict[str, frozenset[str]] = {
    "Execution": frozenset(
        {"Id", "Input", "Name", "RoleArn", "StartTime", "RedriveCount", "RedriveTime"}
    ),
    "State": frozenset({"EnteredTime", "Name", "RetryCount"}),
    "StateMachine": frozenset({"Id", "Name"}),
    "Task": frozenset({"Token"}),
    "Map": frozenset({"Item"}),
}


def _check_context(text: str, steps: tuple[PathStep, ...]) -> None:
    if not steps:
        return
    top = steps[0]
    if top not in CONTEXT_FIELDS:
        known = ", ".join(CONTEXT_FIELDS)
        raise InvalidPathError(text, 3, f"the Context Object has no {top!r} (it has {known})")
    if len(steps) > 1 and steps[1] not in CONTEXT_FIELDS[str(top)]:
        known = ", ".join(sorted(CONTEXT_FIELDS[str(top)]))
        raise InvalidPathError(text, 3, f"$$.{top} has no {steps[1]!r} (it has {known})")


def _reference(text: str) -> CompiledPath:
    if text.startswith("$$"):
        steps = _steps_after(text, 2)
        _check_context(text, steps)
        return CompiledPath(text, Root.CONTEXT, steps)
    if len(text) > 1 and text.startswith("$") and text[1] not in ".[":
        name = NAME_PATTERN.match(text, 1)
        if name is None:
            raise InvalidPathError(text, 1, "'$' must be followed by '.', '[' or a variable name")
        problem = name_problem(name.group())
        if problem is not None:
            raise InvalidPathError(text, 1, problem)
        return CompiledPath(text, Root.VARIABLE, _steps_after(text, name.end()), name.group())
    return CompiledPath(text, Root.DATA, parse_reference_path(text))


def _steps_after(text: str, root_end: int) -> tuple[PathStep, ...]:
    """The steps of ``text`` after its root (``$$``, ``$name``), positions kept in errors."""
    try:
        return parse_reference_path("$" + text[root_end:])
    except InvalidPathError as error:
        position = error.position + root_end - 1
        reason = error.reason.replace(f"position {error.position}", f"position {position}").replace(
            repr("$" + text[root_end:]), repr(text)
        )
        if isinstance(error, NonReferencePathError):
            raise NonReferencePathError(text, position, error.feature, reason) from None
        raise InvalidPathError(text, position, reason) from None
