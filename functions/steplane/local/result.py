"""What a local run returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steplane.errors import ExecutionNotFoundError
from steplane.execution import Execution
from steplane.interpreter.decisions import HistoryEvent
from steplane.ports import ExecutionStore
from steplane.queries import event_to_api


class StalledError(RuntimeError):
    """The execution is running but nothing can move it on."""


class StartRefusedError(RuntimeError):
    """The API refused ``POST /executions`` (an invalid name, an input over 256 KiB, ...)."""

    def __init__(self, status: int, response: Any) -> None:
        super().__init__(f"start failed with HTTP {status}: {response}")
        self.status = status
        self.response = response

    @property
    def reason(self) -> str:
        """The API's own message when it gave one, else the whole response."""
        if isinstance(self.response, dict) and self.response.get("message"):
            return str(self.response["message"])
        return str(self.response)


@dataclass(frozen=True)
class ExecutionResult:
    """An execution's outcome: status, output or error and cause, and its full history."""

    execution_id: str
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``steplane run``."""
        return {
            "executionId": self.execution_id,
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "history": self.history,
        }


def result_of(store: ExecutionStore, execution_id: str) -> ExecutionResult:
    """Read an execution's head and all its history."""
    head = store.get_head(execution_id)
    if head is None:
        raise ExecutionNotFoundError(execution_id)
    events = [event_to_api(e) for e in history_since(store, head, None)]
    return ExecutionResult(
        head.execution_id,
        head.status.value,
        head.data if head.status.value == "SUCCEEDED" else None,
        head.error,
        head.cause,
        events,
    )


def history_since(store: ExecutionStore, head: Execution, token: str | None) -> list[HistoryEvent]:
    """Every event up to ``head`` from the page ``token`` names (None: from the start)."""
    events: list[HistoryEvent] = []
    while True:
        page = store.history(head, token, 1000)
        events.extend(page.events)
        token = page.next_token
        if token is None:
            return events


def resume_token(head: Execution) -> str:
    """The page token of the first event after ``head`` (history items never change)."""
    return f"{head.version + 1}.0"
