"""Fail: ends the execution as failed with its Error and Cause."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from steplane.asl.failures import AslError, QueryEvaluationError
from steplane.asl.paths import describe
from steplane.asl.scope import Scope
from steplane.asl.templates import Template
from steplane.definition.model import StateSpec
from steplane.definition.templated import CauseExpression, ErrorExpression
from steplane.interpreter.context import visit_scope
from steplane.interpreter.run import Run
from steplane.interpreter.steps import Fail, Step
from steplane.jsontypes import Json
from steplane.states.lifecycle import Flowing
from steplane.states.state_type import StateType


class FailState(StateSpec):
    """Ends the execution with ``Error`` and ``Cause``, each given as is or read from the
    state's input (``ErrorPath``, ``CausePath``)."""

    type: Literal["Fail"] = Field(alias="Type")
    error: str | None = Field(None, alias="Error")
    cause: str | None = Field(None, alias="Cause")
    error_path: str | None = Field(None, alias="ErrorPath")
    cause_path: str | None = Field(None, alias="CausePath")
    error_expression: ErrorExpression | None = Field(None, alias="%Error")
    cause_expression: CauseExpression | None = Field(None, alias="%Cause")


def enter(name: str, state: FailState, raw_input: Json, run: Run) -> Step:
    """Run a Fail state. Catch never applies: a Fail state ends the execution.

    ``ErrorPath`` and ``CausePath`` read the error name and the cause from the state's
    input; each must select a string (else the execution fails with States.Runtime).
    """
    scope = visit_scope(run, name, raw_input)
    if state.error_expression is not None or state.cause_expression is not None:
        error = _text(scope, state.error_expression, "Error", state.error)
        cause = _text(scope, state.cause_expression, "Cause", state.cause)
        return Fail(error, cause)
    error = _read_text(scope, state.error_path, "ErrorPath", state.error)
    cause = _read_text(scope, state.cause_path, "CausePath", state.cause)
    return Fail(error, cause)


def _text(scope: Scope, expression: Template | None, field: str, given: str | None) -> str | None:
    """A JSONata Error or Cause: an expression's string, or the text as given."""
    if expression is None:
        return given
    value = expression.evaluate(scope)
    if not isinstance(value, str):
        raise QueryEvaluationError(f"the {field} expression gave {describe(value)}, not a string")
    return value


def _read_text(scope: Scope, path: str | None, field: str, given: str | None) -> str | None:
    """A path's or an intrinsic function's string ("ErrorPath ... CausePath: ... a
    reference path or an intrinsic function that returns a string")."""
    if path is None:
        return given
    from steplane.asl.expressions import cached_expression  # noqa: PLC0415 - ErrorPath only

    value = cached_expression(path).evaluate(scope, field)
    if not isinstance(value, str):
        raise AslError(f"{field} {path!r} selected {describe(value)}, not a string")
    return value


LIFECYCLE = Flowing[FailState](enter)
TYPE = StateType("Fail", FailState, LIFECYCLE)
