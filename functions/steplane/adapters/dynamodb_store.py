"""ExecutionStore on DynamoDB: every write conditional, the head small, events apart.

Commit protocol for a transition from version N to N+1 (no transaction on the common
path: a transaction would double the write units of every transition):
1. Put the history item ``H#{N+1}`` if absent.
2. Put the head on condition ``v = N``.
A crash between 1 and 2 leaves an orphan history item that readers never see (history is
read up to the head's version only). Its own input (the same decision id) comes back and
writes both items again in one transaction, on condition that the head is still at N: so
the history item and the head a reader sees were always written by the same copy of an
input, and two copies racing commit once, the other learning it is a DUPLICATE (it must
not send its own commands: their task tokens would name a nonce the head does not hold).
Once an orphan is older than any Lambda can run, another input may take it over (so an
input dead-lettered there cannot block the execution).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from steplane.adapters.dynamodb_inputs import DynamoDBChildInputs
from steplane.adapters.dynamodb_items import (
    CLAIM_ATTRIBUTE,
    HEAD_SK,
    HEARTBEAT_ATTRIBUTE,
    SUBMITTED_ATTRIBUTE,
    epoch_seconds,
    execution_pk,
    from_ddb,
    head_to_item,
    history_sk,
    item_to_head,
    pack_text,
    to_ddb,
    unpack_text,
)
from steplane.adapters.dynamodb_lanes import DynamoDBLanes
from steplane.adapters.dynamodb_listing import DynamoDBListing, list_attributes
from steplane.adapters.dynamodb_payloads import (
    BATCH_GET_KEYS,
    INLINE_DATA_BYTES,
    INLINE_VARIABLES_BYTES,
    Payloads,
)
from steplane.adapters.dynamodb_sizes import item_size, write_units
from steplane.adapters.dynamodb_stats import DynamoDBStateStats
from steplane.adapters.dynamodb_sweep import DynamoDBSweep
from steplane.adapters.dynamodb_workflows import DynamoDBWorkflows
from steplane.definition.loader import Definition, canonical_json, load_definition
from steplane.errors import ConcurrentDecisionError, InvalidPageTokenError
from steplane.execution import Execution, ExecutionStatus
from steplane.interpreter.decisions import HistoryEvent
from steplane.jsontypes import Json
from steplane.ports import CommitOutcome, HistoryPage
from steplane.settings import DEFAULT_SETTINGS, Settings

_log = logging.getLogger(__name__)

# A history item whose head never followed is an orphan once this old: Lambda stops any
# invocation after 900 s, so its writer can no longer put the head it was about to put.
ORPHAN_AFTER_SECONDS = 1000


def _conditional_failure(error: ClientError) -> dict[str, Any] | None:
    """Translate a ClientError: the current item for a failed condition, else re-raise."""
    if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
        raise error
    return from_ddb(error.response.get("Item") or {})


class DynamoDBExecutionStore:
    """The executions table through a boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str, settings: Settings = DEFAULT_SETTINGS) -> None:
        self._client = client
        self._table = table_name
        self.sweep = DynamoDBSweep(client, table_name, settings)
        self.lanes = DynamoDBLanes(client, table_name)
        self.listing = DynamoDBListing(client, table_name)
        self.workflows = DynamoDBWorkflows(client, table_name)
        self.stats = DynamoDBStateStats(client, table_name, timedelta(days=settings.retention_days))
        self.child_inputs = DynamoDBChildInputs(client, table_name)
        self._payloads = Payloads(client, table_name)
        # Told of each transition committed (the handlers' per-workflow metrics).
        self.on_commit: Callable[[Execution | None, Execution, Sequence[HistoryEvent]], None] | None
        self.on_commit = None

    def child_expiry(self, parent: Execution) -> int:
        """``expiresAt`` of an item written now for ``parent`` (a lane record): as its
        transition's items (the sweeper raises them all together)."""
        return self.sweep.child_expiry(parent)

    # -- heads -----------------------------------------------------------------
    def get_head(self, execution_id: str) -> Execution | None:
        """The head, read strongly consistent (it decides every transition)."""
        response = self._client.get_item(
            TableName=self._table,
            ConsistentRead=True,
            Key=to_ddb({"pk": execution_pk(execution_id), "sk": HEAD_SK}),
        )
        item = response.get("Item")
        return self._head(from_ddb(item)) if item else None

    def pending_attempt(self, execution_id: str) -> tuple[int, str] | None:
        """``(version, nonce)`` of the task attempt a running execution waits for (None:
        it has ended, waits for no task, or does not exist): three attributes of its head,
        read strongly consistent, none of its payloads."""
        response = self._client.get_item(
            TableName=self._table,
            ConsistentRead=True,
            Key=to_ddb({"pk": execution_pk(execution_id), "sk": HEAD_SK}),
            ProjectionExpression="v, nonce, st",
        )
        item = from_ddb(response.get("Item") or {})
        if "nonce" not in item or item.get("st") != ExecutionStatus.RUNNING.value:
            return None
        return int(item["v"]), str(item["nonce"])

    def get_heads(self, execution_ids: Sequence[str]) -> dict[str, Execution]:
        """The heads of ``execution_ids`` that exist, read strongly consistent, 100 to a
        BatchGetItem (a fan-in reads every child's)."""
        found: dict[str, Execution] = {}
        for start in range(0, len(execution_ids), BATCH_GET_KEYS):
            keys = [
                to_ddb({"pk": execution_pk(i), "sk": HEAD_SK})
                for i in execution_ids[start : start + BATCH_GET_KEYS]
            ]
            request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    head = self._head(from_ddb(item))
                    found[head.execution_id] = head
                # Keys DynamoDB did not get to: asked again at once (nothing sleeps; the
                # SDK's own retries back off).
                request = response.get("UnprocessedKeys") or {}
        return found

    def execution_input(self, head: Execution) -> Json:
        """The input the execution started with, from its first history item (kept as long
        as the head: the sweeper keeps every item of a running execution). A child's is
        its root execution's (``$$.Execution.Input`` is the same in every branch/item),
        unless it is a Map Run's child (its own) or within one (that child's)."""
        source = head.parent.input_source(head.execution_id) if head.parent else head.execution_id
        pk = execution_pk(source)
        response = self._client.get_item(
            TableName=self._table,
            Key=to_ddb({"pk": pk, "sk": history_sk(1)}),
            ProjectionExpression="ev",
        )
        item = response.get("Item")
        if item is None:
            raise LookupError(f"{head.execution_id} has no first history item")
        events = self._payloads.resolve_events(pk, unpack_text(from_ddb(item)["ev"]))
        started = next(e for e in events if e.type == "ExecutionStarted")
        return started.details.get("input")

    def record_heartbeat(self, head: Execution, heartbeat_at: datetime) -> bool:
        """Move the pending attempt's heartbeat deadline on, if ``head`` is still current
        and still waits for that attempt (False otherwise: the attempt has closed).

        Not a transition: no version, no history (SendTaskHeartbeat "does not in itself
        create an event in the execution history").
        """
        return self._set_on_attempt(head, HEARTBEAT_ATTRIBUTE, heartbeat_at.isoformat())

    def record_submitted(self, head: Execution) -> bool:
        """Mark the pending attempt's ``.waitForTaskToken`` call as made, if ``head`` is
        still current and waits for that attempt (False: it has moved on). Not a
        transition: the token the call carried names this version, and must stay valid."""
        return self._set_on_attempt(head, SUBMITTED_ATTRIBUTE, 1)

    def claim_call(self, head: Execution, until: datetime, now: datetime) -> bool:
        """Claim the pending attempt's integration call until ``until``: True for the one
        invocation that may make it now. False: the head moved on, the call of a
        callback was made, or another invocation holds a live claim (a concurrent copy of
        the task message, a re-sent dispatch while the call runs). Not a transition."""
        # Not if the callback's call was made; else only once a claim has run out.
        also = (
            "attribute_not_exists(#sub) "
            "AND (attribute_not_exists(#attribute) OR #attribute <= :now)"
        )
        return self._set_on_attempt(
            head,
            CLAIM_ATTRIBUTE,
            epoch_seconds(until),
            condition=also,
            names={"#sub": SUBMITTED_ATTRIBUTE},
            values={":now": epoch_seconds(now)},
        )

    def _set_on_attempt(
        self,
        head: Execution,
        attribute: str,
        value: object,
        *,
        condition: str = "",
        names: dict[str, str] | None = None,
        values: dict[str, object] | None = None,
    ) -> bool:
        """Set ``attribute`` of the head on condition that it is still ``head``'s version
        and waits for the same attempt, and that ``condition`` holds (False otherwise:
        the attempt has closed, or the condition does not hold)."""
        attempt = head.task_attempt
        assert attempt is not None, "only a pending task attempt is written to"
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_ddb({"pk": execution_pk(head.execution_id), "sk": HEAD_SK}),
                UpdateExpression="SET #attribute = :value",
                ConditionExpression="v = :v AND nonce = :n"
                + (f" AND {condition}" if condition else ""),
                ExpressionAttributeNames={"#attribute": attribute, **(names or {})},
                ExpressionAttributeValues=to_ddb(
                    {":value": value, ":v": head.version, ":n": attempt.nonce, **(values or {})}
                ),
            )
        except ClientError as error:
            _conditional_failure(error)
            return False
        return True

    def commit(
        self, previous: Execution | None, execution: Execution, events: Sequence[HistoryEvent]
    ) -> CommitOutcome:
        """Append the transition's events, then move the head on (see the module docstring).

        ``previous`` is None for an execution's first transition: the head is created then,
        on condition that no execution has its id.
        """
        pk = execution_pk(execution.execution_id)
        expiry = self.sweep.child_expiry(execution)
        history = {
            "pk": pk,
            "sk": history_sk(execution.version),
            "did": execution.decision_id,
            "ev": pack_text(self._payloads.events_json(pk, list(events), expiry)),
            "expiresAt": expiry,
            "at": _written_at(execution),
        }
        head = to_ddb(_with_write_units(self._head_item(execution, expiry), history, execution))
        outcome = self._append_history(previous, execution, history, head)
        if outcome is not None:
            if outcome is CommitOutcome.COMMITTED:
                self._committed(previous, execution, events)
            return outcome
        try:
            self._client.put_item(
                TableName=self._table,
                Item=head,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **_head_condition(previous),
            )
        except ClientError as error:
            winner = _conditional_failure(error) or {}
            if error.response.get("Item") != head:
                return _lost_to(winner.get("did"), winner.get("v"), execution)
            # Our own put, applied once already: botocore retried it after the first
            # response was lost (a timeout, a 500). The commit is ours: send.
        self._committed(previous, execution, events)
        return CommitOutcome.COMMITTED

    def _committed(
        self, previous: Execution | None, execution: Execution, events: Sequence[HistoryEvent]
    ) -> None:
        if self.on_commit is None:
            return
        try:
            self.on_commit(previous, execution, events)
        except Exception:
            _log.exception("a commit's observer failed (metrics or statistics lost)")

    def _append_history(
        self,
        previous: Execution | None,
        execution: Execution,
        history: dict[str, Any],
        head: dict[str, Any],
    ) -> CommitOutcome | None:
        """Put ``H#N`` if absent (None: go on and put the head), else settle the commit here.

        ``H#N`` carrying this decision id was written by an earlier copy of this input, one
        that died before its head put, or one racing this one: both items are written again
        together on condition that the head has not moved, so history and head never come
        from two different copies. Another decision's item is taken over (the same way)
        only when it is an orphan: its writer died between its two puts longer ago than any
        Lambda can run, so it can never put its head. Else the input is retried.
        """
        try:
            self._put_history_if_absent(history)
            return None
        except ClientError as error:
            existing = _conditional_failure(error) or {}
        if existing.get("did") == execution.decision_id:
            return self._replace_history(previous, execution, history, head)
        current = self.get_head(execution.execution_id)
        if current is not None and current.version >= execution.version:
            return CommitOutcome.STALE
        orphan_age = _written_at(execution) - int(existing.get("at", 0))
        if orphan_age < ORPHAN_AFTER_SECONDS:
            raise ConcurrentDecisionError(
                execution.execution_id, execution.version - 1, existing.get("did")
            )
        return self._replace_history(previous, execution, history, head)

    def _replace_history(
        self,
        previous: Execution | None,
        execution: Execution,
        history: dict[str, Any],
        head: dict[str, Any],
    ) -> CommitOutcome:
        """Overwrite ``H#N`` (this decision's own, or an orphan) and put the head, in one
        transaction on condition that the head is still at N-1."""
        try:
            self._client.transact_write_items(
                TransactItems=[
                    # No condition of its own: H#N is only ever overwritten here, and
                    # always with the head, so "the head is still at N-1" implies that
                    # H#N is still the item read (the orphan, or this decision's own).
                    {"Put": {"TableName": self._table, "Item": to_ddb(history)}},
                    {"Put": {"TableName": self._table, "Item": head, **_head_condition(previous)}},
                ]
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            current = self.get_head(execution.execution_id)
            if current is None or current.version < execution.version:
                # Cancelled with the head unmoved: a transaction conflict with a write to
                # the same items in flight (another copy's). Transient: SQS retries this.
                raise ConcurrentDecisionError(
                    execution.execution_id, execution.version - 1, execution.decision_id
                ) from error
            return _lost_to(current.decision_id, current.version, execution)
        return CommitOutcome.COMMITTED

    def _put_history_if_absent(self, history: dict[str, Any]) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_ddb(history),
            ConditionExpression="attribute_not_exists(sk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    # -- history ---------------------------------------------------------------
    def history(self, head: Execution, next_token: str | None, max_events: int) -> HistoryPage:
        """Exactly ``max_events`` events (fewer on the last page), oldest first, up to the head.

        The token names the next event as ``<transition version>.<index within it>``: URL-safe,
        and stable because committed history items never change.
        """
        version, skip = _parse_page_token(next_token) if next_token else (1, 0)
        pk = execution_pk(head.execution_id)
        events: list[HistoryEvent] = []
        for item in self._history_items(head, version):
            item_events = self._payloads.resolve_events(pk, unpack_text(item["ev"]))
            item_version = int(item["sk"][2:])
            offset = skip if item_version == version else 0
            room = max_events - len(events)
            taken = item_events[offset : offset + room]
            events.extend(taken)
            if len(events) >= max_events:
                rest = offset + len(taken)
                if rest < len(item_events):
                    return HistoryPage(events, f"{item_version}.{rest}")
                if item_version < head.version:
                    return HistoryPage(events, f"{item_version + 1}.0")
                return HistoryPage(events, None)
        return HistoryPage(events, None)

    def events_newest_first(self, head: Execution) -> Iterator[HistoryEvent]:
        """The execution's events, newest first, read ten transitions at a time (a
        redrive looks for the last state entered: usually one or two items back)."""
        pk = execution_pk(head.execution_id)
        for item in self._history_items(head, 1, newest_first=True, page=10):
            yield from reversed(self._payloads.resolve_events(pk, unpack_text(item["ev"])))

    def _history_items(
        self, head: Execution, first: int, *, newest_first: bool = False, page: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """The history items of versions ``first`` to the head's (orphans past the head
        are never read), read strongly consistent, ``page`` to a Query."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :to",
            "ExpressionAttributeValues": to_ddb(
                {
                    ":pk": execution_pk(head.execution_id),
                    ":from": history_sk(first),
                    ":to": history_sk(head.version),
                }
            ),
            "ScanIndexForward": not newest_first,
            **({"Limit": page} if page else {}),
        }
        while True:
            response = self._client.query(**query)
            for raw in response.get("Items", []):
                yield from_ddb(raw)
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # -- definitions -----------------------------------------------------------
    def put_definition(self, definition: Definition) -> None:
        """Store a definition by hash; storing it again is a no-op."""
        item = {"pk": f"DEF#{definition.hash}", "sk": "DEF", "body": definition.canonical_json()}
        self._payloads.put_if_absent(item)

    def get_definition(self, definition_hash: str) -> Definition | None:
        """Load and validate a stored definition."""
        item = self._payloads.get_immutable({"pk": f"DEF#{definition_hash}", "sk": "DEF"})
        return load_definition(json.loads(item["body"])) if item else None

    def publish(
        self, workflow: str, definition_hash: str, published_at: datetime | None = None
    ) -> int:
        """Point the workflow at a definition (steplane.adapters.dynamodb_workflows); its
        revision."""
        return self.workflows.publish(workflow, definition_hash, published_at or datetime.now(UTC))

    def resolve_workflow(self, workflow: str) -> str | None:
        """The published definition hash of ``workflow``."""
        return self.workflows.resolve(workflow)

    # -- payloads --------------------------------------------------------------
    def _head_item(self, execution: Execution, expiry: int) -> dict[str, Any]:
        pk = execution_pk(execution.execution_id)
        stored = {
            **self._inline_or_ref(pk, "d", execution.data, INLINE_DATA_BYTES, expiry),
            **self._variables(pk, execution.variables, expiry),
        }
        bookkeeping = {**self.sweep.head_attributes(execution), **list_attributes(execution)}
        return head_to_item(execution, stored, bookkeeping)

    def _variables(
        self, pk: str, variables: Mapping[str, Any], expiry: int
    ) -> dict[str, str | bytes]:
        """Variables inline when small; else each in its own payload item (one holds at
        most 256 KiB, all together up to 10 MiB: more than a DynamoDB item's 400 KB) and
        the index of their digests in another (``varsref``)."""
        if not variables:
            return {}
        packed = pack_text(canonical_json(variables))
        if len(packed if isinstance(packed, bytes) else packed.encode()) <= INLINE_VARIABLES_BYTES:
            return {"vars": packed}
        index = {
            name: self._payloads.put(pk, canonical_json(value), expiry)
            for name, value in variables.items()
        }
        return {"varsref": self._payloads.put(pk, canonical_json(index), expiry)}

    def _inline_or_ref(
        self, pk: str, name: str, value: Any, limit: int, expiry: int
    ) -> dict[str, str | bytes]:
        """``{name: packed JSON}`` when small, else ``{name + "ref": digest}`` of a payload
        item: the head stays small (under 2 KB) whatever the execution carries."""
        text = canonical_json(value)
        packed = pack_text(text)
        if len(packed if isinstance(packed, bytes) else packed.encode()) <= limit:
            return {name: packed}
        return {f"{name}ref": self._payloads.put(pk, text, expiry)}

    def _head(self, item: dict[str, Any]) -> Execution:
        self._payloads.forget(item["pk"])
        data = self._stored_json(item, "d", "null")
        if "varsref" in item:
            index = json.loads(self._payloads.get(item["pk"], item["varsref"]))
            texts = self._payloads.get_many(item["pk"], index.values())
            variables = {name: json.loads(texts[digest]) for name, digest in index.items()}
        else:
            variables = json.loads(unpack_text(item.get("vars", "{}")))
        return item_to_head(item, data, variables)

    def _stored_json(self, item: dict[str, Any], name: str, absent: str) -> Any:
        if f"{name}ref" in item:
            return json.loads(self._payloads.get(item["pk"], item[f"{name}ref"]))
        return json.loads(unpack_text(item.get(name, absent)))


def _with_write_units(
    head: dict[str, Any], history: dict[str, Any], execution: Execution
) -> dict[str, Any]:
    """The head item counting this commit's write units (its history item's and its own)
    in what the execution consumed (``use``; steplane.execution.Consumed)."""
    spent = execution.consumed
    units = write_units(item_size(to_ddb(history))) + write_units(item_size(to_ddb(head)))
    return {**head, "use": [spent.write_units + units, spent.read_units, spent.messages]}


def _head_condition(previous: Execution | None) -> dict[str, Any]:
    """The head put's condition: created if absent, else moved on from ``previous`` only."""
    if previous is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "v = :v",
        "ExpressionAttributeValues": to_ddb({":v": previous.version}),
    }


def _lost_to(decision_id: Any, version: Any, execution: Execution) -> CommitOutcome:
    """The outcome of a commit of ``execution`` that found this head in its place: a copy
    of the same input that committed the same transition first (DUPLICATE), or another
    decision (STALE)."""
    same = (decision_id, version) == (execution.decision_id, execution.version)
    return CommitOutcome.DUPLICATE if same else CommitOutcome.STALE


def _written_at(execution: Execution) -> int:
    """When the transition that made ``execution`` was decided, in epoch seconds."""
    return epoch_seconds(execution.updated_at or execution.start_date)


def _parse_page_token(token: str) -> tuple[int, int]:
    """``(version, index)`` from a history page token; anything else is a clear 400."""
    match = re.fullmatch(r"([1-9][0-9]{0,11})\.([0-9]{1,6})", token)
    if match is None:
        raise InvalidPageTokenError(token)
    return int(match.group(1)), int(match.group(2))
