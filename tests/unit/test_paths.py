"""Reference paths: parsing, reading, and InputPath / OutputPath / ResultPath.

Quotes are from the Amazon States Language spec ("the spec") and the Step Functions
developer guide ("the guide").
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from steplane.asl.paths import (
    InvalidPathError,
    NonReferencePathError,
    PathError,
    PathNotFoundError,
    PathStep,
    ResultPathMatchError,
    apply_result_path,
    format_path,
    is_reference_path,
    parse_reference_path,
)
from steplane.asl.references import compile_path, select
from steplane.asl.scope import Scope
from steplane.jsontypes import Json


def read_path(data: Json, path: str) -> Json:
    """What a reference path selects in ``data`` (as every state reads one)."""
    return compile_path(path).read(Scope(data))


def apply_input_path(data: Json, path: str | None) -> Json:
    """InputPath as a state applies it."""
    return select(Scope(data), path)


apply_output_path = apply_input_path  # OutputPath is applied the same way

# The spec's and the guide's example input for reference paths.
SPEC_INPUT = {"foo": 123, "bar": ["a", "b", "c"], "car": {"cdr": True}}


# --- parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("$", ()),
        ("$.a", ("a",)),
        ("$.a.b", ("a", "b")),
        ("$['a b']", ("a b",)),
        ('$["a b"]', ("a b",)),
        ("$.a[0]", ("a", 0)),
        ("$.a[0].b", ("a", 0, "b")),
        ("$[3]", (3,)),
        ("$.a[10][2]", ("a", 10, 2)),
        ("$['store'][0]['book']", ("store", 0, "book")),
        ("$.ledgers.branch[0].pending.count", ("ledgers", "branch", 0, "pending", "count")),
        ("$['']", ("",)),
        ("$['it\\'s']", ("it's",)),
        ("$['back\\\\slash']", ("back\\slash",)),
        ("$.error-info", ("error-info",)),
        ("$.&Ж中", ("&Ж中",)),
        ("$.a1._b", ("a1", "_b")),
    ],
)
def test_valid_reference_path_parses_to_steps(path: str, steps: tuple[PathStep, ...]) -> None:
    assert parse_reference_path(path) == steps
    assert is_reference_path(path)


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        # The spec's "examples of acceptable Reference Path syntax": a backslash makes
        # the next character part of the name.
        ("$.store\\.book", ("store.book",)),
        ("$.\\stor\\e.boo\\k", ("store", "book")),
        ("$.foo.\\.bar", ("foo", ".bar")),
        ("$.foo\\@bar.baz\\[\\[.\\?pretty", ("foo@bar", "baz[[", "?pretty")),
    ],
)
def test_spec_escaped_dot_notation_names_parse(path: str, steps: tuple[PathStep, ...]) -> None:
    assert parse_reference_path(path) == steps


def test_dot_before_bracket_is_accepted_as_in_the_guide() -> None:
    # The guide: "you must use bracket notation ... For example, $.abc.['def ghi']".
    assert parse_reference_path("$.abc.['def ghi']") == ("abc", "def ghi")


@pytest.mark.parametrize(
    ("path", "feature"),
    [
        ("$..a", "recursive descent"),
        ("$.a.*", "wildcard"),
        ("$.a[*]", "wildcard"),
        ("$.a[?(@.b > 1)]", "filter"),
        ("$.a[(@.length-1)]", "script expression"),
        ("$.a[0:2]", "slice"),
        ("$.a[:2]", "slice"),
        ("$.a[0,1]", "union"),
        ("$['a','b']", "union"),
        ("$.a.length()", "function"),
        ("$.a[-1]", "negative index"),
        ("$$.Execution.Id", "context object"),
        ("$myVariable.field", "variable"),
    ],
)
def test_jsonpath_beyond_reference_paths_is_a_non_reference_path(path: str, feature: str) -> None:
    # The spec: reference paths "MUST be unambiguous references to a single value,
    # array, or object"; the guide: "The operators @ .. , : ? * aren't supported".
    with pytest.raises(NonReferencePathError) as caught:
        parse_reference_path(path)
    assert caught.value.feature == feature
    assert caught.value.path == path
    assert not is_reference_path(path)


@pytest.mark.parametrize(
    ("path", "position", "fragment"),
    [
        ("", 0, "must start with '$'"),
        ("a.b", 0, "must start with '$'"),
        (".a", 0, "must start with '$'"),
        ("$.", 1, "ends with '.'"),
        ("$.a.", 3, "ends with '.'"),
        ("$.a b", 3, "white space"),
        ("$.a@b", 3, "'@' at position 3"),
        ("$.a?", 3, "'?' at position 3"),
        ("$[", 1, "never closed"),
        ("$.a[0", 3, "never closed"),
        ("$['a", 2, "never closed"),
        ("$['a'", 5, "expected ']'"),
        ("$[abc]", 2, "neither an array index nor a quoted field name"),
        ("$[]", 2, "neither an array index"),
        ("$ .a", 1, "unexpected ' '"),
        ("$.a]", 3, "unexpected ']'"),
        ("$.a\\", 3, "escapes nothing"),
        ("$.[", 2, "never closed"),
    ],
)
def test_invalid_path_says_what_is_wrong_and_where(path: str, position: int, fragment: str) -> None:
    with pytest.raises(InvalidPathError) as caught:
        parse_reference_path(path)
    assert not isinstance(caught.value, NonReferencePathError)
    assert caught.value.position == position
    assert fragment in str(caught.value)
    assert not is_reference_path(path)


def test_invalid_path_error_is_a_runtime_error_with_a_cause_naming_the_path() -> None:
    with pytest.raises(PathError) as caught:
        parse_reference_path("$.a b")
    assert caught.value.error == "States.Runtime"
    assert "'$.a b'" in caught.value.cause


@pytest.mark.parametrize(
    ("steps", "text"),
    [
        ((), "$"),
        (("a", 0, "b"), "$.a[0].b"),
        (("a b",), "$['a b']"),
        (("it's",), "$['it\\'s']"),
        (("1st",), "$['1st']"),
    ],
)
def test_format_path_writes_steps_that_parse_back(steps: tuple[PathStep, ...], text: str) -> None:
    assert format_path(steps) == text
    assert parse_reference_path(text) == steps


# --- reading -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # The spec: "$.foo => 123", "$.bar => ["a", "b", "c"]", "$.car.cdr => true".
        ("$.foo", 123),
        ("$.bar", ["a", "b", "c"]),
        ("$.car.cdr", True),
        ("$.bar[2]", "c"),
        ("$['car']['cdr']", True),
        ("$", SPEC_INPUT),
    ],
)
def test_read_path_returns_the_selected_value(path: str, expected: Any) -> None:
    assert read_path(SPEC_INPUT, path) == expected


def test_read_path_returns_null_for_a_field_that_is_present_and_null() -> None:
    assert read_path({"a": None}, "$.a") is None


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [
        ({"a": 1}, "$.b", "$ has no field 'b'"),
        ({"a": {"b": 1}}, "$.a.c", "$.a has no field 'c'"),
        ({"a": [1, 2]}, "$.a[2]", "$.a has 2 items, so no index 2"),
        ({"a": "text"}, "$.a.b", "$.a is a string, not an object"),
        ({"a": [1]}, "$.a.b", "$.a is an array, not an object"),
        ({"a": {"0": 1}}, "$.a[0]", "$.a is an object, not an array"),
        ({"a": None}, "$.a.b", "$.a is null, not an object"),
        ("text", "$.a", "$ is a string, not an object"),
        (7, "$[0]", "$ is a number, not an array"),
    ],
)
def test_read_path_missing_node_is_not_found_with_reason(
    data: Any, path: str, fragment: str
) -> None:
    with pytest.raises(PathNotFoundError) as caught:
        read_path(data, path)
    assert fragment in caught.value.reason
    assert caught.value.error == "States.Runtime"
    assert path in caught.value.cause


def test_read_path_with_invalid_syntax_raises_invalid_path_not_not_found() -> None:
    with pytest.raises(InvalidPathError):
        read_path({"a": 1}, "$.a[*]")


# --- InputPath and OutputPath -------------------------------------------------------


def test_input_path_null_gives_empty_object() -> None:
    # The spec: "If the value of InputPath is null ... the effective input for the
    # state is an empty JSON object, {}."
    assert apply_input_path({"a": 1}, None) == {}


def test_output_path_null_gives_empty_object() -> None:
    # The spec: "If the value of OutputPath is null ... the effective output from the
    # state is an empty JSON object, {}."
    assert apply_output_path({"a": 1}, None) == {}


@pytest.mark.parametrize("apply", [apply_input_path, apply_output_path])
def test_input_and_output_path_select_a_subtree(apply: Any) -> None:
    data = {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}}
    assert apply(data, "$.numbers") == {"val1": 3, "val2": 4}
    assert apply(data, "$") == data


@pytest.mark.parametrize("apply", [apply_input_path, apply_output_path])
def test_input_and_output_path_that_match_nothing_fail_with_states_runtime(apply: Any) -> None:
    # The guide: "If the OutputPath doesn't match an item in the state's input, an
    # exception specifies an invalid path."
    with pytest.raises(PathNotFoundError) as caught:
        apply({"a": 1}, "$.missing")
    assert caught.value.error == "States.Runtime"


# --- ResultPath -----------------------------------------------------------------------


def test_result_path_null_discards_the_result_and_keeps_the_input() -> None:
    # The spec: "If the value of ResultPath is null, that means that the state's result
    # is discarded and its raw input becomes its result."
    assert apply_result_path({"a": 1}, None, "result") == {"a": 1}


def test_result_path_dollar_replaces_the_whole_input() -> None:
    assert apply_result_path({"a": 1}, "$", "Hello") == "Hello"


def test_result_path_overwrites_an_existing_field() -> None:
    # The spec's example: result 6 at "$.master.detail" overwrites [1, 2, 3].
    state_input = {"master": {"detail": [1, 2, 3]}}
    assert apply_result_path(state_input, "$.master.detail", 6) == {"master": {"detail": 6}}


def test_result_path_constructs_intervening_fields() -> None:
    # The spec's example: "$.master.result.sum" produces "a chain of new fields
    # containing result and sum".
    state_input = {"master": {"detail": [1, 2, 3]}}
    assert apply_result_path(state_input, "$.master.result.sum", 6) == {
        "master": {"detail": [1, 2, 3], "result": {"sum": 6}}
    }


def test_result_path_adds_a_field_beside_the_input() -> None:
    # The spec: InputPath "$.numbers", ResultPath "$.sum", result 7.
    state_input = {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}}
    assert apply_result_path(state_input, "$.sum", 7) == {**state_input, "sum": 7}


def test_result_path_replaces_an_existing_array_item() -> None:
    assert apply_result_path({"a": [1, 2, 3]}, "$.a[1]", "x") == {"a": [1, "x", 3]}


def test_result_path_with_bracket_name_creates_that_field() -> None:
    assert apply_result_path({}, "$['a b'].c", 1) == {"a b": {"c": 1}}


def test_result_path_never_mutates_its_arguments_and_copies_only_the_path() -> None:
    # Values are immutable in the engine, so ResultPath copies only the containers on its
    # path: cost independent of the data's size, and no recursive copy of a deep document.
    state_input = {"master": {"detail": [1, 2, 3]}, "other": {"x": 1}}
    result = {"sum": [6]}
    before_input, before_result = copy.deepcopy(state_input), copy.deepcopy(result)
    output = apply_result_path(state_input, "$.master.result", result)
    assert state_input == before_input
    assert result == before_result
    assert output is not state_input
    assert output["master"] is not state_input["master"]
    assert output["master"]["detail"] is state_input["master"]["detail"]
    assert output["other"] is state_input["other"]


def test_result_path_places_a_result_under_an_input_at_the_depth_limit() -> None:
    deep: dict[str, object] = {}
    node = deep
    for _ in range(2000):  # far deeper than any recursive copy could go
        node["n"] = {}
        node = node["n"]  # type: ignore[assignment]
    output = apply_result_path(deep, "$.result", deep)
    assert output["result"] is deep


@pytest.mark.parametrize(("path", "chosen"), [(None, "input"), ("$", "result")])
def test_result_path_null_keeps_the_input_and_dollar_takes_the_result(
    path: str | None, chosen: str
) -> None:
    # Values are immutable in the engine: the chosen value is passed on as it is.
    values = {"input": {"a": [1]}, "result": {"b": [2]}}
    output = apply_result_path(values["input"], path, values["result"])
    assert output is values[chosen]
    assert values == {"input": {"a": [1]}, "result": {"b": [2]}}


@pytest.mark.parametrize(
    ("state_input", "path", "fragment"),
    [
        # The spec: a state's input is the string "foo" and its ResultPath is "$.x":
        # "ResultPath cannot apply" -- States.ResultPathMatchFailure.
        ("foo", "$.x", "$ is a string, not an object"),
        ({"a": 5}, "$.a.b", "$.a is a number, not an object"),
        ({"a": None}, "$.a.b", "$.a is null, not an object"),
        ({"a": [1]}, "$.a.b", "$.a is an array, not an object"),
        ([1, 2], "$.x", "$ is an array, not an object"),
        ({"a": [1]}, "$.a[1]", "$.a has 1 items, so no index 1"),
        ({"a": {}}, "$.a[0]", "$.a is an object, not an array"),
        ({}, "$.a[0]", "$.a is an object, not an array"),
    ],
)
def test_result_path_that_cannot_apply_is_a_result_path_match_failure(
    state_input: Any, path: str, fragment: str
) -> None:
    with pytest.raises(ResultPathMatchError) as caught:
        apply_result_path(state_input, path, 6)
    assert caught.value.error == "States.ResultPathMatchFailure"
    assert fragment in caught.value.reason
    assert path in caught.value.cause


@pytest.mark.parametrize("path", ["$$.Execution.Id", "$.a[*]", "$var", "x"])
def test_result_path_that_is_not_a_reference_path_is_invalid(path: str) -> None:
    # The spec: "The value of "ResultPath" MUST be a Reference Path" and "MUST NOT begin
    # with "$$""; "the "ResultPath" field MUST NOT reference a variable".
    with pytest.raises(InvalidPathError):
        apply_result_path({}, path, 1)
