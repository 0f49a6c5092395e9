"""Issue 8's acceptance: a definition as Step Functions exports it, calling Lambda, SQS,
SNS, DynamoDB and a nested execution, runs unchanged on LocalRuntime; every side effect
is read back from moto."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.client import BaseClient
from moto.sts.models import sts_backends

from steplane.adapters.dynamodb_store import DynamoDBExecutionStore
from steplane.adapters.dynamodb_sweep import SWEEP_QUANTUM_SECONDS
from steplane.local import LocalRuntime
from steplane.service import Engine
from steplane.settings import Settings

ACCOUNT, REGION = "123456789012", "us-east-1"
ENRICH = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Enrich"
CHILD = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Fulfil"

# As the Step Functions console exports a JSONPath definition (Parameters, ".$" keys).
ORDER_FLOW = {
    "Comment": "Order flow, exported from Step Functions",
    "StartAt": "Enrich",
    "States": {
        "Enrich": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": ENRICH, "Payload.$": "$"},
            "ResultSelector": {"order.$": "$.Payload"},
            "Retry": [
                {
                    "ErrorEquals": [
                        "Lambda.ServiceException",
                        "Lambda.AWSLambdaException",
                        "Lambda.SdkClientException",
                        "Lambda.TooManyRequestsException",
                    ],
                    "IntervalSeconds": 1,
                    "MaxAttempts": 3,
                    "BackoffRate": 2,
                }
            ],
            "Next": "Record",
        },
        "Record": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {
                "TableName": "Orders",
                "Item": {
                    "id": {"S.$": "$.order.id"},
                    "total": {"N.$": "States.Format('{}', $.order.total)"},
                },
            },
            "ResultPath": "$.record",
            "Next": "Queue",
        },
        "Queue": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": "${QueueUrl}", "MessageBody.$": "$.order"},
            "ResultPath": "$.queued",
            "Next": "Announce",
        },
        "Announce": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"TopicArn": "${TopicArn}", "Message.$": "$.order", "Subject": "order"},
            "ResultPath": "$.announced",
            "Next": "Fulfil",
        },
        "Fulfil": {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {
                "StateMachineArn": CHILD,
                "Input": {
                    "order.$": "$.order",
                    "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id",
                },
            },
            "ResultSelector": {"status.$": "$.Status", "shipped.$": "$.Output.shipped"},
            "ResultPath": "$.fulfilment",
            "End": True,
        },
    },
}
FULFIL = {
    "StartAt": "Ship",
    "States": {"Ship": {"Type": "Pass", "Parameters": {"shipped.$": "$.order.id"}, "End": True}},
}


def _resources(rt: LocalRuntime) -> dict[str, str]:
    sqs, sns, dynamodb = (rt.session.client(s) for s in ("sqs", "sns", "dynamodb"))
    queue = sqs.create_queue(QueueName="orders")["QueueUrl"]
    topic = sns.create_topic(Name="orders")["TopicArn"]
    inbox = sqs.create_queue(QueueName="announcements")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=inbox_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    dynamodb.create_table(
        TableName="Orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return {"QueueUrl": queue, "TopicArn": topic, "inbox": inbox}


def _definition(values: dict[str, str]) -> dict[str, Any]:
    text = json.dumps(ORDER_FLOW)
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _enrich(event: Any, context: Any) -> Any:
    return {"id": event["orderId"], "total": 42, "requestedBy": context.function_name}


def test_an_exported_definition_runs_unchanged_and_its_side_effects_are_in_moto() -> None:
    with LocalRuntime() as rt:
        values = _resources(rt)
        rt.register(ENRICH, _enrich)
        rt.publish(FULFIL, "Fulfil")
        result = rt.run_until_complete(rt.start(_definition(values), {"orderId": "o-1"}))
        assert result.status == "SUCCEEDED", result.error
        output = result.output
        # Lambda: the Payload is the function's output, parsed.
        assert output["order"] == {"id": "o-1", "total": 42, "requestedBy": "Enrich"}
        # DynamoDB: the item is in the table; the output is the response with its metadata.
        item = rt.session.client("dynamodb").get_item(TableName="Orders", Key={"id": {"S": "o-1"}})
        assert item["Item"] == {"id": {"S": "o-1"}, "total": {"N": "42"}}
        assert output["record"]["SdkHttpMetadata"]["HttpStatusCode"] == 200
        assert output["record"]["SdkResponseMetadata"]["RequestId"]
        # SQS: the body is the order's JSON text; the output names the message moto holds.
        sqs = rt.session.client("sqs")
        sent = sqs.receive_message(QueueUrl=values["QueueUrl"])["Messages"][0]
        assert json.loads(sent["Body"]) == output["order"]
        assert output["queued"]["MessageId"] == sent["MessageId"]
        assert output["queued"]["MD5OfMessageBody"] == sent["MD5OfBody"]
        # SNS: the subscribed queue got the message.
        announced = sqs.receive_message(QueueUrl=values["inbox"])["Messages"][0]
        assert json.loads(announced["Body"]) == output["order"]
        assert output["announced"]["MessageId"]
        assert output["announced"]["SdkHttpMetadata"]["HttpStatusCode"] == 200
        # The nested execution ran, and .sync:2 gave its Output as JSON.
        assert output["fulfilment"] == {"status": "SUCCEEDED", "shipped": "o-1"}


def test_a_lambda_invoke_output_is_what_step_functions_documents() -> None:
    # [LAM] "the function output is nested inside a dictionary of metadata":
    # {ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode}.
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "Enrich", "Payload": {"orderId": "o-2"}},
                "End": True,
            }
        },
    }
    with LocalRuntime() as rt:
        rt.register(ENRICH, _enrich)
        result = rt.run_until_complete(rt.start(definition))
    assert result.status == "SUCCEEDED"
    assert set(result.output) == {
        "ExecutedVersion",
        "Payload",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
        "StatusCode",
    }
    assert result.output["ExecutedVersion"] == "$LATEST"
    assert result.output["StatusCode"] == 200
    assert result.output["Payload"]["id"] == "o-2"
    assert result.output["SdkHttpMetadata"]["HttpStatusCode"] == 200


@pytest.mark.parametrize("pattern", ["sync", "sync:2"])
def test_a_nested_execution_that_fails_fails_the_task_with_its_description(pattern: str) -> None:
    # [ERR] "If a nested state machine throws a States.Timeout, the parent will receive a
    # States.TaskedFailed error": a child that does not succeed fails the task.
    child = {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Out", "Cause": "none"}}}
    parent = {
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": f"arn:aws:states:::states:startExecution.{pattern}",
                "Parameters": {"StateMachineArn": CHILD.replace("Fulfil", "Refuse")},
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    with LocalRuntime() as rt:
        rt.publish(child, "Refuse")
        result = rt.run_until_complete(rt.start(parent))
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.TaskFailed"
    described = json.loads(result.output["Cause"])
    assert described["Status"] == "FAILED"
    assert (described["Error"], described["Cause"]) == ("Out", "none")
    assert described["StateMachineArn"].endswith(":stateMachine:Refuse")


def _callback_definition(queue_url: str, **timing: int) -> dict[str, Any]:
    # [CTR] "the task token can be accessed in the "Parameters" field of your state
    # definition with a special path designation ($$.Task.Token)".
    return {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": queue_url,
                    "MessageBody": {"question.$": "$.question", "token.$": "$$.Task.Token"},
                },
                **timing,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gave up"}],
                "End": True,
            },
            "Gave up": {"Type": "Pass", "End": True},
        },
    }


def _token_from(rt: LocalRuntime, queue_url: str) -> str:
    sqs = rt.session.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1  # sent once, however often the dispatch is re-sent
    return str(json.loads(messages[0]["Body"])["token"])


def test_wait_for_task_token_with_sqs_resumes_on_the_callback() -> None:
    with LocalRuntime() as rt:
        queue = rt.session.client("sqs").create_queue(QueueName="questions")["QueueUrl"]
        execution = rt.start(_callback_definition(queue), {"question": "ship?"})
        # Past the task lease (900 s): the sweeper re-sends the dispatch, which finds the
        # call made and makes no other.
        rt.advance(2000)
        token = _token_from(rt, queue)
        # Still waiting: the SendMessage response was not the task's result.
        assert rt.store.get_head(execution).state == "Ask"
        status, _ = rt.http("POST", f"/tasks/{token}/success", {"answer": "yes"})
        assert status == 202
        result = rt.run_until_complete(execution)
    assert result.status == "SUCCEEDED"
    assert result.output == {"answer": "yes"}


def test_wait_for_task_token_failure_carries_error_and_cause_verbatim() -> None:
    with LocalRuntime() as rt:
        queue = rt.session.client("sqs").create_queue(QueueName="questions")["QueueUrl"]
        execution = rt.start(_callback_definition(queue), {"question": "ship?"})
        rt.advance(1)
        token = _token_from(rt, queue)
        body = {"error": "Refused", "cause": "out of stock"}
        assert rt.http("POST", f"/tasks/{token}/failure", body)[0] == 202
        result = rt.run_until_complete(execution)
    assert result.output == {"Error": "Refused", "Cause": "out of stock"}


def test_heartbeats_keep_a_callback_task_alive_and_their_absence_times_it_out() -> None:
    # [TASK] "If more time than the specified seconds elapses between heartbeats from the
    # task, the Task state fails"; [ERR] States.HeartbeatTimeout.
    with LocalRuntime() as rt:
        queue = rt.session.client("sqs").create_queue(QueueName="questions")["QueueUrl"]
        definition = _callback_definition(queue, HeartbeatSeconds=60, TimeoutSeconds=3600)
        execution = rt.start(definition, {"question": "ship?"})
        rt.advance(1)
        token = _token_from(rt, queue)
        for _ in range(5):  # 250 s in all, never 60 s without a heartbeat
            rt.advance(50)
            assert rt.http("POST", f"/tasks/{token}/heartbeat")[0] == 200
        assert rt.store.get_head(execution).state == "Ask"
        rt.advance(61)  # then silence
        result = rt.run_until_complete(execution)
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.HeartbeatTimeout"


def test_a_callback_task_that_is_never_answered_times_out() -> None:
    # [TASK] TimeoutSeconds: "the maximum time an activity or a task can run before it
    # times out with the States.Timeout error".
    with LocalRuntime() as rt:
        queue = rt.session.client("sqs").create_queue(QueueName="questions")["QueueUrl"]
        execution = rt.start(_callback_definition(queue, TimeoutSeconds=300), {"question": "?"})
        rt.advance(1)
        token = _token_from(rt, queue)
        rt.advance(300)
        result = rt.run_until_complete(execution)
        late = rt.http("POST", f"/tasks/{token}/success", {"answer": "too late"})
    assert result.output["Error"] == "States.Timeout"
    assert late[0] == 409
    assert "TaskTimedOut" in json.dumps(late[1])


def test_an_integration_with_credentials_calls_with_the_assumed_role() -> None:
    # [TASK] Credentials: "Specifies a target role the state machine's execution role must
    # assume before invoking the specified Resource."
    role = f"arn:aws:iam::{ACCOUNT}:role/cross-account-sender"
    with LocalRuntime() as rt:
        queue = rt.session.client("sqs").create_queue(QueueName="remote")["QueueUrl"]
        definition = {
            "StartAt": "Send",
            "States": {
                "Send": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Credentials": {"RoleArn": role},
                    "Parameters": {"QueueUrl": queue, "MessageBody": "hi"},
                    "End": True,
                }
            },
        }
        result = rt.run_until_complete(rt.start(definition))
        assumed = [a.role_arn for a in sts_backends[ACCOUNT]["global"].assumed_roles]
        (message,) = rt.session.client("sqs").receive_message(QueueUrl=queue)["Messages"]
    assert result.status == "SUCCEEDED"
    assert message["Body"] == "hi"
    assert assumed == [role]


def test_an_activity_worker_registered_by_name_does_the_activity() -> None:
    # [ACT] "An activity worker polls Step Functions by using GetActivityTask, and sending
    # the ARN for the related activity"; it reports with SendTaskSuccess.
    activity = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:Review"
    definition = {
        "StartAt": "Review",
        "States": {"Review": {"Type": "Task", "Resource": activity, "End": True}},
    }

    def review(task: Any) -> None:
        rt.worker.complete_task(task["task_id"], {"reviewed": task["input_data"]["doc"]})

    with LocalRuntime() as rt:
        rt.worker.register_activity("Review", review)
        result = rt.run_until_complete(rt.start(definition, {"doc": "d-1"}))
    assert result.output == {"reviewed": "d-1"}


def test_a_redelivered_integration_task_makes_its_call_once() -> None:
    # Every message delivered twice: the copy finds the attempt closed (or the call of a
    # callback made) and calls nothing.
    with LocalRuntime(deliver_twice=True) as rt:
        values = _resources(rt)
        calls: list[Any] = []
        rt.register(ENRICH, lambda event, context: calls.append(event) or _enrich(event, context))
        rt.publish(FULFIL, "Fulfil")
        result = rt.run_until_complete(rt.start(_definition(values), {"orderId": "o-9"}))
        sqs = rt.session.client("sqs")
        queued = sqs.receive_message(QueueUrl=values["QueueUrl"], MaxNumberOfMessages=10)
        announced = sqs.receive_message(QueueUrl=values["inbox"], MaxNumberOfMessages=10)
    assert result.status == "SUCCEEDED"
    assert len(calls) == 1
    assert len(queued["Messages"]) == 1
    assert len(announced["Messages"]) == 1


def test_a_late_call_mark_never_lands_on_the_next_attempt() -> None:
    # The mark is written on condition of the version and the attempt's nonce: a call made
    # for attempt 1 whose mark comes after attempt 1 failed must not make attempt 2 skip
    # its own call.
    with LocalRuntime() as rt:
        queue = rt.session.client("sqs").create_queue(QueueName="questions")["QueueUrl"]
        definition = _callback_definition(queue)
        definition["States"]["Ask"]["Retry"] = [{"ErrorEquals": ["Again"], "IntervalSeconds": 5}]
        execution = rt.start(definition, {"question": "?"})
        rt.advance(1)
        first = rt.store.get_head(execution)
        token = _token_from(rt, queue)
        assert rt.http("POST", f"/tasks/{token}/failure", {"error": "Again"})[0] == 202
        rt.advance(1)
        retrying = rt.store.get_head(execution)
        assert retrying.task_attempt.number == 2
        assert rt.store.record_submitted(first) is False
        assert rt.store.get_head(execution) == retrying
        rt.advance(10)  # attempt 2 makes its own call
        assert _token_from(rt, queue) != token


def test_an_end_reported_for_another_execution_is_ignored() -> None:
    # An ``ended`` message whose child does not name the waiting task as its caller (a
    # stray or forged message) does not answer that task.
    napping = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    quick = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    parent = {
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync",
                "Parameters": {"StateMachineArn": CHILD.replace("Fulfil", "Napper"), "Name": "n"},
                "End": True,
            }
        },
    }
    with LocalRuntime() as rt:
        rt.publish(napping, "Napper")
        rt.publish(quick, "Quick")
        execution = rt.start(parent)
        rt.advance(5)
        token = rt.store.get_head("Napper:n").caller.task_token
        other = rt.start(quick, name="other")
        rt.run_until_complete(other)
        stray = {"kind": "ended", "taskToken": token, "executionId": other, "pattern": ".sync"}
        rt.sqs.send_message(
            QueueUrl=rt.resources.ref("IntegrationQueue"), MessageBody=json.dumps(stray)
        )
        rt.advance(5)
        assert rt.store.get_head(execution).state == "Run"
        result = rt.run_until_complete(execution)
    assert result.status == "SUCCEEDED"
    assert json.loads(result.output["Input"]) == {}
    assert result.output["Name"] == "n"


class _DieAfterFirst(BaseException):
    """Kills the invocation that made the call (after the call took effect)."""


def test_an_sdk_call_repeated_after_a_crash_is_the_same_request_to_the_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The IntegrationFunction dies right after CreateSecret succeeded: SQS redelivers the
    # task and the call is made again, with the same ClientRequestToken (derived from the
    # task's idempotency key), which Secrets Manager answers as the first call.
    original = BaseClient._make_api_call
    calls: list[dict[str, Any]] = []

    def dying(client: Any, operation: str, params: dict[str, Any]) -> Any:
        result = original(client, operation, params)
        if operation == "CreateSecret":
            calls.append(params)
            if len(calls) == 1:
                raise _DieAfterFirst
        return result

    def around(handler: Any) -> Any:
        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            try:
                return handler(event, context)
            except _DieAfterFirst:
                raise RuntimeError("the invocation died") from None

        return invoke

    definition = {
        "StartAt": "Create",
        "States": {
            "Create": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:secretsmanager:createSecret",
                "Parameters": {"Name": "api-key", "SecretString": "s3cr3t"},
                "End": True,
            }
        },
    }
    monkeypatch.setattr(BaseClient, "_make_api_call", dying)
    with LocalRuntime(around_invocation=around) as rt:
        result = rt.run_until_complete(rt.start(definition))
    assert result.status == "SUCCEEDED", result.cause
    assert len(calls) == 2
    assert calls[0]["ClientRequestToken"] == calls[1]["ClientRequestToken"]
    assert result.output["VersionId"] == calls[0]["ClientRequestToken"]


NAPPER = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}}
NAPPER_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Napper"


def _waiting_on_napper(**fields: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": NAPPER_ARN, "Name": "nap"},
        **fields,
    }


def test_a_sync_child_is_stopped_when_a_sibling_branch_fails() -> None:
    # [CTR] "if a Step Functions states:startExecution.sync task is aborted, it will call
    # the Step Functions StopExecution API action"; aborted when "A different branch of a
    # Parallel state fails with an uncaught error".
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Wait on it",
                        "States": {"Wait on it": _waiting_on_napper(End=True)},
                    },
                    {
                        "StartAt": "Later",
                        "States": {
                            "Later": {"Type": "Wait", "Seconds": 60, "Next": "Fail"},
                            "Fail": {"Type": "Fail", "Error": "Broken"},
                        },
                    },
                ],
                "End": True,
            }
        },
    }
    with LocalRuntime() as rt:
        rt.publish(NAPPER, "Napper")
        result = rt.run_until_complete(rt.start(definition))
        rt.run_all()
        child = rt.store.get_head("Napper:nap")
    assert result.error == "Broken"
    assert child.status == "ABORTED"
    assert "left the state 'Wait on it'" in child.cause
    assert rt.clock.now() - child.start_date < timedelta(seconds=3600)


def test_a_sync_child_is_stopped_when_its_task_times_out() -> None:
    definition = {
        "StartAt": "Run",
        "States": {"Run": _waiting_on_napper(TimeoutSeconds=60, End=True)},
    }
    with LocalRuntime() as rt:
        rt.publish(NAPPER, "Napper")
        result = rt.run_until_complete(rt.start(definition))
        rt.run_all()
        child = rt.store.get_head("Napper:nap")
    assert result.error == "States.Timeout"
    assert child.status == "ABORTED"
    assert child.stop_date - child.start_date < timedelta(seconds=120)


def _losing_stops(lost: list[str]) -> Any:
    """Wraps each invocation so that it never sees a ``stop`` message (each is lost, and
    kept in ``lost``)."""

    def around(handler: Any) -> Any:
        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            if "Records" not in event:
                return handler(event, context)  # an API request
            records = event["Records"]
            kept = [r for r in records if '"kind":"stop"' not in r["body"]]
            lost.extend(r["body"] for r in records if r not in kept)
            return handler({**event, "Records": kept}, context)

        return invoke

    return around


def test_a_sync_child_whose_stop_was_lost_stops_at_its_next_step() -> None:
    # The stop is a hint: a child whose parent's attempt has closed aborts at whatever it
    # does next (here, its Wait's end), rather than run on for nobody.
    definition = {
        "StartAt": "Run",
        "States": {"Run": _waiting_on_napper(TimeoutSeconds=60, End=True)},
    }
    lost: list[str] = []
    with LocalRuntime(around_invocation=_losing_stops(lost)) as rt:
        rt.publish(NAPPER, "Napper")
        execution = rt.start(definition)
        rt.advance(61)
        assert rt.store.get_head(execution).status == "FAILED"
        rt.run_all()
        child = rt.store.get_head("Napper:nap")
    assert len(lost) == 1
    assert child.status == "ABORTED"
    assert child.cause == "its parent no longer waits for it (the task that started it was left)"
    # Its Wait's first wake-up (SQS delays at most 900 s; the wake is re-armed then).
    assert child.stop_date - child.start_date == timedelta(seconds=900)


def test_a_retried_sync_task_stops_the_child_of_the_attempt_it_left() -> None:
    # The parent still runs (its retry waits for a second child): the first child, whose
    # stop was lost, finds that its own attempt closed and aborts at its next step; the
    # second runs to its end.
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Arguments": {
                    "StateMachineArn": NAPPER_ARN,
                    "Name": "{% 'try-' & $string($states.context.State.RetryCount) %}",
                },
                "TimeoutSeconds": "{% $states.context.State.RetryCount = 0 ? 60 : 5000 %}",
                "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1}],
                "End": True,
            }
        },
    }

    with LocalRuntime(around_invocation=_losing_stops([])) as rt:
        rt.publish(NAPPER, "Napper")
        result = rt.run_until_complete(rt.start(definition))
        first, second = (rt.store.get_head(f"Napper:try-{n}") for n in (0, 1))
    assert result.status == "SUCCEEDED"
    assert result.output["Name"] == "try-1"
    assert first.status == "ABORTED"
    assert second.status == "SUCCEEDED"


def test_a_callback_child_is_not_stopped_when_its_task_times_out() -> None:
    # [CTR] only a .sync task's job is cancelled; a .waitForTaskToken child was handed a
    # token and runs on.
    definition = {
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
                "Parameters": {
                    "StateMachineArn": NAPPER_ARN,
                    "Name": "nap",
                    "Input": {"token.$": "$$.Task.Token"},
                },
                "TimeoutSeconds": 60,
                "End": True,
            }
        },
    }
    with LocalRuntime() as rt:
        rt.publish(NAPPER, "Napper")
        result = rt.run_until_complete(rt.start(definition))
        rt.run_all()
        child = rt.store.get_head("Napper:nap")
    assert result.error == "States.Timeout"
    assert child.status == "SUCCEEDED"


def test_a_concurrent_copy_of_a_task_makes_no_second_call() -> None:
    # A copy delivered while the first invocation's call still runs (SQS's at-least-once
    # delivery, or the sweeper's re-sent dispatch past the task lease) finds the call
    # claimed and makes none.
    invocations: list[Any] = []
    copies: list[dict[str, Any]] = []

    def around(handler: Any) -> Any:
        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            bodies = [record["body"] for record in event.get("Records", [])]
            if any('"kind":"task"' in body for body in bodies) and not invocations:
                invocations.append((handler, event))
            return handler(event, context)

        return invoke

    def enrich(event: Any, context: Any) -> Any:
        handler, task = invocations[0]
        copies.append(handler(task, None))  # the same task, delivered again meanwhile
        return {"ok": True}

    with LocalRuntime(around_invocation=around) as rt:
        rt.register(ENRICH, enrich)
        result = rt.run_until_complete(rt.start(_task_calling(ENRICH)))
    assert result.status == "SUCCEEDED"
    assert len(copies) == 1  # the function ran once: its copy called nothing
    assert copies[0] == {"batchItemFailures": []}


def test_a_result_that_cannot_be_recorded_after_the_call_is_handed_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The call was made: a failure to record its result (a throttled write, a race) must
    # not redeliver the task (which would call again); TaskComplete records it instead.
    real = Engine.task_result
    failures: list[str] = []

    def once_failing(self: Engine, message: Any, delivery: Any) -> Any:
        if not failures:
            failures.append(message.task_token)
            raise RuntimeError("throttled")
        return real(self, message, delivery)

    monkeypatch.setattr(Engine, "task_result", once_failing)
    calls: list[Any] = []
    with LocalRuntime() as rt:
        rt.register(ENRICH, lambda event, context: calls.append(event) or {"n": len(calls)})
        result = rt.run_until_complete(rt.start(_task_calling(ENRICH)))
    assert len(failures) == 1
    assert calls == [{}]
    assert result.output == {"n": 1}


def _task_calling(function: str) -> dict[str, Any]:
    return {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": function, "End": True}},
    }


def test_a_stop_leaves_alone_an_execution_of_that_name_started_otherwise() -> None:
    # A stop names the attempt that started the child: an execution of the same name
    # started through the API, or by another parent, is not the abandoned child.
    parent = {"StartAt": "Run", "States": {"Run": _waiting_on_napper(End=True)}}
    advance = "AdvanceQueue"

    def stop(rt: LocalRuntime, token: str) -> None:
        body = {"kind": "stop", "executionId": "Napper:nap", "cause": "?", "taskToken": token}
        rt.sqs.send_message(QueueUrl=rt.resources.ref(advance), MessageBody=json.dumps(body))
        rt.advance(5)

    with LocalRuntime() as rt:
        rt.publish(NAPPER, "Napper")
        rt.start(parent)
        rt.advance(5)
        child = rt.store.get_head("Napper:nap")
        stop(rt, "another attempt's token")
        assert rt.store.get_head("Napper:nap").status == "RUNNING"
        stop(rt, child.caller.task_token)
        assert rt.store.get_head("Napper:nap").status == "ABORTED"

    with LocalRuntime() as rt:
        rt.publish(NAPPER, "Napper")
        assert rt.http("POST", "/executions", {"workflow": "Napper", "name": "nap"})[0] == 201
        stop(rt, "any token")
        assert rt.store.get_head("Napper:nap").status == "RUNNING"


def test_a_result_whose_commit_went_through_but_was_not_answered_moves_on_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The result's write committed, its answer was lost (nothing it implies was sent):
    # the shell finds its own commit and sends the next task at once, not at the next
    # sweep, and never calls again.
    real, lost = DynamoDBExecutionStore.commit, []

    def answer_lost(self: Any, previous: Any, head: Any, events: Any) -> Any:
        outcome = real(self, previous, head, events)
        if not lost and str(head.decision_id).startswith("m:"):
            lost.append(outcome)
            raise RuntimeError("the connection dropped before the answer")
        return outcome

    monkeypatch.setattr(DynamoDBExecutionStore, "commit", answer_lost)
    definition = {
        "StartAt": "One",
        "States": {
            "One": {"Type": "Task", "Resource": ENRICH, "Next": "Two"},
            "Two": {"Type": "Task", "Resource": ENRICH, "End": True},
        },
    }
    calls: list[Any] = []
    with LocalRuntime() as rt:
        rt.register(ENRICH, lambda event, context: calls.append(event) or {"seen": event})
        started = rt.clock.now()
        result = rt.run_until_complete(rt.start(definition, {"n": 1}))
        took = rt.clock.now() - started
    assert lost
    assert len(calls) == 2
    assert result.output == {"seen": {"seen": {"n": 1}}}
    assert took < timedelta(seconds=60)


class _DiesAfterClaiming(BaseException):
    """The invocation dies right after it claimed the call, before making it."""


def test_a_claim_whose_holder_died_is_taken_up_when_it_runs_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A copy that finds a live claim comes back once it has run out: if its holder died
    # before calling, the call is made then, not a task lease (here an hour) later.
    real, claimed, bodies = DynamoDBExecutionStore.claim_call, [], []

    def claim_then_die(self: Any, head: Any, until: Any, now: Any) -> bool:
        taken = real(self, head, until, now)
        if not claimed:
            claimed.append(taken)
            raise _DiesAfterClaiming
        return taken

    def around(handler: Any) -> Any:
        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            bodies.extend(
                r["body"] for r in event.get("Records", []) if '"kind":"task"' in r["body"]
            )
            try:
                return handler(event, context)
            except _DiesAfterClaiming:
                raise RuntimeError("the invocation died") from None

        return invoke

    monkeypatch.setattr(DynamoDBExecutionStore, "claim_call", claim_then_die)
    calls: list[Any] = []
    with LocalRuntime(settings=Settings(task_lease_seconds=3600), around_invocation=around) as rt:
        rt.register(ENRICH, lambda event, context: calls.append(event) or {"ok": True})
        started = rt.clock.now()
        execution = rt.start(_task_calling(ENRICH))
        rt.advance(1)  # the first delivery claims, then dies
        # SQS delivers a copy meanwhile: it finds the claim live.
        rt.sqs.send_message(QueueUrl=rt.resources.ref("IntegrationQueue"), MessageBody=bodies[0])
        result = rt.run_until_complete(execution)
        took = rt.clock.now() - started
    assert claimed == [True]
    assert calls == [{}]
    assert result.status == "SUCCEEDED"
    assert took < timedelta(seconds=1200)  # the claim's 905 s, not the hour's lease


def test_a_child_waiting_for_a_callback_whose_stop_was_lost_is_stopped_by_the_sweep() -> None:
    # Parked on a callback with no timeout, the child takes no step of its own: the
    # sweeper, which looks at it at its task lease, finds its parent gone and stops it.
    with LocalRuntime(around_invocation=_losing_stops([])) as rt:
        queue = rt.session.client("sqs").create_queue(QueueName="asks")["QueueUrl"]
        rt.publish(_callback_definition(queue), "Napper")
        run = _waiting_on_napper(TimeoutSeconds=60, End=True)
        run["Parameters"]["Input"] = {"question": "?"}
        parent = {"StartAt": "Run", "States": {"Run": run}}
        result = rt.run_until_complete(rt.start(parent))
        assert result.error == "States.Timeout"
        # Its task lease (900 s), rounded up to the sweep index's 300 s quantum, and the
        # sweeper's next minute.
        rt.advance(900 + SWEEP_QUANTUM_SECONDS + 60)
        child = rt.store.get_head("Napper:nap")
    assert child.status == "ABORTED"
    assert child.cause == "its parent no longer waits for it (the task that started it was left)"


def test_a_branchs_sync_child_named_from_the_execution_input_is_stopped_too() -> None:
    # Stopping the child means knowing its name: here from $$.Execution.Input, which the
    # aborted branch reads from its root execution.
    waiting = _waiting_on_napper(End=True)
    waiting["Parameters"] = {"StateMachineArn": NAPPER_ARN, "Name.$": "$$.Execution.Input.child"}
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Wait on it", "States": {"Wait on it": waiting}},
                    {
                        "StartAt": "Later",
                        "States": {
                            "Later": {"Type": "Wait", "Seconds": 60, "Next": "Fail"},
                            "Fail": {"Type": "Fail", "Error": "Broken"},
                        },
                    },
                ],
                "End": True,
            }
        },
    }
    with LocalRuntime() as rt:
        rt.publish(NAPPER, "Napper")
        rt.run_until_complete(rt.start(definition, {"child": "named"}))
        rt.run_all()
        child = rt.store.get_head("Napper:named")
    assert child.status == "ABORTED"
    assert child.stop_date - child.start_date < timedelta(seconds=120)
