"""A running head that waits for nothing: a Pass/Choice chain that yielded (after
MAX_STATES_PER_DECISION states in one decision) before entering its current state.

Whatever that state's type, a CONTINUE wake-up enters it and runs on; nothing else applies.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from steplane.execution import Execution
from steplane.interpreter.decisions import Command, WakeAt
from steplane.interpreter.run import Run
from steplane.interpreter.signals import TaskResult, Wake, WakePurpose
from steplane.interpreter.steps import Step
from steplane.jsontypes import Json
from steplane.settings import Settings
from steplane.states.lifecycle import (
    NO_PENDING_TASK,
    Reaction,
    Resume,
    committed_at,
    doubling_gap,
    wake_not_for,
)


class Continuation:
    """The parking behaviour of a head that yielded before entering its state."""

    def enter(self, name: str, state: object, raw_input: Json, run: Run) -> Step:
        """Never called: a continuation is resumed, not entered."""
        raise AssertionError("a continuation is resumed, not entered")

    def on_task_result(self, name: str, state: object, result: TaskResult, run: Run) -> Reaction:
        """No task is pending before the state is entered."""
        return NO_PENDING_TASK

    def on_wake(self, name: str, state: object, wake: Wake, run: Run) -> Reaction:
        """A CONTINUE wake-up enters the state and runs on."""
        if wake.purpose is WakePurpose.CONTINUE:
            return Resume()
        return wake_not_for(wake, name)

    def pending(
        self, state: object, execution: Execution, now: datetime, settings: Settings
    ) -> tuple[Command, ...]:
        """The CONTINUE wake-up that carries the chain on."""
        return (WakeAt(now, WakePurpose.CONTINUE, execution.version),)

    def overdue_at(self, state: object, execution: Execution, settings: Settings) -> datetime:
        """The commit plus the grace."""
        return committed_at(execution) + timedelta(seconds=settings.sweep_grace_seconds)

    def resend_gap_seconds(self, settings: Settings, resent: int) -> int:
        """Doubling from the sweep grace."""
        return doubling_gap(settings.sweep_grace_seconds, resent, settings)


CONTINUATION = Continuation()
