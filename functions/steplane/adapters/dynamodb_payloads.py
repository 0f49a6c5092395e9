"""Items that never change once written: content-addressed payloads and spilled history.

A payload too large to keep inline (head data over 1 KB after compression, history
events past 64 KB per transition) is stored once under ``P#{sha256}`` in its execution's
partition and referenced by digest. Definitions (``DEF#{hash}``) are immutable too, so
both are read eventually consistent first (half the price) and written if absent.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable
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
# For how many executions a container remembers the payloads it saw (see Payloads.put).
KNOWN_EXECUTIONS = 256
# BatchGetItem reads at most this many keys per call.
BATCH_GET_KEYS = 100


class Payloads:
    """Immutable items of the executions table."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        # Per execution (pk), the payloads read with its head as last read, and written
        # since: they are there. One never changes, so a commit that refers to one again
        # (a variable that did not change) need not write it: see put().
        self._known: OrderedDict[str, set[str]] = OrderedDict()

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
        expiry moves on to the later one, never back. One known to be there (read with
        the head this commit builds on, or written since) is not written again: every item
        of a running execution expires no earlier than the head's floor (``cx``), and the
        sweeper raises them all before it (steplane.adapters.dynamodb_sweep), so the item
        outlives what refers to it.
        """
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest in self._known.get(pk, ()):
            return digest
        item = {"pk": pk, "sk": f"P#{digest}", "body": pack_text(text), "expiresAt": expiry}
        self._put_unless(item, "attribute_not_exists(pk) OR expiresAt < :e", {":e": expiry})
        self._remember(pk, digest)
        return digest

    def get(self, pk: str, digest: str) -> str:
        """The text stored under ``digest``."""
        item = self.get_immutable({"pk": pk, "sk": f"P#{digest}"})
        if item is None:
            raise LookupError(f"payload P#{digest} of {pk} is missing")
        self._remember(pk, digest)
        return unpack_text(item["body"])

    def get_many(self, pk: str, digests: Iterable[str]) -> dict[str, str]:
        """The texts stored under ``digests`` (one BatchGetItem per hundred)."""
        wanted = list(dict.fromkeys(digests))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), BATCH_GET_KEYS):
            keys = [{"pk": pk, "sk": f"P#{d}"} for d in wanted[start : start + BATCH_GET_KEYS]]
            for item in self._batch_get(keys):
                digest = str(item["sk"]).removeprefix("P#")
                found[digest] = unpack_text(item["body"])
                self._remember(pk, digest)
        for digest in wanted:
            if digest not in found:  # an eventually consistent miss: look again, strongly
                found[digest] = self.get(pk, digest)
        return found

    def forget(self, pk: str) -> None:
        """Start over for an execution whose head is being read: only what is read with
        it (and written after) counts as there."""
        self._known.pop(pk, None)

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {self._table: {"Keys": [to_ddb(k) for k in keys]}}
        while request:
            response = self._client.batch_get_item(RequestItems=request)
            items.extend(from_ddb(i) for i in response.get("Responses", {}).get(self._table, []))
            # Keys DynamoDB did not get to (throughput, 16 MB): asked again at once; a
            # Lambda does not sleep, and the SDK's own retries back off already.
            request = response.get("UnprocessedKeys") or {}
        return items

    def _remember(self, pk: str, digest: str) -> None:
        self._known.setdefault(pk, set()).add(digest)
        self._known.move_to_end(pk)
        while len(self._known) > KNOWN_EXECUTIONS:
            self._known.popitem(last=False)

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
