"""Items that never change once written: content-addressed payloads and spilled history.

A payload too large to keep inline (head data over 1 KB after compression, history
events past 64 KB per transition) is stored once under ``P#{sha256}`` in its execution's
partition and referenced by digest. Definitions (``DEF#{hash}``) are immutable too, so
both are read eventually consistent first (half the price) and written if absent.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from botocore.exceptions import ClientError

from steplane.adapters.dynamodb_items import (
    events_from_json,
    events_to_json,
    from_ddb,
    pack_text,
    to_ddb,
    unpack_text,
)
from steplane.definition.loader import canonical_json
from steplane.interpreter.decisions import HistoryEvent

# A history item holds its events inline up to this size, then spills payloads.
HISTORY_INLINE_BYTES = 64 * 1024
SPILL_ALL_ABOVE_BYTES = 64
# Head data above this size moves to a payload item, keeping the head around 1 KB.
INLINE_DATA_BYTES = 1024
# Variables above this size move to a payload item too (data and variables together keep
# the head under 2 KB).
INLINE_VARIABLES_BYTES = 384
# The detail that lists an event's spilled values: {detail name: payload digest}.
SPILLED = "$spilled"


class Payloads:
    """Immutable items of the executions table."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def events_json(self, pk: str, events: list[HistoryEvent], expiry: int) -> str:
        """A transition's events as stored, large values spilled into payload items."""
        text = events_to_json(events)
        # Spill the payloads of a large transition into payload items; a long Pass chain of
        # medium payloads needs a lower threshold to keep the item under DynamoDB's 400 KB.
        for threshold in (INLINE_DATA_BYTES, SPILL_ALL_ABOVE_BYTES):
            if len(text.encode()) <= HISTORY_INLINE_BYTES:
                return text
            text = events_to_json([self._spill(pk, e, threshold, expiry) for e in events])
        return text

    def resolve_events(self, pk: str, text: str) -> list[HistoryEvent]:
        """A history item's events with their spilled values read back."""
        events = events_from_json(text)
        for event in events:
            for key, digest in event.details.pop(SPILLED, {}).items():
                event.details[key] = json.loads(self.get(pk, digest))
        return events

    def put(self, pk: str, text: str, expiry: int) -> str:
        """Store ``text`` once under its digest in partition ``pk``; returns the digest.

        Stored again by a later transition (the same data referred to anew), the item's
        expiry moves on to the later one, never back: it must outlive every item that
        refers to it.
        """
        digest = hashlib.sha256(text.encode()).hexdigest()
        item = {"pk": pk, "sk": f"P#{digest}", "body": pack_text(text), "expiresAt": expiry}
        self._put_unless(item, "attribute_not_exists(pk) OR expiresAt < :e", {":e": expiry})
        return digest

    def get(self, pk: str, digest: str) -> str:
        """The text stored under ``digest``."""
        item = self.get_immutable({"pk": pk, "sk": f"P#{digest}"})
        if item is None:
            raise LookupError(f"payload P#{digest} of {pk} is missing")
        return unpack_text(item["body"])

    def get_immutable(self, key: dict[str, str]) -> dict[str, Any] | None:
        """Read an item that never changes once written.

        An eventually consistent read costs half; only a miss (the item may be seconds old)
        is worth a strongly consistent second look.
        """
        for consistent in (False, True):
            response = self._client.get_item(
                TableName=self._table, Key=to_ddb(key), ConsistentRead=consistent
            )
            if "Item" in response:
                return from_ddb(response["Item"])
        return None

    def put_if_absent(self, item: dict[str, Any]) -> None:
        """Write an immutable item unless it is there (then it is identical)."""
        self._put_unless(item, "attribute_not_exists(pk)", {})

    def _put_unless(self, item: dict[str, Any], condition: str, values: dict[str, Any]) -> None:
        """Put ``item`` on ``condition``; a failed condition means it is there already."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_ddb(item),
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": to_ddb(values)} if values else {}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def _spill(self, pk: str, event: HistoryEvent, threshold: int, expiry: int) -> HistoryEvent:
        # Spilled values are listed under SPILLED, a detail name the engine never uses for
        # data, so no user value (whatever its shape) can be mistaken for a reference.
        details: dict[str, Any] = {}
        spilled: dict[str, str] = {}
        for key, value in event.details.items():
            text = canonical_json(value)
            if len(text.encode()) > threshold:
                spilled[key] = self.put(pk, text, expiry)
            else:
                details[key] = value
        if spilled:
            details[SPILLED] = spilled
        return HistoryEvent(event.id, event.type, event.timestamp, event.state, details)
