"""DynamoDB: ``arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem``.

"Only GetItem, PutItem, UpdateItem, and DeleteItem API actions are available through
optimized integration"; no ``.sync`` and no ``.waitForTaskToken``. Parameters are the
API's, with typed attribute values (``{"S": ...}``); the output is the response (an
``Item`` keeps its typed values) with the HTTP metadata. Errors: ``DynamoDB.{Exception}``
("For optimized integrations, the exception prefix will be DynamoDB (uppercase DB)"):
``DynamoDB.ConditionalCheckFailedException``, ``DynamoDB.ResourceNotFoundException``, and
``DynamoDB.AmazonDynamoDBException`` for a validation error.

Repeat-safety: getItem, putItem and deleteItem repeat to the same table; an updateItem
that is not idempotent (``ADD``, ``SET n = n + :one``) is applied again by a repeated call:
guard it with a ConditionExpression when that matters.
"""

from __future__ import annotations

from steplane.integrations.calls import Call, Outcome, Ports
from steplane.integrations.resources import ServiceCall
from steplane.integrations.responses import binary_values
from steplane.integrations.service_errors import invalid_request, optimised_call

_METHODS = {
    "getItem": "get_item",
    "putItem": "put_item",
    "updateItem": "update_item",
    "deleteItem": "delete_item",
}


def perform(call: Call, ports: Ports) -> Outcome:
    """Make the item call."""
    assert isinstance(call.target, ServiceCall)
    parameters = call.object_parameters()
    if not isinstance(parameters.get("TableName"), str):
        return invalid_request("dynamodb", f"dynamodb:{call.target.action} needs TableName")
    client = ports.client("dynamodb")
    method = getattr(client, _METHODS[call.target.action])
    request = binary_values(parameters)
    return optimised_call(call, "dynamodb", client, lambda: method(**request))
