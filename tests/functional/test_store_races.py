"""The commit protocol under races and crashes, against DynamoDB (moto).

A transition N -> N+1 puts the history item ``H#{N+1}`` if absent, then the head on
condition ``v = N``; a copy of the same input that finds its own ``H#{N+1}`` writes both
in one transaction on condition ``v = N``. These tests interleave two deciders
by hand, the way concurrent Lambda invocations or a crash between the two puts would.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from steplane.adapters.dynamodb_items import epoch_seconds
from steplane.adapters.dynamodb_payloads import Payloads
from steplane.adapters.dynamodb_store import ORPHAN_AFTER_SECONDS, DynamoDBExecutionStore
from steplane.errors import ConcurrentDecisionError
from steplane.execution import Execution, ExecutionStatus, TaskAttempt, WaitUntil
from steplane.interpreter.decisions import HistoryEvent
from steplane.ports import CommitOutcome
from tests.conftest import head_put_dies

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(executions_table) -> DynamoDBExecutionStore:
    return DynamoDBExecutionStore(executions_table, "executions")


def _head(version: int, decision: str, state: str = "A", at: float = 0) -> Execution:
    return Execution(
        execution_id="W:race",
        workflow="W",
        name="race",
        definition_hash="h",
        input_hash="i",
        start_date=T0,
        version=version,
        state=state,
        data={"by": decision},
        decision_id=decision,
        updated_at=T0 + timedelta(seconds=at),
    )


def _events(decision: str) -> list[HistoryEvent]:
    return [HistoryEvent(1, "Marker", T0, "A", {"by": decision})]


def _history(store: DynamoDBExecutionStore) -> list[dict[str, object]]:
    head = store.get_head("W:race")
    assert head is not None
    return [event.details for event in store.history(head, None, 100).events]


def test_the_first_creation_wins_and_a_second_is_stale(store: DynamoDBExecutionStore) -> None:
    assert store.commit(None, _head(1, "a"), _events("a")) is CommitOutcome.COMMITTED
    assert store.commit(None, _head(1, "b"), _events("b")) is CommitOutcome.STALE
    head = store.get_head("W:race")
    assert head is not None
    assert (head.version, head.decision_id) == (1, "a")
    assert _history(store) == [{"by": "a"}]


def test_two_different_decisions_for_one_version_commit_once(
    store: DynamoDBExecutionStore,
) -> None:
    base = _head(1, "start")
    store.commit(None, base, _events("start"))
    assert store.commit(base, _head(2, "x"), _events("x")) is CommitOutcome.COMMITTED
    # The loser decided on version 1 too; its history put finds H#2 taken by "x".
    assert store.commit(base, _head(2, "y"), _events("y")) is CommitOutcome.STALE
    head = store.get_head("W:race")
    assert head is not None
    assert (head.version, head.decision_id, head.data) == (2, "x", {"by": "x"})
    assert _history(store) == [{"by": "start"}, {"by": "x"}]


def test_an_orphan_history_item_blocks_other_inputs_until_its_own_input_returns(
    store: DynamoDBExecutionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Crash between the two puts: H#2 written by "x", the head never moved.
    base = _orphan_history_item(store, monkeypatch)
    # Readers never see the orphan: history is read up to the head's version.
    assert _history(store) == [{"by": "start"}]
    # Another input for version 1 must wait (SQS retries it) rather than fork history.
    with pytest.raises(ConcurrentDecisionError):
        store.commit(base, _head(2, "y"), _events("y"))
    # The crashed input's redelivery (same decision id) completes the commit.
    assert store.commit(base, _head(2, "x"), _events("x")) is CommitOutcome.COMMITTED
    assert _history(store) == [{"by": "start"}, {"by": "x"}]
    # And the waiting input is now simply stale.
    assert store.commit(base, _head(2, "y"), _events("y")) is CommitOutcome.STALE


def test_a_copy_of_an_input_that_committed_is_a_duplicate_and_applies_once(
    store: DynamoDBExecutionStore,
) -> None:
    # SQS delivered one input twice and both copies decided on version 1. The second is
    # told DUPLICATE, so it sends nothing: its commands would carry its own task nonce,
    # which the head does not hold. (A copy that reads the head after the commit never
    # gets here: the engine sees its decision id on the head.)
    base = _head(1, "start")
    store.commit(None, base, _events("start"))
    first = store.commit(base, _head(2, "x"), _events("x"))
    second = store.commit(
        base, replace(_head(2, "x"), waiting=TaskAttempt(1, (), "other")), _events("x2")
    )
    assert (first, second) == (CommitOutcome.COMMITTED, CommitOutcome.DUPLICATE)
    head = store.get_head("W:race")
    assert head is not None
    assert (head.version, head.decision_id, head.waiting) == (2, "x", None)
    # The committed history item is not overwritten by the copy.
    assert _history(store) == [{"by": "start"}, {"by": "x"}]


def test_copies_racing_between_the_two_puts_commit_one_copy_whole(
    store: DynamoDBExecutionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Copy A put H#2 and is about to put its head; copy B of the same input finds A's H#2
    # and commits both items in one transaction. A's head put then loses: A is a
    # DUPLICATE, and the history and head a reader sees are both B's.
    base = _head(1, "start")
    store.commit(None, base, _events("start"))
    client = store._client
    real_put = client.put_item
    outcomes: list[CommitOutcome] = []

    def b_commits_before_a_puts_its_head(**request: Any) -> Any:
        if request["Item"]["sk"] == {"S": "HEAD"} and not outcomes:
            monkeypatch.setattr(client, "put_item", real_put)
            b = replace(_head(2, "x"), waiting=TaskAttempt(1, (), "nonce-b"), data={"by": "x-b"})
            outcomes.append(store.commit(base, b, _events("x-b")))
        return real_put(**request)

    monkeypatch.setattr(client, "put_item", b_commits_before_a_puts_its_head)
    a = replace(_head(2, "x"), waiting=TaskAttempt(1, (), "nonce-a"), data={"by": "x-a"})
    outcomes.append(store.commit(base, a, _events("x-a")))
    assert outcomes == [CommitOutcome.COMMITTED, CommitOutcome.DUPLICATE]
    head = store.get_head("W:race")
    assert head is not None
    assert (head.task_attempt, head.data) == (TaskAttempt(1, (), "nonce-b"), {"by": "x-b"})
    assert _history(store) == [{"by": "start"}, {"by": "x-b"}]


def test_a_copy_that_finds_its_orphan_commits_both_items_again(
    store: DynamoDBExecutionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The redelivery of an input that died between its puts writes its own H#2 again
    # (its decision may differ in nonce and jitter) together with its head.
    base = _orphan_history_item(store, monkeypatch)
    again = replace(_head(2, "x"), data={"by": "x again"})
    assert store.commit(base, again, _events("x again")) is CommitOutcome.COMMITTED
    head = store.get_head("W:race")
    assert head is not None
    assert head.data == {"by": "x again"}
    assert _history(store) == [{"by": "start"}, {"by": "x again"}]


def _orphan_history_item(
    store: DynamoDBExecutionStore, monkeypatch: pytest.MonkeyPatch
) -> Execution:
    """Version 1 committed; then "x" put H#2 and died before its head put."""
    base = _head(1, "start")
    store.commit(None, base, _events("start"))
    with head_put_dies(monkeypatch, store._client), pytest.raises(ConnectionError):
        store.commit(base, _head(2, "x"), _events("x"))
    return base


