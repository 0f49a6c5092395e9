"""Create the template's tables and queues, and resolve references to them.

:func:`provision` plays CloudFormation for the stateful resources of ``template.yaml``
(DynamoDB tables and SQS queues) against whatever clients it is given, usually moto's.
The :class:`Resources` it returns answers ``Ref`` and ``Fn::GetAtt`` the way CloudFormation
would, so a function's environment resolves to the same shape of values as in AWS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from steplane.local.cfn import TemplateError, UnresolvedReferenceError, resolve, to_str

if TYPE_CHECKING:
    from steplane.local.specs import QueueSpec, TableSpec
    from steplane.local.template import Template

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
STACK_NAME = "steplane"


@dataclass(frozen=True)
class Resources:
    """Physical ids and attributes of provisioned resources, keyed by logical id.

    Attributes:
        region: the region the clients talk to (``AWS::Region``).
        account_id: the account (``AWS::AccountId``).
        physical_ids: logical id -> what ``Ref`` returns (table name, queue URL).
        attributes: logical id -> attribute name -> what ``Fn::GetAtt`` returns.
        parameters: template parameter name -> value (``Ref`` of a parameter).
    """

    region: str
    account_id: str = DEFAULT_ACCOUNT_ID
    physical_ids: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    # The template's Conditions (unresolved), for Fn::If.
    conditions: Mapping[str, Any] = field(default_factory=dict)

    def ref(self, logical_id: str) -> Any:
        """What CloudFormation's ``Ref`` gives: a table's name, a queue's URL, a pseudo param."""
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": STACK_NAME,
        }
        if logical_id in pseudo:
            return pseudo[logical_id]
        if logical_id in self.physical_ids:
            return self.physical_ids[logical_id]
        if logical_id in self.parameters:
            value = self.parameters[logical_id]
            # A CommaDelimitedList is a list; any other parameter a string.
            return list(value) if isinstance(value, list | tuple) else to_str(value)
        raise UnresolvedReferenceError(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> str:
        """What ``Fn::GetAtt`` gives: ``Arn`` of tables and queues, ``QueueName``, ``QueueUrl``."""
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            raise UnresolvedReferenceError(logical_id, attribute) from None

    def resolve(self, value: Any) -> Any:
        """Evaluate ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``... inside ``value``, recursively."""
        return resolve(value, self.ref, self.get_att, self._condition)

    def _condition(self, name: str) -> Any:
        if name not in self.conditions:
            raise TemplateError(f"the template has no condition {name!r} (Conditions)")
        return self.conditions[name]

    def with_resource(
        self, logical_id: str, physical_id: str, attributes: Mapping[str, str]
    ) -> Resources:
        """A copy that also knows ``logical_id``."""
        return Resources(
            region=self.region,
            account_id=self.account_id,
            physical_ids={**self.physical_ids, logical_id: physical_id},
            attributes={**self.attributes, logical_id: dict(attributes)},
            parameters=self.parameters,
            conditions=self.conditions,
        )


def provision(
    template: Template,
    dynamodb_client: Any,
    sqs_client: Any,
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> Resources:
    """Create every DynamoDB table and SQS queue the template declares.

    Physical names are ``steplane-<LogicalId>`` unless the template sets TableName or
    QueueName. The account is expected to be empty (a fresh moto backend).

    Args:
        template: the parsed template.
        dynamodb_client: a boto3 DynamoDB client.
        sqs_client: a boto3 SQS client in the same region.
        account_id: the value of ``AWS::AccountId``.

    Returns:
        The created resources, for ``Ref`` / ``Fn::GetAtt`` resolution.

    Raises:
        TemplateError: a RedrivePolicy names a queue the template does not declare, or the
            dead-letter queues form a cycle.
    """
    resources = Resources(
        region=sqs_client.meta.region_name,
        account_id=account_id,
        parameters=template.parameter_defaults(),
        conditions=template.data.get("Conditions") or {},
    )
    for table in template.tables():
        resources = _create_table(table, dynamodb_client, resources)
    for queue in _dead_letter_queues_first(template.queues()):
        resources = _create_queue(queue, sqs_client, resources)
    for role, spec in template.resources_of_type("AWS::IAM::Role").items():
        # Nothing to create locally (moto does not enforce IAM); a role's ARN is still
        # what the functions' environment names ($$.Execution.RoleArn), with its Path.
        name = f"{STACK_NAME}-{role}"
        path = resources.resolve((spec.get("Properties") or {}).get("Path", "/"))
        arn = f"arn:aws:iam::{account_id}:role{path}{name}"
        resources = resources.with_resource(role, name, {"Arn": arn, "RoleId": name})
    return resources


def function_environment(
    template: Template, function_logical_id: str, resources: Resources
) -> dict[str, str]:
    """The environment variables a function gets, resolved against provisioned resources.

    Raises:
        TemplateError: no such function, or a variable references something unknown.
    """
    spec = template.function(function_logical_id)
    return {name: to_str(resources.resolve(value)) for name, value in spec.environment.items()}


def _create_table(spec: TableSpec, client: Any, resources: Resources) -> Resources:
    name = _physical_name(spec.logical_id, spec.explicit_name, resources)
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": list(spec.key_schema),
        "AttributeDefinitions": list(spec.attribute_definitions),
        "BillingMode": spec.billing_mode,
    }
    optional = {
        "GlobalSecondaryIndexes": list(spec.global_secondary_indexes),
        "LocalSecondaryIndexes": list(spec.local_secondary_indexes),
        "ProvisionedThroughput": spec.provisioned_throughput,
    }
    request.update({k: v for k, v in optional.items() if v})
    description = client.create_table(**resources.resolve(request))["TableDescription"]
    if spec.ttl_attribute:
        # moto records TTL but never expires items; AWS deletes within days anyway.
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
        )
    return resources.with_resource(spec.logical_id, name, {"Arn": description["TableArn"]})


