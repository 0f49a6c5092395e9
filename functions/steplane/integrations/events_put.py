"""EventBridge: ``arn:aws:states:::events:putEvents`` (and ``.waitForTaskToken``).

- "The execution ARN and the state machine ARN are automatically appended to the
  Resources field of each PutEventsRequestEntry."
- "If the response from PutEvents contains a non-zero FailedEntryCount then the Task
  state fails with the error EventBridge.FailedEntry" (the cause: the response).
- The output is ``{Entries, FailedEntryCount}``; a ``Detail`` given as an object is sent
  as its JSON text.

Repeat-safety: a repeated call puts the events again (EventBridge has no idempotency
key); Step Functions' own retries do the same ("it retries with the original array").
"""

from __future__ import annotations

import json
from typing import Any

from steplane.integrations.calls import Call, Failed, Outcome, Ports, Submitted, Succeeded
from steplane.integrations.resources import Pattern
from steplane.integrations.responses import as_text, without_metadata
from steplane.integrations.service_errors import invalid_request, optimised_failure


def perform(call: Call, ports: Ports) -> Outcome:
    """Put the events."""
    entries = call.object_parameters().get("Entries")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return invalid_request("events", "events:putEvents needs Entries, a list of objects")
    message, settings = call.message, ports.settings
    workflow = message.execution_id.split(":", 1)[0]
    name = message.execution_id.split(":", 1)[1].split("/", 1)[0]
    ours = [settings.state_machine_arn(workflow), settings.execution_arn(workflow, name)]
    request = [_entry(entry, ours) for entry in entries]
    client = ports.client("events")
    try:
        response = client.put_events(Entries=request)
    except Exception as error:  # the service's refusal is the task's error
        return optimised_failure("events", client, error)
    body = without_metadata(response)
    if int(response.get("FailedEntryCount") or 0) > 0:
        return Failed("EventBridge.FailedEntry", json.dumps(body, separators=(",", ":")))
    if call.pattern is Pattern.CALLBACK:
        return Submitted()
    return Succeeded(body)


def _entry(entry: dict[str, Any], ours: list[str]) -> dict[str, Any]:
    shaped = dict(entry)
    if "Detail" in shaped:
        shaped["Detail"] = as_text(shaped["Detail"])
    given = shaped.get("Resources")
    shaped["Resources"] = [*(given if isinstance(given, list) else []), *ours]
    return shaped
