"""Fail: ends the execution as failed with its Error and Cause."""

from __future__ import annotations

from steplane.asl.failures import AslError
from steplane.asl.paths import describe, read_path
from steplane.definition.model import FailState
from steplane.interpreter.run import Run
from steplane.interpreter.states.lifecycle import Flowing
from steplane.interpreter.steps import Fail, Step
from steplane.jsontypes import Json


def enter(name: str, state: FailState, raw_input: Json, run: Run) -> Step:
    """Run a Fail state. Catch never applies: a Fail state ends the execution.

    ``ErrorPath`` and ``CausePath`` read the error name and the cause from the state's
    input; each must select a string (else the execution fails with States.Runtime).
    """
    error = _read_text(raw_input, state.error_path, "ErrorPath", state.error)
    cause = _read_text(raw_input, state.cause_path, "CausePath", state.cause)
    return Fail(error, cause)


def _read_text(raw_input: Json, path: str | None, field: str, given: str | None) -> str | None:
    if path is None:
        return given
    value = read_path(raw_input, path)
    if not isinstance(value, str):
        raise AslError(f"{field} {path!r} selected {describe(value)}, not a string")
    return value


LIFECYCLE = Flowing[FailState](enter)
