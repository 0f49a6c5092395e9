"""Pure template parsing: short-form tags, intrinsic resolution, specs, template discovery."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from steplane.local import template as template_module
from steplane.local.cfn import load_yaml, resolve
from steplane.local.template import (
    ApiEventSpec,
    Resources,
    SqsEventSpec,
    Template,
    TemplateError,
    UnresolvedReferenceError,
    UnsupportedIntrinsicError,
    find_template,
)

RESOURCES = (
    Resources(region="eu-west-1")
    .with_resource("Table", "steplane-Table", {"Arn": "arn:aws:dynamodb:eu-west-1:1:table/t"})
    .with_resource(
        "Queue",
        "https://sqs/q",
        {"Arn": "arn:aws:sqs:eu-west-1:1:q", "QueueName": "q", "QueueUrl": "https://sqs/q"},
    )
)


# ---------------------------------------------------------------- short-form tags


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("!Ref Table", {"Ref": "Table"}),
        ("!GetAtt Queue.Arn", {"Fn::GetAtt": ["Queue", "Arn"]}),
        ("!GetAtt [Queue, Arn]", {"Fn::GetAtt": ["Queue", "Arn"]}),
        ("!GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
        ("!Sub '${Queue}'", {"Fn::Sub": "${Queue}"}),
        ("!Sub ['${X}', {X: !Ref Table}]", {"Fn::Sub": ["${X}", {"X": {"Ref": "Table"}}]}),
        ("!Join [',', [a, !Ref Table]]", {"Fn::Join": [",", ["a", {"Ref": "Table"}]]}),
        ("!If [IsProd, a, b]", {"Fn::If": ["IsProd", "a", "b"]}),
        ("!Condition IsProd", {"Condition": "IsProd"}),
    ],
)
def test_short_form_tag_loads_as_long_form(source: str, expected: dict[str, Any]) -> None:
    assert load_yaml(f"Value: {source}") == {"Value": expected}


def test_load_yaml_rejects_a_template_that_is_not_a_mapping() -> None:
    with pytest.raises(TemplateError, match="mapping"):
        load_yaml("- just\n- a list\n")


# ---------------------------------------------------------------- intrinsic resolution


def test_ref_gives_physical_id_and_pseudo_parameters() -> None:
    assert RESOURCES.resolve({"Ref": "Table"}) == "steplane-Table"
    assert RESOURCES.resolve({"Ref": "Queue"}) == "https://sqs/q"
    assert RESOURCES.resolve({"Ref": "AWS::Region"}) == "eu-west-1"
    assert RESOURCES.resolve({"Ref": "AWS::AccountId"}) == "123456789012"


def test_get_att_resolves_list_and_dotted_string_forms() -> None:
    assert RESOURCES.resolve({"Fn::GetAtt": ["Queue", "Arn"]}) == "arn:aws:sqs:eu-west-1:1:q"
    assert RESOURCES.resolve({"Fn::GetAtt": "Queue.QueueName"}) == "q"
    assert RESOURCES.resolve(load_yaml("v: !GetAtt Table.Arn")["v"]) == (
        "arn:aws:dynamodb:eu-west-1:1:table/t"
    )


def test_sub_string_form_resolves_refs_attributes_and_pseudo_parameters() -> None:
    value = {"Fn::Sub": "${Table}|${Queue.Arn}|${AWS::Region}|${AWS::AccountId}|${!Literal}"}

    assert RESOURCES.resolve(value) == (
        "steplane-Table|arn:aws:sqs:eu-west-1:1:q|eu-west-1|123456789012|${Literal}"
    )


def test_sub_list_form_variables_shadow_resources_and_are_resolved_first() -> None:
    value = load_yaml("v: !Sub ['${Queue}/${Name}', {Queue: literal, Name: !Ref Table}]")["v"]

    assert RESOURCES.resolve(value) == "literal/steplane-Table"


def test_sub_renders_json_with_queue_urls() -> None:
    value = {"Fn::Sub": '{"Auth": "${Queue}", "n": ${AWS::AccountId}}'}

    assert RESOURCES.resolve(value) == '{"Auth": "https://sqs/q", "n": 123456789012}'


def test_resolve_walks_nested_lists_and_mappings() -> None:
    value = {"a": [{"Ref": "Table"}, 5, True], "b": {"c": {"Fn::GetAtt": ["Queue", "Arn"]}}}

    assert RESOURCES.resolve(value) == {
        "a": ["steplane-Table", 5, True],
        "b": {"c": "arn:aws:sqs:eu-west-1:1:q"},
    }


def test_join_and_select_are_evaluated() -> None:
    joined = RESOURCES.resolve({"Fn::Join": ["-", ["a", {"Ref": "Table"}, 3]]})

    assert joined == "a-steplane-Table-3"
    assert RESOURCES.resolve({"Fn::Select": [1, ["x", {"Ref": "Queue"}]]}) == "https://sqs/q"


def test_unsupported_intrinsic_names_itself_and_what_is_supported() -> None:
    value = load_yaml("v: !FindInMap [Map, a, b]")["v"]

    with pytest.raises(UnsupportedIntrinsicError) as raised:
        RESOURCES.resolve(value)

    assert raised.value.intrinsic == "Fn::FindInMap"
    message = str(raised.value)
    assert "'Fn::FindInMap' is not supported by the local runtime" in message
    assert "Fn::Sub" in message
    assert "Ref" in message


def test_reference_to_unknown_resource_names_it() -> None:
    with pytest.raises(UnresolvedReferenceError, match=r"'Missing\.Arn'") as raised:
        RESOURCES.resolve({"Fn::Sub": "${Missing.Arn}"})

    assert (raised.value.logical_id, raised.value.attribute) == ("Missing", "Arn")


def test_resolve_with_custom_lookups_is_pure() -> None:
    calls: list[tuple[str, ...]] = []

    def ref(name: str) -> str:
        calls.append((name,))
        return name.lower()

    def get_att(name: str, attribute: str) -> str:
        calls.append((name, attribute))
        return f"{name}:{attribute}"

    assert resolve({"Fn::Sub": "${A}/${B.C}"}, ref, get_att) == "a/B:C"
    assert calls == [("A",), ("B", "C")]


# ---------------------------------------------------------------- specs

SAM = """
Globals:
  Function:
    Timeout: 20
    Handler: steplane.default.handler
    Environment:
      Variables:
        SHARED: !Ref Table
        OVERRIDDEN: global
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: false}
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: '{"deadLetterTargetArn": "arn:aws:sqs:x:1:dlq", "maxReceiveCount": 2}'
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: steplane.worker.handle
      Environment:
        Variables:
          OVERRIDDEN: own
          COUNT: 3
      Events:
        FromQueue:
          Type: SQS
          Properties: {Queue: !GetAtt Queue.Arn, BatchSize: 5}
        Route:
          Type: Api
          Properties: {Path: '/things/{id}', Method: get}
