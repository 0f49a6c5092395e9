"""Checks that several state types share: Next or End, error-name lists, path fields.

Each state type's own checks are in its module (``steplane.states``); the whole-machine
pass that runs them all is :mod:`.validate`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from steplane.asl.failures import ExpressionSyntaxError
from steplane.asl.paths import PathError, parse_reference_path
from steplane.asl.references import compile_path
from steplane.definition.model import Catcher, Retrier
from steplane.errors import Problem, StatesError

_KNOWN_STATES_ERRORS = {e.value for e in StatesError}


def next_or_end(where: str, *, has_next: bool, end: bool) -> list[Problem]:
    """A state that moves on gives exactly one of ``Next`` and ``End``."""
    if has_next and end:
        return [Problem(where, "has both Next and End; give exactly one")]
    if not has_next and not end:
        return [Problem(where, "has neither Next nor End: true; give exactly one")]
    return []


def check_error_lists(where: str, entries: Sequence[Retrier | Catcher]) -> Iterator[Problem]:
    """The ErrorEquals rules of a Retry or Catch array (see :func:`check_error_names`)."""
    lists = [(index, entry.error_equals) for index, entry in enumerate(entries)]
    yield from check_error_names(where, lists, len(entries))


def check_error_names(
    where: str, lists: Sequence[tuple[int, tuple[str, ...]]], count: int
) -> Iterator[Problem]:
    """The spec: "The reserved name States.ALL ... must appear alone in the ErrorEquals
    array and must appear in the last Retrier/Catcher in the array"; a ``States.`` name
    must be one the spec defines."""
    for index, errors in lists:
        if StatesError.ALL in errors and len(errors) > 1:
            yield Problem(f"{where}/{index}/ErrorEquals", "States.ALL must appear alone")
        if StatesError.ALL in errors and index != count - 1:
            yield Problem(f"{where}/{index}/ErrorEquals", "States.ALL must be in the last entry")
        for name in errors:
            if name.startswith("States.") and name not in _KNOWN_STATES_ERRORS:
                yield Problem(f"{where}/{index}/ErrorEquals", f"{name!r} is not a States error")


def check_path(where: str, path: str) -> Iterator[Problem]:
    """Each path field, as the guide allows it: ResultPath is a reference path into the
    data ("MUST NOT begin with $$"; "variables cannot be used in ResultPath");
    ErrorPath and CausePath may also be intrinsic functions; the others may read the
    Context Object ($$) and variables ($name)."""
    field = where.rsplit("/", 1)[-1]
    try:
        if field == "ResultPath":
            parse_reference_path(path)
        elif field in ("ErrorPath", "CausePath"):
            from steplane.asl.expressions import compile_expression  # noqa: PLC0415

            compile_expression(path, queries=False)
        else:
            # InputPath and OutputPath take a Path (a query may select many nodes); the
            # others a Reference Path.
            compile_path(path, queries=field in ("InputPath", "OutputPath"))
    except (PathError, ExpressionSyntaxError) as error:
        yield Problem(where, f"{path!r} is not a valid {_KINDS.get(field, 'path')}: {error}")


_KINDS = {
    "ResultPath": "reference path into the state's data",
    "ErrorPath": "path or intrinsic function",
    "CausePath": "path or intrinsic function",
}
