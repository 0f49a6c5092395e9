"""The executions list: three sparse, write-sharded indexes over the heads of executions
that are not a Parallel's or Map's children (those are listed by their parent).

Keys (every listed head carries them; children do not, so the indexes stay sparse):
- ``lw`` = ``{workflow}#{shard}``: ExecutionsByWorkflow's partition;
- ``lst`` = ``{status}#{shard}``: ExecutionsByStatus's (it moves when the status does);
- ``bk`` = the business key, when the start gave one: ExecutionsByBusinessKey's;
- ``ls`` = ``{start, fixed-width UTC}#{execution id}``: the sort key of all three, so
  each partition reads newest first and a page ends at a unique key.

The shard (a hash of the execution id, ``LIST_SHARDS`` of them) spreads a busy workflow's
starts over several partitions: one index partition takes about 1,000 writes a second,
and every start and every end writes the index. A list query reads each partition of its
index newest first and merges them.

Index writes: the indexes project only what a list shows (status, dates, error, business
key), which changes when an execution starts, ends or is redriven; a transition that
changes none of them writes no index (DynamoDB writes an index only when a projected
attribute or a key changes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from steplane.adapters.dynamodb_items import from_ddb, to_ddb
from steplane.errors import InvalidPageTokenError, SteplaneError
from steplane.execution import Execution, ExecutionStatus
from steplane.ports import ListFilter, ListPage

LIST_SHARDS = 4
BY_WORKFLOW = "ExecutionsByWorkflow"
BY_STATUS = "ExecutionsByStatus"
BY_BUSINESS_KEY = "ExecutionsByBusinessKey"
# Items one list request evaluates at most per partition: a filter that matches little
# (a rare status of a busy workflow) returns a shorter page with a token, never a long read.
MAX_EVALUATED_PER_PARTITION = 1000


class ListIndexMissingError(SteplaneError):
    """The table lacks the list index a query needs: a stack that is adding them one
    deploy at a time (its ListIndexes parameter) has not reached it yet."""

    http_status = 503
    api_error = "ListIndexNotReady"

    def __init__(self, index: str) -> None:
        super().__init__(
            f"the executions table has no index {index} yet: deploy the stack with "
            "ListIndexes=3 (one more index per deploy, from 1)"
        )


def list_attributes(execution: Execution) -> dict[str, Any]:
    """The list index keys of a head (none for a Parallel's or Map's child)."""
    if execution.parent is not None:
        return {}
    shard = _shard(execution.execution_id)
    return {
        "lw": f"{execution.workflow}#{shard}",
        "lst": f"{execution.status.value}#{shard}",
        "ls": f"{_sortable(execution.start_date)}#{execution.execution_id}",
    }


def _shard(execution_id: str) -> int:
    return int.from_bytes(hashlib.sha256(execution_id.encode()).digest()[:4], "big") % LIST_SHARDS


def _sortable(moment: datetime) -> str:
    """A moment as fixed-width UTC text, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class _Partition:
    index: str
    key: str  # the index's partition key attribute
    value: str


class DynamoDBListing:
    """Lists executions through the three indexes (Query only, never Scan)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def query(self, wanted: ListFilter, next_token: str | None, max_results: int) -> ListPage:
        """Up to ``max_results`` executions matching ``wanted``, newest first, and a token
        for the rest (a page may hold fewer when a filter matched little of what it read).
        """
        before = _decode_token(next_token) if next_token else None
        partitions, filters = _plan(wanted)
        low = _sortable(wanted.started_after) if wanted.started_after else None
        high = _sortable(wanted.started_before) if wanted.started_before else None
        if before is not None and (high is None or before < high):
            high = before
        if low is not None and high is not None and low > high:
            return ListPage([], None)  # a token from before startedAfter: nothing left
        found: list[list[dict[str, Any]]] = []
        # Every partition read down to its stop key holds no other match above it: the
        # page is complete above the highest of those stops.
        complete_above: str | None = None
        for partition in partitions:
            items, stop = self._read(partition, low, high, filters, max_results)
            found.append(items)
            if stop is not None and (complete_above is None or stop > complete_above):
                complete_above = stop
        merged = heapq.merge(*found, key=lambda item: item["ls"], reverse=True)
        page: list[dict[str, Any]] = []
        for item in merged:
            if complete_above is not None and item["ls"] < complete_above:
                break
            if item["ls"] == before:
                continue  # BETWEEN is inclusive; the token's own item was on the last page
            if page and page[-1]["ls"] == item["ls"]:
                # The same execution read in two status partitions: it ended (or was
                # redriven) between the two reads. Listed once, as the later read saw it.
                continue
            page.append(item)
            if len(page) == max_results:
                break
        if len(page) == max_results:
            token: str | None = page[-1]["ls"]
        else:
            token = complete_above
        return ListPage([_entry(item) for item in page], _encode_token(token) if token else None)

    def _read(
        self,
        partition: _Partition,
        low: str | None,
        high: str | None,
        filters: dict[str, str],
        wanted: int,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The matching items of one partition, newest first, up to ``wanted``; and the
        key it stopped at when it did not read to the end (None: read to the end)."""
        query = _query(self._table, partition, low, high, filters)
        items: list[dict[str, Any]] = []
        evaluated = 0
        while True:
            budget = MAX_EVALUATED_PER_PARTITION - evaluated
            query["Limit"] = min(max(wanted - len(items), 1) * 2, budget)
            try:
                response = self._client.query(**query)
            except ClientError as error:
                if "specified index" not in str(error):
                    raise
                raise ListIndexMissingError(partition.index) from error
            items.extend(from_ddb(raw) for raw in response.get("Items", []))
            evaluated += int(response.get("ScannedCount", 0))
            last = response.get("LastEvaluatedKey")
            if last is None:
                return items, None
            if len(items) >= wanted or evaluated >= MAX_EVALUATED_PER_PARTITION:
                return items[:wanted], _stop_key(items[:wanted], last, wanted)
            query["ExclusiveStartKey"] = last


