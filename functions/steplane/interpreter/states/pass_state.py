"""Pass: passes its input, or its ``Result``, to its output."""

from __future__ import annotations

from steplane.asl.paths import apply_input_path, apply_output_path, apply_result_path
from steplane.definition.model import PassState
from steplane.interpreter.context import visit_scope
from steplane.interpreter.data_limits import check_state_output
from steplane.interpreter.run import Run
from steplane.interpreter.states.lifecycle import Flowing
from steplane.interpreter.steps import Step, leave
from steplane.jsontypes import Json


def enter(name: str, state: PassState, raw_input: Json, run: Run) -> Step:
    """Run a Pass state: Result (or the effective input) placed by ResultPath, then OutputPath."""
    effective = apply_input_path(raw_input, state.input_path)
    if state.parameters is not None:
        effective = state.parameters.evaluate(visit_scope(run, name, effective))
    result = state.result if state.has_result else effective
    # ResultPath places the result within the state's original (raw) input.
    output = apply_output_path(
        apply_result_path(raw_input, state.result_path, result), state.output_path
    )
    # A Pass has no Catch: an output over the limits fails the execution.
    return check_state_output(output) or leave(state.next, output)


LIFECYCLE = Flowing[PassState](enter)
