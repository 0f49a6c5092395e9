"""The scratch pad of one decision: the clock reading, the seed, the events emitted."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from steplane.definition.loader import Definition
from steplane.execution import Execution
from steplane.interpreter.decisions import HistoryEvent


@dataclass
class Run:
    """Accumulates the events of one decision. Local to a single pure call of ``decide``.

    ``seed`` comes from the input being decided (e.g. the queue message id), so deciding
    the same input twice yields the same nonces and jitter: a redelivery after a crash
    reproduces the same decision.
    """

    definition: Definition
    execution: Execution
    now: datetime
    seed: str
    events: list[HistoryEvent] = field(default_factory=list)

    def emit(
        self, kind: str, state: str | None = None, at: datetime | None = None, **details: Any
    ) -> None:
        """Append a history event (ids continue from the execution's event count)."""
        event_id = self.execution.event_count + len(self.events) + 1
        self.events.append(HistoryEvent(event_id, kind, at or self.now, state, details))

    def _digest(self, salt: str) -> bytes:
        return hashlib.sha256(f"{self.seed}|{self.execution.version}|{salt}".encode()).digest()

    def nonce(self, salt: str) -> str:
        """A deterministic nonce for a task attempt."""
        return self._digest(salt).hex()[:20]

    def fraction(self, salt: str) -> float:
        """A deterministic number in [0, 1), for jitter."""
        return int.from_bytes(self._digest(salt)[:8], "big") / 2**64
