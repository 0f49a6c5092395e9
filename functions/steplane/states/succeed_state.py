"""Succeed: ends the execution successfully."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from steplane.asl.references import select
from steplane.definition.model import StateSpec
from steplane.definition.templated import OutputTemplate
from steplane.interpreter.context import output_of, visit_scope
from steplane.interpreter.run import Run
from steplane.interpreter.steps import Finish, Step
from steplane.jsontypes import Json
from steplane.states.lifecycle import Flowing
from steplane.states.state_type import StateType


class SucceedState(StateSpec):
    """Ends the execution successfully."""

    type: Literal["Succeed"] = Field(alias="Type")
    output: OutputTemplate | None = Field(None, alias="Output")
    input_path: str | None = Field("$", alias="InputPath")
    output_path: str | None = Field("$", alias="OutputPath")


def enter(name: str, state: SucceedState, raw_input: Json, run: Run) -> Step:
    """Run a Succeed state: its output (InputPath, then OutputPath) is the execution output."""
    scope = visit_scope(run, name, raw_input)
    if state.jsonata:
        return Finish(output_of(state.output, scope, raw_input))
    return Finish(select(scope.with_data(select(scope, state.input_path)), state.output_path))


LIFECYCLE = Flowing[SucceedState](enter)
TYPE = StateType("Succeed", SucceedState, LIFECYCLE)
