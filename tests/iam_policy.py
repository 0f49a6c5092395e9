"""Just enough IAM to ask what a function's role lets it do on DynamoDB and SQS.

A role's grants are read from the *translated* template (what CloudFormation deploys: SAM's
policy templates expanded, its managed policies attached), resolved against a provisioned
stack. Only Allow statements with Action and Resource are modelled; anything else (Deny,
NotAction, Condition...) fails loudly rather than being guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import botocore.session

SERVICES = ("dynamodb", "sqs", "s3")
# Batch APIs are authorised by the action of their single-message twin.
IAM_ACTION_OF = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


@dataclass(frozen=True)
class Statement:
    """One Allow statement: action and resource patterns (IAM wildcards ``*`` and ``?``)."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def allows(self, action: str, resource: str) -> bool:
        """Whether this statement allows ``action`` (case-insensitive) on ``resource``."""
        return any(fnmatchcase(action.lower(), a.lower()) for a in self.actions) and any(
            fnmatchcase(resource, r) for r in self.resources
        )


# The AWS managed policies SAM attaches, reduced to their DynamoDB and SQS statements (the
# others grant CloudWatch Logs and X-Ray only). A policy not listed here fails the test.
MANAGED_POLICIES: dict[str, tuple[Statement, ...]] = {
    "service-role/AWSLambdaBasicExecutionRole": (),
    "AWSXrayWriteOnlyAccess": (),
    "service-role/AWSLambdaSQSQueueExecutionRole": (
        Statement(("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"), ("*",)),
    ),
}


def role_statements(role: dict[str, Any], resolve: Callable[[Any], Any]) -> list[Statement]:
    """Every Allow statement of an ``AWS::IAM::Role``, intrinsics resolved by ``resolve``."""
    props = role["Properties"]
    statements: list[Statement] = []
    for arn in props.get("ManagedPolicyArns", []):
        name = str(resolve(arn)).split(":policy/", 1)[1]
        assert name in MANAGED_POLICIES, f"unknown managed policy {name}: model it first"
        statements.extend(MANAGED_POLICIES[name])
    # Resolved whole: a policy or statement under a false Fn::If (AWS::NoValue) is left out.
    policies = resolve({"Policies": props.get("Policies", [])}).get("Policies", [])
    for policy in policies:
        for resolved in _as_list(policy["PolicyDocument"]["Statement"]):
            statements.append(_statement(resolved))
    return statements


def granted(
    statements: Iterable[Statement], actions: Iterable[str], resources: Iterable[str]
) -> set[tuple[str, str]]:
    """The (action, resource) pairs among ``actions`` x ``resources`` that are allowed.

    An action is paired only with resources of its own service (``sqs:*`` on a table ARN
    means nothing).
    """
    statements = list(statements)
    resources = list(resources)
    return {
        (action, resource)
        for action in actions
        for resource in resources
        if action.split(":")[0] == resource.split(":")[2]
        and any(s.allows(action, resource) for s in statements)
    }


def action_universe(statements: Iterable[Statement]) -> set[str]:
    """DynamoDB and SQS actions: every API operation's, plus any a statement names."""
    session = botocore.session.get_session()
    actions = {
        f"{service}:{IAM_ACTION_OF.get(name, name)}"
        for service in SERVICES
        for name in session.get_service_model(service).operation_names
    }
    named = {a for s in statements for a in s.actions if "*" not in a and "?" not in a}
    return actions | {a for a in named if a.split(":")[0] in SERVICES}


def call_of(
    service: str, operation: str, params: dict[str, Any], region: str, account: str
) -> tuple[str, str]:
    """The IAM (action, resource ARN) that authorises one API call."""
    action = f"{service}:{IAM_ACTION_OF.get(operation, operation)}"
    if service == "dynamodb":
        table = params["TableName"]  # a name, or the table's ARN
        if not table.startswith("arn:"):
            table = f"arn:aws:dynamodb:{region}:{account}:table/{table}"
        index = params.get("IndexName")
        return action, f"{table}/index/{index}" if index else table
    if service == "sqs":
        return action, queue_arn_of(operation, params, region, account)
    if service == "s3":
        # Object calls are authorised on the object, a listing on its bucket (ListBucket).
        if operation == "ListObjectsV2":
            return "s3:ListBucket", f"arn:aws:s3:::{params['Bucket']}"
        if operation == "GetObject" and "VersionId" in params:
            action = "s3:GetObjectVersion"
        return action, f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"
    if service == "sns":
        return action, params.get("TopicArn") or params["TargetArn"]
    if service == "sts" and operation == "AssumeRole":
        return "sts:AssumeRole", params["RoleArn"]
    if service == "lambda" and operation == "Invoke":
        return "lambda:InvokeFunction", params["FunctionName"]
    raise AssertionError(f"no IAM resource model for {service}:{operation}")


# A transaction is authorised action by action, each as its single-item call: "Permissions
# for Put, Update, Delete, and Get actions are governed by the permissions used for the
# underlying PutItem, UpdateItem, DeleteItem, and GetItem operations" (DynamoDB developer
# guide, Using IAM with DynamoDB transactions); a ConditionCheck needs ConditionCheckItem.
TRANSACTION_PARTS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "Get": "GetItem",
    "ConditionCheck": "ConditionCheckItem",
}


def calls_of(
    service: str, operation: str, params: dict[str, Any], region: str, account: str
) -> list[tuple[str, str]]:
    """Every IAM (action, resource ARN) one API call needs (a transaction needs several)."""
    if service == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            call_of(service, TRANSACTION_PARTS[kind], part, region, account)
            for entry in params["TransactItems"]
            for kind, part in entry.items()
        ]
    if service == "dynamodb" and operation in ("BatchGetItem", "BatchWriteItem"):
        # A batch names its tables in RequestItems; it needs its action on each.
        return [
            call_of(service, operation, {"TableName": table}, region, account)
            for table in params["RequestItems"]
        ]
    if service == "events" and operation == "PutEvents":
        # Authorised on each entry's event bus (by name or ARN; none: the default bus).
        buses = {entry.get("EventBusName", "default") for entry in params["Entries"]}
        return [
            (
                "events:PutEvents",
                bus
                if bus.startswith("arn:")
                else f"arn:aws:events:{region}:{account}:event-bus/{bus}",
            )
            for bus in sorted(buses)
        ]
    return [call_of(service, operation, params, region, account)]


def queue_arn_of(operation: str, params: dict[str, Any], region: str, account: str) -> str:
    """The ARN of the queue an SQS call names, by URL or (GetQueueUrl) by name."""
    if operation == "GetQueueUrl":
        owner, name = params.get("QueueOwnerAWSAccountId", account), params["QueueName"]
    else:
        owner, name = params["QueueUrl"].rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{region}:{owner}:{name}"


def _statement(raw: dict[str, Any]) -> Statement:
    assert set(raw) <= {"Sid", "Effect", "Action", "Resource"}, f"not modelled: {raw}"
    assert raw["Effect"] == "Allow", f"not modelled: {raw}"
    return Statement(tuple(_as_list(raw["Action"])), tuple(_as_list(raw["Resource"])))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
