"""Static checks on template.yaml: conventions, the SAM transform, and cfn-lint.

moto cannot deploy this template (CloudFormation in moto does not run the SAM transform,
and a translated template with Api events fails there), so the template's real gate is
aws-sam-translator plus cfn-lint plus the assertions below.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file

from steplane.local.cfn import get_att_target
from steplane.local.template import load_template
from tests.sam import translate

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
HANDLER_PATH = re.compile(r"^steplane(\.[a-z_][a-z0-9_]*){2,}$")
DLQ_RETENTION_SECONDS = 1209600
# The engine's own messages are hints (retrying costs little); task messages run user code.
ENGINE_QUEUES = ("StartQueue", "AdvanceQueue", "TaskResultQueue")
RECEIVES = {
    queue: 20 if queue in ENGINE_QUEUES else 5
    for queue in (
        *ENGINE_QUEUES,
        "DefaultTaskQueue",
        # Integration tasks call the user's services, as a worker's task runs their code.
        "IntegrationQueue",
        "AuthServiceTaskQueue",
        "ProvisioningServiceTaskQueue",
        "NotificationServiceTaskQueue",
    )
}


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return load_template(TEMPLATE_PATH).data


def resources_of(data: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in data["Resources"].items() if v["Type"] == resource_type}


def sqs_events(data: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (function_id, event_id, event["Properties"])
        for function_id, function in resources_of(data, "AWS::Serverless::Function").items()
        for event_id, event in function["Properties"].get("Events", {}).items()
        if event["Type"] == "SQS"
    ]


def dead_letter_queue_ids(data: dict[str, Any]) -> set[str]:
    targets = set()
    for queue in resources_of(data, "AWS::SQS::Queue").values():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive:
            target = get_att_target(redrive["deadLetterTargetArn"])
            assert target is not None
            targets.add(target[0])
    return targets


def test_every_source_queue_has_a_redrive_policy_to_its_named_dlq(data: dict[str, Any]) -> None:
    dlqs = dead_letter_queue_ids(data)
    sources = {k: v for k, v in resources_of(data, "AWS::SQS::Queue").items() if k not in dlqs}

    assert len(sources) == 8
    for logical_id, queue in sources.items():
        redrive = queue["Properties"]["RedrivePolicy"]
        expected_dlq = logical_id.removesuffix("Queue") + "DeadLetterQueue"
        assert get_att_target(redrive["deadLetterTargetArn"]) == (expected_dlq, "Arn")
        assert redrive["maxReceiveCount"] == RECEIVES[logical_id]


def test_every_dead_letter_queue_keeps_messages_14_days_encrypted(data: dict[str, Any]) -> None:
    queues = resources_of(data, "AWS::SQS::Queue")
    dlqs = dead_letter_queue_ids(data)

    assert dlqs == {k for k in queues if k.endswith("DeadLetterQueue")}
    for logical_id in dlqs:
        props = queues[logical_id]["Properties"]
        assert props["MessageRetentionPeriod"] == DLQ_RETENTION_SECONDS
        assert props["SqsManagedSseEnabled"] is True
        assert "RedrivePolicy" not in props


def test_every_queue_is_encrypted_at_rest_with_sse_sqs(data: dict[str, Any]) -> None:
    # What the CKV_AWS_27 suppressions claim: checkov's CloudFormation check reads only
    # KmsMasterKeyId, so it cannot see SSE-SQS itself.
    queues = resources_of(data, "AWS::SQS::Queue")

    assert len(queues) == 16
    for logical_id, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, logical_id


def test_every_checkov_suppression_names_a_check_and_says_why(data: dict[str, Any]) -> None:
    skips = [
        (logical_id, skip)
        for logical_id, resource in data["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]

    assert skips  # .ci/run runs checkov; what it flags and we accept is suppressed here
    for logical_id, skip in skips:
        assert re.fullmatch(r"CKV_AWS_\d+", skip["id"]), (logical_id, skip)
        assert len(skip["comment"].split()) >= 10, (logical_id, skip)  # a reason, not a tag


def test_every_sqs_event_reports_batch_item_failures(data: dict[str, Any]) -> None:
    events = sqs_events(data)

    assert len(events) == 7  # every function but StatusFunction
    for function_id, _, props in events:
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"], function_id
        # Starts one at a time (a lost start has no head to heal), integrations too (a
        # synchronous Lambda invoke may take 900 s: ten in a row would not fit); the rest
        # in tens.
        one_at_a_time = function_id in ("StartFunction", "IntegrationFunction")
        assert props["BatchSize"] == (1 if one_at_a_time else 10)


def test_consumed_queues_hide_messages_six_times_the_function_timeout(
    data: dict[str, Any],
) -> None:
    # "set the source queue's visibility timeout to at least six times the configuration
    # timeout on your function" (Lambda developer guide, SQS event source mapping).
    queues = resources_of(data, "AWS::SQS::Queue")
    global_timeout = data["Globals"]["Function"]["Timeout"]
    functions = resources_of(data, "AWS::Serverless::Function")
    for function_id, _, props in sqs_events(data):
        timeout = functions[function_id]["Properties"].get("Timeout", global_timeout)
        queue_id, _ = get_att_target(props["Queue"]) or ("", "")
        visibility = queues[queue_id]["Properties"]["VisibilityTimeout"]
        window = props.get("MaximumBatchingWindowInSeconds", 0)
        assert visibility >= 6 * timeout + window, (function_id, queue_id)


def test_every_handler_is_a_dotted_path_under_steplane(data: dict[str, Any]) -> None:
    functions = resources_of(data, "AWS::Serverless::Function")

    assert len(functions) == 10
    for logical_id, function in functions.items():
        assert HANDLER_PATH.match(function["Properties"]["Handler"]), logical_id


def test_sam_transform_translates_template_offline() -> None:
    cfn = translate(TEMPLATE_PATH)

    resources = cfn["Resources"]
    types = [r["Type"] for r in resources.values()]
    assert not [t for t in types if t.startswith("AWS::Serverless::")]
    assert types.count("AWS::Lambda::Function") == 10
    assert types.count("AWS::Scheduler::Schedule") == 1  # the sweeper's one-minute tick
    mappings = [r["Properties"] for r in resources.values() if r["Type"].endswith("SourceMapping")]
    assert len(mappings) == 7
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings)
    for function in (r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"):
        assert function["Properties"]["Architectures"] == ["arm64"]
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}
    # Every route is SigV4-only, and API Gateway invokes the function itself rather than
    # with the caller's credentials (SAM's surprising CALLER_CREDENTIALS default).
    paths = resources["EngineApi"]["Properties"]["Body"]["paths"]
    methods = [m for path in paths.values() for m in path.values()]
    assert len(methods) == 17  # + the children, stop, list, workflows, redrive, stats, definition
    for method in methods:
        assert method["security"] == [{"AWS_IAM": []}]
        assert "credentials" not in method["x-amazon-apigateway-integration"]


def test_the_api_deploys_one_stage_v1_with_tracing_and_no_stage_named_stage() -> None:
    # Without OpenApiVersion, SAM's Swagger 2.0 default makes the API's Deployment create a
    # second stage named "Stage" beside v1, without v1's settings (SAM issue #191).
    resources = translate(TEMPLATE_PATH)["Resources"]

    stages = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    deployments = [
        r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Deployment"
    ]
    assert [(s["StageName"], s["TracingEnabled"]) for s in stages] == [("v1", True)]
    assert len(deployments) == 1
    assert "StageName" not in deployments[0]  # a Deployment's StageName creates that stage


def test_api_access_logs_are_opt_in_to_a_log_group_of_this_stack() -> None:
    # Opt-in: API Gateway can log only once the account's CloudWatch Logs role is set, which
    # a fresh account lacks (and which one stack must not take over for the whole region).
    cfn = translate(TEMPLATE_PATH)
    resources = cfn["Resources"]
    (stage,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage"]

    condition, enabled, disabled = stage["Properties"]["AccessLogSetting"]["Fn::If"]
    target = get_att_target(enabled["DestinationArn"])
    assert target is not None
    assert cfn["Parameters"]["ApiAccessLogs"]["Default"] == "false"
    assert cfn["Conditions"][condition] == {"Fn::Equals": [{"Ref": "ApiAccessLogs"}, "true"]}
    assert disabled == {"Ref": "AWS::NoValue"}
    group = resources[target[0]]
    assert (group["Type"], group["Condition"]) == ("AWS::Logs::LogGroup", condition)
    assert group["Properties"]["RetentionInDays"] == 90
    # One JSON object per request, naming the IAM caller (every route is SigV4-signed).
    assert json.loads(enabled["Format"])["userArn"] == "$context.identity.userArn"


def test_cfn_lint_reports_no_problems() -> None:
    matches = lint_file(TEMPLATE_PATH)

    assert [str(m) for m in matches] == []
