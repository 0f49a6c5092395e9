"""Text lines for history events that say why a task failed and where a Catch led.

A history event carries the error and cause of a failure, but not what became of it: that
shows in the events after it. So a :class:`HistoryLines` reads the events in order and
remembers the failure in flight: a ``TaskScheduled`` of the same state next means Retry
took it; the state exiting means a Catch did, and the state entered next is its ``Next``.
(Without either, ``ExecutionFailed`` follows.)
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

CAUSE_WIDTH = 120
# What the progress of a run shows: states done, failures, and the end of a failed run.
PROGRESS_EVENTS = ("StateExited", "TaskFailed", "TaskTimedOut", "ExecutionFailed")
VIA_CATCH = "via Catch"  # the note of a state entered through a Catcher, shown in progress too


class HistoryLines:
    """Formats one execution's events, in order, as text lines."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._failure: tuple[str, str] | None = None  # (state, error) not yet retried or caught
        self._caught: tuple[str, str] | None = None  # (state, error) whose Catch leads on

    def history_line(self, event: dict[str, Any]) -> str:
        """The line of ``event`` in the history: its id, offset, state, type and note."""
        return f"  {event['id']:>3}{self._line(event, self._note(event))}"

    def progress_line(self, event: dict[str, Any]) -> str | None:
        """The line of ``event`` while the run goes on, or None for an event not shown."""
        note = self._note(event)
        if event["type"].endswith(PROGRESS_EVENTS) or note.startswith(VIA_CATCH):
            return self._line(event, note)
        return None

    def _line(self, event: dict[str, Any], note: str) -> str:
        seconds = (datetime.fromisoformat(event["timestamp"]) - self._start).total_seconds()
        line = f"  +{seconds:>7.0f}s  {event.get('state', ''):<28} {event['type']}"
        return f"{line}  {note}" if note else line

    def _note(self, event: dict[str, Any]) -> str:
        """What to say beside ``event``, updating what is known of the failure in flight."""
        kind, state = event["type"], event.get("state", "")
        if self._failure is not None and self._failure[0] == state:
            if kind == "TaskScheduled":
                self._failure = None
                return f"retry: attempt {event.get('attempt')} in {event.get('delaySeconds', 0)}s"
            if kind.endswith("StateExited"):
                self._caught, self._failure = self._failure, None
                return f"caught {self._caught[1]}"
        if self._caught is not None and kind.endswith("StateEntered"):
            (source, error), self._caught = self._caught, None
            return f"{VIA_CATCH} of {error} in {source}"
        if "error" in event:
            if kind.startswith("Task"):
                self._failure = (state, event["error"])
            return failure_note(event["error"], event.get("cause"))
        return ""


def failure_note(error: str, cause: str | None) -> str:
    """``error: cause`` on one line: the cause's first line, cut to ``CAUSE_WIDTH``."""
    summary = _first_line(cause_message(cause))
    if len(summary) > CAUSE_WIDTH:
        summary = summary[: CAUSE_WIDTH - 3] + "..."
    return f"{error}: {summary}" if summary else error


def cause_message(cause: str | None) -> str:
    """The message of a cause: a Lambda error document's ``errorMessage``, else the cause."""
    document = _lambda_error(cause)
    return str(document["errorMessage"]) if document else cause or ""


def cause_text(cause: str | None) -> str:
    """A cause for people: a Lambda error document as its message and stack trace."""
    document = _lambda_error(cause)
    if document is None:
        return cause or ""
    frames = "".join(str(frame) for frame in document.get("stackTrace") or [])
    trace = f"\nstack trace (most recent call last):\n{frames}" if frames else ""
    return f"{document['errorMessage']}{trace}".rstrip("\n")


def _lambda_error(cause: str | None) -> dict[str, Any] | None:
    """The error document a raising worker or Lambda function records, if ``cause`` is one."""
    if not cause or not cause.startswith("{"):
        return None
    try:
        document = json.loads(cause)
    except ValueError:
        return None
    if isinstance(document, dict) and "errorMessage" in document:
        return document
    return None


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else ""
