"""One execution the sweeper cannot sweep never stops it sweeping the others.

Engine.sweep (steplane.service): each overdue execution is swept on its own; one that
raises (its definition gone, a send refused) is reported with its error, looked at again
after the usual backoff, and the sweep goes on; a sweep stops early, reporting that it
did, when its invocation has less than SWEEP_MARGIN_SECONDS left.
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.handlers import sweep
from steplane.local import LocalRuntime, StalledError
from steplane.service import SWEEP_MARGIN_SECONDS
from steplane.settings import Settings

WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}


def _lose_every_message(rt: LocalRuntime) -> None:
    url = rt.resources.ref("AdvanceQueue")
    while messages := rt.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            rt.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _overdue(rt: LocalRuntime, count: int) -> list[str]:
    ids = [rt.start(WAIT, {"n": n}) for n in range(count)]
    rt.clock.advance(10)
    _lose_every_message(rt)
    rt.clock.advance(600)  # past the Wait's end plus the 300 s grace
    return ids


def test_an_execution_that_cannot_be_swept_is_reported_and_the_others_are_swept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalRuntime(settings=Settings(sweep_shards=1)) as rt:
        engine = rt._deps["SweepFunction"].engine
        ids = _overdue(rt, 3)
        broken = ids[1]
        real_resend = engine._resend

        def refuses_one(head: Any, definition: Any, now: Any) -> None:
            if head.execution_id == broken:
                raise RuntimeError("send refused")
            real_resend(head, definition, now)

        monkeypatch.setattr(engine, "_resend", refuses_one)
        report = engine.sweep()
        heads = {i: rt.store.get_head(i) for i in ids}
        again = engine.sweep()  # a minute later: the failed one is not due again yet
    assert report.resent == 2
    assert report.failed == ((broken, "RuntimeError('send refused')"),)
    assert report.complete
    # The failed execution is deferred like a re-sent one (from the longer task lease),
    # so it does not take a place in every sweep; the others were re-sent once.
    assert [heads[i].sweep_count for i in ids] == [1, 1, 1]
    assert (heads[broken].sweep_at - rt.clock.now()).total_seconds() == 900
    assert (again.resent, again.failed) == (0, ())


def test_a_head_that_cannot_even_be_read_is_reported_and_the_sweep_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalRuntime(settings=Settings(sweep_shards=1)) as rt:
        engine = rt._deps["SweepFunction"].engine
        ids = _overdue(rt, 2)
        real_get = rt.store.get_head

        def unreadable(execution_id: str) -> Any:
            if execution_id == ids[0]:
                raise LookupError("payload of X#... is missing")
            return real_get(execution_id)

        monkeypatch.setattr(engine._store, "get_head", unreadable)
        report = engine.sweep()
    assert report.resent == 1
    assert [failed for failed, _ in report.failed] == [ids[0]]


def test_a_sweep_stops_when_its_invocation_runs_short_of_time() -> None:
    with LocalRuntime(settings=Settings(sweep_shards=1)) as rt:
        engine = rt._deps["SweepFunction"].engine
        _overdue(rt, 3)
        short = SWEEP_MARGIN_SECONDS - 0.5
        left = iter([SWEEP_MARGIN_SECONDS, short, short])
        stopped = engine.sweep(time_left=lambda: next(left))
        rest = engine.sweep(time_left=lambda: 60.0)
    assert (stopped.resent, stopped.complete) == (1, False)
    assert (rest.resent, rest.complete) == (2, True)


def test_the_sweep_function_reports_what_it_did() -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 59_000

    with LocalRuntime(settings=Settings(sweep_shards=1)) as rt:
        _overdue(rt, 2)
        response = sweep.handle({"source": "test"}, Context(), rt._deps["SweepFunction"])
    assert response == {"resent": 2, "failed": 0, "complete": True}


def test_locally_a_sweeper_that_always_dies_ends_in_a_stall_not_an_endless_loop() -> None:
    # LocalRuntime.run_until_complete skips time to the sweeper when nothing is in flight;
    # a sweep that itself dies every time must end the run (StalledError) after a bounded
    # number of tries, as three sweeps that ran without moving the execution do.
    def sweeper_dies(handler: Any) -> Any:
        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            if event.get("source") == "steplane.local.schedule":
                raise RuntimeError("the sweep died")
            return handler(event, context)

        return invoke

    sweeps: list[int] = []
    with LocalRuntime(around_invocation=sweeper_dies) as rt:
        real_fire = rt.schedules.fire_due

        def counted() -> int:
            sweeps.append(1)
            return real_fire()

        rt.schedules.fire_due = counted  # type: ignore[method-assign]
        execution_id = rt.start(WAIT, {})
        rt.clock.advance(10)
        _lose_every_message(rt)
        with pytest.raises(StalledError):
            rt.run_until_complete(execution_id)
    assert 25 <= len(sweeps) <= 30
