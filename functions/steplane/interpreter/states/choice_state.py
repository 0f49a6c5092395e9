"""Choice: picks the Next state from the first matching rule, else Default."""

from __future__ import annotations

from steplane.asl.references import select
from steplane.definition.model import ChoiceState
from steplane.errors import StatesError
from steplane.interpreter.choice import select_branch
from steplane.interpreter.context import assigned_by, output_of, visit_scope
from steplane.interpreter.run import Run
from steplane.interpreter.states.lifecycle import Flowing
from steplane.interpreter.steps import Fail, Goto, Step
from steplane.jsontypes import Json


def enter(name: str, state: ChoiceState, raw_input: Json, run: Run) -> Step:
    """Run a Choice state. No match and no Default fails with States.NoChoiceMatched."""
    scope = visit_scope(run, name, raw_input)
    effective = raw_input if state.jsonata else select(scope, state.input_path)
    scope = scope.with_data(effective)
    branch = select_branch(run.definition.branches.get(name, ()), effective, scope)
    chosen = branch.next if branch is not None else state.default
    if chosen is None:
        return Fail(
            StatesError.NO_CHOICE_MATCHED,
            f"no Choices rule matched in state {name!r} and it has no Default",
        )
    # The guide: the state's Assign "applies regardless of which choice rule matches",
    # the matching rule's Assign as well; "$" is the effective input in both. Where both
    # name a variable, the rule's value (the more specific) wins.
    assigned = {
        **(assigned_by(state.assign, scope) or {}),
        **(assigned_by(branch.assign if branch else None, scope) or {}),
    }
    if state.jsonata:
        # The rule's Output, else the state's, else the input ("$states.input").
        chosen_output = branch.output if branch is not None and branch.output else state.output
        output = output_of(chosen_output, scope, raw_input)
        return Goto(chosen, output, assigned or None)
    return Goto(chosen, select(scope, state.output_path), assigned or None)


LIFECYCLE = Flowing[ChoiceState](enter)
