"""Typed views of the template resources the local runtime uses, built by pure parsing.

Values taken from the template may still hold intrinsics (``{"Ref": ...}``); they are
resolved only when resources exist (see :mod:`steplane.local.provision`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from steplane.local.cfn import TemplateError, get_att_target

# SQS queue properties that are also SQS attribute names (CreateQueue takes them as strings).
QUEUE_ATTRIBUTES = (
    "VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds", "FifoQueue", "ContentBasedDeduplication",
    "SqsManagedSseEnabled",
)  # fmt: skip
LAMBDA_DEFAULT_TIMEOUT = 3
SQS_DEFAULT_BATCH_SIZE = 10


@dataclass(frozen=True)
class TableSpec:
    """An ``AWS::DynamoDB::Table``. ``explicit_name`` is its TableName, or None."""

    logical_id: str
    explicit_name: Any
    key_schema: tuple[dict[str, Any], ...]
    attribute_definitions: tuple[dict[str, Any], ...]
    billing_mode: str
    global_secondary_indexes: tuple[dict[str, Any], ...] = ()
    local_secondary_indexes: tuple[dict[str, Any], ...] = ()
    provisioned_throughput: dict[str, Any] | None = None
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class QueueSpec:
    """An ``AWS::SQS::Queue``. ``attributes`` maps SQS attribute names to template values."""

    logical_id: str
    explicit_name: Any
    attributes: dict[str, Any]
    redrive_policy: Any = None
    dead_letter_queue_logical_id: str | None = None
    max_receive_count: int | None = None


@dataclass(frozen=True)
class SqsEventSpec:
    """An SQS event source of a function."""

    queue_logical_id: str
    batch_size: int = SQS_DEFAULT_BATCH_SIZE
    report_batch_item_failures: bool = False


@dataclass(frozen=True)
class ApiEventSpec:
    """An API Gateway (REST) route of a function, e.g. ``POST /executions``."""

    method: str
    path: str


@dataclass(frozen=True)
class ScheduleEventSpec:
    """A ``Schedule`` / ``ScheduleV2`` event of a function, e.g. ``rate(1 minute)``."""

    expression: str


@dataclass(frozen=True)
class FunctionSpec:
    """An ``AWS::Serverless::Function`` with its Globals merged in.

    ``environment`` is unresolved: Globals' variables overlaid by the function's own.
    """

    logical_id: str
    handler: str
    environment: dict[str, Any]
    sqs_events: tuple[SqsEventSpec, ...]
    api_events: tuple[ApiEventSpec, ...]
    timeout: int = LAMBDA_DEFAULT_TIMEOUT
    schedule_events: tuple[ScheduleEventSpec, ...] = ()


def parse_table(logical_id: str, resource: dict[str, Any]) -> TableSpec:
    """Build a :class:`TableSpec` from an ``AWS::DynamoDB::Table`` resource."""
    props = resource.get("Properties") or {}
    if "KeySchema" not in props or "AttributeDefinitions" not in props:
        raise TemplateError(f"table {logical_id}: KeySchema and AttributeDefinitions are required")
    ttl = props.get("TimeToLiveSpecification") or {}
    return TableSpec(
        logical_id=logical_id,
        explicit_name=props.get("TableName"),
        key_schema=tuple(props["KeySchema"]),
        attribute_definitions=tuple(props["AttributeDefinitions"]),
        billing_mode=props.get("BillingMode", "PROVISIONED"),
        global_secondary_indexes=tuple(props.get("GlobalSecondaryIndexes", ())),
        local_secondary_indexes=tuple(props.get("LocalSecondaryIndexes", ())),
        provisioned_throughput=props.get("ProvisionedThroughput"),
        ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") is True else None,
    )


def parse_queue(logical_id: str, resource: dict[str, Any]) -> QueueSpec:
    """Build a :class:`QueueSpec` from an ``AWS::SQS::Queue`` resource."""
    props = resource.get("Properties") or {}
    redrive = props.get("RedrivePolicy")
    # A RedrivePolicy given as a JSON string is passed through; only the object form (the
    # one our template uses) lets us learn which queue is the DLQ, to create it first.
    target = (
        get_att_target(redrive.get("deadLetterTargetArn")) if isinstance(redrive, dict) else None
    )
    max_receive = redrive.get("maxReceiveCount") if isinstance(redrive, dict) else None
    return QueueSpec(
        logical_id=logical_id,
        explicit_name=props.get("QueueName"),
        attributes={k: props[k] for k in QUEUE_ATTRIBUTES if k in props},
        redrive_policy=redrive,
        dead_letter_queue_logical_id=target[0] if target else None,
        max_receive_count=int(max_receive) if max_receive is not None else None,
    )


def parse_function(
    logical_id: str, resource: dict[str, Any], globals_: dict[str, Any]
) -> FunctionSpec:
    """Build a :class:`FunctionSpec` from an ``AWS::Serverless::Function`` resource.

    Args:
        logical_id: the function's logical id.
        resource: the resource as written in the template.
        globals_: the template's ``Globals.Function`` section (may be empty).
    """
    own = resource.get("Properties") or {}
    # SAM Globals: a function's own value wins; Environment.Variables are merged key by key.
    props = {**globals_, **own}
    handler = props.get("Handler")
    if not isinstance(handler, str):
        raise TemplateError(f"function {logical_id}: Handler must be a string, got {handler!r}")
    environment = {**_variables(globals_), **_variables(own)}
    sqs_events: list[SqsEventSpec] = []
    api_events: list[ApiEventSpec] = []
    schedules: list[ScheduleEventSpec] = []
    for name, event in (props.get("Events") or {}).items():
        event_props = event.get("Properties") or {}
        if event.get("Type") == "SQS":
            sqs_events.append(_sqs_event(f"function {logical_id} event {name}", event_props))
        elif event.get("Type") == "Api":
            api_events.append(ApiEventSpec(str(event_props["Method"]).upper(), event_props["Path"]))
        elif event.get("Type") in ("Schedule", "ScheduleV2"):
            expression = event_props.get("ScheduleExpression") or event_props.get("Schedule")
            schedules.append(ScheduleEventSpec(str(expression)))
    return FunctionSpec(
        logical_id=logical_id,
        handler=handler,
        environment=environment,
        sqs_events=tuple(sqs_events),
        api_events=tuple(api_events),
        timeout=int(props.get("Timeout", LAMBDA_DEFAULT_TIMEOUT)),
        schedule_events=tuple(schedules),
    )


def _variables(props: dict[str, Any]) -> dict[str, Any]:
    return dict((props.get("Environment") or {}).get("Variables") or {})


def _sqs_event(where: str, props: dict[str, Any]) -> SqsEventSpec:
    target = get_att_target(props.get("Queue"))
    if target is None or target[1] != "Arn":
        raise TemplateError(f"{where}: Queue must be !GetAtt <QueueLogicalId>.Arn")
    return SqsEventSpec(
        queue_logical_id=target[0],
        batch_size=int(props.get("BatchSize", SQS_DEFAULT_BATCH_SIZE)),
        report_batch_item_failures="ReportBatchItemFailures"
        in (props.get("FunctionResponseTypes") or ()),
    )
