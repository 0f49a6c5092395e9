"""The sweep index on DynamoDB: sparse, sharded, rounded keys; conditional re-send records.

GIVEN heads written through the store, WHEN the sweeper asks what is due, THEN it finds
exactly the overdue running executions (no Scan: one Query per shard), and costs nothing
but those empty queries when nothing is stuck.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from steplane.adapters.dynamodb_store import DynamoDBExecutionStore
from steplane.adapters.dynamodb_sweep import SWEEP_QUANTUM_SECONDS
from steplane.execution import Execution, ExecutionStatus
from steplane.interpreter.decisions import HistoryEvent
from steplane.settings import Settings

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SHARDS = 4


@pytest.fixture
def store(executions_table) -> DynamoDBExecutionStore:
    return DynamoDBExecutionStore(executions_table, "executions", Settings(sweep_shards=SHARDS))


def _running(name: str, due_in: float, **fields: Any) -> Execution:
    return Execution(
        execution_id=f"W:{name}",
        workflow="W",
        name=name,
        definition_hash="h",
        input_hash="i",
        start_date=T0,
        version=1,
        state="A",
        decision_id="d",
        updated_at=T0,
        sweep_at=T0 + timedelta(seconds=due_in),
        **fields,
    )


def _create(store: DynamoDBExecutionStore, head: Execution) -> None:
    store.commit(None, head, [HistoryEvent(1, "ExecutionStarted", T0)])


def _raw_head(store: DynamoDBExecutionStore, execution_id: str) -> dict[str, Any]:
    item = store._client.get_item(
        TableName="executions", Key={"pk": {"S": f"X#{execution_id}"}, "sk": {"S": "HEAD"}}
    )["Item"]
    return {key: next(iter(value.values())) for key, value in item.items()}


def test_only_overdue_running_executions_are_due(store):
    for name, due_in in (("late", 100), ("later", 4000), ("soon", -50)):
        _create(store, _running(name, due_in))
    closed = _running("closed", -500, status=ExecutionStatus.SUCCEEDED, stop_date=T0)
    _create(store, closed)
    found = list(store.sweep.due(T0 + timedelta(seconds=SWEEP_QUANTUM_SECONDS), 100))
    assert sorted(found) == ["W:late", "W:soon"]


def test_the_index_key_is_rounded_up_and_a_closed_head_leaves_the_index(store):
    _create(store, _running("x", 7))
    item = _raw_head(store, "W:x")
    assert int(item["sw"]) % SWEEP_QUANTUM_SECONDS == 0
    assert 0 <= int(item["sw"]) - (T0.timestamp() + 7) < SWEEP_QUANTUM_SECONDS
    assert item["sws"] in {str(n) for n in range(SHARDS)}
    _create(store, _running("y", 7, status=ExecutionStatus.FAILED, stop_date=T0))
    assert "sws" not in _raw_head(store, "W:y")


def test_a_resend_is_recorded_only_on_the_version_it_was_read_at(store):
    head = _running("x", -10)
    _create(store, head)
    store.sweep.defer(head, T0 + timedelta(hours=1))
    recorded = store.get_head("W:x")
    assert (recorded.sweep_count, recorded.sweep_at) == (1, T0 + timedelta(hours=1))
    stale = replace(head, version=0)
    store.sweep.defer(stale, T0 + timedelta(hours=9))  # the head moved on: nothing changes
    assert store.get_head("W:x").sweep_at == T0 + timedelta(hours=1)


def test_a_sweep_with_nothing_due_makes_one_query_per_shard_and_nothing_else(store, monkeypatch):
    for name in ("a", "b", "c"):
        _create(store, _running(name, 3600))
    calls: list[str] = []
    client = store._client
    for operation in ("query", "get_item", "put_item", "update_item"):
        original = getattr(client, operation)

        def counted(*args: Any, _op: str = operation, _f: Any = original, **kwargs: Any) -> Any:
            calls.append(_op)
            return _f(*args, **kwargs)

        monkeypatch.setattr(client, operation, counted)
    assert list(store.sweep.due(T0, 100)) == []
    assert calls == ["query"] * SHARDS


def test_sweeping_an_overdue_execution_leaves_its_items_retention_alone(store, monkeypatch):
    # Raising every item's expiry costs a write per item: only due when the earliest
    # expiry comes within a day, never merely because progress is overdue.
    head = _running("x", -10)
    _create(store, head)
    updates: list[Any] = []
    monkeypatch.setattr(store._client, "update_item", lambda **kw: updates.append(kw))
    store.sweep.keep_items(store.get_head("W:x"), T0 + timedelta(minutes=5))
    assert updates == []
