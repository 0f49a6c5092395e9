"""Read models of published workflows, in API shape: ``GET /workflows``,
``/workflows/{name}`` and ``/workflows/{name}/definition``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from steplane.errors import InvalidRequestError, WorkflowNotFoundError
from steplane.ports import ExecutionStore
from steplane.statistics import standouts, summarise


class DefinitionNotFoundError(WorkflowNotFoundError):
    """A hash the workflow was never published with."""

    def __init__(self, workflow: str, definition_hash: str) -> None:
        super().__init__(workflow)
        self.args = (
            f"workflow {workflow!r} was never published with definition {definition_hash!r}",
        )


def workflows_page(
    store: ExecutionStore, next_token: str | None, max_results: int
) -> dict[str, Any]:
    """Published workflows by name: each one's current definition hash, revision and
    publish date; ``nextToken`` when there are more."""
    entries, token = store.workflows.page(next_token, max_results)
    body: dict[str, Any] = {"workflows": entries}
    if token:
        body["nextToken"] = token
    return body


def describe_workflow(store: ExecutionStore, workflow: str) -> dict[str, Any]:
    """A workflow's current definition hash and every revision, newest first.

    Raises:
        WorkflowNotFoundError: never published.
    """
    described = store.workflows.describe(workflow)
    if described is None:
        raise WorkflowNotFoundError(workflow)
    return described


def workflow_definition(
    store: ExecutionStore, workflow: str, definition_hash: str | None
) -> dict[str, Any]:
    """The definition ``workflow`` was published with under ``definition_hash`` (default:
    its current one), as stored (canonical JSON, the ASL spelling).

    Raises:
        WorkflowNotFoundError: never published, or never with that hash.
    """
    described = describe_workflow(store, workflow)
    wanted = definition_hash or described["definitionHash"]
    known = {described["definitionHash"], *(r["definitionHash"] for r in described["revisions"])}
    if wanted not in known:
        raise DefinitionNotFoundError(workflow, wanted)
    definition = store.get_definition(wanted)
    if definition is None:
        raise DefinitionNotFoundError(workflow, wanted)
    return {
        "name": workflow,
        "definitionHash": wanted,
        "definition": json.loads(definition.canonical_json()),
    }


# The widest window a statistics request may ask for (its hours are read, not history).
MAX_STATS_WINDOW = timedelta(days=31)
DEFAULT_STATS_WINDOW = timedelta(hours=24)


def workflow_stats(
    store: ExecutionStore,
    workflow: str,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """Per-state duration percentiles, attempts, retries and failures of ``workflow`` over
    the hours from ``since`` to ``until`` (default: the last 24 hours), from the per-state
    aggregates (steplane.statistics): no history is read. ``standouts`` names the slowest
    and the flakiest state.

    Raises:
        WorkflowNotFoundError: never published.
        InvalidRequestError: a window that ends before it starts, or is over 31 days.
    """
    if store.resolve_workflow(workflow) is None:  # one read, not its revisions
        raise WorkflowNotFoundError(workflow)
    until = until or now
    since = since or until - DEFAULT_STATS_WINDOW
    if since >= until:
        raise InvalidRequestError("since must be earlier than until")
    if until - since > MAX_STATS_WINDOW:
        raise InvalidRequestError("the window is over 31 days: narrow since and until")
    states = summarise(store.stats.read(workflow, since, until))
    return {
        "workflow": workflow,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "states": states,
        "standouts": standouts(states),
    }
