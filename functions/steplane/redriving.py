"""Redrive (``POST /executions/{id}/redrive``): run an execution that ended FAILED,
TIMED_OUT or ABORTED again, from the state that did not succeed.

Step Functions' RedriveExecution: "it continues the failed execution from the unsuccessful
step and uses the same input"; the successful steps are not run again; the execution
keeps its id and definition; ``$$.Execution.RedriveCount`` counts the redrives and the
history records an ``ExecutionRedriven`` event. Beyond it, opt-in and recorded in that
event: from another state (``fromState``), with another input for that state (``input``),
or on the workflow's newest definition (``latestDefinition``). A Parallel or Map redriven
runs all its branches or items again (Step Functions reruns only the unsuccessful ones).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import cast

from steplane.definition.loader import Definition, canonical_json
from steplane.errors import (
    ConcurrentDecisionError,
    ExecutionNotFoundError,
    InvalidRequestError,
    PayloadTooLargeError,
    SteplaneError,
    WorkflowNotFoundError,
)
from steplane.execution import Execution, ExecutionStatus
from steplane.interpreter.decisions import Command, Transition
from steplane.interpreter.engine import REDRIVABLE, decide
from steplane.interpreter.signals import Redrive
from steplane.jsontypes import Json
from steplane.limits import MAX_PAYLOAD_BYTES, utf8_size
from steplane.ports import Clock, CommitOutcome, ExecutionStore
from steplane.settings import Settings


class ExecutionNotRedrivableError(SteplaneError):
    """An execution redrive cannot restart (running, succeeded, a child, or no state to
    restart from): the message says why and what to do."""

    http_status = 400
    api_error = "ExecutionNotRedrivable"


_UNSET = object()
# Step Functions: an execution can be redriven at most 1,000 times.
MAX_REDRIVES = 1000
# A redrive must leave the execution this long before its items' retention ends (half the
# retention when that is shorter than two days).
RETENTION_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class RedriveChoice:
    """What an operator may choose beyond Step Functions (all optional): the state to
    run from, the input it gets, and whether to move onto the newest definition."""

    from_state: str | None = None
    input: object = _UNSET
    latest_definition: bool = False

    @property
    def edits_input(self) -> bool:
        """Whether an input was given (``null`` is an input)."""
        return self.input is not _UNSET


@dataclass(frozen=True)
class RedriveShell:
    """Finds where to redrive from, then commits the redrive and sends what it starts."""

    store: ExecutionStore
    clock: Clock
    settings: Settings
    definition: Callable[[str], Definition]
    seed: Callable[[str], str]
    new_id: Callable[[], str]
    send: Callable[[Execution, tuple[Command, ...]], None]

    def redrive(self, execution_id: str, choice: RedriveChoice) -> Execution:
        """Redrive ``execution_id``; its head once redriven.

        Raises:
            ExecutionNotFoundError: no execution has this id.
            ExecutionNotRedrivableError: see the class.
            InvalidRequestError: a state the definition does not have.
            PayloadTooLargeError: an edited input above 256 KiB.
            WorkflowNotFoundError: ``latestDefinition`` of a workflow no longer published.
        """
        head = self.store.get_head(execution_id)
        if head is None:
            raise ExecutionNotFoundError(execution_id)
        _check_redrivable(head)
        self._check_limits(head)
        definition_hash = head.definition_hash
        if choice.latest_definition:
            definition_hash = self.store.resolve_workflow(head.workflow) or ""
            if not definition_hash:
                raise WorkflowNotFoundError(head.workflow)
        definition = self.definition(definition_hash)
        state, state_input = self._restart_point(head, definition, choice)
        details: dict[str, Json] = {}
        if choice.from_state is not None:
            details["fromState"] = state
        if choice.edits_input:
            details["inputEdited"] = True
        if definition_hash != head.definition_hash:
            details["definitionHash"] = definition_hash
        moved = replace(head, definition_hash=definition_hash)
        if definition.reads_execution_input:
            moved = replace(moved, input=self.store.execution_input(head))
        decision_id = f"redrive:{self.new_id()}"
        now = self.clock.now()
        signal = Redrive(state, state_input, details)
        decision = decide(
            definition, moved, signal, now, self.seed(decision_id), settings=self.settings
        )
        assert isinstance(decision, Transition), "a redrivable execution always moves"
        committed = replace(decision.execution, decision_id=decision_id)
        outcome = self.store.commit(head, committed, decision.events)
        if outcome is not CommitOutcome.COMMITTED:
            # Moved meanwhile: another redrive won, and the execution runs again.
            current = self.store.get_head(execution_id)
            if current is not None:
                _check_redrivable(current)
            raise ConcurrentDecisionError(execution_id, head.version, decision_id)
        self.send(committed, decision.commands)
        return committed

    def _check_limits(self, head: Execution) -> None:
        """Refuse what cannot run again: an execution whose retention is ending (its
        history items expire with it), one that used all its transitions (it would fail
        again at once), or one redriven MAX_REDRIVES times (Step Functions' limit)."""
        retention = timedelta(days=self.settings.retention_days)
        retained = retention - min(RETENTION_MARGIN, retention / 2)
        if head.stop_date is not None and self.clock.now() >= head.stop_date + retained:
            raise ExecutionNotRedrivableError(
                f"{head.execution_id!r} ended on {head.stop_date.isoformat()}: its history "
                f"is kept {self.settings.retention_days} days (RetentionDays) and is about to "
                "expire; start a new execution"
            )
        if head.transitions >= self.settings.max_transitions:
            raise ExecutionNotRedrivableError(
                f"{head.execution_id!r} made all its {self.settings.max_transitions} state "
                "transitions (MaxTransitions): it would fail again at once"
            )
        if head.redrive_count >= MAX_REDRIVES:
            raise ExecutionNotRedrivableError(
                f"{head.execution_id!r} was redriven {MAX_REDRIVES} times, the most an "
                "execution may be"
            )

    def _restart_point(
        self, head: Execution, definition: Definition, choice: RedriveChoice
    ) -> tuple[str, Json]:
        """The state to run from and its input: the operator's, else the last state the
        execution entered (the one that did not succeed) with the input it had then."""
        wanted = choice.from_state
        if wanted is not None and wanted not in definition.machine.states:
            names = ", ".join(sorted(definition.machine.states)[:20])
            raise InvalidRequestError(
                f"fromState {wanted[:80]!r} is not a state of the definition (its states: {names})"
            )
        found = self._last_entered(head, wanted)
        if found is None:
            if wanted is not None and not choice.edits_input:
                raise InvalidRequestError(
                    f"the execution never entered {wanted!r}: give the input to run it with"
                )
            # Ended before its first state (the transition limit): from the start.
            found = (wanted or definition.machine.start_at, self.store.execution_input(head))
        state, state_input = found
        if state not in definition.machine.states:
            raise ExecutionNotRedrivableError(
                f"the newest definition has no state {state!r}, where the execution stopped: "
                "give fromState"
            )
        if choice.edits_input:
            state_input = cast(Json, choice.input)  # any JSON value, checked by its parser
            size = utf8_size(canonical_json(state_input))
            if size > MAX_PAYLOAD_BYTES:
                raise PayloadTooLargeError("the redrive input", size, MAX_PAYLOAD_BYTES)
        return state, state_input

    def _last_entered(self, head: Execution, state: str | None) -> tuple[str, Json] | None:
        """The last state entered (``state``'s last entry when named), with its input."""
        for event in self.store.events_newest_first(head):
            pending = event.details.get("pendingState")
            if isinstance(pending, str) and (state is None or pending == state):
                # Stopped between two parts of a long Pass/Choice chain: the state it was
                # about to enter (steplane.interpreter.engine._pending).
                return pending, event.details.get("pendingInput")
            if not event.type.endswith("StateEntered") or event.state is None:
                continue
            if state is None or event.state == state:
                return event.state, event.details.get("input")
        return None


def _check_redrivable(head: Execution) -> None:
    if head.parent is not None:
        raise ExecutionNotRedrivableError(
            f"{head.execution_id!r} is a branch or item of {head.parent.execution_id!r}: "
            "redrive that execution"
        )
    if head.status not in REDRIVABLE:
        hint = "" if head.status is ExecutionStatus.SUCCEEDED else ": stop it first"
        raise ExecutionNotRedrivableError(
            f"{head.execution_id!r} is {head.status.value}; only a FAILED, TIMED_OUT or "
            f"ABORTED execution can be redriven{hint}"
        )