def _create_queue(spec: QueueSpec, client: Any, resources: Resources) -> Resources:
    attributes = {k: to_str(resources.resolve(v)) for k, v in spec.attributes.items()}
    name = _physical_name(spec.logical_id, spec.explicit_name, resources)
    if spec.explicit_name is None and attributes.get("FifoQueue") == "true":
        name += ".fifo"  # AWS requires the suffix; CloudFormation adds it to generated names
    if spec.redrive_policy is not None:
        policy = resources.resolve(spec.redrive_policy)
        attributes["RedrivePolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
    url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return resources.with_resource(
        spec.logical_id, url, {"Arn": arn, "QueueName": name, "QueueUrl": url}
    )


def _physical_name(logical_id: str, explicit_name: Any, resources: Resources) -> str:
    if explicit_name is None:
        return f"{STACK_NAME}-{logical_id}"
    return to_str(resources.resolve(explicit_name))


def _dead_letter_queues_first(queues: list[QueueSpec]) -> list[QueueSpec]:
    """Order queues so each one's dead-letter queue is created before it."""
    declared = {q.logical_id for q in queues}
    ordered: list[QueueSpec] = []
    done: set[str] = set()
    pending = list(queues)
    while pending:
        ready = [
            q
            for q in pending
            if q.dead_letter_queue_logical_id is None or q.dead_letter_queue_logical_id in done
        ]
        if not ready:
            problems = [
                f"{q.logical_id} -> {q.dead_letter_queue_logical_id}"
                + ("" if q.dead_letter_queue_logical_id in declared else " (not a declared queue)")
                for q in pending
            ]
            raise TemplateError(f"cannot order dead-letter queues: {', '.join(problems)}")
        ordered.extend(ready)
        done.update(q.logical_id for q in ready)
        pending = [q for q in pending if q.logical_id not in done]
    return ordered