def test_an_orphan_older_than_any_lambda_can_run_is_taken_over_by_another_input(
    store: DynamoDBExecutionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # If "x" never returns (dead-lettered, or a start whose client gave up), its orphan
    # must not block the execution for ever: once its writer cannot be alive, it is free.
    base = _orphan_history_item(store, monkeypatch)
    too_soon = _head(2, "y", at=ORPHAN_AFTER_SECONDS - 1)
    with pytest.raises(ConcurrentDecisionError):
        store.commit(base, too_soon, _events("y"))
    late = _head(2, "y", at=ORPHAN_AFTER_SECONDS)
    assert store.commit(base, late, _events("y")) is CommitOutcome.COMMITTED
    assert _history(store) == [{"by": "start"}, {"by": "y"}]
    # The dead writer's input, should it ever come back, is stale.
    assert store.commit(base, _head(2, "x"), _events("x")) is CommitOutcome.STALE


def test_a_takeover_loses_to_the_orphans_own_input_returning_meanwhile(
    store: DynamoDBExecutionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "y" judged x's orphan old; before y's takeover, x's own input came back and
    # committed. The takeover is one transaction on the head still being at version 1,
    # so it writes nothing: no history item of y under x's head.
    base = _orphan_history_item(store, monkeypatch)
    client = store._client
    real_transact = client.transact_write_items

    def x_returns_first(**request: Any) -> Any:
        monkeypatch.setattr(client, "transact_write_items", real_transact)
        assert store.commit(base, _head(2, "x"), _events("x")) is CommitOutcome.COMMITTED
        return real_transact(**request)

    monkeypatch.setattr(client, "transact_write_items", x_returns_first)
    late = _head(2, "y", at=ORPHAN_AFTER_SECONDS)
    assert store.commit(base, late, _events("y")) is CommitOutcome.STALE
    head = store.get_head("W:race")
    assert head is not None
    assert head.decision_id == "x"
    assert _history(store) == [{"by": "start"}, {"by": "x"}]


def test_a_late_copy_of_a_committed_input_never_moves_the_head_back(
    store: DynamoDBExecutionStore,
) -> None:
    # Guards the head's "v = :v": a copy of "x" decided on version 1 arrives after the
    # execution moved on to version 3. Its history put matches its own H#2; only the head
    # condition keeps it from writing version 2 over version 3.
    base = _head(1, "start")
    store.commit(None, base, _events("start"))
    second = _head(2, "x")
    store.commit(base, second, _events("x"))
    store.commit(second, _head(3, "w"), _events("w"))
    assert store.commit(base, _head(2, "x"), _events("x")) is CommitOutcome.STALE
    head = store.get_head("W:race")
    assert head is not None
    assert (head.version, head.decision_id) == (3, "w")


def test_a_late_copy_of_a_creation_never_recreates_a_head_that_moved_on(
    store: DynamoDBExecutionStore,
) -> None:
    # Guards the creation's "attribute_not_exists(pk)": a retried start with the same name
    # and input decided before it saw the head; meanwhile the execution reached version 2.
    created = _head(1, "begin")
    store.commit(None, created, _events("begin"))
    store.commit(created, _head(2, "x"), _events("x"))
    assert store.commit(None, _head(1, "begin"), _events("begin")) is CommitOutcome.STALE
    head = store.get_head("W:race")
    assert head is not None
    assert (head.version, head.decision_id) == (2, "x")


def test_head_data_too_large_to_keep_inline_reads_back_whole(store: DynamoDBExecutionStore) -> None:
    # Data above INLINE_DATA_BYTES (packed) lives in a payload item the head refers to.
    data = {"blob": [f"{n:08x}" for n in range(20_000)]}
    store.commit(None, replace(_head(1, "a"), data=data), _events("a"))
    head = store.get_head("W:race")
    assert head is not None
    assert head.data == data


def test_a_missing_payload_item_is_an_error_that_names_it(
    store: DynamoDBExecutionStore, executions_table
) -> None:
    data = {"blob": [f"{n:08x}" for n in range(20_000)]}
    store.commit(None, replace(_head(1, "a"), data=data), _events("a"))
    items = executions_table.query(
        TableName="executions",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": "X#W:race"}, ":p": {"S": "P#"}},
    )["Items"]
    assert len(items) == 1
    # A payload item expires with the items its transition wrote (retention + 7 days).
    assert items[0]["expiresAt"] == {"N": str(epoch_seconds(T0 + timedelta(days=97)))}
    executions_table.delete_item(
        TableName="executions", Key={"pk": items[0]["pk"], "sk": items[0]["sk"]}
    )
    with pytest.raises(LookupError) as caught:
        store.get_head("W:race")
    assert str(caught.value) == f"payload {items[0]['sk']['S']} of X#W:race is missing"


def test_a_transition_too_large_for_one_history_item_reads_back_whole(
    store: DynamoDBExecutionStore,
) -> None:
    # Above HISTORY_INLINE_BYTES (64 KiB) of events, large details spill into payload items
    # (small ones stay inline); unspilled, these 240 events would pass DynamoDB's 400 KB.
    events = [
        HistoryEvent(
            n + 1, "PassStateExited", T0, f"S{n}", {"output": {"blob": "x" * 2_000}, "n": n}
        )
        for n in range(240)
    ]
    store.commit(None, _head(1, "a"), events)
    head = store.get_head("W:race")
    assert head is not None
    assert store.history(head, None, 1000).events == events


def test_a_head_reads_back_exactly_as_it_was_committed(store: DynamoDBExecutionStore) -> None:
    # Every field of the head survives the item round trip (the decision reads nothing
    # else: DynamoDB is the truth).
    attempt = TaskAttempt(
        number=2,
        retry_counts=(1, 0, 2),
        nonce="n" * 20,
        dispatch_at=T0 + timedelta(seconds=30),
        timeout_at=T0 + timedelta(seconds=90),
    )
    running = replace(
        _head(3, "d", state="Work"),
        entered_version=2,
        waiting=attempt,
        event_count=7,
        transitions=4,
    )
    store.commit(None, running, _events("d"))
    failed = replace(
        running,
        version=4,
        decision_id="e",
        status=ExecutionStatus.FAILED,
        state=None,
        data=None,
        stop_date=T0 + timedelta(seconds=60),
        error="Boom",
        cause="it broke",
        waiting=None,
    )
    store.commit(running, failed, [HistoryEvent(8, "ExecutionFailed", T0, None, {})])
    head = store.get_head("W:race")
    assert head is not None
    # The store adds two fields of its own: when the items written so far expire, and
    # the write units of the commit (a history item and the head: 1 KB each), added to
    # what the committed head carried (the engine builds each from the head it read).
    assert head.children_expire_at == T0 + timedelta(days=97)
    assert head.consumed.write_units == 2
    assert replace(head, children_expire_at=None, consumed=failed.consumed) == failed


def test_a_history_page_that_ends_with_the_last_event_has_no_next_token(
    store: DynamoDBExecutionStore,
) -> None:
    # GetExecutionHistory: nextToken is absent on the last page, also when that page is
    # exactly full (no empty page follows).
    base = _head(1, "a")
    store.commit(None, base, [HistoryEvent(n, "Marker", T0, "A", {"n": n}) for n in (1, 2)])
    store.commit(
        base, _head(2, "b"), [HistoryEvent(n, "Marker", T0, "A", {"n": n}) for n in (3, 4)]
    )
    head = store.get_head("W:race")
    assert head is not None
    first = store.history(head, None, 2)
    second = store.history(head, first.next_token, 2)
    assert [e.details["n"] for e in first.events + second.events] == [1, 2, 3, 4]
    assert (first.next_token, second.next_token) == ("2.0", None)


def test_a_payload_stored_again_keeps_the_later_expiry_never_the_earlier(
    store: DynamoDBExecutionStore, executions_table
) -> None:
    # Payload items are content-addressed: the same data written by a later transition
    # (in another container: one that knows the item is there does not write it again,
    # see Payloads.put) reuses the item, whose expiry then covers the later referrer too.
    key = {"pk": {"S": "X#W:race"}}
    digest = Payloads(executions_table, "executions").put("X#W:race", "some data", 1_000)
    Payloads(executions_table, "executions").put("X#W:race", "some data", 5_000)
    later = executions_table.get_item(
        TableName="executions", Key={**key, "sk": {"S": f"P#{digest}"}}
    )
    Payloads(executions_table, "executions").put("X#W:race", "some data", 2_000)
    kept = executions_table.get_item(
        TableName="executions", Key={**key, "sk": {"S": f"P#{digest}"}}
    )
    assert later["Item"]["expiresAt"] == {"N": "5000"}
    assert kept["Item"]["expiresAt"] == {"N": "5000"}
    assert store._payloads.get("X#W:race", digest) == "some data"


def test_a_wait_head_reads_back_with_its_end(store: DynamoDBExecutionStore) -> None:
    waiting = replace(_head(1, "w", state="Nap"), waiting=WaitUntil(T0 + timedelta(hours=1)))
    store.commit(None, waiting, _events("w"))
    head = store.get_head("W:race")
    assert head is not None
    assert head.waiting == WaitUntil(T0 + timedelta(hours=1))


def test_a_failing_commit_observer_never_undoes_or_fails_the_commit(
    store: DynamoDBExecutionStore,
) -> None:
    # Metrics and statistics observe commits and decide nothing: one that raises must not
    # make a committed transition look failed (its sends would be lost: a redelivered
    # copy finds a DUPLICATE and sends nothing).
    def broken(*_: object) -> None:
        raise RuntimeError("observer down")

    store.on_commit = broken
    head = _head(1, "d", state="Work")
    assert store.commit(None, head, _events("d")) is CommitOutcome.COMMITTED
    assert store.get_head("W:race") is not None
