"""A Map Run's stored child inputs: one item per child in the parent's partition.

A distributed Map reads its items once (an S3 object can be far larger than a head), and
stores each child's input, ItemSelector and ItemBatcher applied, as ``I#{visit}#{index}``
with its weight (the items it carries); the lane that launches child ``index`` reads that
one item. Before any input, the read records a digest of them all (``I#{visit}#digest``,
on condition it is absent): a read done again (a crash, a duplicate message) that finds
another digest has read a source that changed, and stores nothing; one that finds its own
stores what is missing, each input on condition it is absent. So every child of a visit
sees inputs of one and the same read, and the parent learns the count only after all are
stored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from steplane.adapters.dynamodb_items import (
    execution_pk,
    from_ddb,
    pack_text,
    put_if_absent,
    to_ddb,
    unpack_text,
)
from steplane.jsontypes import Json, compact_json
from steplane.ports import InputsChangedError

# Inputs stored one after another below this many; above, on PUT_THREADS threads (one at
# a time, 100,000 inputs would take minutes of an invocation).
PUTS_IN_SEQUENCE = 64
PUT_THREADS = 16
BATCH_GET_KEYS = 100


def _sk(visit: int, index: int) -> str:
    return f"I#{visit:012d}#{index:09d}"


def _digest_sk(visit: int) -> str:
    return f"I#{visit:012d}#digest"


class DynamoDBChildInputs:
    """Stored child inputs through a boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put_all(
        self, parent_id: str, visit: int, inputs: list[Json], weights: list[int], expiry: int
    ) -> None:
        """Store each child's input and weight, each on condition it is not stored yet,
        after the digest of them all.

        Raises:
            InputsChangedError: an earlier read of the visit stored other inputs.
        """
        pk = execution_pk(parent_id)
        texts = [compact_json(value) for value in inputs]
        digest = hashlib.sha256(compact_json([texts, weights]).encode()).hexdigest()
        if not put_if_absent(
            self._client,
            self._table,
            {"pk": pk, "sk": _digest_sk(visit), "digest": digest, "expiresAt": expiry},
        ):
            stored = self._get(pk, _digest_sk(visit))
            if stored is None or stored.get("digest") != digest:
                raise InputsChangedError(
                    "the items read now differ from those an earlier read of this Map Run "
                    "stored: the source changed while the Map Run was starting"
                )

        def put(index: int) -> None:
            item = {
                "pk": pk,
                "sk": _sk(visit, index),
                "in": pack_text(texts[index]),
                "w": weights[index],
                "expiresAt": expiry,
            }
            put_if_absent(self._client, self._table, item)  # stored by an earlier read: it stands

        if len(texts) <= PUTS_IN_SEQUENCE:
            for index in range(len(texts)):
                put(index)
            return
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - large Map Runs

        with ThreadPoolExecutor(max_workers=PUT_THREADS) as pool:
            # list(): the first put that failed raises here (the read is then redone).
            list(pool.map(put, range(len(texts))))

    def get(self, parent_id: str, visit: int, index: int) -> tuple[Json, int]:
        """Child ``index``'s input and weight (strongly consistent: it was stored before
        the parent counted it).

        Raises:
            KeyError: no input is stored for that child.
        """
        item = self._get(execution_pk(parent_id), _sk(visit, index))
        if item is None:
            raise KeyError(f"no stored input for child {index} of visit {visit} of {parent_id!r}")
        value: Json = json.loads(unpack_text(item["in"]))
        return value, int(item.get("w", 1))

    def get_many(self, parent_id: str, visit: int, indexes: list[int]) -> dict[int, Json]:
        """The stored inputs of ``indexes`` that exist, 100 to a BatchGetItem (a Map Run's
        export records each child's input)."""
        found: dict[int, Json] = {}
        pk = execution_pk(parent_id)
        for start in range(0, len(indexes), BATCH_GET_KEYS):
            chunk = indexes[start : start + BATCH_GET_KEYS]
            keys = [to_ddb({"pk": pk, "sk": _sk(visit, i)}) for i in chunk]
            request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table, []):
                    item = from_ddb(raw)
                    index = int(str(item["sk"]).rsplit("#", 1)[1])
                    found[index] = json.loads(unpack_text(item["in"]))
                request = response.get("UnprocessedKeys") or {}
        return found

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self._table, ConsistentRead=True, Key=to_ddb({"pk": pk, "sk": sk})
        )
        item = response.get("Item")
        return from_ddb(item) if item else None