"""


def test_function_spec_merges_globals_and_lets_the_function_win() -> None:
    worker = Template(load_yaml(SAM)).function("Worker")

    assert worker.handler == "steplane.worker.handle"
    assert worker.timeout == 20
    assert worker.environment == {"SHARED": {"Ref": "Table"}, "OVERRIDDEN": "own", "COUNT": 3}
    assert worker.sqs_events == (SqsEventSpec("Queue", 5, report_batch_item_failures=False),)
    assert worker.api_events == (ApiEventSpec("GET", "/things/{id}"),)


def test_function_environment_values_resolve_to_strings() -> None:
    template = Template(load_yaml(SAM))

    env = template_module.function_environment(template, "Worker", RESOURCES)

    assert env == {"SHARED": "steplane-Table", "OVERRIDDEN": "own", "COUNT": "3"}


def test_table_spec_ignores_disabled_ttl_and_defaults_to_provisioned_billing() -> None:
    (table,) = Template(load_yaml(SAM)).tables()

    assert table.ttl_attribute is None
    assert table.billing_mode == "PROVISIONED"
    assert table.key_schema == ({"AttributeName": "pk", "KeyType": "HASH"},)


def test_queue_with_json_string_redrive_policy_is_passed_through() -> None:
    (queue,) = Template(load_yaml(SAM)).queues()

    assert queue.redrive_policy.startswith("{")
    assert queue.dead_letter_queue_logical_id is None


def test_sqs_event_with_literal_queue_arn_is_refused() -> None:
    source = SAM.replace("!GetAtt Queue.Arn", "arn:aws:sqs:us-east-1:1:q")

    with pytest.raises(TemplateError, match=r"Worker event FromQueue: Queue must be !GetAtt"):
        Template(load_yaml(source)).functions()


def test_unknown_function_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="'Nope'"):
        Template(load_yaml(SAM)).function("Nope")


# ---------------------------------------------------------------- find_template


def test_find_template_prefers_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = tmp_path / "custom.yaml"
    explicit.write_text("Resources: {}\n")
    monkeypatch.setenv("STEPLANE_TEMPLATE", str(explicit))

    assert find_template() == explicit


def test_find_template_with_missing_env_file_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPLANE_TEMPLATE", str(tmp_path / "missing.yaml"))

    with pytest.raises(FileNotFoundError, match=r"STEPLANE_TEMPLATE=.*missing\.yaml"):
        find_template()


def test_find_template_ignores_a_template_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An unrelated SAM project's template.yaml must not replace the engine's.
    monkeypatch.delenv("STEPLANE_TEMPLATE", raising=False)
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)

    assert find_template() == Path(__file__).resolve().parents[2] / "template.yaml"


def test_find_template_prefers_the_packaged_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STEPLANE_TEMPLATE", raising=False)
    packaged = tmp_path / "template.yaml"
    packaged.write_text("Resources: {}\n")
    monkeypatch.setattr(template_module, "PACKAGED_TEMPLATE", packaged)

    assert find_template() == packaged


def test_find_template_in_a_source_checkout_is_the_repository_root_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STEPLANE_TEMPLATE", raising=False)

    assert find_template() == Path(__file__).resolve().parents[2] / "template.yaml"


def test_find_template_lists_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STEPLANE_TEMPLATE", raising=False)
    monkeypatch.setattr(template_module, "PACKAGED_TEMPLATE", tmp_path / "pkg" / "template.yaml")
    monkeypatch.setattr(template_module, "REPOSITORY_TEMPLATE", tmp_path / "repo" / "template.yaml")

    with pytest.raises(FileNotFoundError) as raised:
        find_template()

    message = str(raised.value)
    assert "STEPLANE_TEMPLATE" in message
    assert str(tmp_path / "pkg" / "template.yaml") in message
    assert str(tmp_path / "repo" / "template.yaml") in message


def test_a_template_without_the_engine_functions_names_what_is_missing(tmp_path: Path) -> None:
    foreign = tmp_path / "template.yaml"
    foreign.write_text(SAM)  # a SAM template, but of some other application
    template = template_module.load_template(foreign)

    with pytest.raises(TemplateError) as raised:
        template_module.check_engine_functions(template)

    message = str(raised.value)
    assert "is not steplane's template" in message
    assert str(foreign) in message
    for module in ("start", "advance", "task_complete", "status"):
        assert f"steplane.handlers.{module}" in message


def test_a_template_without_resources_is_a_template_error_naming_the_file(tmp_path: Path) -> None:
    foreign = tmp_path / "template.yaml"
    foreign.write_text("AWSTemplateFormatVersion: '2010-09-09'\n")

    with pytest.raises(TemplateError, match=r"template\.yaml: template has no Resources"):
        template_module.check_engine_functions(template_module.load_template(foreign))


def test_the_repository_template_declares_every_engine_function() -> None:
    template_module.check_engine_functions(template_module.load_template(find_template()))


def test_conditions_choose_a_branch_and_no_value_leaves_it_out() -> None:
    # The IntegrationFunction's grants: a statement under a false condition is absent.
    template = load_yaml(
        """
Conditions:
  HasQueues: !Not [!Equals [!Join ['', !Ref Queues], '']]
  Both: !And [{Condition: HasQueues}, !Equals [a, a]]
v:
  - !If [HasQueues, granted, !Ref AWS::NoValue]
  - !If [Both, both, neither]
  - kept
"""
    )
    granting = replace(
        RESOURCES, parameters={"Queues": ["arn:q"]}, conditions=template["Conditions"]
    )
    empty = replace(RESOURCES, parameters={"Queues": [""]}, conditions=template["Conditions"])
    assert granting.resolve(template["v"]) == ["granted", "both", "kept"]
    assert empty.resolve(template["v"]) == ["neither", "kept"]


def test_an_unknown_condition_is_named() -> None:
    value = load_yaml("v: !If [Nowhere, a, b]")["v"]
    with pytest.raises(TemplateError, match="Nowhere"):
        RESOURCES.resolve(value)
