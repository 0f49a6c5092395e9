"""Service integrations, written from the developer guide's service-integration pages.

Sources quoted below (AWS Step Functions Developer Guide):
- [CTR] connect-to-resource.html: the three patterns and how the Resource selects them,
  and which service supports which pattern.
- [LAM] connect-lambda.html; [SQS] connect-sqs.html; [SNS] connect-sns.html;
  [EB] connect-eventbridge.html; [DDB] connect-ddb.html; [SFN] connect-stepfunctions.html;
  [SDK] supported-services-awssdk.html; [ERR] concepts-error-handling.html;
  [BP] sfn-best-practices.html.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from steplane.definition.loader import DefinitionError, load_definition
from steplane.local import LocalRuntime

ACCOUNT, REGION = "123456789012", "us-east-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Work"


def _task(resource: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": resource, **fields, "End": True},
        },
    }


def _caught(resource: str, **fields: Any) -> dict[str, Any]:
    definition = _task(resource, **fields)
    definition["States"]["Call"]["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    return definition


def _run(rt: LocalRuntime, definition: dict[str, Any], data: Any = None) -> Any:
    result = rt.run_until_complete(rt.start(definition, {} if data is None else data))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    return result.output


# -- the Resource, checked at load ----------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "says"),
    [
        # [CTR] Lambda: ".sync Not supported"; DynamoDB: ".waitForTaskToken Not supported".
        ("arn:aws:states:::lambda:invoke.sync", "does not support .sync"),
        ("arn:aws:states:::dynamodb:putItem.waitForTaskToken", "does not support"),
        # [CTR] AWS SDK integrations: ".sync Not supported".
        ("arn:aws:states:::aws-sdk:s3:getObject.sync", "not .sync"),
        # [DDB] "Only GetItem, PutItem, UpdateItem, and DeleteItem API actions are
        # available through optimized integration ... CreateTable ... using the
        # DynamoDB AWS SDK integration".
        ("arn:aws:states:::dynamodb:createTable", "aws-sdk:dynamodb:createTable"),
        ("arn:aws:states:::batch:submitJob.sync", "not supported yet"),
        ("arn:aws:states:::nosuch:thing", "not a service steplane integrates"),
        ("arn:aws:states:::sqs", "is not a service integration"),
    ],
)
def test_a_resource_steplane_does_not_offer_is_refused_at_load(resource: str, says: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        load_definition(_task(resource))
    problem = str(refused.value)
    assert "/States/Call/Resource" in problem
    assert says in problem


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "arn:aws:states:::sns:publish",
        "arn:aws:states:::events:putEvents.waitForTaskToken",
        "arn:aws:states:::dynamodb:deleteItem",
        "arn:aws:states:::states:startExecution.sync:2",
        "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue",
        f"arn:aws:states:{REGION}:{ACCOUNT}:activity:Review",
        FUNCTION,
        "AnyWorkerRoute",  # not an ARN: a worker's route, as before
    ],
)
def test_what_steplane_offers_loads(resource: str) -> None:
    load_definition(_task(resource))


# -- Lambda ---------------------------------------------------------------------------


def test_a_function_arn_as_resource_is_invoked_with_the_state_input_and_gives_its_output() -> None:
    # [LAM] "you can invoke a Lambda function by specifying a function ARN directly in the
    # "Resource" field ... the task result contains only the function output."
    with LocalRuntime() as rt:
        rt.register(FUNCTION, lambda event, context: {"doubled": event["n"] * 2})
        assert _run(rt, _task(FUNCTION), {"n": 21}) == {"doubled": 42}


def test_a_function_error_fails_the_task_with_its_error_type_and_document() -> None:
    # [LAM] "If an exception is raised within the Lambda function, the Task will fail";
    # [ERR] a Lambda function's "java.lang.Exception" is caught by that name: the error is
    # the function's errorType, the cause its error document.
    def refuse(event: Any, context: Any) -> Any:
        raise ValueError("no such order")

    with LocalRuntime() as rt:
        rt.register(FUNCTION, refuse)
        output = _run(
            rt, _caught("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": FUNCTION})
        )
    assert output["Error"] == "ValueError"
    document = json.loads(output["Cause"])
    assert document["errorType"] == "ValueError"
    assert document["errorMessage"] == "no such order"
    assert document["stackTrace"]


def test_a_missing_function_is_lambdas_resource_not_found() -> None:
    # [BP] "Lambda errors are reported as Lambda.ErrorName"; Invoke answers a missing
    # function with 404 ResourceNotFoundException.
    with LocalRuntime() as rt:
        definition = _caught(
            "arn:aws:states:::lambda:invoke", Parameters={"FunctionName": "NoSuchFunction"}
        )
        output = _run(rt, definition)
    assert output["Error"] == "Lambda.ResourceNotFoundException"
    assert output["Cause"].startswith(
        f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:NoSuchFunction "
        "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; "
        "Request ID: "
    )


def test_lambda_invoke_payload_is_parsed_and_a_function_name_may_be_short() -> None:
    # [LAM] "The Payload field of the response is parsed from escaped Json to Json."
    with LocalRuntime() as rt:
        rt.register(FUNCTION, lambda event, context: {"seen": event})
        definition = _task(
            "arn:aws:states:::lambda:invoke",
            Parameters={"FunctionName": "Work", "Payload": {"a.$": "$.a"}},
            OutputPath="$.Payload",
        )
        assert _run(rt, definition, {"a": [1, 2]}) == {"seen": {"a": [1, 2]}}


def test_lambda_invoke_wait_for_task_token_ignores_the_function_result_and_waits() -> None:
    # [LAM] "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken" with the token in
    # the Payload; [CTR] "The task will pause until it receives that task token back".
    tokens: list[str] = []

    def later(event: Any, context: Any) -> Any:
        tokens.append(event["token"])
        return {"ignored": True}

    definition = _task(
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        Parameters={"FunctionName": FUNCTION, "Payload": {"token.$": "$$.Task.Token"}},
    )
    with LocalRuntime() as rt:
        rt.register(FUNCTION, later)
        execution = rt.start(definition, {})
        rt.advance(5)
        assert len(tokens) == 1
        assert rt.store.get_head(execution).state == "Call"
        assert rt.http("POST", f"/tasks/{tokens[0]}/success", {"approved": True})[0] == 202
        result = rt.run_until_complete(execution)
    assert result.output == {"approved": True}


# -- SQS, SNS, EventBridge ------------------------------------------------------------


def test_sqs_send_message_output_and_a_missing_queue() -> None:
    # [SQS] the SendMessage response; an error is the SQS API's, as SQS.<Exception>.
    with LocalRuntime() as rt:
        sqs = rt.session.client("sqs")
        url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        definition = _task(
            "arn:aws:states:::sqs:sendMessage",
            Parameters={"QueueUrl": url, "MessageBody": {"job.$": "$.job"}},
        )
        output = _run(rt, definition, {"job": 7})
        (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
        missing = _caught(
            "arn:aws:states:::sqs:sendMessage",
            Parameters={"QueueUrl": url.replace("jobs", "gone"), "MessageBody": "x"},
        )
        failure = _run(rt, missing)
    assert json.loads(message["Body"]) == {"job": 7}
    assert output["MessageId"] == message["MessageId"]
    assert output["MD5OfMessageBody"] == message["MD5OfBody"]
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert failure["Error"] == "SQS.QueueDoesNotExistException"
    assert "(Service: AmazonSQS; Status Code: 400; Error Code: " in failure["Cause"]


def test_a_fifo_queue_gets_one_message_per_attempt() -> None:
    # Repeat-safety (README): a FIFO queue's deduplication id comes from the task's
    # idempotency key and attempt, so a repeated call is dropped by SQS.
    with LocalRuntime(deliver_twice=True) as rt:
        sqs = rt.session.client("sqs")
        url = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        definition = _task(
            "arn:aws:states:::sqs:sendMessage",
            Parameters={"QueueUrl": url, "MessageBody": "once", "MessageGroupId": "g"},
        )
        _run(rt, definition)
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in messages] == ["once"]


def test_sns_publish_stringifies_a_message_object() -> None:
    # [SNS] Publish; a Message given as an object is published as its JSON text.
    with LocalRuntime() as rt:
        sns, sqs = rt.session.client("sns"), rt.session.client("sqs")
        topic = sns.create_topic(Name="news")["TopicArn"]
        inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
        definition = _task(
            "arn:aws:states:::sns:publish",
            Parameters={"TopicArn": topic, "Message": {"n.$": "$.n"}},
        )
        output = _run(rt, definition, {"n": 1})
        (message,) = sqs.receive_message(QueueUrl=inbox)["Messages"]
    assert json.loads(message["Body"]) == {"n": 1}
    assert set(output) == {"MessageId", "SdkHttpMetadata", "SdkResponseMetadata"}


def test_put_events_appends_the_execution_and_state_machine_arns() -> None:
    # [EB] "The execution ARN and the state machine ARN are automatically appended to the
    # Resources field of each PutEventsRequestEntry"; the output is {Entries, FailedEntryCount}.
    with LocalRuntime() as rt:
        events, sqs = rt.session.client("events"), rt.session.client("sqs")
        inbox = sqs.create_queue(QueueName="events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
        events.put_rule(Name="all", EventPattern=json.dumps({"source": ["shop"]}))
        events.put_targets(Rule="all", Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}])
        entry = {"Source": "shop", "DetailType": "Ordered", "Detail": {"id": 1}}
        definition = _task("arn:aws:states:::events:putEvents", Parameters={"Entries": [entry]})
        execution = rt.start(definition, {})
        result = rt.run_until_complete(execution)
        (message,) = sqs.receive_message(QueueUrl=inbox)["Messages"]
    event = json.loads(message["Body"])
    workflow, name = execution.split(":", 1)
    assert event["resources"] == [
        f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{workflow}",
        f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{workflow}:{name}",
    ]
    assert event["detail"] == {"id": 1}
    assert result.output["FailedEntryCount"] == 0
    assert len(result.output["Entries"]) == 1


# -- DynamoDB -------------------------------------------------------------------------


def _table(rt: LocalRuntime) -> None:
    rt.session.client("dynamodb").create_table(
        TableName="Items",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_dynamodb_put_then_get_keeps_typed_values() -> None:
    # [DDB] Arguments and outputs in the API's typed form ("Key": {"MessageId": {"S": ...}}).
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "Items", "Item": {"id": {"S": "a"}, "n": {"N": "1"}}},
                "ResultPath": None,
                "Next": "Get",
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "Items", "Key": {"id": {"S": "a"}}},
                "End": True,
            },
        },
    }
    with LocalRuntime() as rt:
        _table(rt)
        output = _run(rt, definition)
    assert output["Item"] == {"id": {"S": "a"}, "n": {"N": "1"}}
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200


def test_dynamodb_errors_use_the_optimised_prefix() -> None:
    # [DDB] "For optimized integrations, the exception prefix will be DynamoDB (uppercase DB)."
    failing_put = {
        "TableName": "Items",
        "Item": {"id": {"S": "a"}},
        "ConditionExpression": "attribute_exists(id)",
    }
    with LocalRuntime() as rt:
        _table(rt)
        conditional = _run(rt, _caught("arn:aws:states:::dynamodb:putItem", Parameters=failing_put))
        missing = _run(
            rt,
            _caught(
                "arn:aws:states:::dynamodb:getItem",
                Parameters={"TableName": "Gone", "Key": {"id": {"S": "a"}}},
            ),
        )
    assert conditional["Error"] == "DynamoDB.ConditionalCheckFailedException"
    assert missing["Error"] == "DynamoDB.ResourceNotFoundException"
    assert "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: " in missing["Cause"]


# -- AWS SDK integrations -------------------------------------------------------------


def test_aws_sdk_calls_take_pascal_case_parameters_and_name_errors_service_dot_exception() -> None:
    # [SDK] "Parameters in Step Functions are expressed in PascalCase"; "the resulting Error
    # field will be composed of the service name and the error name ... always include
    # the Exception suffix" (S3.NoSuchKeyException); the output is the API's response.
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                "Parameters": {"Bucket": "docs", "Key": "a.txt", "Body": "hello"},
                "ResultPath": None,
                "Next": "Get",
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                "Parameters": {"Bucket": "docs", "Key": "a.txt"},
                "ResultSelector": {"body.$": "$.Body", "type.$": "$.ContentType"},
                "Next": "Missing",
            },
            "Missing": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                "Parameters": {"Bucket": "docs", "Key": "nothing"},
                "Catch": [
                    {
                        "ErrorEquals": ["S3.NoSuchKeyException"],
                        "ResultPath": "$.error",
                        "Next": "Done",
                    }
                ],
                "End": True,
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }
    with LocalRuntime() as rt:
        rt.session.client("s3").create_bucket(Bucket="docs")
        output = _run(rt, definition)
    assert output["body"] == "hello"
    assert output["error"]["Error"] == "S3.NoSuchKeyException"
    assert "(Service: S3, Status Code: 404, Request ID: " in output["error"]["Cause"]


def test_aws_sdk_output_names_are_pascal_case_and_its_dynamodb_prefix_is_mixed_case() -> None:
    # [SDK] Step Functions' own API is camelCase (stateMachineArn) and is written
    # StateMachineArn; [DDB] "the exception prefix will be DynamoDb (mixed case)" for the
    # standard (AWS SDK) connection.
    definition = {
        "StartAt": "Tables",
        "States": {
            "Tables": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:listTables",
                "Parameters": {"Limit": 5},
                "Next": "Missing",
            },
            "Missing": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:describeTable",
                "Parameters": {"TableName": "Gone"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }
    with LocalRuntime() as rt:
        _table(rt)
        output = _run(rt, definition)
    assert "Items" in output["TableNames"]
    assert output["error"]["Error"] == "DynamoDb.ResourceNotFoundException"


# -- Step Functions: nested executions -------------------------------------------------

CHILD = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
CHILD_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Child"


@pytest.mark.parametrize(
    ("pattern", "output"),
    [(".sync", '{"k":"v"}'), (".sync:2", {"k": "v"})],
)
def test_sync_and_sync_2_return_the_child_output_as_a_string_or_as_json(
    pattern: str, output: Any
) -> None:
    # [SFN] "startExecution.sync | String", "startExecution.sync:2 | JSON": "Both will wait
    # for the nested state machine to complete, but they return different Output formats."
    definition = _task(
        f"arn:aws:states:::states:startExecution{pattern}",
        Parameters={"StateMachineArn": CHILD_ARN, "Input": {"k": "v"}, "Name": "child-1"},
    )
    with LocalRuntime() as rt:
        rt.publish(CHILD, "Child")
        described = _run(rt, definition)
    assert described["Output"] == output
    assert described["Status"] == "SUCCEEDED"
    assert described["Name"] == "child-1"
    assert described["ExecutionArn"] == f"arn:aws:states:{REGION}:{ACCOUNT}:execution:Child:child-1"


def test_start_execution_request_response_does_not_wait() -> None:
    # [CTR] Request Response: "Step Functions will wait for an HTTP response and then
    # progress to the next state ... will not wait for a job to complete".
    waiting_child = {
        "StartAt": "Nap",
        "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}},
    }
    definition = _task(
        "arn:aws:states:::states:startExecution",
        Parameters={"StateMachineArn": CHILD_ARN, "Name": "napper"},
    )
    with LocalRuntime() as rt:
        rt.publish(waiting_child, "Child")
        output = _run(rt, definition)
        child = rt.store.get_head("Child:napper")
    assert child is not None
    assert child.status == "RUNNING"
    assert output["ExecutionArn"].endswith(":execution:Child:napper")
    assert isinstance(output["StartDate"], int)


def test_start_execution_of_a_missing_state_machine() -> None:
    definition = _caught(
        "arn:aws:states:::states:startExecution.sync",
        Parameters={"StateMachineArn": CHILD_ARN.replace("Child", "Nothing")},
    )
    with LocalRuntime() as rt:
        output = _run(rt, definition)
    assert output["Error"] == "StepFunctions.StateMachineDoesNotExistException"


def test_a_retried_start_execution_starts_a_new_child() -> None:
    # A Retry is a new attempt: a child named by the attempt, not only by the state visit,
    # so a failed child is not found again.
    flaky = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                # $$.State.RetryCount is 0 on the first attempt: its child fails.
                "Choices": [{"Variable": "$.try", "NumericEquals": 0, "Next": "No"}],
                "Default": "Yes",
            },
            "No": {"Type": "Fail", "Error": "First"},
            "Yes": {"Type": "Pass", "End": True},
        },
    }
    definition = _task(
        "arn:aws:states:::states:startExecution.sync:2",
        Parameters={"StateMachineArn": CHILD_ARN, "Input": {"try.$": "$$.State.RetryCount"}},
        Retry=[{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1}],
        ResultSelector={"output.$": "$.Output"},
    )
    with LocalRuntime() as rt:
        rt.publish(flaky, "Child")
        output = _run(rt, definition)
    assert output == {"output": {"try": 1}}


def test_a_failed_entry_fails_put_events_with_the_response_as_cause() -> None:
    # [EB] "If the response from PutEvents contains a non-zero FailedEntryCount then the
    # Task state fails with the error EventBridge.FailedEntry."
    entries = [{"DetailType": "NoSource", "Detail": {}}]
    with LocalRuntime() as rt:
        output = _run(
            rt, _caught("arn:aws:states:::events:putEvents", Parameters={"Entries": entries})
        )
    assert output["Error"] == "EventBridge.FailedEntry"
    cause = json.loads(output["Cause"])
    assert cause["FailedEntryCount"] == 1
    assert cause["Entries"][0]["ErrorCode"] == "InvalidArgument"


def test_a_connector_output_over_256_kib_is_states_data_limit_exceeded() -> None:
    # [ERR] "States.DataLimitExceeded ... Output of a connector is larger than payload size
    # quota" (the connector's output itself, before ResultSelector trims it).
    definition = _task(
        "arn:aws:states:::aws-sdk:s3:getObject",
        Parameters={"Bucket": "docs", "Key": "big.txt"},
        ResultSelector={"type.$": "$.ContentType"},
    )
    definition["States"]["Call"]["Catch"] = [
        {"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Caught"}
    ]
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    with LocalRuntime() as rt:
        s3 = rt.session.client("s3")
        s3.create_bucket(Bucket="docs")
        s3.put_object(Bucket="docs", Key="big.txt", Body=b"x" * 300_000)
        output = _run(rt, definition)
    assert output["Error"] == "States.DataLimitExceeded"
    assert "over 262144 bytes" in output["Cause"]


def test_a_sync_start_of_a_name_another_start_took_is_execution_already_exists() -> None:
    # A .sync task waits for the child it started: a name taken by an execution started
    # otherwise (same name and input: StartExecution would succeed) cannot report to it.
    definition = _caught(
        "arn:aws:states:::states:startExecution.sync",
        Parameters={"StateMachineArn": CHILD_ARN, "Name": "taken", "Input": {}},
    )
    with LocalRuntime() as rt:
        rt.publish(CHILD, "Child")
        status, _ = rt.http("POST", "/executions", {"workflow": "Child", "name": "taken"})
        assert status in (200, 201)
        output = _run(rt, definition)
    assert output["Error"] == "StepFunctions.ExecutionAlreadyExistsException"


@pytest.mark.parametrize("value", ["hello", "123", 7, [1, "a"]])
def test_the_function_gets_the_json_value_it_was_given(value: Any) -> None:
    # [LAM] "the state input is passed to Lambda as the payload": the JSON value, so a
    # string arrives as a string (not parsed as JSON text).
    seen: list[Any] = []
    with LocalRuntime() as rt:
        rt.register(FUNCTION, lambda event, context: seen.append(event))
        _run(rt, _task(FUNCTION), value)
        _run(
            rt,
            _task(
                "arn:aws:states:::lambda:invoke",
                Parameters={"FunctionName": FUNCTION, "Payload": value},
            ),
        )
    assert seen == [value, value]


def test_dynamodb_binary_values_travel_in_base64() -> None:
    # [DDB] parameters and results in the DynamoDB API's form: a B value is base64 text.
    put = {"TableName": "Items", "Item": {"id": {"S": "b"}, "blob": {"B": "aGVsbG8="}}}
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": put,
                "ResultPath": None,
                "Next": "Get",
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "Items", "Key": {"id": {"S": "b"}}},
                "OutputPath": "$.Item.blob",
                "End": True,
            },
        },
    }
    with LocalRuntime() as rt:
        _table(rt)
        output = _run(rt, definition)
        stored = rt.session.client("dynamodb").get_item(TableName="Items", Key={"id": {"S": "b"}})
    assert stored["Item"]["blob"] == {"B": b"hello"}
    assert output == {"B": "aGVsbG8="}


@pytest.mark.parametrize(
    ("resource", "says"),
    [
        ("arn:aws:states:::aws-sdk:nosuchservice:doIt", "not an AWS service"),
        ("arn:aws:states:::aws-sdk:s3:getObjekt", "did you mean 'getObject'?"),
        # [SDK] "Unsupported operations: SelectObjectContent" (S3), AssumeRole (STS).
        ("arn:aws:states:::aws-sdk:s3:selectObjectContent", "does not support"),
        ("arn:aws:states:::aws-sdk:sts:assumeRole", "does not support"),
    ],
)
def test_an_aws_sdk_call_the_sdk_does_not_have_is_refused_at_load(resource: str, says: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        load_definition(_task(resource))
    assert says in str(refused.value)


def test_parameters_the_sdk_cannot_even_send_are_the_services_validation_error() -> None:
    # Not a transient client error (SdkClientException, which a Retry may be set to
    # retry): the request can never be made from these parameters; catchable, as the
    # service's own refusal of them would be.
    definition = _caught(
        "arn:aws:states:::aws-sdk:s3:getObject", Parameters={"Bucket": 5, "Key": "k"}
    )
    with LocalRuntime() as rt:
        output = _run(rt, definition)
    assert output["Error"] == "S3.S3Exception"


@pytest.mark.parametrize(
    ("resource", "parameters", "error"),
    [
        ("arn:aws:states:::lambda:invoke", {"Payload": {}}, "Lambda.AWSLambdaException"),
        (
            "arn:aws:states:::lambda:invoke",
            {"FunctionName": FUNCTION, "Nope": 1},
            "Lambda.AWSLambdaException",
        ),
        ("arn:aws:states:::sqs:sendMessage", {"MessageBody": "x"}, "SQS.AmazonSQSException"),
        (
            "arn:aws:states:::sns:publish",
            {"TopicArn": "arn:aws:sns:us-east-1:1:t"},
            "SNS.AmazonSNSException",
        ),
        (
            "arn:aws:states:::events:putEvents",
            {"Entries": "x"},
            "EventBridge.AmazonEventBridgeException",
        ),
        ("arn:aws:states:::dynamodb:getItem", {"Key": {}}, "DynamoDB.AmazonDynamoDBException"),
        (
            "arn:aws:states:::states:startExecution",
            {"Input": {}},
            "StepFunctions.InvalidArnException",
        ),
    ],
)
def test_missing_or_unknown_parameters_are_the_services_validation_error(
    resource: str, parameters: dict[str, Any], error: str
) -> None:
    # The LocalStack recording of Step Functions: a missing MessageBody is
    # SQS.AmazonSQSException "The request must contain the parameter MessageBody": the
    # service's refusal, which a Catch can handle (never a retry loop).
    with LocalRuntime() as rt:
        rt.register(FUNCTION, lambda event, context: event)
        output = _run(rt, _caught(resource, Parameters=parameters))
    assert output["Error"] == error
    assert "Status Code: 400" in output["Cause"]
