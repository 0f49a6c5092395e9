"""What a definition's integrations need the stack to grant (steplane publish's warnings)."""

from __future__ import annotations

from steplane.integrations.grants import Place, needs, ungranted

PLACE = Place(region="eu-west-1", account="111122223333")
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/111122223333/orders"


def _definition(*tasks: dict) -> dict:
    states = {
        f"T{i}": {"Type": "Task", "Next": f"T{i + 1}", **task} for i, task in enumerate(tasks)
    }
    states[f"T{len(tasks) - 1}"].pop("Next")
    states[f"T{len(tasks) - 1}"]["End"] = True
    return {"StartAt": "T0", "States": states}


DEFINITION = _definition(
    {"Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "enrich"}},
    {"Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {"QueueUrl": QUEUE_URL}},
    {"Resource": "arn:aws:states:::sns:publish", "Parameters": {"TopicArn.$": "$.topic"}},
    {"Resource": "arn:aws:states:::events:putEvents", "Parameters": {"Entries": [{}]}},
    {"Resource": "arn:aws:states:::dynamodb:putItem", "Arguments": {"TableName": "Orders"}},
    {"Resource": "arn:aws:states:::aws-sdk:s3:getObject", "Parameters": {}},
    {"Resource": "arn:aws:states:::states:startExecution", "Parameters": {}},
    {"Resource": "AWorkerRoute"},
)
EVERYTHING = {
    "IntegrationLambdaFunctions": ["arn:aws:lambda:eu-west-1:111122223333:function:*"],
    "IntegrationQueues": ["arn:aws:sqs:eu-west-1:111122223333:orders"],
    "IntegrationTopics": ["arn:aws:sns:eu-west-1:111122223333:*"],
    "IntegrationEventBuses": ["arn:aws:events:eu-west-1:111122223333:event-bus/default"],
    "IntegrationTables": ["arn:aws:dynamodb:eu-west-1:111122223333:table/Orders"],
    "IntegrationSdkActions": ["S3:GetObject"],
}


def test_a_stack_that_grants_everything_gets_no_warning() -> None:
    assert ungranted(needs(DEFINITION, PLACE), EVERYTHING) == []


def test_a_stack_that_grants_nothing_is_told_each_missing_grant_where_it_is_needed() -> None:
    warnings = ungranted(needs(DEFINITION, PLACE), {})
    assert warnings == [
        "/States/T0: the Lambda function arn:aws:lambda:eu-west-1:111122223333:function:enrich "
        "is not granted: add it to the stack's IntegrationLambdaFunctions parameter",
        "/States/T1: the SQS queue arn:aws:sqs:eu-west-1:111122223333:orders is not granted: "
        "add it to the stack's IntegrationQueues parameter",
        "/States/T2: the SNS topic is chosen at run time, and the stack's IntegrationTopics "
        "parameter grants none",
        "/States/T3: the event bus arn:aws:events:eu-west-1:111122223333:event-bus/default is "
        "not granted: add it to the stack's IntegrationEventBuses parameter",
        "/States/T4: the DynamoDB table arn:aws:dynamodb:eu-west-1:111122223333:table/Orders "
        "is not granted: add it to the stack's IntegrationTables parameter",
        "/States/T5: the AWS SDK call s3:GetObject is not granted: add it to the stack's "
        "IntegrationSdkActions parameter",
    ]


def test_a_grant_for_another_resource_does_not_cover_it() -> None:
    other = {**EVERYTHING, "IntegrationQueues": ["arn:aws:sqs:eu-west-1:111122223333:refunds"]}
    (warning,) = ungranted(needs(DEFINITION, PLACE), other)
    assert "arn:aws:sqs:eu-west-1:111122223333:orders is not granted" in warning


def test_tasks_inside_parallel_branches_and_map_processors_are_checked() -> None:
    inner = _definition(
        {
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"TopicArn": "arn:aws:sns:eu-west-1:111122223333:t"},
        }
    )
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "Branches": [inner], "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": inner, "End": True},
        },
    }
    locations = [need.location for need in needs(definition, PLACE)]
    assert locations == ["/States/P/Branches/0/States/T0", "/States/M/ItemProcessor/States/T0"]


def test_a_role_named_by_credentials_must_be_assumable() -> None:
    role = "arn:aws:iam::444455556666:role/remote"
    definition = _definition(
        {
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Credentials": {"RoleArn": role},
            "Parameters": {"QueueUrl": QUEUE_URL},
        }
    )
    granted = {**EVERYTHING, "IntegrationAssumableRoles": [role]}
    assert ungranted(needs(definition, PLACE), granted) == []
    (warning,) = ungranted(needs(definition, PLACE), EVERYTHING)
    assert warning == (
        f"/States/T0: the role (Credentials) {role} is not granted: add it to the stack's "
        "IntegrationAssumableRoles parameter"
    )
