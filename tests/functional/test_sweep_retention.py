"""Sweep index keys and item retention, read back from the table after real executions.

The rules (steplane.adapters.dynamodb_sweep): a running head is indexed (``sw``, ``sws``)
at the earlier of its overdue time ``sa`` and a day before its items' expiry ``cx``,
rounded up to 300 s; its items expire retention (90 days) + 7 days after they are
written; the sweeper raises that expiry when it runs short, and records each re-send on
condition of the head's version.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from steplane.adapters.dynamodb_items import epoch_seconds
from steplane.local import LocalRuntime
from steplane.settings import Settings

CALLBACK = {
    "StartAt": "Approve",
    "States": {"Approve": {"Type": "Task", "Service": "Humans", "Action": "approve", "End": True}},
}
RETENTION = timedelta(days=90)
CHILD_HORIZON = timedelta(days=7)
# The deployed defaults (16 sweep shards; the local runtime's own default is one).
PRODUCTION = Settings()


def _items(rt: LocalRuntime, execution_id: str) -> dict[str, dict[str, Any]]:
    """The execution's items by sort key, each as {attribute: its DynamoDB value}."""
    response = rt.session.client("dynamodb").query(
        TableName=rt.resources.ref("ExecutionsTable"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"X#{execution_id}"}},
    )
    return {
        item["sk"]["S"]: {name: next(iter(value.values())) for name, value in item.items()}
        for item in response["Items"]
    }


def _rounded(moment: datetime) -> int:
    return math.ceil(moment.timestamp() / 300) * 300


def _next_midnight(moment: datetime) -> int:
    return math.ceil(moment.timestamp() / 86400) * 86400


def _shard(execution_id: str) -> str:
    digest = hashlib.sha256(execution_id.encode()).digest()
    return str(int.from_bytes(digest[:4], "big") % 16)


def test_a_parked_execution_is_indexed_at_its_rounded_due_time_and_found_once_due():
    with LocalRuntime(settings=PRODUCTION) as rt:
        execution_id = rt.start(CALLBACK, {"doc": 1})
        head = rt.store.get_head(execution_id)
        items = _items(rt, execution_id)
        due_at = datetime.fromtimestamp(_rounded(head.sweep_at), head.sweep_at.tzinfo)
        found = [list(rt.store.sweep.due(due_at - timedelta(seconds=1), 10))]
        found.append(list(rt.store.sweep.due(due_at, 10)))
        next_due = rt.store.sweep.next_due()
    expiry = str(epoch_seconds(head.updated_at + RETENTION + CHILD_HORIZON))
    assert items["HEAD"]["sa"] == str(epoch_seconds(head.sweep_at))
    assert (items["HEAD"]["sw"], items["HEAD"]["sws"]) == (
        str(_rounded(head.sweep_at)),
        _shard(execution_id),
    )
    assert (items["HEAD"]["cx"], items["H#000000000001"]["expiresAt"]) == (expiry, expiry)
    assert next_due == due_at
    assert found == [[], [execution_id]]


def test_a_recorded_resend_moves_the_index_only_at_the_head_version_it_read():
    with LocalRuntime(settings=PRODUCTION) as rt:
        execution_id = rt.start(CALLBACK, {"doc": 1})
        head = rt.store.get_head(execution_id)
        later = rt.clock.now() + timedelta(hours=1)
        rt.store.sweep.defer(head, later)
        deferred = _items(rt, execution_id)["HEAD"]
        rt.store.sweep.defer(replace(head, version=head.version + 1), later + timedelta(hours=1))
        untouched = _items(rt, execution_id)["HEAD"]
    assert (deferred["sa"], deferred["swn"], deferred["sw"]) == (
        str(epoch_seconds(later)),
        "1",
        str(_rounded(later)),
    )
    assert untouched == deferred


def test_items_of_a_long_running_execution_get_their_expiry_raised_once_it_runs_short():
    with LocalRuntime(settings=PRODUCTION) as rt:
        execution_id = rt.start(CALLBACK, {"doc": 1})
        head = rt.store.get_head(execution_id)
        before = _items(rt, execution_id)
        rt.store.sweep.keep_items(head, rt.clock.now())  # not due: nothing to raise
        early = _items(rt, execution_id)
        # Due a day before the earliest item would expire (retention + 7 days after it was
        # written), not before: a re-send for overdue progress alone raises nothing.
        rt.clock.advance((RETENTION + CHILD_HORIZON - timedelta(days=1, hours=1)).total_seconds())
        rt.store.sweep.keep_items(head, rt.clock.now())
        not_yet = _items(rt, execution_id)
        rt.clock.advance(timedelta(hours=2).total_seconds())
        now = rt.clock.now()
        rt.store.sweep.keep_items(head, now)
        raised = _items(rt, execution_id)
    # Items are raised to a whole day (so an interrupted top-up aims at the same target);
    # the head's floor stays at now + retention + horizon, at or below every item's expiry,
    # those written from now on included.
    target = str(_next_midnight(now + RETENTION + CHILD_HORIZON))
    floor = str(epoch_seconds(now + RETENTION + CHILD_HORIZON))
    assert early == not_yet == before
    assert (raised["HEAD"]["cx"], raised["H#000000000001"]["expiresAt"]) == (floor, target)
    # The head stays indexed for its own overdue time, which comes first.
    assert raised["HEAD"]["sw"] == before["HEAD"]["sw"]


