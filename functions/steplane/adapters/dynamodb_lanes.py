"""The lanes of a fan-out: one small item per lane in the parent's partition.

A Parallel or Map visit runs its children on lanes (see the README's "Parallel and Map"
design): lane j runs children j, j + lanes, ... one after another. Its item
``L#{visit}#{lane}`` says which child is the lane's current one (``pos``), how many of its
children failed (``failed``; the items they carried, ``fi``) and the first that did
(``ff``). It moves on only on
condition that it is where the mover saw it, so two movers never skip a child; the
count of every lane's item is the fan-in, with no item that every child touches.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from steplane.adapters.dynamodb_items import execution_pk, from_ddb, put_if_absent, to_ddb
from steplane.ports import LaneRecord


def _sk(visit: int, lane: int) -> str:
    return f"L#{visit:012d}#{lane:06d}"


class DynamoDBLanes:
    """Lane records through a boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, parent_id: str, visit: int, lane: int) -> LaneRecord | None:
        """The lane's record, read strongly consistent (None before its first launch)."""
        response = self._client.get_item(
            TableName=self._table,
            ConsistentRead=True,
            Key=to_ddb({"pk": execution_pk(parent_id), "sk": _sk(visit, lane)}),
        )
        item = response.get("Item")
        return _record(from_ddb(item)) if item else None

    def open(self, parent_id: str, visit: int, lane: int, expiry: int) -> LaneRecord:
        """The lane's record, made at its first child (``pos = lane``) if it is absent."""
        item = {
            "pk": execution_pk(parent_id),
            "sk": _sk(visit, lane),
            "lane": lane,
            "pos": lane,
            "failed": 0,
            "expiresAt": expiry,
        }
        if put_if_absent(self._client, self._table, item):
            return LaneRecord(lane, lane)
        found = self.get(parent_id, visit, lane)
        assert found is not None, "a lane record is never deleted while its visit runs"
        return found

    def advance(
        self,
        parent_id: str,
        visit: int,
        record: LaneRecord,
        lanes: int,
        *,
        failed: bool,
        weight: int = 1,
        expiry: int | None = None,
    ) -> LaneRecord:
        """Move the lane from its ended child ``record.pos`` to the next (``+ lanes``),
        counting a failure (``weight``: the items the child carried); on condition it is
        still at ``record.pos``. A lane's first move makes its record (``expiry``: its
        ``expiresAt``) when none is there: a lane is at its first child until it moves,
        so a record is written only when it has something to say. Returns the lane as it
        is now (moved by this call or by another)."""
        values: dict[str, Any] = {
            ":pos": record.pos,
            ":next": record.pos + lanes,
            ":lane": record.lane,
            ":expiry": expiry,
        }
        update = "SET pos = :next, lane = :lane, expiresAt = if_not_exists(expiresAt, :expiry)"
        condition = "pos = :pos"
        if record.pos == record.lane:
            condition = "attribute_not_exists(pk) OR pos = :pos"  # its first move
        if failed:
            # failed: children; fi: the items they carried (a batch's size each).
            update += ", ff = if_not_exists(ff, :pos) ADD failed :one, fi :weight"
            values[":one"] = 1
            values[":weight"] = weight
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_ddb({"pk": execution_pk(parent_id), "sk": _sk(visit, record.lane)}),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=to_ddb(values),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            found = self.get(parent_id, visit, record.lane)
            # None: the lane has not moved (a stale view of a later child): at its first.
            return found or LaneRecord(record.lane, record.lane)
        return LaneRecord(
            record.lane,
            record.pos + lanes,
            record.failed + int(failed),
            record.first_failed if record.first_failed is not None or not failed else record.pos,
            record.items_failed + weight if failed else record.failed_items,
            moved=True,
        )

    def count(
        self, parent_id: str, visit: int, *, ended: int, failed: int, expiry: int
    ) -> tuple[int, int]:
        """Add to the visit's counts (``C#{visit}``: lanes ended, children failed) and
        return them: the mover of a lane's last child, or of a failed one, adds once, so
        the fan-in is known due from one small update instead of a read of every lane.
        (A mover that crashed before adding leaves the count short: the sweeper's re-sent
        lane steps then count every lane, see steplane.fanning.) ``failed`` counts items:
        a failed batch adds its size."""
        response = self._client.update_item(
            TableName=self._table,
            Key=to_ddb({"pk": execution_pk(parent_id), "sk": f"C#{visit:012d}"}),
            UpdateExpression="ADD ended :ended, failed :failed SET expiresAt = :expiry",
            ExpressionAttributeValues=to_ddb(
                {":ended": ended, ":failed": failed, ":expiry": expiry}
            ),
            ReturnValues="UPDATED_NEW",
        )
        counts = from_ddb(response.get("Attributes", {}))
        return int(counts.get("ended", 0)), int(counts.get("failed", 0))

    def claim_wake(self, parent_id: str, visit: int, expiry: int) -> bool:
        """Claim the visit's fan-in wake-up (``W#{visit}``, put only if absent): whether
        this caller is the one to send it."""
        item = {"pk": execution_pk(parent_id), "sk": f"W#{visit:012d}", "expiresAt": expiry}
        return put_if_absent(self._client, self._table, item)

    def attempt(self, parent_id: str, visit: int, kind: str, expiry: int) -> int:
        """Count one more attempt of ``kind`` on the visit's counts item; the count now (a
        Map Run's read or export that keeps dying is given up after a number of them)."""
        response = self._client.update_item(
            TableName=self._table,
            Key=to_ddb({"pk": execution_pk(parent_id), "sk": f"C#{visit:012d}"}),
            UpdateExpression="ADD #kind :one SET expiresAt = :expiry",
            ExpressionAttributeNames={"#kind": kind},
            ExpressionAttributeValues=to_ddb({":one": 1, ":expiry": expiry}),
            ReturnValues="UPDATED_NEW",
        )
        return int(from_ddb(response.get("Attributes", {})).get(kind, 0))

    def all(self, parent_id: str, visit: int) -> list[LaneRecord]:
        """Every lane record of the visit, read strongly consistent (the fan-in count)."""
        records: list[LaneRecord] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_ddb(
                {":pk": execution_pk(parent_id), ":prefix": f"L#{visit:012d}#"}
            ),
        }
        while True:
            response = self._client.query(**request)
            records.extend(_record(from_ddb(item)) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return records
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _record(item: dict[str, Any]) -> LaneRecord:
    first = item.get("ff")
    return LaneRecord(
        int(item["lane"]),
        int(item["pos"]),
        int(item.get("failed", 0)),
        int(first) if first is not None else None,
        int(item["fi"]) if "fi" in item else None,
    )
