"""Text lines for history events: id, virtual time offset, state and type."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# What the progress of a run shows: states done and failures.
PROGRESS_EVENTS = ("StateExited", "TaskFailed", "TaskTimedOut")


class HistoryLines:
    """Formats one execution's events, in order, as text lines."""

    def __init__(self, start: datetime) -> None:
        self._start = start

    def history_line(self, event: dict[str, Any]) -> str:
        """The line of ``event`` in the history: its id, offset, state and type."""
        return f"  {event['id']:>3}{self._line(event)}"

    def progress_line(self, event: dict[str, Any]) -> str | None:
        """The line of ``event`` while the run goes on, or None for an event not shown."""
        return self._line(event) if event["type"].endswith(PROGRESS_EVENTS) else None

    def _line(self, event: dict[str, Any]) -> str:
        seconds = (datetime.fromisoformat(event["timestamp"]) - self._start).total_seconds()
        return f"  +{seconds:>7.0f}s  {event.get('state', ''):<28} {event['type']}"
