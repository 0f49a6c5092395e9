"""Deployment settings the engine honours, read once from the environment (template.yaml).

Every value has a documented default; the template exposes each as a parameter, and the
local runtime and the CLI accept overrides.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


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
        partition, region, account_id: where the engine runs; they make the ARNs of the
            Context Object (``$$.Execution.Id`` is ``arn:{partition}:states:{region}:
            {account_id}:execution:{workflow}:{name}``). The template sets them.
        execution_role_arn: ``$$.Execution.RoleArn``: the role the engine's functions run
            as (Step Functions gives the state machine's role).
        max_concurrency: how many children of one Map visit run at once when its
            ``MaxConcurrency`` is 0 or absent ("as many as the engine allows"), and the
            most any Map runs at once.
    """

    max_transitions: int = 25_000
    task_lease_seconds: int = 900
    sweep_grace_seconds: int = 300
    sweep_max_backoff_seconds: int = 86_400
    retention_days: int = 90
    item_horizon_days: int = 7
    sweep_shards: int = 16
    max_concurrency: int = 1_000
    partition: str = "aws"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    execution_role_arn: str = "arn:aws:iam::123456789012:role/steplane-local"

    def state_machine_arn(self, workflow: str) -> str:
        """The ARN ``$$.StateMachine.Id`` gives a workflow."""
        return (
            f"arn:{self.partition}:states:{self.region}:{self.account_id}:stateMachine:{workflow}"
        )

    def execution_arn(self, workflow: str, name: str) -> str:
        """The ARN ``$$.Execution.Id`` gives an execution."""
        return f"{self._states_arn_prefix}:execution:{workflow}:{name}"

    @property
    def _states_arn_prefix(self) -> str:
        return f"arn:{self.partition}:states:{self.region}:{self.account_id}"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Each field from ``STEPLANE_<FIELD>`` when set (e.g. ``STEPLANE_MAX_TRANSITIONS``)."""
        values: dict[str, Any] = {}  # each value of its field's type (int or str)
        for field in fields(cls):
            raw = environ.get(f"STEPLANE_{field.name.upper()}")
            if raw:
                values[field.name] = raw if field.type == "str" else _positive(field.name, raw)
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