def _stop_key(items: list[dict[str, Any]], last: dict[str, Any], wanted: int) -> str:
    """Where a partition's read stopped: its last item when it has enough, else the last
    key it evaluated."""
    if len(items) >= wanted:
        return str(items[-1]["ls"])
    return str(from_ddb(last)["ls"])


def _plan(wanted: ListFilter) -> tuple[list[_Partition], dict[str, str]]:
    """The index partitions to read, and the filters the key does not apply: the business
    key's one partition, else the status's, else the workflow's, else every status's."""
    filters: dict[str, str] = {}
    if wanted.business_key is not None:
        if wanted.workflow is not None:
            filters["wf"] = wanted.workflow
        if wanted.status is not None:
            filters["st"] = wanted.status.value
        return [_Partition(BY_BUSINESS_KEY, "bk", wanted.business_key)], filters
    if wanted.status is not None:
        if wanted.workflow is not None:
            filters["wf"] = wanted.workflow
        return _sharded(BY_STATUS, "lst", [wanted.status.value]), filters
    if wanted.workflow is not None:
        return _sharded(BY_WORKFLOW, "lw", [wanted.workflow]), filters
    return _sharded(BY_STATUS, "lst", [status.value for status in ExecutionStatus]), filters


def _sharded(index: str, key: str, values: list[str]) -> list[_Partition]:
    return [
        _Partition(index, key, f"{value}#{shard}")
        for value in values
        for shard in range(LIST_SHARDS)
    ]


def _query(
    table: str, partition: _Partition, low: str | None, high: str | None, filters: dict[str, str]
) -> dict[str, Any]:
    condition = "#p = :p"
    values: dict[str, Any] = {":p": partition.value}
    if low is not None and high is not None:
        condition += " AND ls BETWEEN :low AND :high"
        values.update({":low": low, ":high": high})
    elif low is not None:
        condition += " AND ls >= :low"
        values[":low"] = low
    elif high is not None:
        condition += " AND ls <= :high"
        values[":high"] = high
    names = {"#p": partition.key}
    query: dict[str, Any] = {
        "TableName": table,
        "IndexName": partition.index,
        "KeyConditionExpression": condition,
        "ScanIndexForward": False,
    }
    if filters:
        query["FilterExpression"] = " AND ".join(f"#f_{name} = :f_{name}" for name in filters)
        names.update({f"#f_{name}": name for name in filters})
        values.update({f":f_{name}": value for name, value in filters.items()})
    query["ExpressionAttributeNames"] = names
    query["ExpressionAttributeValues"] = to_ddb(values)
    return query


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    """A list entry in API shape, from an index item's projected attributes."""
    return {
        "executionId": str(item["pk"])[2:],
        "workflow": item.get("wf"),
        "name": item.get("nm"),
        "status": item.get("st"),
        "startDate": item.get("sd"),
        "stopDate": item.get("end"),
        "businessKey": item.get("bk"),
        "error": item.get("err"),
    }


def _encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode_token(token: str) -> str:
    """The sort key a list token names; anything else is a clear 400."""
    try:
        key = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidPageTokenError(token) from error
    if "#" not in key or len(token) > 2048:
        raise InvalidPageTokenError(token)
    return key
