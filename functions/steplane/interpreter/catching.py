"""Catch: the first Catcher whose ErrorEquals matches an error handles it, for every
state type that has Catch (Task, Parallel, Map)."""

from __future__ import annotations

from collections.abc import Sequence

from steplane.asl.failures import AslError
from steplane.asl.paths import apply_result_path
from steplane.asl.scope import Scope
from steplane.definition.model import Catcher
from steplane.interpreter.context import assigned_by, output_of
from steplane.interpreter.retry import find_catcher
from steplane.interpreter.steps import Fail, Goto, Step


def catch_error(catchers: Sequence[Catcher], raw: Scope, *, error: str, cause: str | None) -> Step:
    """The first Catcher that matches ``error`` handles it, else the state fails with it.

    ``raw`` is the state's scope (its data, the raw input). States.Runtime matches no
    Catcher; States.QueryEvaluationError can ("available inside the Catch field").
    """
    catcher = find_catcher(catchers, error)
    if catcher is None:
        return Fail(error, cause)
    # "the output of the Catch is ... a JSON object with the fields Error and Cause",
    # placed into the state's input by the Catcher's ResultPath (default "$").
    error_output = {"Error": error, "Cause": cause or ""}
    try:
        # A Catcher's Assign reads the error output as "$".
        if catcher.query_language == "JSONata":
            # $states.errorOutput is the error output; Output defaults to it.
            failed = raw.with_states(errorOutput=error_output)
            assigned = assigned_by(catcher.assign, failed)
            placed = output_of(catcher.output, failed, error_output)
        else:
            assigned = assigned_by(catcher.assign, raw.with_data(error_output))
            placed = apply_result_path(raw.data, catcher.result_path, error_output)
    except AslError as failure:
        return Fail(failure.error, failure.cause)
    return Goto(catcher.next, placed, assigned)
