"""Per-state statistics items (steplane.statistics) on the executions table.

Items: ``S#{workflow}#{shard}`` / ``{hour}#{state}``, holding counters added to (``ADD``)
by each invocation's tallies: ``n`` visits, ``a`` attempts, ``f`` failures, ``ms`` total
milliseconds, ``mx`` the longest (kept with a conditional max), and ``b{k}`` the count
of histogram bucket ``k``. The shard (one of STAT_SHARDS, chosen per flush) spreads a busy
workflow's updates over several partitions; a read queries each. They expire with the
table's TTL, ``retention_days`` after their hour.

Adding is the one unconditional write of the engine, on purpose: these are counters that
decide nothing, and a tally is added only for a commit that went through (never for a
duplicate), so at worst a crash between a commit and the flush loses a few visits, and
an ADD botocore retries after a lost response counts its visits twice.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from steplane.adapters.dynamodb_items import epoch_seconds, from_ddb, to_ddb
from steplane.statistics import Tally, hour_of

STAT_SHARDS = 4


class DynamoDBStateStats:
    """Adds tallies, and reads a workflow's back for a window of hours."""

    def __init__(self, client: Any, table_name: str, retention: timedelta) -> None:
        self._client = client
        self._table = table_name
        self._retention = retention

    def add(self, tallies: Mapping[tuple[str, str, str], Tally]) -> None:
        """Add each (workflow, hour, state) tally to its item."""
        shard = random.randrange(STAT_SHARDS)
        for (workflow, hour, state), tally in tallies.items():
            key = {"pk": f"S#{workflow}#{shard}", "sk": f"{hour}#{state}"}
            expires = epoch_seconds(datetime.fromisoformat(f"{hour}:00:00+00:00") + self._retention)
            names = {f"#b{b}": f"b{b}" for b in tally.buckets}
            values: dict[str, Any] = {
                ":n": tally.visits,
                ":a": tally.attempts,
                ":f": tally.failures,
                ":ms": _number(tally.total_ms),
                ":x": expires,
                **{f":b{b}": count for b, count in tally.buckets.items()},
            }
            adds = ["n :n", "a :a", "f :f", "ms :ms", *(f"#b{b} :b{b}" for b in tally.buckets)]
            update: dict[str, Any] = {
                "TableName": self._table,
                "Key": to_ddb(key),
                "UpdateExpression": f"ADD {', '.join(adds)} SET expiresAt = :x",
                "ExpressionAttributeValues": to_ddb(values),
            }
            if names:
                update["ExpressionAttributeNames"] = names
            self._client.update_item(**update)
            self._raise_max(key, tally.max_ms)

    def _raise_max(self, key: dict[str, str], milliseconds: float) -> None:
        """Keep the longest visit: set only if longer (or none yet)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_ddb(key),
                UpdateExpression="SET mx = :mx",
                ConditionExpression="attribute_not_exists(mx) OR mx < :mx",
                ExpressionAttributeValues=to_ddb({":mx": _number(milliseconds)}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def read(self, workflow: str, since: datetime, until: datetime) -> list[tuple[str, Tally]]:
        """Every (state, tally) of ``workflow`` in the hours from ``since`` to ``until``."""
        found: list[tuple[str, Tally]] = []
        for shard in range(STAT_SHARDS):
            query: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :to",
                "ExpressionAttributeValues": to_ddb(
                    {
                        ":pk": f"S#{workflow}#{shard}",
                        ":from": hour_of(since),
                        # "#" sorts below every character a state name may hold but controls.
                        ":to": hour_of(until) + "#\U0010ffff",
                    }
                ),
            }
            while True:
                response = self._client.query(**query)
                found += [_tally(from_ddb(raw)) for raw in response.get("Items", [])]
                if "LastEvaluatedKey" not in response:
                    break
                query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found


def _number(value: float) -> Decimal:
    """A float as DynamoDB takes a number (boto3 refuses floats), to the microsecond."""
    return Decimal(str(round(value, 3)))


def _tally(item: dict[str, Any]) -> tuple[str, Tally]:
    state = str(item["sk"]).split("#", 1)[1]
    buckets = {int(k[1:]): int(v) for k, v in item.items() if k[:1] == "b" and k[1:].isdigit()}
    tally = Tally(
        visits=int(item.get("n", 0)),
        attempts=int(item.get("a", 0)),
        failures=int(item.get("f", 0)),
        total_ms=float(item.get("ms", 0)),
        max_ms=float(item.get("mx", 0)),
        buckets=buckets,
    )
    return state, tally
