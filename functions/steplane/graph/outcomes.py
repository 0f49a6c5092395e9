"""What became of each state an execution visited, read from its history events.

An event says what happened, not what became of it: a failure is retried when the state
goes on (``TaskScheduled`` again, ``ParallelStateSucceeded``, another failure), caught
when the state exits right after it (the interpreter records a caught error as the
failure event, then the state's ``...StateExited``, then its Catcher's ``Next`` entered),
and fatal when the execution ends with the state still in it. So the events are read in
order, remembering, per state, its current visit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Outcome = Literal["succeeded", "failed", "caught", "retried", "running"]
OUTCOMES: tuple[Outcome, ...] = ("succeeded", "failed", "caught", "retried", "running")

# The events that end an execution unsuccessfully: the state it is in failed.
_UNSUCCESSFUL_ENDS = frozenset({"ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"})
# A Map Run's failure comes with its MapStateFailed: one failure, counted once.
_NOT_A_FAILURE = frozenset({"MapRunFailed"})


@dataclass(frozen=True)
class StateOutcome:
    """What became of one state.

    Attributes:
        outcome: its last visit's ("retried" rather than "succeeded" when some visit of
            it was retried).
        attempts: how many times its last visit ran (1, or more when it was retried).
        visits: how many times it was entered.
    """

    outcome: Outcome
    attempts: int
    visits: int


@dataclass
class _Visit:
    """One visit of a state, as far as the events have told."""

    failures: int = 0
    scheduled: int = 0  # TaskScheduled events: one per attempt of a Task
    unresolved: bool = False  # its latest failure is neither retried nor caught yet
    interrupted: bool = False  # the execution ended (unsuccessfully) while in it
    outcome: Outcome | None = None  # None while it is open

    def close(self, outcome: Outcome | None = None) -> None:
        """Exited (or left without an ``...Exited``): caught, retried or succeeded."""
        if outcome is None:
            outcome = "caught" if self.unresolved else "retried" if self.retried else "succeeded"
        self.outcome = outcome

    @property
    def retried(self) -> bool:
        # A Task scheduled again was retried even without a failure event: its result was
        # refused after TaskSucceeded (ResultSelector, the output's size limit).
        return self.failures > 0 or self.scheduled > 1

    @property
    def attempts(self) -> int:
        # A failure not followed by anything is the last attempt's; otherwise one more
        # attempt followed the last failure.
        ran = self.failures if self.unresolved else self.failures + 1
        return max(1, self.scheduled, ran)


def outcomes(events: Iterable[Mapping[str, Any]]) -> dict[str, Outcome]:
    """Each visited state's outcome (see :func:`state_outcomes`).

    Args:
        events: the execution's history events, in order, as the API returns them.

    Returns:
        ``{state name: "succeeded" | "failed" | "caught" | "retried" | "running"}``.
    """
    return {name: found.outcome for name, found in state_outcomes(events).items()}


def state_outcomes(events: Iterable[Mapping[str, Any]]) -> dict[str, StateOutcome]:
    """What became of each state the execution visited, in the order first visited.

    A visit is "succeeded" when the state exited; "retried" when it exited after at least
    one failed attempt was retried; "caught" when it exited (or the next state was
    entered) right after a failure, a Catcher having handled it; "failed" when the
    execution failed, timed out or was aborted while in it; "running" when the execution
    has not ended (or was redriven: ``ExecutionRedriven`` makes it run again). A state
    visited more than once takes its last visit's outcome, except that "retried" on any
    visit wins over a last "succeeded". Only the states of the execution's own machine
    are in its history: a Parallel's branches and a Map's items run as child executions.

    Args:
        events: the execution's history events, in order, as the API returns them
            (``{"id", "type", "timestamp", "state"?, ...}``).

    Returns:
        ``{state name: StateOutcome}``.
    """
    visits: dict[str, list[_Visit]] = {}
    current: str | None = None  # the state with an open visit
    ended = False
    for event in events:
        kind, name = str(event.get("type", "")), event.get("state")
        if kind in _UNSUCCESSFUL_ENDS:
            ended = True
            if current is not None:
                visits[current][-1].interrupted = True
        elif kind == "ExecutionRedriven":
            ended = False
        if not isinstance(name, str) or kind in _NOT_A_FAILURE:
            continue
        if kind.endswith("StateEntered"):
            if current is not None:
                _leave_unexited(visits[current][-1])
            visits.setdefault(name, []).append(_Visit())
            current = name
            continue
        if name not in visits:  # a history that starts mid-visit (a later page)
            visits[name] = [_Visit()]
        visit = visits[name][-1]
        if kind.endswith("StateExited"):
            visit.close()
            current = None if current == name else current
        elif kind.endswith(("Failed", "TimedOut")):
            visit.failures += 1
            visit.unresolved = True
        else:
            # Any other event of the state (a new TaskScheduled, ...StateSucceeded): it
            # went on after its latest failure, which was therefore retried.
            if kind == "TaskScheduled":
                visit.scheduled += 1
            visit.unresolved = False
        if visit.outcome is None:
            current = name
    return {name: _summary(found, ended) for name, found in visits.items()}


def _leave_unexited(visit: _Visit) -> None:
    """A state left without its ``...StateExited``: failed if the execution ended in it
    (then was redriven into a new visit), else moved on (caught after a failure)."""
    if visit.outcome is None:
        visit.close("failed" if visit.interrupted else None)


def _summary(found: list[_Visit], ended: bool) -> StateOutcome:
    last = found[-1]
    outcome = last.outcome or ("failed" if ended else "running")
    if outcome == "succeeded" and any(visit.outcome == "retried" for visit in found):
        outcome = "retried"
    return StateOutcome(outcome, last.attempts, len(found))
