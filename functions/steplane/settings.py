"""Deployment settings the engine honours, read once from the environment (template.yaml).

Every value has a documented default; the template exposes each as a parameter, and the
local runtime and the CLI accept overrides.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Settings:
    """Limits and timings of the engine.

    Attributes:
        max_transitions: state transitions (states entered, retries included) one
            execution may make; the next one fails it with ``Steplane.TransitionLimitExceeded``.
            Step Functions stops an execution at 25,000 history events; a loop that never
            waits must not run (and bill) for ever.
        task_lease_seconds: how long a dispatched task may go without a result before the
            sweeper re-sends it (the worker sees the same idempotency key). Lambda runs at
            most 900 s, so a result is overdue after that; re-sends back off (doubling).
        sweep_grace_seconds: how late a timer (Wait, retry delay, task timeout, a long
            Pass/Choice chain's continuation) may be before the sweeper re-sends it; also
            how old a commit must be before a copy of its input that finds it re-sends
            what is pending (a redriven message), where a fresh duplicate does not.
        sweep_max_backoff_seconds: the longest gap between two re-sends of one stuck step.
        retention_days: how long a closed execution (head, history, payloads) is kept
            before DynamoDB's TTL deletes it; Step Functions keeps closed executions 90 days.
        item_horizon_days: items written while an execution runs expire this long after
            the retention would end for an execution closing when they are written; an
            execution running longer has its items' expiry raised by the sweeper (more
            days: fewer such writes for long runners, a little more storage).
        sweep_shards: partitions of the sweep index, so that many running executions do not
            make one hot index partition. Raise it, never lower it, on a live table: a head
            keyed to a shard at or past a lowered count is no longer swept (the heads that
            need the sweeper most are the stuck ones, which no transition re-keys).
    """

    max_transitions: int = 25_000
    task_lease_seconds: int = 900
    sweep_grace_seconds: int = 300
    sweep_max_backoff_seconds: int = 86_400
    retention_days: int = 90
    item_horizon_days: int = 7
    sweep_shards: int = 16

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Each field from ``STEPLANE_<FIELD>`` when set (e.g. ``STEPLANE_MAX_TRANSITIONS``)."""
        values: dict[str, int] = {}
        for field in fields(cls):
            raw = environ.get(f"STEPLANE_{field.name.upper()}")
            if raw:
                values[field.name] = _positive(field.name, raw)
        return cls(**values)

    def to_environment(self) -> dict[str, str]:
        """The ``STEPLANE_<FIELD>`` variables that :meth:`from_environment` reads back."""
        return {f"STEPLANE_{f.name.upper()}": str(getattr(self, f.name)) for f in fields(self)}


def _positive(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"STEPLANE_{name.upper()}={raw!r}: expected a positive whole number")
    return value


DEFAULT_SETTINGS = Settings()
