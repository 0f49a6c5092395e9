"""When an execution's expected progress is overdue (the sweeper's schedule), as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from steplane.definition.loader import load_definition
from steplane.execution import Execution, ExecutionStatus, TaskAttempt, WaitUntil
from steplane.interpreter.sweep import next_sweep, sweep_due
from steplane.settings import Settings

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SETTINGS = Settings(task_lease_seconds=900, sweep_grace_seconds=300, sweep_max_backoff_seconds=7200)
DEFINITION = load_definition(
    {
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "r", "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 60, "Next": "P"},
            "P": {"Type": "Pass", "End": True},
        },
    }
)


def _head(state: str | None, **fields: Any) -> Execution:
    if state == "T":  # a head in a Task always waits for an attempt
        fields.setdefault("waiting", TaskAttempt(1, (), "n"))
    return Execution(
        "w:x", "w", "x", DEFINITION.hash, "h", T0, state=state, updated_at=T0, **fields
    )


def _after(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_dispatched_task_is_overdue_after_its_lease():
    assert sweep_due(DEFINITION, _head("T"), SETTINGS) == _after(900)


def test_a_delayed_retry_is_overdue_a_lease_after_it_is_due():
    assert sweep_due(
        DEFINITION,
        _head("T", waiting=TaskAttempt(2, (1,), "n", dispatch_at=_after(5000))),
        SETTINGS,
    ) == _after(5900)


def test_a_task_timeout_sooner_than_the_lease_is_overdue_a_grace_after_it():
    assert sweep_due(
        DEFINITION, _head("T", waiting=TaskAttempt(1, (), "n", timeout_at=_after(60))), SETTINGS
    ) == _after(360)


def test_a_task_with_a_timeout_later_than_the_lease_is_still_overdue_after_its_lease():
    # The lease is how a lost task message is noticed: waiting for the timeout instead
    # would fail an attempt that never ran (its dispatch lost) with States.Timeout.
    head = _head("T", waiting=TaskAttempt(1, (), "n", timeout_at=_after(3600)))
    assert sweep_due(DEFINITION, head, SETTINGS) == _after(900)


def test_a_wait_is_overdue_a_grace_after_it_ends():
    assert sweep_due(DEFINITION, _head("W", waiting=WaitUntil(_after(60))), SETTINGS) == _after(360)


def test_a_continuation_is_overdue_a_grace_after_its_commit():
    assert sweep_due(DEFINITION, _head("P"), SETTINGS) == _after(300)


@pytest.mark.parametrize("status", [s for s in ExecutionStatus if s.is_terminal])
def test_a_closed_execution_is_never_overdue(status):
    assert sweep_due(DEFINITION, _head(None, status=status), SETTINGS) is None


@pytest.mark.parametrize(
    ("state", "count", "gap"),
    [("T", 0, 900), ("T", 1, 1800), ("T", 2, 3600), ("T", 3, 7200), ("T", 30, 7200),
     ("W", 0, 300), ("W", 2, 1200)],
)  # fmt: skip
def test_resends_back_off_doubling_from_the_lease_or_grace_up_to_the_cap(state, count, gap):
    head = _head(state, sweep_count=count)
    assert next_sweep(DEFINITION, head, T0, SETTINGS) == _after(gap)
