"""Succeed: ends the execution successfully."""

from __future__ import annotations

from steplane.asl.paths import apply_input_path, apply_output_path
from steplane.definition.model import SucceedState
from steplane.interpreter.run import Run
from steplane.interpreter.states.lifecycle import Flowing
from steplane.interpreter.steps import Finish, Step
from steplane.jsontypes import Json


def enter(name: str, state: SucceedState, raw_input: Json, run: Run) -> Step:
    """Run a Succeed state: its output (InputPath, then OutputPath) is the execution output."""
    return Finish(
        apply_output_path(apply_input_path(raw_input, state.input_path), state.output_path)
    )


LIFECYCLE = Flowing[SucceedState](enter)
