"""When the sweeper looks again after a re-send: doubling gaps from the state's base, capped.

steplane.interpreter.sweep.next_sweep: a Task's base gap is the task lease (900 s), any
other state's the sweep grace (300 s); each re-send of the same step doubles the gap, up
to sweep_max_backoff_seconds (a day).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from steplane.definition.loader import load_definition
from steplane.execution import Execution, TaskAttempt, WaitUntil
from steplane.interpreter.sweep import next_sweep
from steplane.settings import Settings
from tests.unit.interpreter.harness import T0

DEFINITION = load_definition(
    {
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "r", "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 5, "End": True},
        },
    }
)


def _gap(state: str | None, sweep_count: int, settings: Settings | None = None) -> float:
    # Parked where it is: a Task head waits for an attempt, a Wait head for its end.
    waiting = {"T": TaskAttempt(1, (), "n"), "W": WaitUntil(T0)}.get(state or "")
    head = Execution("wf:x", "wf", "x", DEFINITION.hash, "h", T0, state=state, waiting=waiting)
    head = replace(head, sweep_count=sweep_count)
    return (next_sweep(DEFINITION, head, T0, settings or Settings()) - T0).total_seconds()


@pytest.mark.parametrize(("count", "gap"), [(0, 900), (1, 1800), (3, 7200), (6, 57_600)])
def test_a_stuck_task_is_looked_at_again_after_doubling_leases(count: int, gap: int) -> None:
    assert _gap("T", count) == gap


@pytest.mark.parametrize(("count", "gap"), [(0, 300), (2, 1200)])
def test_a_stuck_wait_is_looked_at_again_after_doubling_graces(count: int, gap: int) -> None:
    assert _gap("W", count) == gap


@pytest.mark.parametrize("count", [7, 32, 33, 10_000])
def test_the_gap_stops_growing_at_the_maximum_backoff(count: int) -> None:
    assert _gap("T", count) == timedelta(days=1).total_seconds()


def test_a_lower_maximum_backoff_caps_the_first_gap_too() -> None:
    assert _gap("T", 0, Settings(sweep_max_backoff_seconds=600)) == 600
