"""Item shapes in the executions table, as pure conversions (no boto3 calls).

Keys (one table, ``pk`` + ``sk``):
- ``X#{execution_id}`` / ``HEAD``: the execution head, rewritten on every transition (small).
- ``X#{execution_id}`` / ``H#{version:012d}``: the history events of the transition that
  produced that version (written before the head, so a committed head always has its events).
- ``X#{execution_id}`` / ``P#{sha256}``: a payload too large to inline, content-addressed.
- ``DEF#{hash}`` / ``DEF``: a definition, by content hash (immutable).
- ``WF#{workflow}`` / ``WF``: the definition hash a workflow name starts new executions on.
"""

from __future__ import annotations

import json
import math
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from steplane.execution import (
    Caller,
    ChildOf,
    Consumed,
    Execution,
    ExecutionStatus,
    FanOut,
    TaskAttempt,
    Waiting,
    WaitUntil,
)
from steplane.interpreter.decisions import HistoryEvent

HEAD_SK = "HEAD"
# The head attribute a heartbeat moves on (the only head write that is not a commit).
HEARTBEAT_ATTRIBUTE = "hbt"
# A .waitForTaskToken integration's call was made for the pending attempt.
SUBMITTED_ATTRIBUTE = "sub"
# Until when (epoch seconds) one invocation holds the pending attempt's integration call.
CLAIM_ATTRIBUTE = "clm"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_ddb(item: dict[str, Any]) -> dict[str, Any]:
    """A plain item (or expression values) in DynamoDB's typed wire shape."""
    return {key: _serializer.serialize(value) for key, value in item.items()}


def from_ddb(item: dict[str, Any]) -> dict[str, Any]:
    """A typed DynamoDB item as plain Python values."""
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


# JSON text above this many bytes is stored zlib-compressed (a Binary attribute): write
# units are billed per KB, and a transition's events repeat its payload (a task's output is
# also the state's output and the next state's input), which compression folds away.
COMPRESS_ABOVE_BYTES = 1024


def pack_text(text: str) -> str | bytes:
    """``text`` as stored: itself when small, else zlib-compressed if that is smaller."""
    raw = text.encode()
    if len(raw) <= COMPRESS_ABOVE_BYTES:
        return text
    packed = zlib.compress(raw, 6)
    return packed if len(packed) < len(raw) else text


def unpack_text(stored: Any) -> str:
    """The JSON text of a stored attribute (a string, or a Binary written by pack_text)."""
    if isinstance(stored, str):
        return stored
    return zlib.decompress(bytes(stored)).decode()


