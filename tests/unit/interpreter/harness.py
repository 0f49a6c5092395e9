"""A tiny driver for the pure interpreter: apply signals, keep the head, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from steplane.definition.loader import Definition, load_definition
from steplane.execution import Execution
from steplane.interpreter.decisions import Decision, DispatchTask, Transition, WakeAt
from steplane.interpreter.engine import decide
from steplane.interpreter.signals import Begin, TaskResult

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def nonce_of(head: Execution) -> str:
    """The nonce of the head's pending task attempt ("" when it waits for none)."""
    return head.task_attempt.nonce if head.task_attempt is not None else ""


class Driver:
    """Holds one execution's head and applies signals to it through ``decide``."""

    def __init__(self, definition: Any, start: datetime = T0) -> None:
        self.definition: Definition = load_definition(definition)
        self.now = start
        self.head = Execution("wf:x", "wf", "x", self.definition.hash, "h", start)
        self.events: list[Any] = []
        self.last: Decision | None = None
        self._seq = 0

    def apply(self, signal: Any) -> Decision:
        self._seq += 1
        decision = decide(self.definition, self.head, signal, self.now, f"seed-{self._seq}")
        if isinstance(decision, Transition):
            self.head = decision.execution
            self.events.extend(decision.events)
        self.last = decision
        return decision

    def begin(self, data: Any = None) -> Decision:
        return self.apply(Begin({} if data is None else data))

    def succeed(self, output: Any = None) -> Decision:
        return self.apply(TaskResult(self.head.version, nonce_of(self.head), self.now, output))

    def fail(self, error: str, cause: str = "") -> Decision:
        return self.apply(
            TaskResult(self.head.version, nonce_of(self.head), self.now, None, error, cause)
        )

    def commands(self) -> tuple[Any, ...]:
        assert isinstance(self.last, Transition)
        return self.last.commands

    def dispatch(self) -> DispatchTask:
        found = [c for c in self.commands() if isinstance(c, DispatchTask)]
        assert len(found) == 1, self.commands()
        return found[0]

    def wake_at(self) -> WakeAt:
        found = [c for c in self.commands() if isinstance(c, WakeAt)]
        assert len(found) == 1, self.commands()
        return found[0]

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def event_types(self) -> list[str]:
        return [e.type for e in self.events]


def task_machine(**task: Any) -> dict[str, Any]:
    """One ASL Task ``Work`` (extra fields from ``task``) with a ``Caught`` Pass after it."""
    states: dict[str, Any] = {
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:1:function:Work",
            "End": True,
            **task,
        },
    }
    if "Catch" in task:
        states["Caught"] = {"Type": "Pass", "End": True}
    return {"StartAt": "Work", "States": states}
