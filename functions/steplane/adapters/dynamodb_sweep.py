"""The sweep index and the retention of an execution's items, on the executions table.

Sweep index (GSI ``SweepIndex``: keys only, sparse, sharded). While someone must look at
an execution, its head carries ``sws`` (a shard, from a hash of the execution id, so a
busy workflow is spread over ``sweep_shards`` index partitions) and ``sw`` (epoch seconds):
the earlier of when its progress is overdue (``sa``, decided by the pure core) and when
its items' retention must be extended. ``sw`` is rounded up to SWEEP_QUANTUM_SECONDS, so
the transitions of a busy execution mostly leave it unchanged and cost no index write. A
closed head drops out of the index (unless a retention top-up is pending). The sweeper
queries each shard for ``sw <= now``: no Scan, and nothing read when nothing is stuck.

Retention (the table's TTL attribute ``expiresAt``):
- items written while an execution runs (history, payloads) expire ``retention`` plus a
  horizon (``item_horizon_days``, 7) after they are written, and the head keeps the
  earliest such expiry (``cx``);
- the head expires ``retention`` after the execution closes;
- when an execution runs past the horizon, the sweeper raises its items' expiry (a day
  before ``cx``, and once after it closes), so no item of a running or retained execution
  ever expires early, and the common short execution needs no write at close.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from steplane.adapters.dynamodb_items import (
    HEAD_SK,
    epoch_seconds,
    execution_pk,
    from_epoch,
    to_ddb,
)
from steplane.execution import Execution
from steplane.settings import Settings

SWEEP_INDEX = "SweepIndex"
SWEEP_QUANTUM_SECONDS = 300
RENEW_MARGIN = timedelta(days=1)


class DynamoDBSweep:
    """Sweep-index keys and item retention for one executions table."""

    def __init__(self, client: Any, table_name: str, settings: Settings) -> None:
        self._client = client
        self._table = table_name
        self._shards = settings.sweep_shards
        self._retention = timedelta(days=settings.retention_days)
        self._horizon = timedelta(days=settings.item_horizon_days)

    # -- what a commit writes ------------------------------------------------------
    def child_expiry(self, execution: Execution) -> int:
        """``expiresAt`` of an item written by the transition that made ``execution``."""
        written = execution.updated_at or execution.start_date
        return epoch_seconds(written + self._retention + self._horizon)

    def head_attributes(self, execution: Execution) -> dict[str, Any]:
        """``cx`` (kept from creation), the index key while due, ``expiresAt`` once closed."""
        floor = execution.children_expire_at or from_epoch(self.child_expiry(execution))
        assert floor is not None
        attributes: dict[str, Any] = {"cx": epoch_seconds(floor)}
        attributes.update(self._index_key(execution, execution.sweep_at, floor))
        if execution.status.is_terminal and execution.stop_date is not None:
            attributes["expiresAt"] = epoch_seconds(execution.stop_date + self._retention)
        return attributes

    # -- what the sweeper does -------------------------------------------------------
    def due(self, now: datetime, limit: int) -> Iterator[str]:
        """Up to ``limit`` execution ids whose index key is due at ``now`` (may be stale).

        Shard by shard, lazily, from a random shard: a sweep that dies part-way has still
        handled what it found first, and the next one starts elsewhere, so no shard waits
        behind the others.
        """
        first = random.randrange(self._shards)
        found = 0
        for offset in range(self._shards):
            for pk in self._due_in(str((first + offset) % self._shards), now):
                yield pk[2:]
                found += 1
                if found >= limit:
                    return

    def next_due(self) -> datetime | None:
        """The earliest index key of any shard: when the sweeper next has work (or None)."""
        earliest: int | None = None
        for shard in range(self._shards):
            response = self._client.query(
                TableName=self._table,
                IndexName=SWEEP_INDEX,
                KeyConditionExpression="sws = :s",
                ExpressionAttributeValues=to_ddb({":s": str(shard)}),
                Limit=1,
            )
            for item in response.get("Items", []):
                moment = int(item["sw"]["N"])
                earliest = moment if earliest is None else min(earliest, moment)
        return from_epoch(earliest)

    def defer(self, head: Execution, sweep_at: datetime) -> None:
        """Record a re-send at ``head``'s version: look again at ``sweep_at``.

        Conditional on the version, so a transition committed meanwhile (which set its
        own due time) is never overwritten.
        """
        floor = head.children_expire_at or sweep_at
        key = self._index_key(head, sweep_at, floor)
        self._update_head(
            head,
            "SET sa = :sa, swn = :n" + (", sw = :sw" if key else ""),
            {":sa": epoch_seconds(sweep_at), ":n": head.sweep_count + 1}
            | ({":sw": key["sw"]} if key else {}),
        )

    def keep_items(self, head: Execution, now: datetime) -> Execution:
        """Raise the expiry of ``head``'s items if it is due (see the module docstring).

        Returns the head with its new ``cx``, so a re-send recorded next keys the index
        from it. A top-up that dies part-way is resumed by the next sweep: the target is
        rounded to the day, so it is the same, and items already raised are skipped.
        """
        floor = head.children_expire_at
        if floor is None:
            return head
        target = self._retention_target(head, now)
        due = self._key_time(head, None, floor)  # retention alone: progress is not its concern
        if target is None or floor >= target or due is None or due > now:
            return head
        self._raise_expiry(head.execution_id, epoch_seconds(target))
        # The head's floor must stay at or below every item's expiry, those written from
        # now on included (now + retention + horizon): the rounded target is not.
        kept = target if head.status.is_terminal else now + self._retention + self._horizon
        key = self._index_key(head, head.sweep_at, kept)
        update = "SET cx = :cx" + (", sw = :sw" if key else " REMOVE sw, sws")
        self._update_head(
            head, update, {":cx": epoch_seconds(kept)} | ({":sw": key["sw"]} if key else {})
        )
        return replace(head, children_expire_at=kept)

    # -- internals -------------------------------------------------------------------
    def _retention_target(self, head: Execution, now: datetime) -> datetime | None:
        if not head.status.is_terminal:
            return _next_midnight(now + self._retention + self._horizon)
        if head.stop_date is None:
            return None
        return head.stop_date + self._retention

    def _key_time(
        self, head: Execution, sweep_at: datetime | None, floor: datetime
    ) -> datetime | None:
        """When someone must look: progress overdue, or the items' retention running short.

        None for a closed execution whose items already outlive its own retention.
        """
        if head.status.is_terminal:
            stop = head.stop_date or floor
            return stop if floor < stop + self._retention else None
        renew = floor - RENEW_MARGIN
        return min(sweep_at, renew) if sweep_at is not None else renew

    def _index_key(
        self, head: Execution, sweep_at: datetime | None, floor: datetime
    ) -> dict[str, Any]:
        moment = self._key_time(head, sweep_at, floor)
        if moment is None:
            return {}
        rounded = math.ceil(moment.timestamp() / SWEEP_QUANTUM_SECONDS) * SWEEP_QUANTUM_SECONDS
        return {"sw": rounded, "sws": self._shard(head.execution_id)}

    def _shard(self, execution_id: str) -> str:
        digest = hashlib.sha256(execution_id.encode()).digest()
        return str(int.from_bytes(digest[:4], "big") % self._shards)

    def _due_in(self, shard: str, now: datetime) -> Iterator[str]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": SWEEP_INDEX,
            "KeyConditionExpression": "sws = :s AND sw <= :now",
            "ExpressionAttributeValues": to_ddb({":s": shard, ":now": epoch_seconds(now)}),
        }
        while True:
            response = self._client.query(**query)
            for item in response.get("Items", []):
                yield item["pk"]["S"]
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _raise_expiry(self, execution_id: str, target: int) -> None:
        pk = execution_pk(execution_id)
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "FilterExpression": "expiresAt < :t AND sk <> :head",
            "ProjectionExpression": "pk, sk",
            "ExpressionAttributeValues": to_ddb({":pk": pk, ":t": target, ":head": HEAD_SK}),
        }
        while True:
            response = self._client.query(**query)
            for key in response.get("Items", []):
                self._set_expiry(key, target)
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _set_expiry(self, key: dict[str, Any], target: int) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET expiresAt = :t",
                ConditionExpression="attribute_exists(pk)",  # never resurrect a deleted item
                ExpressionAttributeValues=to_ddb({":t": target}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def _update_head(self, head: Execution, update: str, values: dict[str, Any]) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_ddb({"pk": execution_pk(head.execution_id), "sk": HEAD_SK}),
                UpdateExpression=update,
                ConditionExpression="v = :v",
                ExpressionAttributeValues=to_ddb({**values, ":v": head.version}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


def _next_midnight(moment: datetime) -> datetime:
    """``moment`` rounded up to a whole day (UTC): the same target all day long."""
    day = timedelta(days=1).total_seconds()
    return datetime.fromtimestamp(math.ceil(moment.timestamp() / day) * day, UTC)
