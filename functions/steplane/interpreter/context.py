"""The Context Object and scope of one state visit, built from the head and the settings.

Everything here is derived from the committed head, so a command derived again after a
crash (a task's input, with its token and retry count) is the same command.
"""

from __future__ import annotations

from datetime import datetime

from steplane.asl.scope import ContextFields, ContextObject, Scope
from steplane.asl.templates import Template
from steplane.asl.variables import assign
from steplane.execution import Execution
from steplane.interpreter.run import Run
from steplane.jsontypes import Json
from steplane.settings import Settings


def context_object(
    execution: Execution,
    settings: Settings,
    state: str,
    entered_at: datetime,
    *,
    retry_count: int = 0,
    task_token: str | None = None,
) -> ContextObject:
    """The Context Object of ``state``, entered at ``entered_at``, in ``execution``."""

    def execution_input() -> Json:
        return execution.input

    return ContextObject(
        lambda: ContextFields(
            execution_arn=settings.execution_arn(execution.workflow, execution.name),
            execution_name=execution.name,
            # Loaded only for a definition that reads it (Definition.reads_execution_input).
            execution_input=execution_input if execution.input_loaded else None,
            start_time=execution.start_date,
            role_arn=settings.execution_role_arn,
            redrive_count=execution.redrive_count,
            redrive_time=execution.redriven_at,
            state_name=state,
            entered_time=entered_at,
            retry_count=retry_count,
            state_machine_arn=settings.state_machine_arn(execution.workflow),
            state_machine_name=execution.workflow,
            task_token=task_token,
        )
    )


def scope(
    data: Json,
    context: ContextObject,
    execution: Execution,
    seed: str,
    now: datetime | None = None,
) -> Scope:
    """What an expression in this state visit reads: ``data`` as ``$``, the Context
    Object as ``$$``, the execution's variables as ``$name``."""
    return Scope(data, context, execution.variables, seed, now=now)


def visit_scope(run: Run, name: str, data: Json, *, parked: bool = False) -> Scope:
    """The scope of state ``name`` in this decision: entered now, or (``parked``) when
    the head entered the state it waits in."""
    entered = (run.execution.entered_at or run.now) if parked else run.now
    context = context_object(run.execution, run.settings, name, entered)
    return scope(data, context, run.execution, run.nonce(f"scope:{run.transitions}"), entered)


def output_of(template: Template | None, scope: Scope, default: Json) -> Json:
    """A JSONata state's ``Output`` in ``scope``, or ``default`` without one (the state's
    input; for a Task, its result; for a Catcher, the error output)."""
    return default if template is None else template.evaluate(scope)


def assigned_by(template: Template | None, scope: Scope) -> dict[str, Json] | None:
    """What an ``Assign`` field assigns in ``scope`` (None without one).

    Raises:
        AslError: an expression failed, or a value is over the variable limits.
    """
    return None if template is None else assign(template, scope)
