"""The sweeper's queries follow every page, and its writes tolerate an item that moved on.

DynamoDB returns at most 1 MB per Query, with ``LastEvaluatedKey`` when there is more; a
real table needs thousands of overdue executions for that, so an in-memory fake pages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from steplane.adapters.dynamodb_sweep import DynamoDBSweep
from steplane.execution import Execution
from steplane.settings import Settings

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class PagingDynamo:
    """Answers each Query with the next of ``pages``; records requests; fails updates as told."""

    def __init__(self, pages: list[list[dict[str, Any]]], update_error: str | None = None):
        self.queries: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self._pages = pages
        self._update_error = update_error

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self.queries.append(kwargs)
        page = len(self.queries) - 1
        response: dict[str, Any] = {"Items": self._pages[page] if page < len(self._pages) else []}
        if page + 1 < len(self._pages):
            response["LastEvaluatedKey"] = {"page": page + 1}
        return response

    def update_item(self, **kwargs: Any) -> None:
        self.updates.append(kwargs)
        if self._update_error:
            raise ClientError({"Error": {"Code": self._update_error}}, "UpdateItem")


def _pk(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"X#wf:{n}"}, "sk": {"S": f"H#{n:012d}"}}


def _running_head() -> Execution:
    """A running head whose items expire now: their expiry is due to be raised."""
    return Execution("wf:x", "wf", "x", "h", "i", NOW, version=3, children_expire_at=NOW)


def test_due_executions_are_read_from_every_page_of_a_shard() -> None:
    client = PagingDynamo([[_pk(1), _pk(2)], [_pk(3)]])
    sweep = DynamoDBSweep(client, "executions", Settings(sweep_shards=1))
    assert list(sweep.due(NOW, 10)) == ["wf:1", "wf:2", "wf:3"]
    assert client.queries[1]["ExclusiveStartKey"] == {"page": 1}
    assert client.queries[0]["KeyConditionExpression"] == "sws = :s AND sw <= :now"


def test_due_stops_at_its_limit() -> None:
    sweep = DynamoDBSweep(PagingDynamo([[_pk(1), _pk(2)], [_pk(3)]]), "t", Settings(sweep_shards=1))
    assert list(sweep.due(NOW, 2)) == ["wf:1", "wf:2"]


def test_raising_item_expiry_follows_every_page_and_skips_an_item_deleted_meanwhile() -> None:
    # "never resurrect a deleted item": the update is conditional on the item existing, and
    # an item that is gone (ConditionalCheckFailed) is simply skipped.
    # The head update that follows is conditional on its version, and skipped alike.
    client = PagingDynamo([[_pk(1)], [_pk(2)]], update_error="ConditionalCheckFailedException")
    DynamoDBSweep(client, "executions", Settings()).keep_items(_running_head(), NOW)
    assert [update["Key"] for update in client.updates[:2]] == [_pk(1), _pk(2)]
    assert client.queries[1]["ExclusiveStartKey"] == {"page": 1}
    assert client.updates[0]["ConditionExpression"] == "attribute_exists(pk)"
    assert client.updates[2]["ConditionExpression"] == "v = :v"


def test_another_error_while_raising_item_expiry_is_not_swallowed() -> None:
    client = PagingDynamo([[_pk(1)]], update_error="ProvisionedThroughputExceededException")
    with pytest.raises(ClientError):
        DynamoDBSweep(client, "executions", Settings()).keep_items(_running_head(), NOW)