def test_a_top_up_that_died_part_way_is_resumed_without_writing_an_item_twice(monkeypatch):
    # The target is rounded up to a whole day, so a sweep a minute later aims at the same
    # target and its query skips the items already raised ("expiresAt < :t").
    with LocalRuntime(settings=PRODUCTION) as rt:
        # Start at noon: the two sweeps a minute apart must not straddle a midnight (the
        # target day would differ; run at 00:59 UTC, this test used to fail).
        now = rt.clock.now()
        noon = (now + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
        rt.clock.advance((noon - now).total_seconds())
        execution_id = rt.start(CALLBACK, {"doc": 1})
        rt.clock.advance((RETENTION + CHILD_HORIZON - timedelta(hours=1)).total_seconds())
        head = rt.store.get_head(execution_id)
        client = rt.store.sweep._client
        real_update = client.update_item
        updated: list[str] = []

        def dies_after_the_first_history_item(**request):
            if updated:
                raise ConnectionError("the sweep died part-way")
            updated.append(request["Key"]["sk"]["S"])
            return real_update(**request)

        monkeypatch.setattr(client, "update_item", dies_after_the_first_history_item)
        with pytest.raises(ConnectionError):
            rt.store.sweep.keep_items(head, rt.clock.now())
        first = list(updated)
        monkeypatch.setattr(client, "update_item", real_update)
        half_done = _items(rt, execution_id)
        rt.clock.advance(60)
        writes: list[str] = []

        def counted(**request):
            writes.append(request["Key"]["sk"]["S"])
            return real_update(**request)

        monkeypatch.setattr(client, "update_item", counted)
        kept = rt.store.sweep.keep_items(rt.store.get_head(execution_id), rt.clock.now())
        items = _items(rt, execution_id)
        target = str(_next_midnight(rt.clock.now() + RETENTION + CHILD_HORIZON))
        floor = epoch_seconds(rt.clock.now() + RETENTION + CHILD_HORIZON)
    assert first == ["H#000000000001"]
    assert half_done["HEAD"]["cx"] == before_cx(head)
    assert "H#000000000001" not in writes  # already raised: not written again
    assert writes[-1:] == ["HEAD"]
    assert {item["expiresAt"] for sk, item in items.items() if sk != "HEAD"} == {target}
    assert items["HEAD"]["cx"] == str(floor)
    assert epoch_seconds(kept.children_expire_at) == floor


def before_cx(head) -> str:
    return str(epoch_seconds(head.children_expire_at))


def test_items_of_an_execution_that_closed_late_are_kept_as_long_as_its_head():
    # The head expires retention after the close; items written more than 7 days before
    # the close would expire first, so the sweeper raises them to the head's expiry once,
    # and the head leaves the index. (Items written at the close already outlive it.)
    with LocalRuntime(settings=PRODUCTION) as rt:
        execution_id = rt.start(CALLBACK, {"doc": 1})
        url = rt.resources.ref("DefaultTaskQueue")
        message = rt.sqs.receive_message(QueueUrl=url)["Messages"][0]
        rt.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        token = json.loads(message["Body"])["taskToken"]
        rt.clock.advance(timedelta(days=8).total_seconds())
        rt.http("POST", f"/tasks/{token}/success", {"approved": True})
        rt.run_all()
        head = rt.store.get_head(execution_id)
        rt.store.sweep.keep_items(head, rt.clock.now())
        items = _items(rt, execution_id)
    assert head.status == "SUCCEEDED"
    kept = str(epoch_seconds(head.stop_date + RETENTION))
    assert (items["HEAD"]["expiresAt"], items["HEAD"]["cx"]) == (kept, kept)
    # The first history item was raised to the head's expiry; none expires before it.
    assert items["H#000000000001"]["expiresAt"] == kept
    assert min(int(item["expiresAt"]) for item in items.values()) == int(kept)
    assert "sw" not in items["HEAD"]
    assert "sws" not in items["HEAD"]


def test_the_sweeper_resends_for_every_overdue_execution_up_to_its_limit_and_counts_them():
    # Engine.sweep returns how many executions had their commands re-sent (the
    # SweptExecutions metric); a head that is not yet overdue is left alone.
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}
    with LocalRuntime(settings=PRODUCTION) as rt:
        engine = rt._deps["SweepFunction"].engine
        url = rt.resources.ref("AdvanceQueue")
        ids = [rt.start(wait, {"n": n}) for n in range(3)]
        rt.clock.advance(10)
        for message in rt.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]:
            rt.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        early = engine.sweep().resent
        rt.clock.advance(600)  # past the end of the Wait plus the 300 s grace
        counts = [engine.sweep(limit=2).resent, engine.sweep().resent]
        resent = rt.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        heads = [rt.store.get_head(execution_id) for execution_id in ids]
    assert (early, counts, resent) == (0, [2, 1], "3")
    assert [head.sweep_count for head in heads] == [1, 1, 1]


