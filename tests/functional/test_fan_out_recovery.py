"""A fan-out whose messages are lost recovers through the sweeper: they are hints, the
parked parent's head implies them (steplane.states.fan_out.FanOutLifecycle.pending)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from steplane.adapters.dynamodb_inputs import DynamoDBChildInputs
from steplane.definition.loader import load_definition
from steplane.execution import Execution, FanOut
from steplane.fanning import QUERIED_LANES, FanOutShell
from steplane.interpreter.decisions import WakeAt
from steplane.interpreter.signals import WakePurpose
from steplane.interpreter.sweep import next_sweep
from steplane.local import LocalRuntime
from steplane.map_runs import MAX_ATTEMPTS, MapRunShell
from steplane.messages import LanesMessage
from steplane.names import child_execution_id
from steplane.service import Engine
from steplane.settings import DEFAULT_SETTINGS
from tests.fan_out_children import fail_or_wait

MAP = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "MaxConcurrency": 2,
            "ItemProcessor": {
                "StartAt": "T",
                "States": {"T": {"Type": "Task", "Resource": "double", "End": True}},
            },
            "End": True,
        }
    },
}


MAP_ONE_LANE = {
    "StartAt": "M",
    "States": {"M": {**MAP["States"]["M"], "MaxConcurrency": 1}},
}


def _double(data: Any, _context: Any) -> Any:
    return data * 2


def test_lost_launch_messages_are_sent_again_by_the_sweeper() -> None:
    with LocalRuntime() as rt:
        rt.register("double", _double)
        execution_id = rt.start(MAP, [1, 2, 3])
        rt.sqs.purge_queue(QueueUrl=rt.resources.ref("AdvanceQueue"))  # the launch is lost
        started = rt.clock.now()
        result = rt.run_until_complete(execution_id)
    assert result.status == "SUCCEEDED"
    assert result.output == [2, 4, 6]
    # Nothing moved until the parked parent was overdue and swept (900 s).
    assert (rt.clock.now() - started).total_seconds() >= 900


def test_every_message_of_the_engine_lost_once_more_is_healed() -> None:
    # Each time anything is in flight on AdvanceQueue (launches, lane steps, the fan-in
    # wake), it is lost, three times over: the sweeper's re-sends carry the run through.
    with LocalRuntime() as rt:
        rt.register("double", _double)
        execution_id = rt.start(MAP, [1, 2, 3, 4])
        queue = rt.resources.ref("AdvanceQueue")
        for _ in range(3):
            rt.sqs.purge_queue(QueueUrl=queue)
            rt.advance(1000)  # the sweeper runs, re-sends what the parent implies
        result = rt.run_until_complete(execution_id)
    assert result.status == "SUCCEEDED"
    assert result.output == [2, 4, 6, 8]


def test_a_lost_failure_wake_is_counted_again_by_the_sweepers_lane_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The item fails and its lane records it, but the mover dies before it counts the
    # failure (no wake): the sweeper's re-sent lane step finds the recorded failure and
    # counts every lane.
    original = FanOutShell.check_fan_in
    calls: list[int] = []

    def counted(self: FanOutShell, *args: Any) -> None:
        calls.append(1)
        original(self, *args)

    monkeypatch.setattr(FanOutShell, "_count", lambda *args, **kwargs: None)
    monkeypatch.setattr(FanOutShell, "check_fan_in", counted)

    def boom(data: Any, _context: Any) -> Any:
        raise ValueError(f"item {data}")

    with LocalRuntime() as rt:
        rt.register("double", boom)
        result = rt.run_until_complete(rt.start(MAP, [1, 2, 3]))
    assert (result.status, result.error) == ("FAILED", "ValueError")
    assert calls  # the full count healed it


def test_a_parked_fan_out_is_swept_at_a_steady_pace() -> None:
    # Its children move on their own; a lost hint waits for the next sweep, which does
    # not back off the way a task's does.
    definition = load_definition(MAP)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    head = Execution("wf:x", "wf", "x", definition.hash, "h", now, state="M", waiting=FanOut(3, 2))
    gaps = [
        (
            next_sweep(definition, replace(head, sweep_count=n), now, DEFAULT_SETTINGS) - now
        ).total_seconds()
        for n in range(5)
    ]
    assert gaps == [900.0] * 5


def test_a_stale_hint_does_not_move_a_lane_past_its_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A child's hint names the item that ended; a copy arriving after the lane moved on
    # (and stopped at a failure) reads the lane as it is and launches nothing more.
    # The parent stays (no count wakes it).
    monkeypatch.setattr(FanOutShell, "check_fan_in", lambda *args: None)
    monkeypatch.setattr(FanOutShell, "_count", lambda *args, **kwargs: None)

    def boom(data: Any, _context: Any) -> Any:
        if data == "bad":
            raise ValueError("bad item")
        return data

    with LocalRuntime() as rt:
        rt.register("double", boom)
        execution_id = rt.start(MAP_ONE_LANE, ["ok", "bad", "later"])
        rt.run_all()
        stale = LanesMessage(parent=execution_id, visit=1, first=0, last=0, ended=0)
        rt.sqs.send_message(QueueUrl=rt.resources.ref("AdvanceQueue"), MessageBody=stale.to_json())
        rt.run_all()
        later = rt.store.get_head(child_execution_id(execution_id, 1, 2))
        lane = rt.store.lanes.get(execution_id, 1, 0)
    assert later is None
    assert (lane.pos, lane.failed, lane.first_failed) == (2, 1, 1)


DISTRIBUTED = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "MaxConcurrency": 2,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                **MAP["States"]["M"]["ItemProcessor"],
            },
            "End": True,
        }
    },
}


CAUGHT = {
    "StartAt": "M",
    "States": {
        "M": {
            **DISTRIBUTED["States"]["M"],
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "Parameters": {"Bucket": "nowhere", "Key": "missing.json"},
                "ReaderConfig": {"InputType": "JSON"},
            },
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "After"}],
            "End": False,
            "Next": "After",
        },
        "After": {"Type": "Task", "Resource": "double", "InputPath": "$.n", "End": True},
    },
}


@pytest.mark.parametrize(
    ("definition", "data", "output"),
    [(DISTRIBUTED, [1, 2, 3], [2, 4, 6]), (CAUGHT, {"n": 5}, 10)],
    ids=["lanes", "caught-failure"],
)
def test_a_read_that_dies_after_its_commit_sends_what_it_implies_when_redelivered(
    monkeypatch: pytest.MonkeyPatch, definition: dict[str, Any], data: Any, output: Any
) -> None:
    # The read moved the parent (on to its lanes; or, failing, through Catch to a Task),
    # then died before sending what that implies: its message comes back and sends it
    # (no wait for the sweeper's 900 s).
    original_read, original_send = MapRunShell.read, Engine._send
    state = {"reading": False, "died": False}

    def read(self: MapRunShell, *args: Any) -> bool:
        state["reading"] = True
        try:
            return original_read(self, *args)
        finally:
            state["reading"] = False

    def send(self: Engine, *args: Any) -> None:
        if state["reading"] and not state["died"]:
            state["died"] = True
            raise RuntimeError("the Lambda died after the read's commit")
        original_send(self, *args)

    monkeypatch.setattr(MapRunShell, "read", read)
    monkeypatch.setattr(Engine, "_send", send)
    with LocalRuntime() as rt:
        rt.register("double", _double)
        started = rt.clock.now()
        result = rt.run_until_complete(rt.start(definition, data))
    assert state["died"]
    assert result.status == "SUCCEEDED"
    assert result.output == output
    assert (rt.clock.now() - started).total_seconds() < 900


def test_a_read_that_dies_while_storing_inputs_stores_them_once_when_redelivered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The read dies after storing some inputs: the redelivered read stores the rest
    # (those stored stand) and the Map Run runs every item once.
    original = DynamoDBChildInputs.put_all
    calls: list[int] = []

    def put_all(  # noqa: PLR0917 - the signature it stands in for
        self: DynamoDBChildInputs,
        parent_id: str,
        visit: int,
        inputs: list[Any],
        weights: list[int],
        expiry: int,
    ) -> None:
        calls.append(len(inputs))
        if len(calls) == 1:
            # The digest and two of the inputs are stored when it dies.
            original(self, parent_id, visit, inputs, weights, expiry)
            for index in (2, 3):
                self._client.delete_item(
                    TableName=self._table,
                    Key={"pk": {"S": f"X#{parent_id}"}, "sk": {"S": f"I#{visit:012d}#{index:09d}"}},
                )
            raise RuntimeError("the Lambda died while storing the inputs")
        original(self, parent_id, visit, inputs, weights, expiry)

    monkeypatch.setattr(DynamoDBChildInputs, "put_all", put_all)
    with LocalRuntime() as rt:
        rt.register("double", _double)
        result = rt.run_until_complete(rt.start(DISTRIBUTED, [1, 2, 3, 4]))
    assert calls == [4, 4]
    assert result.output == [2, 4, 6, 8]


@pytest.mark.parametrize("items", [[1, 2, 3], ["bad", 2, 3]])
def test_with_nothing_lost_the_parent_is_woken_by_the_counts_not_the_sweeper(
    items: list[Any],
) -> None:
    # The mover of each lane's last child (or of a failed one) counts it, and the count
    # that completes the visit wakes the parent at once; the sweeper (900 s) is for loss.
    def work(data: Any, _context: Any) -> Any:
        if data == "bad":
            raise ValueError("bad")
        return data * 2

    with LocalRuntime() as rt:
        rt.register("double", work)
        started = rt.clock.now()
        result = rt.run_until_complete(rt.start(DISTRIBUTED, items))
    assert result.status == ("FAILED" if "bad" in items else "SUCCEEDED")
    assert (rt.clock.now() - started).total_seconds() < 900


def test_a_read_that_keeps_dying_fails_the_map_instead_of_waiting_for_ever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A source too large for one invocation dies at every try: after MAX_ATTEMPTS the
    # Map fails (States.ItemReaderFailed, for its Retry and Catch) rather than leave the
    # parent running for ever on a dead-lettered message.
    attempts: list[int] = []

    def dying(self: MapRunShell, *args: Any) -> Any:
        attempts.append(1)
        raise RuntimeError("the Lambda ran out of time reading the items")

    monkeypatch.setattr(MapRunShell, "_items_read", dying)
    with LocalRuntime() as rt:
        result = rt.run_until_complete(rt.start(DISTRIBUTED, [1, 2, 3]))
    assert (result.status, result.error) == ("FAILED", "States.ItemReaderFailed")
    assert f"in {MAX_ATTEMPTS} attempts" in (result.cause or "")
    assert len(attempts) == MAX_ATTEMPTS


def test_failures_past_the_tolerance_wake_the_parent_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every item fails on its own lane: the count that first goes over the tolerance
    # wakes the parent; the later failures add to the count and wake nobody (each wake
    # would be a fan-in read of every lane, and a Map Run's export).
    original = Engine._send
    wakes: list[WakeAt] = []

    def send(self: Engine, head: Any, commands: Any, now: Any) -> None:
        wakes.extend(
            c for c in commands if isinstance(c, WakeAt) and c.purpose is WakePurpose.FAN_IN
        )
        original(self, head, commands, now)

    monkeypatch.setattr(Engine, "_send", send)

    def boom(data: Any, _context: Any) -> Any:
        raise ValueError(f"item {data}")

    definition = {
        "StartAt": "M",
        "States": {"M": {**DISTRIBUTED["States"]["M"], "MaxConcurrency": 4}},
    }
    with LocalRuntime() as rt:
        rt.register("double", boom)
        result = rt.run_until_complete(rt.start(definition, [1, 2, 3, 4]))
    assert result.error == "States.ExceedToleratedFailureThreshold"
    assert len(wakes) == 1


@pytest.mark.parametrize(("lanes", "counted"), [(QUERIED_LANES, False), (QUERIED_LANES + 1, True)])
def test_few_lanes_are_read_to_count_many_keep_a_count(lanes: int, counted: bool) -> None:
    # Up to QUERIED_LANES lanes, a lane's end reads every lane record (a read unit or
    # two) rather than write a count item (a write unit); above, the count item saves
    # reading hundreds of records at every lane's end.
    child = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    state = {"Type": "Map", "MaxConcurrency": lanes, "ItemProcessor": child, "End": True}
    with LocalRuntime() as rt:
        execution_id = rt.start({"StartAt": "M", "States": {"M": state}}, list(range(lanes)))
        result = rt.run_until_complete(execution_id)
        table = rt.session.client("dynamodb")
        items = table.query(
            TableName=rt.resources.ref("ExecutionsTable"),
            KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
            ExpressionAttributeValues={":pk": {"S": f"X#{execution_id}"}, ":c": {"S": "C#"}},
        )["Items"]
    assert result.output == list(range(lanes))
    assert bool(items) is counted


def _failing_task(name: str) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"Type": "Task", "Resource": "double", "End": True}}}


@pytest.mark.parametrize(
    "definition",
    [
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [_failing_task("A"), _failing_task("B")],
                }
            },
        },
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "MaxConcurrency": 3,
                    "ToleratedFailureCount": 1,
                    "ItemProcessor": _failing_task("T"),
                    "End": True,
                }
            },
        },
    ],
    ids=["parallel", "map-tolerating-one"],
)
def test_failures_counted_together_still_wake_the_parent(
    monkeypatch: pytest.MonkeyPatch, definition: dict[str, Any]
) -> None:
    # Every failing child's lane moves before any mover counts (they run at once): each
    # count sees all the failures, and one of them must still wake the parent.
    original = FanOutShell._count
    held: list[tuple[Any, ...]] = []
    monkeypatch.setattr(FanOutShell, "_count", lambda *args, **kwargs: held.append((args, kwargs)))

    def boom(data: Any, _context: Any) -> Any:
        raise ValueError("boom")

    with LocalRuntime() as rt:
        rt.register("double", boom)
        rt.start(definition, [1, 2, 3])
        rt.run_all()
        assert len(held) >= 2  # the movers, all moved before any counted
        wakes: list[Any] = []
        for args, kwargs in held:
            shell = args[0]
            shell._send = lambda head, commands, now: wakes.extend(commands)
            original(*args, **kwargs)
    assert [w.purpose for w in wakes] == [WakePurpose.FAN_IN]  # woken, and once


def test_a_lost_wake_over_the_tolerance_is_found_by_the_sweep_before_the_lanes_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two failures go over a tolerance of one; the wake-up (claimed) is lost; the lanes
    # go on with children that wait an hour. The parent's sweep re-sends its lanes'
    # steps, and a step no child sent counts every lane: the Map fails at the sweep,
    # not an hour later when the lanes end.
    original = Engine._send
    lost: list[WakeAt] = []

    def send(self: Engine, head: Any, commands: Any, now: Any) -> None:
        kept = []
        for command in commands:
            if isinstance(command, WakeAt) and command.purpose is WakePurpose.FAN_IN and not lost:
                lost.append(command)
            else:
                kept.append(command)
        original(self, head, tuple(kept), now)

    monkeypatch.setattr(Engine, "_send", send)
    child = fail_or_wait({"Variable": "$", "NumericLessThan": 2}, 3600)
    state = {
        "Type": "Map",
        "MaxConcurrency": 2,
        "ToleratedFailureCount": 1,
        "ItemProcessor": child,
        "End": True,
    }
    with LocalRuntime() as rt:
        started = rt.clock.now()
        result = rt.run_until_complete(
            rt.start({"StartAt": "M", "States": {"M": state}}, [0, 1, 2, 3])
        )
    assert lost
    assert result.error == "States.ExceedToleratedFailureThreshold"
    assert (rt.clock.now() - started).total_seconds() < 3600


def test_an_item_written_late_for_a_visit_expires_no_earlier_than_the_heads_floor() -> None:
    # A lane's first move can come long after its parent parked (a slow first child);
    # the sweeper has raised the partition's items and the head's floor since: the new
    # record must not expire before them.
    class Store:
        def child_expiry(self, parent: Execution) -> int:
            return 1_000  # the parked transition's

    shell = FanOutShell(
        Store(),  # type: ignore[arg-type]
        send=lambda *args: None,
        settings=DEFAULT_SETTINGS,
        definition=lambda digest: load_definition(MAP),
        with_input=lambda head, definition: head,
        seed=lambda decision: decision,
        objects=lambda: None,  # type: ignore[arg-type, return-value]
        resend=lambda *args: None,
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    head = Execution("wf:x", "wf", "x", "h", "h", now, state="M", waiting=FanOut(3, 2))
    assert shell._expiry(head) == 1_000
    raised = replace(head, children_expire_at=datetime.fromtimestamp(5_000, UTC))
    assert shell._expiry(raised) == 5_000
