"""Per-state statistics (bottlenecks), kept as aggregates updated with the transitions,
so a workflow's slow or flaky states are found without reading any history.

Each transition that leaves a state the execution was parked in (a Task, a Wait, a
Parallel, a Map) is one *visit* of that state: its duration (entered to left), its
attempts, and whether it failed (caught, or ending the execution). Visits are tallied
per workflow, hour and state during an invocation, then added to the store once at its
end (steplane.adapters.dynamodb_stats). Durations go into a log-scale histogram (four
buckets per doubling, so a percentile is known within about 19%): p50, p90 and p99 of
any window of hours are read back from the sums of the buckets.

These are statistics, not the truth: an invocation that dies after its commits and
before its flush loses its tallies; a duplicate delivery is never counted (it commits
nothing), though an ADD botocore retries after a lost response is. Nothing decides
anything on them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from steplane.execution import Execution, ExecutionStatus

# Four buckets per doubling of the duration in milliseconds: bucket b holds durations in
# [2^(b/4), 2^((b+1)/4)) ms; bucket 0 also holds everything under 1 ms.
BUCKETS_PER_DOUBLING = 4
FAILED_EVENTS = ("Failed", "TimedOut")


def bucket_of(milliseconds: float) -> int:
    """The histogram bucket of a duration."""
    if milliseconds < 1:
        return 0
    return math.floor(math.log2(milliseconds) * BUCKETS_PER_DOUBLING)


def bucket_upper(bucket: int) -> float:
    """The upper bound (ms) of a bucket: what a percentile falling in it reports."""
    return float(2 ** ((bucket + 1) / BUCKETS_PER_DOUBLING))


@dataclass
class Tally:
    """One state's visits in one hour (or, summed, in a window)."""

    visits: int = 0
    attempts: int = 0
    failures: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    buckets: dict[int, int] = field(default_factory=dict)

    def add_visit(self, milliseconds: float, attempts: int, failed: bool) -> None:
        """Count one visit."""
        self.visits += 1
        self.attempts += attempts
        self.failures += int(failed)
        self.total_ms += milliseconds
        self.max_ms = max(self.max_ms, milliseconds)
        bucket = bucket_of(milliseconds)
        self.buckets[bucket] = self.buckets.get(bucket, 0) + 1

    def merge(self, other: Tally) -> None:
        """Add ``other``'s counts to these."""
        self.visits += other.visits
        self.attempts += other.attempts
        self.failures += other.failures
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)
        for bucket, count in other.buckets.items():
            self.buckets[bucket] = self.buckets.get(bucket, 0) + count

    def percentile(self, fraction: float) -> float | None:
        """The duration (ms) ``fraction`` of the visits took at most (None: no visit),
        as the upper bound of its bucket, never above the longest visit."""
        counted = sum(self.buckets.values())
        if counted == 0:
            return None
        rank = max(1, math.ceil(fraction * counted))
        seen = 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            if seen >= rank:
                return min(bucket_upper(bucket), self.max_ms)
        return self.max_ms  # pragma: no cover - the loop always reaches the rank

    def to_api(self, state: str) -> dict[str, Any]:
        """The state's figures as the API gives them."""
        return {
            "state": state,
            "visits": self.visits,
            "attempts": self.attempts,
            "retries": self.attempts - self.visits,
            "failures": self.failures,
            "failureRate": round(self.failures / self.visits, 4) if self.visits else 0.0,
            "p50Ms": _rounded(self.percentile(0.5)),
            "p90Ms": _rounded(self.percentile(0.9)),
            "p99Ms": _rounded(self.percentile(0.99)),
            "meanMs": _rounded(self.total_ms / self.visits if self.visits else None),
            "maxMs": _rounded(self.max_ms if self.visits else None),
        }


def _rounded(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def leaves_state(previous: Execution, committed: Execution) -> bool:
    """Whether the transition from ``previous`` to ``committed`` leaves the state
    ``previous`` was in: it ends the execution, or enters a state anew (a retry in the
    same visit keeps its entered version)."""
    return committed.status.is_terminal or committed.entered_version != previous.entered_version


def hour_of(moment: datetime) -> str:
    """The hour a visit is tallied in (UTC, ``YYYY-MM-DDTHH``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


class StateStatistics:
    """Tallies the visits of one invocation's commits (keyed workflow, hour, state)."""

    def __init__(self) -> None:
        self.tallies: dict[tuple[str, str, str], Tally] = {}

    def observe(
        self, previous: Execution | None, committed: Execution, events: Sequence[Any]
    ) -> None:
        """Count the visit ``committed`` ends, if it leaves a state ``previous`` was
        parked in (a Parallel's or Map's children count under their own states)."""
        if previous is None or previous.state is None or previous.entered_at is None:
            return
        if previous.status.is_terminal or previous.waiting is None:
            return
        if not leaves_state(previous, committed) or committed.updated_at is None:
            return
        state = previous.state
        milliseconds = (committed.updated_at - previous.entered_at).total_seconds() * 1000
        failed = committed.status in (ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT) or any(
            getattr(e, "state", None) == state and str(e.type).endswith(FAILED_EVENTS)
            for e in events
        )
        waiting = previous.waiting
        attempts = int(getattr(waiting, "number", getattr(waiting, "attempt", 1)))
        key = (committed.workflow, hour_of(committed.updated_at), state)
        self.tallies.setdefault(key, Tally()).add_visit(max(0.0, milliseconds), attempts, failed)

    def drain(self) -> dict[tuple[str, str, str], Tally]:
        """What was tallied, forgotten here."""
        tallies, self.tallies = self.tallies, {}
        return tallies


def summarise(tallies: Iterable[tuple[str, Tally]]) -> list[dict[str, Any]]:
    """Per-state figures of a window, from its hours' tallies (state, tally)."""
    merged: dict[str, Tally] = {}
    for state, tally in tallies:
        merged.setdefault(state, Tally()).merge(tally)
    return [merged[state].to_api(state) for state in sorted(merged)]


def standouts(states: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The state that is slowest (highest p90) and the flakiest (highest failure or retry
    rate), if any stands out: what the console marks on the graph."""
    marks: dict[str, str] = {}
    timed = [s for s in states if s.get("p90Ms") is not None]
    if len(timed) > 1:
        slowest = max(timed, key=lambda s: s["p90Ms"])
        marks[slowest["state"]] = "slow"
    flaky = [s for s in states if s["visits"] and (s["failures"] or s["retries"])]
    if flaky:
        worst = max(flaky, key=lambda s: (s["failures"] + s["retries"]) / s["visits"])
        marks[worst["state"]] = "flaky" if worst["state"] not in marks else "slow flaky"
    return marks