def test_a_task_message_lost_is_sent_again_once_its_lease_is_over():
    # A dispatched task is overdue task_lease_seconds (900 s) after its dispatch; the
    # sweeper then re-sends the same task (same token: a worker's late result still counts).
    with LocalRuntime(settings=PRODUCTION) as rt:
        engine = rt._deps["SweepFunction"].engine
        rt.start(CALLBACK, {"doc": 1})
        url = rt.resources.ref("DefaultTaskQueue")
        lost = rt.sqs.receive_message(QueueUrl=url)["Messages"][0]
        rt.sqs.delete_message(QueueUrl=url, ReceiptHandle=lost["ReceiptHandle"])
        rt.clock.advance(600)
        early = engine.sweep().resent
        rt.clock.advance(600)
        late = engine.sweep().resent
        again = rt.sqs.receive_message(QueueUrl=url)["Messages"]
    assert (early, late) == (0, 1)
    assert [json.loads(m["Body"])["taskToken"] for m in again] == [
        json.loads(lost["Body"])["taskToken"]
    ]


def test_an_execution_due_only_for_retention_does_not_stop_the_sweep_of_the_next():
    # Engine.sweep: an index entry due only because its items' expiry must be raised (the
    # execution itself is not overdue) is skipped, and the sweep goes on to the next entry.
    long_wait = {
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 8_640_000, "End": True}},
    }
    short_wait = {"StartAt": "S", "States": {"S": {"Type": "Wait", "Seconds": 10, "End": True}}}
    with LocalRuntime(settings=Settings(sweep_shards=1)) as rt:
        engine = rt._deps["SweepFunction"].engine
        url = rt.resources.ref("AdvanceQueue")
        rt.start(long_wait, {})  # indexed at its renewal, 96 days on; overdue at 100 days
        rt.clock.advance(timedelta(days=96).total_seconds())
        stuck = rt.start(short_wait, {})
        _drain(rt, url)  # the short Wait's wake-up is lost (and the long one's hops with it)
        rt.clock.advance(1_000)
        resent = engine.sweep().resent
        head = rt.store.get_head(stuck)
    assert resent == 1
    assert head.sweep_count == 1


def _drain(rt: LocalRuntime, url: str) -> None:
    while messages := rt.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            rt.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_the_sweeper_next_has_work_at_the_earliest_due_time_of_any_shard():
    # next_due reads the first key of each shard and keeps the earliest, whatever shards
    # the executions hash to.
    waits = [
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": s, "End": True}}}
        for s in (4_000, 10, 9_000, 2_000)
    ]
    with LocalRuntime(settings=PRODUCTION) as rt:
        ids = [rt.start(wait, {}) for wait in waits]
        heads = [rt.store.get_head(execution_id) for execution_id in ids]
        next_due = rt.store.sweep.next_due()
    assert len({_shard(execution_id) for execution_id in ids}) > 1
    earliest = min(head.sweep_at for head in heads)
    assert next_due == datetime.fromtimestamp(_rounded(earliest), earliest.tzinfo)


def test_no_item_of_a_retained_execution_expires_before_its_head():
    # The head's floor (cx) must stay at or below every item's expiry: items written right
    # after a top-up (raised to a whole day) expire before that rounded day, and an
    # execution that then closes must still have them raised to its head's expiry.
    callbacks = {
        "StartAt": "Approve",
        "States": {
            "Approve": {"Type": "Task", "Service": "Humans", "Action": "approve", "Next": "Pause"},
            "Pause": {"Type": "Wait", "Seconds": 648_000, "End": True},  # 7.5 days
        },
    }
    day = 86_400
    with LocalRuntime(settings=PRODUCTION) as rt:
        execution_id = rt.start(callbacks, {})
        url = rt.resources.ref("DefaultTaskQueue")
        message = rt.sqs.receive_message(QueueUrl=url)["Messages"][0]
        rt.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        token = json.loads(message["Body"])["taskToken"]
        # Go to where the top-up is due and now + retention + horizon is 1 h past midnight.
        start = rt.clock.now()
        due = start + RETENTION + CHILD_HORIZON - timedelta(days=1)
        aim = (epoch_seconds(due + RETENTION + CHILD_HORIZON) // day + 1) * day + 3600
        rt.clock.advance(
            (aim - epoch_seconds(due + RETENTION + CHILD_HORIZON)) + (due - start).total_seconds()
        )
        rt.store.sweep.keep_items(rt.store.get_head(execution_id), rt.clock.now())
        rt.clock.advance(60)
        rt.http("POST", f"/tasks/{token}/success", {"approved": True})  # writes H#2
        rt.run_all()  # the Wait's 7.5 days pass; the execution closes
        head = rt.store.get_head(execution_id)
        rt.store.sweep.keep_items(head, rt.clock.now())  # what the sweeper does once due
        items = _items(rt, execution_id)
    assert head.status == "SUCCEEDED"
    early = {
        sk: item["expiresAt"]
        for sk, item in items.items()
        if int(item["expiresAt"]) < int(items["HEAD"]["expiresAt"])
    }
    assert early == {}
