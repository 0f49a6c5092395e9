"""``GET /workflows/{name}/stats``: per-state bottlenecks (duration percentiles, attempts,
retries, failures) over a window of hours, from aggregates the transitions update: no
history is read (steplane.statistics, steplane.adapters.dynamodb_stats)."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest

from steplane.local import LocalRuntime
from steplane.statistics import Tally, bucket_of

DEFINITION = {
    "StartAt": "Fetch",
    "States": {
        "Fetch": {
            "Type": "Task",
            "Resource": "Fetch",
            "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 3, "IntervalSeconds": 10}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "GiveUp"}],
            "Next": "Cool",
        },
        "Cool": {"Type": "Wait", "Seconds": 300, "Next": "Store"},
        "Store": {"Type": "Task", "Resource": "Store", "End": True},
        "GiveUp": {"Type": "Pass", "End": True},
    },
}


class Service:
    """``Fetch`` fails ``flaky`` times per input before it succeeds (forever: ``broken``)."""

    def __init__(self) -> None:
        self.calls: dict[int, int] = {}

    def fetch(self, task_input: Any, context: Any) -> Any:
        n = task_input["n"]
        self.calls[n] = self.calls.get(n, 0) + 1
        if task_input.get("broken") or self.calls[n] <= task_input.get("flaky", 0):
            raise type("Flaky", (Exception,), {})("try again")
        return task_input


def _stats(rt: LocalRuntime, **query: str) -> dict[str, Any]:
    status, body = rt.http("GET", "/workflows/jobs/stats?" + urlencode(query))
    assert status == 200, body
    return body  # type: ignore[no-any-return]


def _by_state(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["state"]: entry for entry in body["states"]}


def test_each_parked_state_s_visits_attempts_retries_failures_and_durations() -> None:
    service = Service()
    with LocalRuntime() as rt:
        rt.register("Fetch", service.fetch)
        rt.register("Store", lambda task_input, context: task_input)
        rt.publish(DEFINITION, "jobs")
        inputs = [{"n": 0}, {"n": 1, "flaky": 1}, {"n": 2, "flaky": 2}, {"n": 3, "broken": True}]
        for execution_input in inputs:
            rt.http("POST", "/executions", {"workflow": "jobs", "input": execution_input})
        rt.run_all()
        body = _stats(rt)
    states = _by_state(body)
    fetch = states["Fetch"]
    assert (fetch["visits"], fetch["attempts"], fetch["retries"]) == (4, 1 + 2 + 3 + 4, 6)
    assert fetch["failures"] == 1  # the broken one, caught
    assert fetch["failureRate"] == 0.25
    # Retries wait 10 s, 20 s, 40 s: the slowest visits took 70 s (the broken one).
    assert fetch["maxMs"] == 70_000
    assert fetch["p50Ms"] is not None
    assert fetch["p50Ms"] <= fetch["p90Ms"] <= fetch["p99Ms"]
    cool = states["Cool"]
    assert (cool["visits"], cool["p50Ms"], cool["p99Ms"]) == (3, 300_000, 300_000)
    assert states["Store"]["visits"] == 3
    # Pass states are never parked in: no visit to time.
    assert "GiveUp" not in states
    assert body["standouts"] == {"Cool": "slow", "Fetch": "flaky"}


def test_the_window_selects_the_hours() -> None:
    service = Service()
    with LocalRuntime() as rt:
        rt.register("Fetch", service.fetch)
        rt.register("Store", lambda task_input, context: task_input)
        rt.publish(DEFINITION, "jobs")
        rt.http("POST", "/executions", {"workflow": "jobs", "input": {"n": 0}})
        rt.run_all()
        first = rt.clock.now()
        rt.advance(3 * 3600)
        rt.http("POST", "/executions", {"workflow": "jobs", "input": {"n": 1}})
        rt.run_all()
        everything = _by_state(_stats(rt))
        recent = _by_state(_stats(rt, since=(rt.clock.now() - timedelta(hours=1)).isoformat()))
        early = _by_state(
            _stats(
                rt,
                since=(first - timedelta(hours=1)).isoformat(),
                until=(first + timedelta(minutes=30)).isoformat(),
            )
        )
        # The same window written in another time zone: the same hours (kept in UTC).
        elsewhere = timezone(timedelta(hours=5, minutes=30))
        early_elsewhere = _by_state(
            _stats(
                rt,
                since=(first - timedelta(hours=1)).astimezone(elsewhere).isoformat(),
                until=(first + timedelta(minutes=30)).astimezone(elsewhere).isoformat(),
            )
        )
    assert everything["Store"]["visits"] == 2
    assert recent["Store"]["visits"] == 1
    assert early["Store"]["visits"] == 1
    assert early_elsewhere == early


@pytest.mark.parametrize(
    ("query", "expected", "message"),
    [
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, 400, "earlier"),
        ({"since": "2026-01-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, 400, "31 days"),
        ({"since": "soon"}, 400, "not an ISO 8601"),
    ],
)
def test_a_bad_window_names_the_problem(query: dict[str, str], expected: int, message: str) -> None:
    with LocalRuntime() as rt:
        rt.publish(DEFINITION, "jobs")
        status, body = rt.http("GET", "/workflows/jobs/stats?" + urlencode(query))
        unknown = rt.http("GET", "/workflows/nope/stats")
    assert status == expected
    assert message in body["message"]
    assert unknown[0] == 404


def test_a_duplicate_delivery_is_not_counted_twice() -> None:
    """Every message delivered twice: each copy after the first commits nothing (its
    transition is a duplicate), so the visits are the same as with one delivery."""
    found = []
    for twice in (False, True):
        service = Service()
        with LocalRuntime(deliver_twice=twice) as rt:
            rt.register("Fetch", service.fetch)
            rt.register("Store", lambda task_input, context: task_input)
            rt.publish(DEFINITION, "jobs")
            for execution_input in ({"n": 0}, {"n": 1, "flaky": 1}):
                rt.http("POST", "/executions", {"workflow": "jobs", "input": execution_input})
            rt.run_all()
            found.append(
                {
                    state: (entry["visits"], entry["attempts"], entry["failures"])
                    for state, entry in _by_state(_stats(rt)).items()
                }
            )
    assert found[0] == found[1]
    assert found[0]["Fetch"] == (2, 3, 0)


def test_percentiles_come_from_the_histogram_within_its_resolution() -> None:
    tally = Tally()
    for milliseconds in range(1, 1001):
        tally.add_visit(float(milliseconds), 1, False)
    p50, p90, p99 = (tally.percentile(q) for q in (0.5, 0.9, 0.99))
    assert p50 is not None
    assert p90 is not None
    assert p99 is not None
    # Four buckets per doubling: a percentile is its bucket's upper bound, at most 19% high.
    assert 500 <= p50 <= 500 * 1.19
    assert 900 <= p90 <= 900 * 1.19
    assert 990 <= p99 <= 1000
    assert bucket_of(0.2) == 0
    assert Tally().percentile(0.5) is None
