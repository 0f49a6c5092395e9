"""Choice: picks the Next state from the first matching rule, else Default."""

from __future__ import annotations

from steplane.asl.paths import apply_input_path, apply_output_path
from steplane.definition.model import ChoiceState
from steplane.errors import StatesError
from steplane.interpreter.choice import select_next
from steplane.interpreter.run import Run
from steplane.interpreter.states.lifecycle import Flowing
from steplane.interpreter.steps import Fail, Goto, Step
from steplane.jsontypes import Json


def enter(name: str, state: ChoiceState, raw_input: Json, run: Run) -> Step:
    """Run a Choice state. No match and no Default fails with States.NoChoiceMatched."""
    effective = apply_input_path(raw_input, state.input_path)
    chosen = select_next(run.definition.branches.get(name, ()), effective) or state.default
    if chosen is None:
        return Fail(
            StatesError.NO_CHOICE_MATCHED,
            f"no Choices rule matched in state {name!r} and it has no Default",
        )
    return Goto(chosen, apply_output_path(effective, state.output_path))


LIFECYCLE = Flowing[ChoiceState](enter)
