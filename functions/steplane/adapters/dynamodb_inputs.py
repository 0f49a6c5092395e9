"""A Map Run's stored child inputs: one item per child in the parent's partition.

A distributed Map reads its items once (an S3 object can be far larger than a head), and
stores each child's input, ItemSelector and ItemBatcher applied, as ``I#{visit}#{index}``;
the lane that launches child ``index`` reads that one item. A read that is redone (a
crash, a duplicate message) writes each item only if it is absent: the first read wins,
and the parent learns the count only after every item is stored.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from steplane.adapters.dynamodb_items import execution_pk, from_ddb, pack_text, to_ddb, unpack_text
from steplane.jsontypes import Json

# Inputs stored one after another below this many; above, on PUT_THREADS threads.
PUTS_IN_SEQUENCE = 64
PUT_THREADS = 16


def _sk(visit: int, index: int) -> str:
    return f"I#{visit:012d}#{index:09d}"


class DynamoDBChildInputs:
    """Stored child inputs through a boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put_all(self, parent_id: str, visit: int, inputs: list[Json], expiry: int) -> None:
        """Store each child's input, each on condition it is not stored yet.

        The puts run on a few threads (boto3 clients are thread-safe): one at a time,
        100,000 inputs would take most of a Lambda invocation's 15 minutes.
        """
        pk = execution_pk(parent_id)

        def put(index: int) -> None:
            text = json.dumps(inputs[index], separators=(",", ":"), ensure_ascii=False)
            item = {"pk": pk, "sk": _sk(visit, index), "in": pack_text(text), "expiresAt": expiry}
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=to_ddb(item),
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                # Stored by an earlier read of the same visit: it stands.

        if len(inputs) <= PUTS_IN_SEQUENCE:
            for index in range(len(inputs)):
                put(index)
            return
        with ThreadPoolExecutor(max_workers=PUT_THREADS) as pool:
            # list(): the first put that failed raises here (the read is then redone).
            list(pool.map(put, range(len(inputs))))

    def get_many(self, parent_id: str, visit: int, indexes: list[int]) -> dict[int, Json]:
        """The stored inputs of ``indexes`` that exist, 100 to a BatchGetItem (a Map Run's
        export records each child's input)."""
        found: dict[int, Json] = {}
        pk = execution_pk(parent_id)
        for start in range(0, len(indexes), 100):
            keys = [to_ddb({"pk": pk, "sk": _sk(visit, i)}) for i in indexes[start : start + 100]]
            request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table, []):
                    item = from_ddb(raw)
                    found[int(str(item["sk"]).rsplit("#", 1)[1])] = json.loads(
                        unpack_text(item["in"])
                    )
                request = response.get("UnprocessedKeys") or {}
        return found

    def get(self, parent_id: str, visit: int, index: int) -> Json:
        """Child ``index``'s input (strongly consistent: it was stored just before the
        parent counted it).

        Raises:
            KeyError: no input is stored for that child.
        """
        response = self._client.get_item(
            TableName=self._table,
            ConsistentRead=True,
            Key=to_ddb({"pk": execution_pk(parent_id), "sk": _sk(visit, index)}),
        )
        item = response.get("Item")
        if not item:
            raise KeyError(f"no stored input for child {index} of visit {visit} of {parent_id!r}")
        value: Json = json.loads(unpack_text(from_ddb(item)["in"]))
        return value
