"""The scratch pad of one decision: the clock reading, the seed, the events emitted."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from steplane.definition.model import MachineSpec
from steplane.execution import Execution
from steplane.interpreter.decisions import Command, HistoryEvent
from steplane.settings import DEFAULT_SETTINGS, Settings

if TYPE_CHECKING:
    # The state types (steplane.states) run with a Run, and the loader registers them.
    from steplane.definition.loader import Definition


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
    settings: Settings = DEFAULT_SETTINGS
    events: list[HistoryEvent] = field(default_factory=list)
    # State transitions made in this decision (states entered and retries).
    transitions: int = 0
    # Commands of this decision that its committed head does not imply (sent once, after
    # the commit: a fan-out left before its children all ended stops them).
    once: list[Command] = field(default_factory=list)

    @property
    def machine(self) -> MachineSpec:
        """The state machine this execution runs: the definition's, or for a child the
        branch or ItemProcessor of the state that fanned it out."""
        parent = self.execution.parent
        if parent is None:
            return self.definition.machine
        return self.definition.state(parent.state).child_machine(parent.index)

    @property
    def transitions_left(self) -> int:
        """How many more transitions the execution may make (its limit minus those made)."""
        made = self.execution.transitions + self.transitions
        return self.settings.max_transitions - made

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
