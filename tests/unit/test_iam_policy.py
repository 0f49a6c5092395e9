"""The IAM model the least-privilege test judges roles with (tests/iam_policy.py)."""

from __future__ import annotations

from tests.iam_policy import Statement, call_of, calls_of, granted, role_statements

QUEUE = "arn:aws:sqs:us-east-1:123456789012:steplane-AdvanceQueue"
OTHER_QUEUE = "arn:aws:sqs:us-east-1:123456789012:steplane-StartQueue"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/steplane-ExecutionsTable"


def test_a_statement_allows_only_its_actions_on_its_resources_with_iam_wildcards():
    statement = Statement(("sqs:SendMessage*",), ("arn:aws:sqs:*:*:steplane-AdvanceQueue",))

    assert statement.allows("sqs:sendmessage", QUEUE)  # actions are case-insensitive
    assert not statement.allows("sqs:ReceiveMessage", QUEUE)
    assert not statement.allows("sqs:SendMessage", OTHER_QUEUE)


def test_granted_pairs_each_action_with_its_own_services_resources_only():
    everything = [Statement(("sqs:DeleteMessage", "dynamodb:GetItem"), ("*",))]

    pairs = granted(everything, ["sqs:DeleteMessage", "dynamodb:GetItem"], [QUEUE, TABLE])

    assert pairs == {("sqs:DeleteMessage", QUEUE), ("dynamodb:GetItem", TABLE)}


def test_the_sqs_managed_policy_sam_attaches_grants_on_every_queue():
    role = {
        "Properties": {
            "ManagedPolicyArns": [
                "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
            ]
        }
    }

    (statement,) = role_statements(role, lambda value: value)

    assert statement.allows("sqs:DeleteMessage", OTHER_QUEUE)


def test_batch_calls_and_index_queries_map_to_the_action_and_arn_iam_checks():
    send = call_of("sqs", "SendMessageBatch", {"QueueUrl": "https://q/123456789012/x"}, "eu", "1")
    query = call_of("dynamodb", "Query", {"TableName": "t", "IndexName": "I"}, "eu", "1")
    by_name = call_of("sqs", "GetQueueUrl", {"QueueName": "y"}, "eu", "1")

    assert send == ("sqs:SendMessage", "arn:aws:sqs:eu:123456789012:x")
    assert query == ("dynamodb:Query", "arn:aws:dynamodb:eu:1:table/t/index/I")
    assert by_name == ("sqs:GetQueueUrl", "arn:aws:sqs:eu:1:y")


def test_a_transaction_needs_the_permission_of_each_of_its_parts() -> None:
    params = {
        "TransactItems": [
            {"Put": {"TableName": "executions", "Item": {}}},
            {"ConditionCheck": {"TableName": "executions", "Key": {}}},
        ]
    }
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/executions"
    assert calls_of("dynamodb", "TransactWriteItems", params, "us-east-1", "123456789012") == [
        ("dynamodb:PutItem", table),
        ("dynamodb:ConditionCheckItem", table),
    ]
