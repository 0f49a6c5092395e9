"""What a state with a result (Task, Parallel, Map) leaves with: its output and what its
Assign gives, from the result, in either query language."""

from __future__ import annotations

from typing import Protocol

from steplane.asl.paths import apply_result_path
from steplane.asl.references import select
from steplane.asl.scope import Scope
from steplane.asl.templates import Template
from steplane.interpreter.context import assigned_by, output_of
from steplane.jsontypes import Json


class ResultShaping(Protocol):
    """The fields that shape a result into the state's output."""

    @property
    def jsonata(self) -> bool: ...

    @property
    def result_selector(self) -> Template | None: ...

    @property
    def result_path(self) -> str | None: ...

    @property
    def output_path(self) -> str | None: ...

    @property
    def output(self) -> Template | None: ...

    @property
    def assign(self) -> Template | None: ...


def shaped_result(
    state: ResultShaping, raw: Scope, result: Json
) -> tuple[Json, dict[str, Json] | None]:
    """``(output, assigned)`` of a state whose result is ``result``; ``raw`` is the state's
    scope (its data, the raw input).

    JSONata: Output (default: the result) and Assign read ``$states.result`` and
    ``.input``. JSONPath: ResultSelector "manipulate[s] a state's result before ResultPath
    is applied"; Assign reads the raw result ("In Task, Map, Parallel states, the $ refers
    to the API/sub-workflow result", at the same time as ResultSelector); ResultPath
    places the selection in the raw input, then OutputPath.

    Raises:
        AslError: an expression failed.
    """
    if state.jsonata:
        done = raw.with_states(result=result)
        return output_of(state.output, done, result), assigned_by(state.assign, done)
    selected = result
    if state.result_selector is not None:
        selected = state.result_selector.evaluate(raw.with_data(result))
    assigned = assigned_by(state.assign, raw.with_data(result))
    placed = apply_result_path(raw.data, state.result_path, selected)
    return select(raw.with_data(placed), state.output_path), assigned
