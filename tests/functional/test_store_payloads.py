"""What a commit writes and a read costs when an execution's variables are large.

Variables over the inline size live one per payload item (steplane.adapters.dynamodb_store);
a payload never changes, so one the next commit refers to again is not written again, and
reading a head's variables is one BatchGetItem, not one GetItem per variable.
"""

from __future__ import annotations

import base64
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from steplane.adapters.dynamodb_items import execution_pk
from steplane.adapters.dynamodb_store import DynamoDBExecutionStore
from steplane.execution import Execution

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# 5 x 2 KB that do not compress: far over the inline size.
BIG = {name: base64.b64encode(random.Random(name).randbytes(1500)).decode() for name in "abcde"}


class Calls:
    """The DynamoDB calls a client makes, and the payload items it puts."""

    def __init__(self, client: Any) -> None:
        self.operations: Counter[str] = Counter()
        self.payload_puts = 0
        client.meta.events.register("before-parameter-build.dynamodb", self._seen)

    def _seen(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.operations[model.name] += 1
        if model.name == "PutItem" and params["Item"]["sk"]["S"].startswith("P#"):
            self.payload_puts += 1

    def reset(self) -> None:
        self.operations.clear()
        self.payload_puts = 0


@pytest.fixture
def calls(executions_table: Any) -> Calls:
    return Calls(executions_table)


def _head(version: int, variables: dict[str, Any]) -> Execution:
    return Execution(
        execution_id="W:vars",
        workflow="W",
        name="vars",
        definition_hash="h",
        input_hash="i",
        start_date=T0,
        version=version,
        state="A",
        data={"n": version},
        variables=variables,
        decision_id=f"d{version}",
        updated_at=T0 + timedelta(seconds=version),
    )


def test_a_commit_writes_only_the_variables_that_changed(
    executions_table: Any, calls: Calls
) -> None:
    store = DynamoDBExecutionStore(executions_table, "executions")
    first = _head(1, BIG)
    store.commit(None, first, [])
    calls.reset()
    second = _head(2, {**BIG, "a": BIG["b"] + "changed"})
    store.commit(first, second, [])
    # The changed variable and the new index of digests; the four others are there.
    assert calls.payload_puts == 2


def test_another_container_learns_the_payloads_from_the_head_it_reads(
    executions_table: Any, calls: Calls
) -> None:
    DynamoDBExecutionStore(executions_table, "executions").commit(None, _head(1, BIG), [])
    store = DynamoDBExecutionStore(executions_table, "executions")  # a cold container
    head = store.get_head("W:vars")
    assert head is not None
    assert dict(head.variables) == BIG
    calls.reset()
    store.commit(head, replace(_head(2, BIG), variables=head.variables), [])
    assert calls.payload_puts == 0
    again = store.get_head("W:vars")
    assert again is not None
    assert (again.version, dict(again.variables)) == (2, BIG)


def test_reading_a_heads_variables_is_one_batch_not_a_read_per_variable(
    executions_table: Any, calls: Calls
) -> None:
    store = DynamoDBExecutionStore(executions_table, "executions")
    store.commit(None, _head(1, BIG), [])
    calls.reset()
    head = store.get_head("W:vars")
    assert head is not None
    assert dict(head.variables) == BIG
    # The head, the index of digests, then every variable in one BatchGetItem.
    assert calls.operations == Counter({"GetItem": 2, "BatchGetItem": 1})


def test_what_counts_as_there_is_what_the_head_just_read_showed(
    executions_table: Any, calls: Calls
) -> None:
    # The container wrote the payloads once; then the execution's items went (a table
    # deleted and made again under the same name) and the execution began anew. Its
    # head, read again, shows none of them: the next commit writes them again.
    store = DynamoDBExecutionStore(executions_table, "executions")
    store.commit(None, _head(1, BIG), [])
    items = executions_table.query(
        TableName="executions",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": execution_pk("W:vars")}},
    )["Items"]
    assert len(items) > 1
    for item in items:
        executions_table.delete_item(TableName="executions", Key={k: item[k] for k in ("pk", "sk")})
    DynamoDBExecutionStore(executions_table, "executions").commit(None, _head(1, {}), [])
    head = store.get_head("W:vars")
    assert head is not None
    assert dict(head.variables) == {}
    store.commit(head, _head(2, BIG), [])
    again = store.get_head("W:vars")
    assert again is not None
    assert dict(again.variables) == BIG


def test_heads_are_read_a_hundred_to_a_batch_and_missing_ones_left_out(
    executions_table: Any, calls: Calls
) -> None:
    # A fan-in reads every child's head: 150 heads are two BatchGetItem calls.
    store = DynamoDBExecutionStore(executions_table, "executions")
    ids = [f"W:batch/1/{i}" for i in range(150)]
    for i, execution_id in enumerate(ids):
        store.commit(None, replace(_head(1, {}), execution_id=execution_id, data={"i": i}), [])
    calls.reset()
    heads = store.get_heads([*ids, "W:batch/1/999"])
    assert calls.operations["BatchGetItem"] == 2
    assert sorted(heads) == sorted(ids)
    assert [heads[i].data for i in ids] == [{"i": n} for n in range(150)]
