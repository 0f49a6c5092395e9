"""Published workflows: which definition each name starts new executions on, and every
definition it was published with before.

Items:
- ``WF#{workflow}`` / ``WF``: the current definition hash ``dh``, revision ``rev`` and
  when it was published ``at`` (read by every start);
- ``WF#{workflow}`` / ``R#{rev:08d}``: each revision's hash and date (immutable);
- ``WFS`` / ``{workflow}``: the registry ``GET /workflows`` reads with one Query (one
  partition: publishing is rare, and a registry of a few thousand names is a few pages).

A publish writes the three in one transaction, on condition that the revision read is
still current: two concurrent publishes of one name never lose a revision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from steplane.adapters.dynamodb_items import from_ddb, to_ddb
from steplane.errors import InvalidPageTokenError

REGISTRY_PK = "WFS"


def _revision_sk(revision: int) -> str:
    return f"R#{revision:08d}"


class ConcurrentPublishError(Exception):
    """Another publish of the same workflow moved its revision meanwhile."""


class DynamoDBWorkflows:
    """The workflow registry on the executions table."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def publish(self, workflow: str, definition_hash: str, published_at: datetime) -> int:
        """Point ``workflow`` at ``definition_hash``; its revision number. Publishing the
        current definition again changes nothing (and returns its revision).

        Raises:
            ConcurrentPublishError: another publish of ``workflow`` won the race.
        """
        key = {"pk": f"WF#{workflow}", "sk": "WF"}
        current = self._get(key)
        if current is not None and current.get("dh") == definition_hash and "at" in current:
            return int(current["rev"])
        # (A pointer without "at" was published before revisions were kept: publishing
        # it again, even unchanged, records it as a revision and in the registry.)
        revision = int(current["rev"]) + 1 if current else 1
        at = published_at.isoformat()
        pointer: dict[str, Any] = {
            "Put": {
                "TableName": self._table,
                "Item": to_ddb({**key, "dh": definition_hash, "rev": revision, "at": at}),
                "ConditionExpression": "rev = :rev" if current else "attribute_not_exists(pk)",
            }
        }
        if current:
            pointer["Put"]["ExpressionAttributeValues"] = to_ddb({":rev": revision - 1})
        entry = {"dh": definition_hash, "rev": revision, "at": at}
        try:
            self._client.transact_write_items(
                TransactItems=[
                    pointer,
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_ddb(
                                {"pk": key["pk"], "sk": _revision_sk(revision), **entry}
                            ),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_ddb({"pk": REGISTRY_PK, "sk": workflow, **entry}),
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            raise ConcurrentPublishError(workflow) from error
        return revision

    def resolve(self, workflow: str) -> str | None:
        """The definition hash ``workflow`` starts new executions on."""
        item = self._get({"pk": f"WF#{workflow}", "sk": "WF"})
        return str(item["dh"]) if item else None

    def page(
        self, next_token: str | None, max_results: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Published workflows by name, one page, and the token of the next."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_ddb({":pk": REGISTRY_PK}),
            "Limit": max_results,
        }
        if next_token:
            if len(next_token) > 200:
                raise InvalidPageTokenError(next_token)
            query["ExclusiveStartKey"] = to_ddb({"pk": REGISTRY_PK, "sk": next_token})
        response = self._client.query(**query)
        entries = [_entry(from_ddb(raw)) for raw in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return entries, str(from_ddb(last)["sk"]) if last else None

    def describe(self, workflow: str) -> dict[str, Any] | None:
        """The workflow's current definition and every revision, newest first (None:
        never published)."""
        current = self._get({"pk": f"WF#{workflow}", "sk": "WF"})
        if current is None:
            return None
        query: dict[str, Any] = {
            "TableName": self._table,
            "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :r)",
            "ExpressionAttributeValues": to_ddb({":pk": f"WF#{workflow}", ":r": "R#"}),
            "ScanIndexForward": False,
        }
        revisions: list[dict[str, Any]] = []
        while True:
            response = self._client.query(**query)
            revisions += [_revision(from_ddb(raw)) for raw in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return {**_entry({**current, "sk": workflow}), "revisions": revisions}

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self._table, ConsistentRead=True, Key=to_ddb(key)
        )
        item = response.get("Item")
        return from_ddb(item) if item else None


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": item["sk"],
        "definitionHash": item["dh"],
        "revision": int(item.get("rev", 1)),
        # Published before dates were kept: unknown.
        "publishedAt": item.get("at"),
    }


def _revision(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "revision": int(item["rev"]),
        "definitionHash": item["dh"],
        "publishedAt": item.get("at"),
    }
