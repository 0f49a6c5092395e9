"""Each function's role grants exactly the DynamoDB and SQS calls its code makes.

GIVEN the real handlers on a LocalRuntime, driven through every path that reaches AWS
(onboarding's happy and error paths, a queued start, a redelivered batch of each engine
queue, every queue each engine function sends to, callbacks, status reads, sweeps of lost
messages and of a long runner, the dead-letter API), with every AWS call recorded per
template function (tests/functional/call_recorder.py),
WHEN the calls are checked against the roles of the *translated* template (what
CloudFormation deploys: SAM's generated roles and managed policies included),
THEN every call is granted, and every DynamoDB/SQS grant was used or is listed below
with the reason a local run cannot show it.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from steplane.examples.onboarding import register_all
from steplane.local import LocalRuntime
from steplane.local.cfn import get_att_target
from steplane.local.http import path_segment
from steplane.local.template import Resources, Template
from steplane.service import Engine
from tests.conftest import ONBOARDING
from tests.functional.call_recorder import ASSUMED, CallRecorder
from tests.iam_policy import Statement, action_universe, granted, role_statements
from tests.sam import translate

# Incompressible, so far over the head's inline size for variables.
BALLAST = base64.b64encode(random.Random(3).randbytes(600)).decode()
ENGINE_QUEUE_CONSUMERS = frozenset(
    {"StartFunction", "AdvanceFunction", "TaskCompleteFunction", "IntegrationFunction"}
)
ACCOUNT, REGION = "123456789012", "us-east-1"
DATA_BUCKET = "steplane-data-test"  # matches the template's MapRunBuckets default
# A Lambda function (invoked by IntegrationFunction), and a worker route (DefaultTaskQueue).
HOP = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Hop"
WORKER_HOP = "Hop"
SERVICE_STOPS = {
    "auth": "AuthService",
    "provisioning": "ProvisioningService",
    "notification": "NotificationService",
}
# An itinerary ``{"to": stop, "then": {...}}`` routes an execution through Waits (``wait``)
# and Tasks on each task queue (``default`` is a worker Resource, ``lambda`` a function the
# IntegrationFunction invokes, the rest services), so each function can be made to send to
# each queue: whoever handles one stop sends the next.
# Every itinerary first assigns a variable too large for the head (``ballast``): each
# function that reads a head then reads its variables' payload items (BatchGetItem).
ITINERARY = {
    "StartAt": "Ballast",
    "States": {
        "Ballast": {"Type": "Pass", "Assign": {"ballast.$": "$.ballast"}, "Next": "Route"},
        "Route": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.to", "StringEquals": "wait", "Next": "Nap"},
                {"Variable": "$.to", "StringEquals": "default", "Next": "DefaultTask"},
                {"Variable": "$.to", "StringEquals": "lambda", "Next": "LambdaTask"},
                *(
                    {"Variable": "$.to", "StringEquals": stop, "Next": f"{service}Task"}
                    for stop, service in SERVICE_STOPS.items()
                ),
            ],
            "Default": "Done",
        },
        "Nap": {"Type": "Wait", "Seconds": 10, "OutputPath": "$.then", "Next": "Route"},
        "DefaultTask": {"Type": "Task", "Resource": WORKER_HOP, "Next": "Route"},
        "LambdaTask": {"Type": "Task", "Resource": HOP, "Next": "Route"},
        **{
            f"{service}Task": {"Type": "Task", "Service": service, "Action": "hop", "Next": "Route"}
            for service in SERVICE_STOPS.values()
        },
        "Done": {"Type": "Succeed"},
    },
}
# Start, Advance (after a Wait), TaskComplete (after a worker's Task) and Integration
# (after a Lambda function) each send to AdvanceQueue and to every task queue along these.
ITINERARIES = (
    ("wait", "wait", "default", "auth", "provisioning", "notification", "wait"),
    ("default", "wait", "auth"),
    ("auth", "wait", "provisioning"),
    ("provisioning", "wait", "notification"),
    ("notification", "default"),
    ("lambda", "lambda", "wait", "lambda", "default", "lambda", "auth", "lambda"),
    ("provisioning", "lambda", "provisioning", "lambda", "notification", "lambda"),
)
# The service integrations, on the test's own queue, topic, event bus, table and bucket
# (the stack's Integration* parameters name them), and a nested execution.
USER_QUEUE, USER_TOPIC, USER_TABLE = "user-orders", "user-announcements", "UserOrders"
SENDER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/sender"
NESTED = {"StartAt": "N", "States": {"N": {"Type": "Pass", "End": True}}}
SERVICE_CALLS = {
    "StartAt": "Send",
    "States": {
        "Send": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": "hello"},
            "ResultPath": None,
            "Next": "Publish",
        },
        "Publish": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"TopicArn.$": "$.topic", "Message": "hello"},
            "ResultPath": None,
            "Next": "Put events",
        },
        "Put events": {
            "Type": "Task",
            "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {
                "Entries": [{"Source": "steplane.test", "DetailType": "t", "Detail": {}}]
            },
            "ResultPath": None,
            "Next": "Put item",
        },
        **{
            f"{verb.title()} item": {
                "Type": "Task",
                "Resource": f"arn:aws:states:::dynamodb:{verb}Item",
                "Parameters": {"TableName": USER_TABLE, "Key": {"id": {"S": "1"}}, **extra},
                "ResultPath": None,
                "Next": after,
            }
            for verb, extra, after in (
                ("get", {}, "Update item"),
                (
                    "update",
                    {
                        "UpdateExpression": "SET n = :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    },
                    "Delete item",
                ),
                ("delete", {}, "Read object"),
            )
        },
        "Put item": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": USER_TABLE, "Item": {"id": {"S": "1"}}},
            "ResultPath": None,
            "Next": "Get item",
        },
        "Read object": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
            "Parameters": {"Bucket": DATA_BUCKET, "Key": "items.json"},
            "ResultPath": None,
            "Next": "Nested",
        },
        "Nested": {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {
                "StateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Nested"
            },
            "ResultPath": None,
            "Next": "As another role",
        },
        "As another role": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Credentials": {"RoleArn": SENDER_ROLE},
            "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": "hello"},
            "ResultPath": None,
            "Next": "Ask",
        },
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl.$": "$.queue", "MessageBody.$": "$$.Task.Token"},
            "End": True,
        },
    },
}
CALLBACK = {
    "StartAt": "Approve",
    "States": {
        "Approve": {
            "Type": "Task",
            "Service": "Humans",
            "Action": "approve",
            "HeartbeatSeconds": 3600,
            "End": True,
        }
    },
}
# Fan-outs: a Parallel of Task branches and an inline Map (lanes moved and counted), and a
# distributed Map reading its items from S3 and exporting its results there.
FAN_OUTS = {
    "StartAt": "Both",
    "States": {
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Task", "Resource": HOP, "End": True}}},
                {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": True}}},
            ],
            "ResultPath": None,
            "Next": "Inline",
        },
        "Inline": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
            "ResultPath": None,
            "Next": "Distributed",
        },
        "Distributed": {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "Parameters": {"Bucket": DATA_BUCKET, "Key": "items.json"},
                "ReaderConfig": {"InputType": "JSON"},
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "D",
                "States": {"D": {"Type": "Pass", "End": True}},
            },
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": DATA_BUCKET, "Prefix": "out"},
            },
            "End": True,
        },
    },
}
LONG_WAIT_DAYS = 97  # beyond retention (90) + CHILD_HORIZON (7) - RENEW_MARGIN (1)
LONG = {
    "StartAt": "Long",
    "States": {"Long": {"Type": "Wait", "Seconds": LONG_WAIT_DAYS * 86400, "End": True}},
}


@dataclass(frozen=True)
class Run:
    """What the recorded run left: calls per function, and the stack they were made on."""

    calls: dict[str, set[tuple[str, str]]]
    crashed: set[str]
    template: Template
    resources: Resources


def itinerary(*stops: str) -> dict[str, Any]:
    """The nested itinerary visiting ``stops`` in order, then done (with its ballast)."""
    route: dict[str, Any] = {"to": "done"}
    for stop in reversed(stops):
        route = {"to": stop, "then": route}
    return {**route, "ballast": BALLAST}


def hop(task_input: dict[str, Any], _context: Any) -> Any:
    """Every itinerary task: on to the next stop."""
    return task_input["then"]


@pytest.fixture(scope="module")
def run() -> Run:
    # The first batch of each engine queue dies before it starts: its redelivery takes the
    # careful path, which acknowledges each record itself (GetQueueUrl, DeleteMessage).
    recorder = CallRecorder(crash_first_batch_of=ENGINE_QUEUE_CONSUMERS)
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        LocalRuntime(around_invocation=recorder.around) as rt,
    ):
        recorder.attach(rt, monkeypatch)
        register_all(rt.worker)
        rt.register(HOP, hop)
        rt.register(WORKER_HOP, hop)
        for service in SERVICE_STOPS.values():
            rt.register(service, "hop", hop)
        setup = rt.session.client("sqs")  # the test's own calls: recorded for nobody
        finished = _onboarding(rt, setup) + _itineraries(rt) + _fan_outs(rt)
        granting = _service_calls(rt, setup)
        _handed_over_result(rt, monkeypatch)
        _callbacks(rt, setup)
        _status_reads(rt, finished[0])
        _status_reads(rt, finished[-2])  # an itinerary: its variables are payload items
        _status_reads(rt, finished[-1])  # the fan-outs
        _stop(rt)
        _sweeps_of_lost_messages(rt, setup)
        _sweep_of_a_long_runner(rt)
        _dead_letter_api(rt, setup)
        resources = replace(rt.resources, parameters={**rt.resources.parameters, **granting})
        return Run(dict(recorder.calls), set(recorder.crashed), rt.template, resources)


def _succeeded(rt: LocalRuntime, execution_ids: list[str]) -> list[str]:
    statuses = [rt.store.get_head(i).status for i in execution_ids]
    assert statuses == ["SUCCEEDED"] * len(execution_ids)
    return execution_ids


def _onboarding(rt: LocalRuntime, setup: Any) -> list[str]:
    """The happy path and both error paths through the API, and a start through StartQueue."""
    inputs = ({}, {"simulate_error": True}, {"simulate_provisioning_error": True})
    ids = [rt.start(ONBOARDING, {"email": f"u{n}@example.com", **x}) for n, x in enumerate(inputs)]
    workflow = rt.publish(ONBOARDING)
    body = {"workflow": workflow, "input": {"email": "q@example.com"}, "name": "queued"}
    setup.send_message(QueueUrl=rt.resources.ref("StartQueue"), MessageBody=json.dumps(body))
    rt.run_all()
    return _succeeded(rt, [*ids, f"{workflow}:queued"])


def _itineraries(rt: LocalRuntime) -> list[str]:
    ids = [rt.start(ITINERARY, itinerary(*stops)) for stops in ITINERARIES]
    # A start repeated with its name and input: Start reads the head it made.
    again = rt.start(ITINERARY, itinerary("wait"), name="twice")
    assert rt.start(ITINERARY, itinerary("wait"), name="twice") == again
    rt.run_all()
    return _succeeded(rt, [*ids, again])


def _fan_outs(rt: LocalRuntime) -> list[str]:
    s3 = rt.session.client("s3")  # the test's own calls: recorded for nobody
    s3.create_bucket(Bucket=DATA_BUCKET)
    s3.put_object(Bucket=DATA_BUCKET, Key="items.json", Body=b"[1, 2, 3]")
    execution_id = rt.start(FAN_OUTS, {"items": [1, 2], "then": {"to": "done"}})
    rt.run_all()
    children = f"/executions/{path_segment(execution_id)}/children?visit=1"
    assert rt.http("GET", children)[0] == 200  # the Parallel's branches
    return _succeeded(rt, [execution_id])


def _service_calls(rt: LocalRuntime, setup: Any) -> dict[str, list[str]]:
    """Every integration, on the test's own resources; returns the parameters that grant
    them (as a stack's deployer would set them)."""
    queue = setup.create_queue(QueueName=USER_QUEUE)["QueueUrl"]
    topic = rt.session.client("sns").create_topic(Name=USER_TOPIC)["TopicArn"]
    rt.session.client("dynamodb").create_table(
        TableName=USER_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    rt.publish(NESTED, "Nested")
    execution_id = rt.start(SERVICE_CALLS, {"queue": queue, "topic": topic})
    rt.run_all()
    messages = setup.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    token = next(m["Body"] for m in messages if m["Body"] != "hello")
    assert len(messages) == 3  # hello, hello as another role, the token
    assert rt.http("POST", f"/tasks/{token}/success", {})[0] == 202
    assert rt.run_until_complete(execution_id).status == "SUCCEEDED"
    return {
        "IntegrationLambdaFunctions": [HOP],
        "IntegrationQueues": [f"arn:aws:sqs:{REGION}:{ACCOUNT}:{USER_QUEUE}"],
        "IntegrationTopics": [topic],
        "IntegrationEventBuses": [f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"],
        "IntegrationTables": [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{USER_TABLE}"],
        "IntegrationSdkActions": ["s3:GetObject"],
        "IntegrationSdkResources": [f"arn:aws:s3:::{DATA_BUCKET}/*"],
        "IntegrationAssumableRoles": [SENDER_ROLE],
    }


def _handed_over_result(rt: LocalRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    """An integration's result IntegrationFunction cannot record (the write failed) goes
    to TaskResultQueue, for TaskComplete to record."""
    real, failed = Engine.task_result, []

    def once_failing(self: Engine, message: Any, delivery: Any) -> Any:
        if not failed:
            failed.append(message)
            raise RuntimeError("throttled")
        return real(self, message, delivery)

    with monkeypatch.context() as patch:
        patch.setattr(Engine, "task_result", once_failing)
        execution_id = rt.start(ITINERARY, itinerary("lambda"))
        rt.run_all()
    assert failed
    _succeeded(rt, [execution_id])


def _callbacks(rt: LocalRuntime, setup: Any) -> None:
    """A task kept alive, then completed, and one failed, through ``POST /tasks/{token}/...``."""
    queue = rt.resources.ref("DefaultTaskQueue")
    for outcome, body, status in (("success", {"ok": 1}, "SUCCEEDED"), ("failure", {}, "FAILED")):
        execution_id = rt.start(CALLBACK, {})
        (message,) = setup.receive_message(QueueUrl=queue)["Messages"]  # no worker runs it
        setup.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        token = json.loads(message["Body"])["taskToken"]
        assert rt.http("POST", f"/tasks/{token}/heartbeat")[0] == 200
        assert rt.http("POST", f"/tasks/{token}/{outcome}", body)[0] == 202
        assert rt.run_until_complete(execution_id).status == status


def _status_reads(rt: LocalRuntime, execution_id: str) -> None:
    path = f"/executions/{path_segment(execution_id)}"
    assert rt.http("GET", path)[0] == 200
    assert rt.http("GET", f"{path}/history?maxResults=2")[0] == 200
    # The list, through each of its indexes, and the published workflows.
    for query in ("", "?status=SUCCEEDED", "?workflow=itinerary", "?businessKey=trip-1"):
        assert rt.http("GET", f"/executions{query}")[0] == 200
    assert rt.http("GET", "/workflows")[0] == 200


def _stop(rt: LocalRuntime) -> None:
    """An operator stops an execution parked in a Wait (POST /executions/{id}/stop)..."""
    execution_id = rt.start(ITINERARY, itinerary("wait", "wait"))
    status, body = rt.http("POST", f"/executions/{path_segment(execution_id)}/stop", {})
    assert (status, body["status"]) == (200, "ABORTED")
    # ... and redrives it (POST /executions/{id}/redrive): it waits again, then goes on.
    status, body = rt.http("POST", f"/executions/{path_segment(execution_id)}/redrive", {})
    assert (status, body["status"]) == (200, "RUNNING")


def _sweeps_of_lost_messages(rt: LocalRuntime, setup: Any) -> None:
    """Each execution's first message is lost (its queue purged): the sweeper re-sends it."""
    stops = ("wait", "default", "lambda", *SERVICE_STOPS)
    ids = [rt.start(ITINERARY, itinerary(stop)) for stop in stops]
    queues = (
        "AdvanceQueue",
        "DefaultTaskQueue",
        "IntegrationQueue",
        *(f"{s}TaskQueue" for s in SERVICE_STOPS.values()),
    )
    for queue in queues:
        setup.purge_queue(QueueUrl=rt.resources.ref(queue))
    for execution_id in ids:
        rt.run_until_complete(execution_id)
    _succeeded(rt, ids)


def _sweep_of_a_long_runner(rt: LocalRuntime) -> None:
    """A sweep past the first items' retention horizon raises their expiry (Query, UpdateItem)."""
    execution_id = rt.start(LONG, {})
    before = _history_expiry(rt, execution_id)
    rt.clock.advance_to(rt.clock.now() + timedelta(days=LONG_WAIT_DAYS - 1, hours=1))
    assert rt.schedules.fire_due() == 1
    assert _history_expiry(rt, execution_id) > before


def _history_expiry(rt: LocalRuntime, execution_id: str) -> int:
    table = rt.session.client("dynamodb")
    item = table.get_item(
        TableName=rt.resources.ref("ExecutionsTable"),
        Key={"pk": {"S": f"X#{execution_id}"}, "sk": {"S": "H#000000000001"}},
    )["Item"]
    return int(item["expiresAt"]["N"])


def _dead_letter_api(rt: LocalRuntime, setup: Any) -> None:
    """Every queue's DLQ listed with one message, then each redriven through the API."""
    for queue in rt.template.queues():
        if queue.dead_letter_queue_logical_id is not None:
            dlq = rt.resources.ref(queue.dead_letter_queue_logical_id)
            setup.send_message(QueueUrl=dlq, MessageBody="{}")
    status, listing = rt.http("GET", "/dead-letters")
    assert status == 200
    assert [q["messages"] for q in listing["queues"]] == [1] * 8
    for queue in listing["queues"]:
        moved = rt.http("POST", f"/dead-letters/{queue['queue']}/redrive")
        assert moved == (200, {"queue": queue["queue"], "moved": 1, "more": False})


# -- the grants ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translate()


def statements_of(cfn: dict[str, Any], function_id: str, resources: Resources) -> list[Statement]:
    """The Allow statements of a function's execution role in the translated template."""
    target = get_att_target(cfn["Resources"][function_id]["Properties"]["Role"])
    assert target is not None
    return role_statements(cfn["Resources"][target[0]], resources.resolve)


def stack_arns(template: Template, resources: Resources) -> dict[str, str]:
    """Every table, index and queue of the stack (what a grant could name) -> a short name."""
    names = {}
    for table in template.tables():
        arn = resources.get_att(table.logical_id, "Arn")
        names[arn] = table.logical_id
        for index in table.global_secondary_indexes:
            names[f"{arn}/index/{index['IndexName']}"] = f"{table.logical_id}/{index['IndexName']}"
    for queue in template.queues():
        names[resources.get_att(queue.logical_id, "Arn")] = queue.logical_id
    return names


def report(problems: dict[str, set[tuple[str, str]]], names: dict[str, str]) -> str:
    """One line per (function, action, resource), resources by logical id."""
    return "\n".join(
        f"{function_id}: {action} on {names.get(arn, arn)}"
        for function_id, pairs in sorted(problems.items())
        for action, arn in sorted(pairs)
    )


def unobservable(run: Run, function_id: str) -> set[tuple[str, str]]:
    """Grants a local run cannot show being used, each needed in AWS.

    sqs:GetQueueAttributes on each queue a function is subscribed to: Lambda's event source
    mapping calls it with the function's role (AWS lists it, with ReceiveMessage and
    DeleteMessage, as what an SQS-triggered function's role needs); the local runtime plays
    the mapping without calling it.
    """
    spec = run.template.function(function_id)
    return {
        ("sqs:GetQueueAttributes", run.resources.get_att(e.queue_logical_id, "Arn"))
        for e in spec.sqs_events
    }


def function_ids(cfn: dict[str, Any]) -> list[str]:
    return [k for k, v in cfn["Resources"].items() if v["Type"] == "AWS::Lambda::Function"]


def test_the_run_reaches_every_function_and_the_careful_batch_path(run, cfn):
    functions = sorted(k for k in run.calls if not k.startswith(ASSUMED))
    assert functions == sorted(function_ids(cfn))
    assert run.crashed == ENGINE_QUEUE_CONSUMERS
    for function_id in ENGINE_QUEUE_CONSUMERS:  # each redelivered batch acknowledged itself
        assert any(a == "sqs:GetQueueUrl" for a, _ in run.calls[function_id]), function_id


def test_every_aws_call_a_function_makes_is_granted_to_its_role(run, cfn):
    denied = {}
    for function_id in function_ids(cfn):
        statements = statements_of(cfn, function_id, run.resources)
        calls = run.calls.get(function_id, set())
        denied[function_id] = {c for c in calls if not any(s.allows(*c) for s in statements)}
    # The integrations' calls, made with the stack's call role: its grants alone.
    role = run.resources.get_att("IntegrationCallRole", "Arn")
    statements = role_statements(cfn["Resources"]["IntegrationCallRole"], run.resources.resolve)
    calls = run.calls.get(f"{ASSUMED}{role}", set())
    assert calls  # the integrations ran with it
    denied["IntegrationCallRole"] = {c for c in calls if not any(s.allows(*c) for s in statements)}
    problems = report(denied, stack_arns(run.template, run.resources))
    assert not problems, f"calls the role does not grant:\n{problems}"


def test_every_dynamodb_and_sqs_grant_is_used_by_its_function(run, cfn):
    names = stack_arns(run.template, run.resources)
    unused = {}
    for function_id in function_ids(cfn):
        statements = statements_of(cfn, function_id, run.resources)
        grants = granted(statements, action_universe(statements), names)
        calls = run.calls.get(function_id, set())
        unused[function_id] = grants - calls - unobservable(run, function_id)
    problems = report(unused, names)
    assert not problems, f"grants no call in the run used:\n{problems}"
