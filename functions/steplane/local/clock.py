"""A virtual clock: time moves only when the local runtime moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class VirtualClock:
    """A settable clock. ``now()`` never reads the wall clock after construction."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        """The virtual time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds``."""
        self._now += timedelta(seconds=seconds)

    def advance_to(self, moment: datetime) -> None:
        """Move forward to ``moment`` (never backwards)."""
        self._now = max(self._now, moment)

    def epoch_seconds(self) -> float:
        """The virtual time as a Unix timestamp."""
        return self._now.timestamp()
