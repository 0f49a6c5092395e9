"""Read models for operators: an execution's description and its history, in API shape."""

from __future__ import annotations

from typing import Any

from steplane.errors import ExecutionNotFoundError
from steplane.execution import Execution
from steplane.interpreter.decisions import HistoryEvent
from steplane.names import require_execution_id
from steplane.ports import ExecutionStore


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
    head = store.get_head(require_execution_id(execution_id))
    if head is None:
        raise ExecutionNotFoundError(execution_id)
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
        **({"children": counts} if (counts := children_counts(store, head)) else {}),
        **_parent(head),
    }


def children_counts(store: ExecutionStore, head: Execution) -> dict[str, Any] | None:
    """For a head parked in a Parallel or Map: its children's counts, from the lane
    records (lane j has moved past ``(pos - j) / lanes`` ended children; a lane not yet
    at its end has one child launched or about to be), and how to address them
    (steplane.names.child_execution_id)."""
    fan = head.fan_out
    if fan is None:
        return None
    visit = head.entered_version
    records = store.lanes.all(head.execution_id, visit)
    ended = sum((r.pos - r.lane) // fan.lanes for r in records)
    running = sum(1 for r in records if r.pos < fan.total)
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


def history_page(
    store: ExecutionStore, execution_id: str, next_token: str | None, max_results: int
) -> dict[str, Any]:
    """One page of history events, with ``nextToken`` when there are more."""
    head = store.get_head(require_execution_id(execution_id))
    if head is None:
        raise ExecutionNotFoundError(execution_id)
    page = store.history(head, next_token, max_results)
    body: dict[str, Any] = {"events": [event_to_api(e) for e in page.events]}
    if page.next_token:
        body["nextToken"] = page.next_token
    return body
