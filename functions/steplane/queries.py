"""Read models for operators: an execution's description, its history and its children,
in API shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from steplane.errors import ExecutionNotFoundError, InvalidRequestError
from steplane.execution import Execution, ExecutionStatus
from steplane.interpreter.decisions import HistoryEvent
from steplane.names import child_execution_id, require_execution_id
from steplane.ports import ExecutionStore, ListFilter
from steplane.pricing import execution_cost


def event_to_api(event: HistoryEvent) -> dict[str, Any]:
    """A history event as the API returns it."""
    body: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "timestamp": event.timestamp.isoformat(),
    }
    if event.state is not None:
        body["state"] = event.state
    body.update(event.details)
    return body


def describe_execution(store: ExecutionStore, execution_id: str) -> dict[str, Any]:
    """Status, current state, input, output, error, cause, start and stop dates."""
    head = _head_of(store, execution_id)
    first = store.history(head, None, 1).events
    started = first[0].details.get("input") if first else None
    return {
        "executionId": head.execution_id,
        "workflow": head.workflow,
        "name": head.name,
        "status": head.status.value,
        "currentState": head.state,
        "input": started,
        "output": head.data if head.status.value == "SUCCEEDED" else None,
        "error": head.error,
        "cause": head.cause,
        "startDate": head.start_date.isoformat(),
        "stopDate": head.stop_date.isoformat() if head.stop_date else None,
        "definitionHash": head.definition_hash,
        "version": head.version,
        "businessKey": head.business_key,
        "redriveCount": head.redrive_count,
        "redriveDate": head.redriven_at.isoformat() if head.redriven_at else None,
        "cost": execution_cost(head.consumed, head.transitions),
        **({"children": counts} if (counts := children_counts(store, head)) else {}),
        **_parent(head),
    }


def _head_of(store: ExecutionStore, execution_id: str) -> Execution:
    """The head an operator's request names.

    Raises:
        ExecutionNotFoundError: no such execution.
    """
    head = store.get_head(require_execution_id(execution_id))
    if head is None:
        raise ExecutionNotFoundError(execution_id)
    return head


def children_counts(store: ExecutionStore, head: Execution) -> dict[str, Any] | None:
    """For a head parked in a Parallel or Map: its children's counts, from the lane
    records (lane j has moved past ``(pos - j) / lanes`` ended children; a lane not yet
    at its end, or not moved yet, has one child launched or about to be), and how to
    address them
    (steplane.names.child_execution_id)."""
    fan = head.fan_out
    if fan is None:
        return None
    visit = head.entered_version
    records = store.lanes.all(head.execution_id, visit)
    ended = sum((r.pos - r.lane) // fan.lanes for r in records)
    # A lane without a record has not moved yet: its first child runs, or is about to.
    moved = sum(1 for r in records if r.lane < fan.total)
    unmoved = 0 if fan.reading else max(0, min(fan.lanes, fan.total) - moved)
    # A lane stopped at a failure (none tolerated) runs nothing more.
    stopped = not fan.tolerates_failures
    running = unmoved + sum(
        1 for r in records if r.pos < fan.total and not (stopped and r.failed > 0)
    )
    failed = sum(r.failed for r in records)
    return {
        "state": head.state,
        "total": fan.total,
        "pending": fan.total - ended - running,
        "running": running,
        "succeeded": ended - failed,
        "failed": failed,
        "maxConcurrency": fan.lanes,
        # A distributed Map reads its items first: until then total is 0.
        "readingItems": fan.reading,
        # A Map Run's batches carry several items each: the items, and those failed.
        **(
            {"items": fan.items, "failedItems": sum(r.items_failed for r in records)}
            if fan.items is not None
            else {}
        ),
        "ids": f"{head.execution_id}/{visit}/{{index}}",
    }


def _parent(head: Execution) -> dict[str, Any]:
    """For a child execution: the execution, state and item it belongs to."""
    parent = head.parent
    if parent is None:
        return {}
    return {
        "parent": {
            "executionId": parent.execution_id,
            "state": parent.state,
            "index": parent.index,
        }
    }


def children_page(
    store: ExecutionStore,
    execution_id: str,
    visit: int | None,
    next_token: str | None,
    max_results: int,
) -> dict[str, Any]:
    """One page of the child executions of a Parallel or Map visit, in index order, with
    ``nextToken`` when there are more: each child's id and status (``PENDING``: not
    launched yet). ``visit`` defaults to the one the execution is parked on; an earlier
    visit is named by the ``visit`` of a child's id. Reads the children's heads 100 to a
    BatchGetItem, never a Scan.

    Raises:
        ExecutionNotFoundError: no such execution.
        InvalidRequestError: no visit to list (not parked on children, none given), or a
            token that is not a child index.
    """
    head = _head_of(store, execution_id)
    fan = head.fan_out
    if visit is None:
        if fan is None:
            raise InvalidRequestError(
                f"{execution_id!r} is not waiting on child executions: give ?visit= (the "
                "visit in a child's id, {parentId}/{visit}/{index})"
            )
        visit = head.entered_version
    if next_token is not None and not next_token.isdigit():
        raise InvalidRequestError(f"nextToken {next_token[:40]!r} is not one this listing gave")
    start = int(next_token or 0)
    total = _children_total(store, head, visit)
    stop = min(total, start + max_results)
    ids = [child_execution_id(execution_id, visit, i) for i in range(start, stop)]
    heads = store.get_heads(ids)
    children = [
        _child_entry(index, child_id, heads.get(child_id))
        for index, child_id in enumerate(ids, start)
    ]
    body: dict[str, Any] = {"visit": visit, "total": total, "children": children}
    if stop < total:
        body["nextToken"] = str(stop)
    return body


def _children_total(store: ExecutionStore, head: Execution, visit: int) -> int:
    """How many children the visit has: the parked head says, else any child does (a
    child's head names its visit's total); 0 when none was launched."""
    fan = head.fan_out
    if fan is not None and visit == head.entered_version:
        return fan.total
    first = store.get_head(child_execution_id(head.execution_id, visit, 0))
    return first.parent.total if first is not None and first.parent is not None else 0


def _child_entry(index: int, child_id: str, child: Execution | None) -> dict[str, Any]:
    if child is None:
        return {"index": index, "executionId": child_id, "status": "PENDING"}
    entry: dict[str, Any] = {"index": index, "executionId": child_id, "status": child.status.value}
    if child.error is not None:
        entry["error"] = child.error
    if child.stop_date is not None:
        entry["stopDate"] = child.stop_date.isoformat()
    return entry


def history_page(
    store: ExecutionStore, execution_id: str, next_token: str | None, max_results: int
) -> dict[str, Any]:
    """One page of history events, with ``nextToken`` when there are more."""
    head = _head_of(store, execution_id)
    page = store.history(head, next_token, max_results)
    body: dict[str, Any] = {"events": [event_to_api(e) for e in page.events]}
    if page.next_token:
        body["nextToken"] = page.next_token
    return body


def list_executions(
    store: ExecutionStore,
    *,
    workflow: str | None = None,
    status: str | None = None,
    business_key: str | None = None,
    started_after: str | None = None,
    started_before: str | None = None,
    next_token: str | None = None,
    max_results: int = 100,
) -> dict[str, Any]:
    """One page of executions (not a Parallel's or Map's children: their parent lists
    them), newest first, filtered by any of the arguments, with ``nextToken`` when
    there may be more. Reads the list indexes, never a Scan.

    Raises:
        InvalidRequestError: a status that is none of Step Functions', a date that is not
            ISO 8601, or bounds that exclude everything.
        InvalidPageTokenError: a token this listing did not give.
    """
    wanted = ListFilter(
        workflow=workflow or None,
        status=_status(status) if status else None,
        business_key=business_key or None,
        started_after=parse_moment(started_after, "startedAfter") if started_after else None,
        started_before=parse_moment(started_before, "startedBefore") if started_before else None,
    )
    after, before = wanted.started_after, wanted.started_before
    if after is not None and before is not None and after >= before:
        raise InvalidRequestError("startedAfter must be earlier than startedBefore")
    page = store.listing.query(wanted, next_token, max_results)
    body: dict[str, Any] = {"executions": page.executions}
    if page.next_token:
        body["nextToken"] = page.next_token
    return body


def _status(text: str) -> ExecutionStatus:
    try:
        return ExecutionStatus(text.upper())
    except ValueError:
        names = ", ".join(status.value for status in ExecutionStatus)
        raise InvalidRequestError(f"status {text[:40]!r} is none of {names}") from None


def parse_moment(text: str, name: str) -> datetime:
    """An ISO 8601 moment; one without a zone is UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequestError(
            f"{name} {text[:40]!r} is not an ISO 8601 date and time (e.g. 2026-12-01T09:30:00Z)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def execution_definition(store: ExecutionStore, execution_id: str) -> dict[str, Any]:
    """The definition an execution runs on (its pinned hash), whatever the workflow's
    registry holds (a workflow published before revisions were kept has none).

    Raises:
        ExecutionNotFoundError: no such execution.
    """
    head = _head_of(store, execution_id)
    definition = store.get_definition(head.definition_hash)
    if definition is None:
        raise ExecutionNotFoundError(execution_id)
    return {
        "executionId": head.execution_id,
        "workflow": head.workflow,
        "definitionHash": head.definition_hash,
        "definition": json.loads(definition.canonical_json()),
    }
