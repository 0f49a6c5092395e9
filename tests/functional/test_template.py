"""Provisioning from the real template.yaml into moto creates what the functions need."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from steplane.local.template import (
    Resources,
    Template,
    function_environment,
    load_template,
    provision,
)

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
SERVICES = ("AuthService", "ProvisioningService", "NotificationService")


@dataclass
class Stack:
    template: Template
    resources: Resources
    dynamodb: Any
    sqs: Any

    def queue_attributes(self, logical_id: str) -> dict[str, str]:
        url = self.resources.ref(logical_id)
        response = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        attributes: dict[str, str] = response["Attributes"]
        return attributes

    def queue_urls(self) -> set[str]:
        return set(self.sqs.list_queues()["QueueUrls"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def make_stack(template: Template) -> Stack:
    dynamodb = boto3.client("dynamodb")
    sqs = boto3.client("sqs")
    return Stack(template, provision(template, dynamodb, sqs), dynamodb, sqs)


@pytest.fixture
def stack(aws: None) -> Stack:
    return make_stack(load_template(TEMPLATE_PATH))


def test_provision_creates_executions_table_keyed_by_pk_and_sk(stack: Stack) -> None:
    # GIVEN the template provisioned in moto
    name = stack.resources.ref("ExecutionsTable")

    # WHEN the table is described
    table = stack.dynamodb.describe_table(TableName=name)["Table"]
    ttl = stack.dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]

    # THEN it has the declared key schema, billing mode and TTL attribute
    assert name == "steplane-ExecutionsTable"
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert stack.resources.get_att("ExecutionsTable", "Arn") == table["TableArn"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}


def test_provision_creates_every_declared_queue_and_nothing_else(stack: Stack) -> None:
    declared = {stack.resources.ref(q.logical_id) for q in stack.template.queues()}

    assert len(declared) == 16
    assert stack.queue_urls() == declared


def test_every_source_queue_redrives_to_its_dead_letter_queue_after_its_receive_count(
    stack: Stack,
) -> None:
    dead_letter_ids = stack.template.dead_letter_queue_ids()
    sources = [q.logical_id for q in stack.template.queues() if q.logical_id not in dead_letter_ids]

    assert len(sources) == 8
    for logical_id in sources:
        policy = json.loads(stack.queue_attributes(logical_id)["RedrivePolicy"])
        dlq_id = logical_id.removesuffix("Queue") + "DeadLetterQueue"
        assert policy["deadLetterTargetArn"] == stack.queue_attributes(dlq_id)["QueueArn"]
        # 20 for the engine's own queues (hints), 5 for task queues (template comment).
        expected = 20 if logical_id in ("StartQueue", "AdvanceQueue", "TaskResultQueue") else 5
        assert int(policy["maxReceiveCount"]) == expected


def test_dead_letter_queues_retain_longer_than_their_sources(stack: Stack) -> None:
    for queue in stack.template.queues():
        if queue.dead_letter_queue_logical_id is None:
            continue
        source = int(stack.queue_attributes(queue.logical_id)["MessageRetentionPeriod"])
        dlq = stack.queue_attributes(queue.dead_letter_queue_logical_id)
        assert int(dlq["MessageRetentionPeriod"]) == 1209600 > source


def test_message_received_max_receive_count_times_moves_to_dead_letter_queue(
    stack: Stack,
) -> None:
    # GIVEN a message on the AdvanceQueue that is never deleted
    queue_url = stack.resources.ref("AdvanceQueue")
    stack.sqs.send_message(QueueUrl=queue_url, MessageBody="poison")

    # WHEN it is received (and abandoned) maxReceiveCount times, then once more
    for _ in range(20):
        received = stack.sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=0)
        assert len(received["Messages"]) == 1
    after = stack.sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=0)

    # THEN the source queue has nothing left and the DLQ holds it
    dlq_url = stack.resources.ref("AdvanceDeadLetterQueue")
    in_dlq = stack.sqs.receive_message(QueueUrl=dlq_url)
    assert "Messages" not in after
    assert [m["Body"] for m in in_dlq["Messages"]] == ["poison"]


def test_every_function_environment_names_the_created_table_and_queues(stack: Stack) -> None:
    tables = stack.dynamodb.list_tables()["TableNames"]
    queue_urls = stack.queue_urls()

    functions = stack.template.functions()
    # Five engine functions (integrations too), the sweeper, redrive, three example workers.
    assert len(functions) == 10
    for function in functions:
        env = function_environment(stack.template, function.logical_id, stack.resources)

        assert env["EXECUTIONS_TABLE_NAME"] == stack.resources.ref("ExecutionsTable")
        assert env["EXECUTIONS_TABLE_NAME"] in tables
        for variable in ("ADVANCE_QUEUE_URL", "TASK_RESULT_QUEUE_URL", "DEFAULT_TASK_QUEUE_URL"):
            assert env[variable] in queue_urls
        routes = json.loads(env["TASK_QUEUE_URLS"])
        assert set(routes) == set(SERVICES)
        assert set(routes.values()) <= queue_urls
        assert all(isinstance(value, str) for value in env.values())


def test_each_worker_consumes_its_service_task_queue(stack: Stack) -> None:
    env = function_environment(stack.template, "StartFunction", stack.resources)
    routes = json.loads(env["TASK_QUEUE_URLS"])

    for service in SERVICES:
        worker = stack.template.function(f"{service}WorkerFunction")
        (event,) = worker.sqs_events
        assert event.queue_logical_id == f"{service}TaskQueue"
        assert event.report_batch_item_failures
        assert stack.resources.ref(event.queue_logical_id) == routes[service]


def test_every_consumed_queue_hides_messages_six_times_the_function_timeout(
    stack: Stack,
) -> None:
    for function in stack.template.functions():
        for event in function.sqs_events:
            visibility = int(stack.queue_attributes(event.queue_logical_id)["VisibilityTimeout"])
            assert visibility >= 6 * function.timeout, (function.logical_id, visibility)


def test_provision_honours_explicit_names_and_creates_dead_letter_queues_first(
    aws: None,
) -> None:
    # GIVEN a template whose source queue is declared before its DLQ and names are explicit
    template = Template(
        data={
            "Resources": {
                "Jobs": {
                    "Type": "AWS::SQS::Queue",
                    "Properties": {
                        "QueueName": {"Fn::Sub": "${AWS::StackName}-jobs"},
                        "DelaySeconds": 5,
                        "RedrivePolicy": {
                            "deadLetterTargetArn": {"Fn::GetAtt": ["JobsDlq", "Arn"]},
                            "maxReceiveCount": 3,
                        },
                    },
                },
                "JobsDlq": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": False}},
                "Data": {
                    "Type": "AWS::DynamoDB::Table",
                    "Properties": {
                        "TableName": "custom-data",
                        "BillingMode": "PAY_PER_REQUEST",
                        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    },
                },
            }
        }
    )

    # WHEN it is provisioned
    stack = make_stack(template)

    # THEN names are as declared and the redrive points at the DLQ created first
    assert stack.resources.ref("Data") == "custom-data"
    assert stack.resources.get_att("Jobs", "QueueName") == "steplane-jobs"
    jobs = stack.queue_attributes("Jobs")
    assert jobs["DelaySeconds"] == "5"
    assert json.loads(jobs["RedrivePolicy"])["deadLetterTargetArn"] == stack.resources.get_att(
        "JobsDlq", "Arn"
    )
