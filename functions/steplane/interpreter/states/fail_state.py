"""Fail: ends the execution as failed with its Error and Cause."""

from __future__ import annotations

from steplane.definition.model import FailState
from steplane.interpreter.run import Run
from steplane.interpreter.states.lifecycle import Flowing
from steplane.interpreter.steps import Fail, Step
from steplane.jsontypes import Json


def enter(name: str, state: FailState, raw_input: Json, run: Run) -> Step:
    """Run a Fail state. Catch never applies: a Fail state ends the execution."""
    return Fail(state.error, state.cause)


LIFECYCLE = Flowing[FailState](enter)
