"""SNS: ``arn:aws:states:::sns:publish`` (and ``.waitForTaskToken``).

The output is Publish's response (``MessageId``) with the HTTP metadata; a ``Message``
that is not a string is published as its JSON text. Errors: ``SNS.{Exception}``
(``SNS.NotFoundException``, ``SNS.InvalidParameterException``).

Repeat-safety: a FIFO topic gets a ``MessageDeduplicationId`` derived from the task's
idempotency key and attempt when none is given; a standard topic may deliver a repeat.
"""

from __future__ import annotations

from steplane.integrations.calls import Call, Outcome, Ports
from steplane.integrations.responses import as_text
from steplane.integrations.service_errors import invalid_request, optimised_call
from steplane.integrations.sqs_send import deduplication_id


def perform(call: Call, ports: Ports) -> Outcome:
    """Publish the message."""
    parameters = call.object_parameters()
    if "Message" not in parameters:
        return invalid_request("sns", "sns:publish needs Message")
    request = {**parameters, "Message": as_text(parameters["Message"])}
    target = str(request.get("TopicArn") or request.get("TargetArn") or "")
    if target.endswith(".fifo"):
        request.setdefault("MessageDeduplicationId", deduplication_id(call))
    client = ports.client("sns")
    return optimised_call(call, "sns", client, lambda: client.publish(**request))
