"""Parallel and Map definitions: what the loader checks in them and in the machines they
nest, each case citing its rule (the ASL spec, the Step Functions developer guide).

What a distributed Map's ItemReader, ItemBatcher and ResultWriter must say is checked
here too; the formats not built yet (README: Known gaps) are refused with that reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.definition.loader import load_definition
from steplane.errors import DefinitionError

NOT_YET = "is not supported yet"
DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}


def _problems(document: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    return {p.location: p.message for p in caught.value.problems}


def _branch(*names: str) -> dict[str, Any]:
    """A branch of Pass states in a chain."""
    states = {
        name: {"Type": "Pass", **({"Next": names[i + 1]} if i + 1 < len(names) else {"End": True})}
        for i, name in enumerate(names)
    }
    return {"StartAt": names[0], "States": states}


def _parallel(*branches: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "P",
        "States": {"P": {"Type": "Parallel", "Branches": list(branches), "End": True, **fields}},
    }


def _map(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, **fields}}}


def test_a_well_formed_parallel_and_inline_map_load() -> None:
    load_definition(_parallel(_branch("A"), _branch("B")))
    load_definition(_map(ItemProcessor=_branch("A"), MaxConcurrency=2))


def test_a_distributed_map_loads() -> None:
    # [guide] "Mode - Set to DISTRIBUTED ... ExecutionType - ... STANDARD or EXPRESS".
    for kind in ("STANDARD", "EXPRESS"):
        processor = {
            **_branch("A"),
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": kind},
        }
        assert load_definition(_map(ItemProcessor=processor)).state("M").type == "Map"


def test_a_problem_inside_a_branch_is_located_inside_it() -> None:
    # Every field of a nested state is checked as at the top level.
    branch = {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": -1, "End": True}}}
    problems = _problems(_parallel(branch))
    assert problems["/States/P/Branches/0/States/A/Seconds"].startswith("must be an integer >= 0")


def test_state_names_are_unique_in_the_whole_definition() -> None:
    # [spec] "state names MUST be unique within the scope of the whole state machine."
    problems = _problems(_parallel(_branch("A"), _branch("A")))
    assert problems["/States/P/Branches/1/States/A"] == (
        "state name 'A' is used already, at /States/P/Branches/0/States/A"
    )


def test_a_next_may_not_leave_its_branch() -> None:
    # [spec] "A state in a Parallel State branch "States" field MUST NOT have a "Next"
    # field that targets a field outside of that "States" field."
    branch = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "After"}}}
    document = _parallel(branch)
    document["States"]["P"] = {**document["States"]["P"], "End": None, "Next": "After"}
    del document["States"]["P"]["End"]
    document["States"]["After"] = {"Type": "Succeed"}
    problems = _problems(document)
    assert problems["/States/P/Branches/0/States/A/Next"].startswith(
        "names state 'After', which is in another state machine of the definition "
        "(at /States/After)"
    )


def test_a_next_may_not_enter_a_branch() -> None:
    # [spec] "A state MUST NOT have a "Next" field which matches a state name inside a
    # Parallel State branch's "States" field unless it is also inside the same "States"."
    document = _parallel(_branch("Inner"))
    document["StartAt"] = "Jump"
    document["States"]["Jump"] = {"Type": "Pass", "Next": "Inner"}
    problems = _problems(document)
    assert "which is in another state machine" in problems["/States/Jump/Next"]


def test_each_branch_has_its_own_start_and_reachability() -> None:
    # [spec] each branch is a state machine: "StartAt" names one of its own states.
    branch = {"StartAt": "Nope", "States": {"A": {"Type": "Succeed"}}}
    problems = _problems(_parallel(branch))
    assert problems["/States/P/Branches/0/StartAt"] == "start state 'Nope' does not exist"


def test_a_parallel_needs_at_least_one_branch() -> None:
    # [spec] "A Parallel State MUST contain a field named "Branches" which is an array".
    problems = _problems(_parallel())
    assert list(problems) == ["/States/P/Branches"]


def test_a_map_needs_an_item_processor() -> None:
    # [guide] ItemProcessor (Required): "Contains a JSON object that specifies the Map
    # state processing mode and definition."
    problems = _problems(_map())
    assert problems["/States/M"] == "a Map needs ItemProcessor (or its legacy name, Iterator)"


def test_item_processor_and_its_legacy_name_are_not_both_given() -> None:
    problems = _problems(_map(ItemProcessor=_branch("A"), Iterator=_branch("B")))
    assert "has both ItemProcessor and Iterator" in problems["/States/M"]


def test_item_selector_and_its_legacy_name_are_not_both_given() -> None:
    problems = _problems(
        _map(ItemProcessor=_branch("A"), ItemSelector={"a": 1}, Parameters={"b": 2})
    )
    assert "has both ItemSelector and Parameters" in problems["/States/M"]


def test_a_distributed_map_needs_its_execution_type() -> None:
    # [guide] ExecutionType: "You must provide this field if you specified DISTRIBUTED for
    # the Mode sub-field."
    processor = {**_branch("A"), "ProcessorConfig": {"Mode": "DISTRIBUTED"}}
    problems = _problems(_map(ItemProcessor=processor))
    assert "needs ExecutionType" in problems["/States/M/ItemProcessor/ProcessorConfig"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ItemReader", {"Resource": "arn:aws:states:::s3:getObject"}),
        ("ItemBatcher", {"MaxItemsPerBatch": 10}),
        ("ResultWriter", {"Resource": "arn:aws:states:::s3:putObject"}),
    ],
)
def test_distributed_fields_are_refused_on_an_inline_map(field: str, value: Any) -> None:
    # [guide] these are documented for the distributed Map only (an inline Map's items
    # are its input, its results its output), so they are refused rather than ignored.
    # Tolerated failures and Label, which the spec gives any Map, an inline Map keeps.
    problems = _problems(_map(ItemProcessor=_branch("A"), **{field: value}))
    assert "applies only to a distributed Map" in problems[f"/States/M/{field}"]


def test_max_concurrency_and_its_path_are_not_both_given() -> None:
    # [spec] "A Map State MUST NOT include both "MaxConcurrency" and "MaxConcurrencyPath"".
    problems = _problems(
        _map(ItemProcessor=_branch("A"), MaxConcurrency=2, MaxConcurrencyPath="$.n")
    )
    assert problems["/States/M"] == "has both MaxConcurrency and MaxConcurrencyPath; give one"


@pytest.mark.parametrize("label", ["with space", "x" * 41, "a*b", "a:b"])
def test_a_label_follows_the_guides_rules(label: str) -> None:
    # [guide] "Labels can't exceed 40 characters in length ... and can't contain ...
    # Whitespace; Wildcard characters (? *); ... Special characters (: ; , ...)".
    processor = {**_branch("A"), "ProcessorConfig": DISTRIBUTED}
    problems = _problems(_map(ItemProcessor=processor, Label=label))
    assert "/States/M/Label" in problems


def test_items_path_is_a_json_path_field_and_items_a_jsonata_one() -> None:
    # [guide] "ItemsPath (Optional, JSONPath only)"; "Items (Optional, JSONata only)".
    jsonata = {**_map(ItemProcessor=_branch("A"), ItemsPath="$.xs"), "QueryLanguage": "JSONata"}
    assert "is a JSONPath field" in _problems(jsonata)["/States/M/ItemsPath"]
    jsonpath = _map(ItemProcessor=_branch("A"), Items=[1, 2])
    assert "is a JSONata field" in _problems(jsonpath)["/States/M/Items"]


def test_a_misspelled_field_of_a_nested_state_is_suggested() -> None:
    branch = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Nxt": "A"}}}
    problems = _problems(_parallel(branch))
    assert (
        problems["/States/P/Branches/0/States/A/Nxt"] == "unknown field 'Nxt'; did you mean 'Next'?"
    )


def test_a_variable_of_the_outer_scope_may_be_read_in_a_branch() -> None:
    # [guide, Variables] "Inner scopes can read variables from outer scopes"; a read of a
    # variable nobody assigns is refused.
    document = _parallel(
        {
            "StartAt": "Use",
            "States": {"Use": {"Type": "Pass", "Parameters": {"v.$": "$outer"}, "End": True}},
        }
    )
    document["StartAt"] = "Set"
    document["States"]["Set"] = {"Type": "Pass", "Assign": {"outer": 1}, "Next": "P"}
    load_definition(document)
    document["States"]["Set"]["Assign"] = {"other": 1}
    assert "/States/P/Branches/0/States/Use/Parameters" in _problems(document)


def test_a_variable_assigned_inside_a_branch_is_read_later_in_that_branch() -> None:
    # [guide, Variables] a branch's states assign and read its own variables; they are
    # judged in the branch's flow, not in the flow around the Parallel.
    branch = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"inner": 1}, "Next": "Use"},
            "Use": {"Type": "Pass", "Parameters": {"v.$": "$inner"}, "End": True},
        },
    }
    load_definition(_parallel(branch))


def test_an_inner_scope_may_not_assign_a_variable_of_an_outer_scope() -> None:
    # [guide, Variables] "Inner scopes can read variables from outer scopes", but cannot
    # assign to variables that exist in an outer scope (no shadowing either).
    branch = {
        "StartAt": "Inner",
        "States": {"Inner": {"Type": "Pass", "Assign": {"total": 2, "mine": 1}, "End": True}},
    }
    document = _parallel(branch)
    document["StartAt"] = "Set"
    document["States"]["Set"] = {"Type": "Pass", "Assign": {"total": 1}, "Next": "P"}
    problems = _problems(document)
    assert list(problems) == ["/States/P/Branches/0/States/Inner/Assign"]
    assert problems["/States/P/Branches/0/States/Inner/Assign"].startswith(
        "assigns $total, which an outer scope assigns"
    )


GET = "arn:aws:states:::s3:getObject"
LIST = "arn:aws:states:::s3:listObjectsV2"
PUT = "arn:aws:states:::s3:putObject"
S3 = {"Bucket": "b", "Key": "k"}


def _map_run(language: str = "JSONPath", **fields: Any) -> dict[str, Any]:
    processor = {**_branch("A"), "ProcessorConfig": DISTRIBUTED}
    return {**_map(ItemProcessor=processor, **fields), "QueryLanguage": language}


@pytest.mark.parametrize(
    ("fields", "location", "says"),
    [
        # [guide] ItemReader Resource: "arn:aws:states:::s3:getObject" or listObjectsV2.
        (
            {"ItemReader": {"Resource": "arn:aws:states:::s3:head", "Parameters": S3}},
            "/ItemReader/Resource",
            "must be",
        ),
        # [guide] getObject needs ReaderConfig.InputType to read the object.
        (
            {"ItemReader": {"Resource": GET, "Parameters": S3}},
            "/ItemReader/ReaderConfig",
            "needs InputType",
        ),
        (
            {"ItemReader": {"Resource": GET, "ReaderConfig": {"InputType": "JSON"}}},
            "/ItemReader",
            "needs Parameters",
        ),
        # [guide] "GIVEN - ... specify the header within the state machine definition".
        (
            {
                "ItemReader": {
                    "Resource": GET,
                    "Parameters": S3,
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN"},
                }
            },
            "/ItemReader/ReaderConfig",
            "needs CSVHeaders",
        ),
        (
            {
                "ItemReader": {
                    "Resource": GET,
                    "Parameters": S3,
                    "ReaderConfig": {"InputType": "JSON", "CSVDelimiter": "TAB"},
                }
            },
            "/ItemReader/ReaderConfig/CSVDelimiter",
            "only to InputType CSV",
        ),
        # [spec] "A ReaderConfig field MUST NOT include both MaxItems and MaxItemsPath".
        (
            {
                "ItemReader": {
                    "Resource": LIST,
                    "Parameters": {"Bucket": "b"},
                    "ReaderConfig": {"MaxItems": 2, "MaxItemsPath": "$.n"},
                }
            },
            "/ItemReader/ReaderConfig",
            "both MaxItems and MaxItemsPath",
        ),
        (
            {
                "ItemReader": {
                    "Resource": LIST,
                    "Parameters": {"Bucket": "b"},
                    "ReaderConfig": {"MaxItems": 0},
                }
            },
            "/ItemReader/ReaderConfig/MaxItems",
            "positive integer",
        ),
        # [spec] "An ItemBatcher Configuration MUST contain at least one of ...".
        (
            {"ItemsPath": "$", "ItemBatcher": {"BatchInput": {"a": 1}}},
            "/ItemBatcher",
            "needs MaxItemsPerBatch",
        ),
        # [guide] MaxInputBytesPerBatch: "up to 256 KiB".
        (
            {"ItemBatcher": {"MaxInputBytesPerBatch": 300_000}},
            "/ItemBatcher/MaxInputBytesPerBatch",
            "at most",
        ),
        # [guide] "The ResultWriter field cannot be empty".
        ({"ResultWriter": {}}, "/ResultWriter", "cannot be empty"),
        ({"ResultWriter": {"Resource": PUT}}, "/ResultWriter", "go together"),
        (
            {"ResultWriter": {"WriterConfig": {"Transformation": "NONE"}}},
            "/ResultWriter/WriterConfig/Transformation",
            "not supported yet",
        ),
    ],
)
def test_what_a_map_run_needs_is_checked_at_load(
    fields: dict[str, Any], location: str, says: str
) -> None:
    problems = _problems(_map_run(**fields))
    assert says in problems[f"/States/M{location}"], problems


def test_a_map_runs_json_path_fields_are_refused_in_jsonata() -> None:
    # [guide] the ...Path fields are JSONPath only; JSONata gives a {% %} expression.
    reader = {
        "Resource": LIST,
        "Arguments": {"Bucket": "b"},
        "ReaderConfig": {"MaxItemsPath": "$.n"},
    }
    problems = _problems(_map_run("JSONata", ItemReader=reader))
    assert "JSONPath field" in problems["/States/M/ItemReader/ReaderConfig/MaxItemsPath"]
    parameters = {"Resource": LIST, "Parameters": {"Bucket": "b"}}
    problems = _problems(_map_run("JSONata", ItemReader=parameters))
    assert "use Arguments" in problems["/States/M/ItemReader/Parameters"]
