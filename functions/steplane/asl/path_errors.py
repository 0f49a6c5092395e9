"""Why a reference path could not be parsed or applied, as an ASL error and cause.

Each exception carries ``error``, the ASL error name the interpreter fails the state
with, and ``cause``, the human-readable text that goes with it.
"""

from __future__ import annotations

from steplane.asl.failures import AslError
from steplane.errors import StatesError


class PathError(AslError):
    """A reference path that cannot be parsed or applied.

    Attributes:
        path: the path as written.
        reason: what is wrong, and where (also the exception's message).
        error: the ASL error name the interpreter raises for it.
        cause: a human-readable cause naming the path and the reason.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"Invalid path {path!r}: {reason}", message=reason)
        self.path = path
        self.reason = reason


class InvalidPathError(PathError):
    """The text is not a reference path: a syntax error at ``position`` (0-based)."""

    def __init__(self, path: str, position: int, reason: str) -> None:
        super().__init__(path, reason)
        self.position = position


class NonReferencePathError(InvalidPathError):
    """A JSONPath or ASL construct that is valid elsewhere but is not a reference path.

    Wildcards, ``..``, filters, slices, unions and functions can select many nodes or
    none; ``$$`` reads the Context Object and ``$name`` a workflow variable. Fields that
    take a Path (``InputPath``, a template's ``.$`` values) accept them as queries
    (``compile_path(..., queries=True)``); the others report them.

    Attributes:
        feature: what was found, e.g. ``"wildcard"`` or ``"context object"``.
    """

    def __init__(self, path: str, position: int, feature: str, reason: str) -> None:
        super().__init__(path, position, reason)
        self.feature = feature


class PathNotFoundError(PathError):
    """The path is valid but selects nothing in the data.

    A field or index is missing, or a step meets a value of the wrong type. Step
    Functions fails such a state with ``States.Runtime``.
    """


class ResultPathMatchError(PathError):
    """ResultPath cannot place the result in the state's input.

    The spec (JSONPath Runtime Errors): "Suppose a state's input is the string "foo", and
    its "ResultPath" field has the value "$.x". Then ResultPath cannot apply and the
    interpreter fails the machine with an Error Name of "States.ResultPathMatchFailure"."
    """

    error = StatesError.RESULT_PATH_MATCH_FAILURE.value

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.cause = f"Unable to apply ResultPath {path!r} to the state input: {reason}"