def put_if_absent(client: Any, table: str, item: dict[str, Any]) -> bool:
    """Put ``item`` unless an item with its key exists; whether it was put."""
    try:
        client.put_item(
            TableName=table, Item=to_ddb(item), ConditionExpression="attribute_not_exists(pk)"
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
    return True


def execution_pk(execution_id: str) -> str:
    """Partition key of everything belonging to one execution."""
    return f"X#{execution_id}"


def history_sk(version: int) -> str:
    """Sort key of the history item of ``version`` (zero-padded so items sort by version)."""
    return f"H#{version:012d}"


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def epoch_seconds(value: datetime) -> int:
    """A moment as whole epoch seconds, rounded up (DynamoDB TTL and the sweep index use these)."""
    return math.ceil(value.timestamp())


def from_epoch(value: Any) -> datetime | None:
    """The moment a stored epoch-seconds number names (None when absent)."""
    return datetime.fromtimestamp(float(value), UTC) if value is not None else None


def head_to_item(
    execution: Execution,
    data_attribute: dict[str, str | bytes],
    bookkeeping: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The head item; ``data_attribute`` is ``{"d": packed json}`` or ``{"dref": sha}``,
    and for an execution with variables also ``{"vars": ...}`` or ``{"varsref": sha}``.

    ``bookkeeping`` holds the storage-only attributes (sweep index key, TTL).
    """
    item: dict[str, Any] = {
        "pk": execution_pk(execution.execution_id),
        "sk": HEAD_SK,
        "v": execution.version,
        "st": execution.status.value,
        "wf": execution.workflow,
        "nm": execution.name,
        "dh": execution.definition_hash,
        "ih": execution.input_hash,
        "sd": _stamp(execution.start_date),
        "state": execution.state,
        "ev": execution.entered_version,
        "ea": _stamp(execution.entered_at),
        **_waiting_attributes(execution.waiting),
        **_parent_attribute(execution.parent),
        "cal": [execution.caller.task_token, execution.caller.pattern]
        if execution.caller
        else None,
        "dl": _stamp(execution.deadline),
        "ec": execution.event_count,
        "end": _stamp(execution.stop_date),
        "err": execution.error,
        "cau": execution.cause,
        "did": execution.decision_id,
        "at": _stamp(execution.updated_at),
        "tc": execution.transitions or None,
        "sa": epoch_seconds(execution.sweep_at) if execution.sweep_at else None,
        "swn": execution.sweep_count or None,
        "cx": epoch_seconds(execution.children_expire_at) if execution.children_expire_at else None,
        "bk": execution.business_key,
        "rdc": execution.redrive_count or None,
        "rda": _stamp(execution.redriven_at),
        "use": _consumed_attribute(execution.consumed),
        **data_attribute,
        **(bookkeeping or {}),
    }
    # Absent beats null: smaller items, and DynamoDB bills by size.
    return {key: value for key, value in item.items() if value is not None and value != []}


def item_to_head(item: dict[str, Any], data: Any, variables: Any = None) -> Execution:
    """Rebuild an Execution from a head item (``data`` and ``variables`` already
    resolved from d/dref and vars/varsref)."""
    return Execution(
        execution_id=item["pk"][2:],
        workflow=item["wf"],
        name=item["nm"],
        definition_hash=item["dh"],
        input_hash=item["ih"],
        start_date=datetime.fromisoformat(item["sd"]),
        status=ExecutionStatus(item["st"]),
        version=int(item["v"]),
        state=item.get("state"),
        data=data,
        entered_version=int(item.get("ev", 0)),
        entered_at=_parse(item.get("ea")),
        variables=variables or {},
        waiting=_waiting_of(item),
        deadline=_parse(item.get("dl")),
        parent=_parent_of(item),
        caller=Caller(str(item["cal"][0]), str(item["cal"][1])) if "cal" in item else None,
        event_count=int(item.get("ec", 0)),
        stop_date=_parse(item.get("end")),
        error=item.get("err"),
        cause=item.get("cau"),
        decision_id=item.get("did"),
        updated_at=_parse(item.get("at")),
        transitions=int(item.get("tc", 0)),
        sweep_at=from_epoch(item.get("sa")),
        sweep_count=int(item.get("swn", 0)),
        children_expire_at=from_epoch(item.get("cx")),
        business_key=item.get("bk"),
        redrive_count=int(item.get("rdc", 0)),
        redriven_at=_parse(item.get("rda")),
        consumed=Consumed(*(int(n) for n in item["use"])) if "use" in item else Consumed(),
    )


def _consumed_attribute(consumed: Consumed) -> list[int] | None:
    """``use`` = [write units, read units, messages] (absent while all are 0)."""
    counts = [consumed.write_units, consumed.read_units, consumed.messages]
    return counts if any(counts) else None


def events_to_json(events: list[HistoryEvent]) -> str:
    """Serialise a transition's events for its history item."""
    return json.dumps(
        [
            {
                "id": e.id,
                "type": e.type,
                "timestamp": e.timestamp.isoformat(),
                **({"state": e.state} if e.state is not None else {}),
                **({"details": e.details} if e.details else {}),
            }
            for e in events
        ],
        separators=(",", ":"),
        default=str,
    )


def events_from_json(text: str) -> list[HistoryEvent]:
    """Parse a history item's events."""
    return [
        HistoryEvent(
            raw["id"],
            raw["type"],
            datetime.fromisoformat(raw["timestamp"]),
            raw.get("state"),
            raw.get("details", {}),
        )
        for raw in json.loads(text)
    ]


def _waiting_attributes(waiting: Waiting) -> dict[str, Any]:
    """What a head waits for, in the attributes heads have always used: a task attempt is
    ``att``/``rc``/``nonce`` (+ ``due`` for a delayed retry, ``tmo`` for its timeout), a
    Wait's end is ``due`` alone."""
    if isinstance(waiting, TaskAttempt):
        return {
            "att": waiting.number,
            "rc": list(waiting.retry_counts),
            "nonce": waiting.nonce,
            "due": _stamp(waiting.dispatch_at),
            "tmo": _stamp(waiting.timeout_at),
            "hbs": waiting.heartbeat_seconds,
            HEARTBEAT_ATTRIBUTE: _stamp(waiting.heartbeat_at),
            SUBMITTED_ATTRIBUTE: 1 if waiting.submitted else None,
        }
    if isinstance(waiting, WaitUntil):
        return {"due": _stamp(waiting.due_at)}
    if isinstance(waiting, FanOut):
        # "fan": [total, lanes]; the attempt and retries as a task attempt's; "fm": how a
        # distributed Map's children get their input (R: being read, S: stored); "tol":
        # [count, percentage] tolerated failures.
        percentage = waiting.tolerated_percentage
        tolerance = [
            waiting.tolerated_count,
            Decimal(str(percentage)) if percentage is not None else None,  # no float
        ]
        counts = [waiting.total, waiting.lanes]
        return {
            "fan": counts if waiting.items is None else [*counts, waiting.items],
            "att": waiting.attempt if waiting.attempt != 1 else None,
            "rc": list(waiting.retry_counts),
            "due": _stamp(waiting.launch_at),
            "fm": "R" if waiting.reading else "S" if waiting.stored else None,
            "tol": tolerance if tolerance != [None, None] else None,
        }
    return {}


def _waiting_of(item: dict[str, Any]) -> Waiting:
    """The inverse of :func:`_waiting_attributes` (a task attempt always has a nonce)."""
    if "nonce" in item:
        return TaskAttempt(
            number=int(item.get("att", 1)),
            retry_counts=tuple(int(n) for n in item.get("rc", ())),
            nonce=str(item["nonce"]),
            dispatch_at=_parse(item.get("due")),
            timeout_at=_parse(item.get("tmo")),
            heartbeat_seconds=int(item["hbs"]) if "hbs" in item else None,
            heartbeat_at=_parse(item.get(HEARTBEAT_ATTRIBUTE)),
            submitted=bool(item.get(SUBMITTED_ATTRIBUTE)),
        )
    due = _parse(item.get("due"))
    if "fan" in item:
        total, lanes, *items = (int(n) for n in item["fan"])
        count, percentage = item.get("tol") or (None, None)
        return FanOut(
            total=total,
            lanes=lanes,
            items=items[0] if items else None,
            attempt=int(item.get("att", 1)),
            retry_counts=tuple(int(n) for n in item.get("rc", ())),
            launch_at=due,
            reading=item.get("fm") == "R",
            stored=item.get("fm") == "S",
            tolerated_count=int(count) if count is not None else None,
            tolerated_percentage=float(percentage) if percentage is not None else None,
        )
    return WaitUntil(due) if due is not None else None


def _parent_attribute(parent: ChildOf | None) -> dict[str, Any]:
    """A child execution's place: ``par`` = [parent id, state, visit, index, lanes, total],
    then [weight, own context (1/0)] and the context's id when they are not the defaults."""
    if parent is None:
        return {}
    place = [
        parent.execution_id,
        parent.state,
        parent.visit,
        parent.index,
        parent.lanes,
        parent.total,
    ]
    if parent.weight != 1 or parent.own_context or parent.context is not None:
        place += [parent.weight, int(parent.own_context)]
    if parent.context is not None:
        place.append(parent.context)
    return {"par": place}


def _parent_of(item: dict[str, Any]) -> ChildOf | None:
    if "par" not in item:
        return None
    execution_id, state, visit, index, lanes, total, *extra = item["par"]
    weight, own = (int(extra[0]), bool(extra[1])) if extra else (1, False)
    return ChildOf(
        str(execution_id),
        str(state),
        int(visit),
        int(index),
        int(lanes),
        int(total),
        weight=weight,
        own_context=own,
        context=str(extra[2]) if len(extra) > 2 else None,
    )
