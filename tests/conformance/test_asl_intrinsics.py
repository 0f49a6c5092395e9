"""Intrinsic functions, from the guide's own examples and rules.

Sources quoted below:
- [guide] AWS Step Functions Developer Guide, "Intrinsic functions for JSONPath states in
  Step Functions": each function's arguments, limits and example.
- [spec] Amazon States Language, "Intrinsic Functions": the grammar, reserved characters
  and escapes.
- [aws] What Step Functions answers, as its users report it: an intrinsic that fails is
  States.Runtime ("Invalid arguments in States.MathAdd"), with the cause "The function
  '...' had the following error: ...", and a wrong number of arguments fails at run time.
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.definition.loader import DefinitionError, load_definition
from steplane.execution import ExecutionStatus
from tests.conformance.test_asl_dataflow import run_pass


def evaluate(expression: str, data: Any = None) -> Any:
    """The value of ``expression`` as a Pass state's Parameters field ``v.$``."""
    run = run_pass({} if data is None else data, Parameters={"v.$": expression})
    assert run.head.status is ExecutionStatus.SUCCEEDED, run.head.cause
    return run.head.data["v"]


def failure(expression: str, data: Any = None) -> str:
    """The cause of the States.Runtime failure ``expression`` meets."""
    run = run_pass({} if data is None else data, Parameters={"v.$": expression})
    assert run.head.status is ExecutionStatus.FAILED
    assert run.head.error == "States.Runtime"
    return run.head.cause or ""


# -- the guide's examples ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        (
            "States.Format('Hello, my name is {}.', $.name)",
            {"name": "Arnav"},
            "Hello, my name is Arnav.",
        ),
        (
            "States.Format($.template, $.name)",
            {"name": "Arnav", "template": "Hello, my name is {}."},
            "Hello, my name is Arnav.",
        ),
        (
            "States.StringToJson($.escapedJsonString)",
            {"escapedJsonString": '{"foo": "bar"}'},
            {"foo": "bar"},
        ),
        (
            "States.JsonToString($.unescapedJson)",
            {"unescapedJson": {"foo": "bar"}},
            '{"foo":"bar"}',
        ),
        ("States.Array($.Id)", {"Id": 123456}, [123456]),
        (
            "States.ArrayPartition($.inputArray,4)",
            {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]},
            [[1, 2, 3, 4], [5, 6, 7, 8], [9]],
        ),
        (
            "States.ArrayContains($.inputArray, $.lookingFor)",
            {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "lookingFor": 5},
            True,
        ),
        ("States.ArrayRange(1, 9, 2)", None, [1, 3, 5, 7, 9]),
        (
            "States.ArrayGetItem($.inputArray, $.index)",
            {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "index": 5},
            6,
        ),
        ("States.ArrayLength($.inputArray)", {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, 9),
        (
            "States.ArrayUnique($.inputArray)",
            {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]},
            [1, 2, 3, 4],
        ),
        ("States.Base64Encode($.input)", {"input": "Data to encode"}, "RGF0YSB0byBlbmNvZGU="),
        # The guide prints "Decoded data" for this input; the text it encodes is this one.
        ("States.Base64Decode($.base64)", {"base64": "RGF0YSB0byBlbmNvZGU="}, "Data to encode"),
        (
            "States.Hash($.Data, $.Algorithm)",
            {"Data": "input data", "Algorithm": "SHA-1"},
            "aaff4a450a104cd177d28d18d74485e8cae074b7",
        ),
        (
            "States.JsonMerge($.json1, $.json2, false)",
            {
                "json1": {"a": {"a1": 1, "a2": 2}, "b": 2},
                "json2": {"a": {"a3": 1, "a4": 2}, "c": 3},
            },
            {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3},
        ),
        ("States.MathAdd($.value1, $.step)", {"value1": 111, "step": -1}, 110),
        (
            "States.StringSplit($.inputString, $.splitter)",
            {"inputString": "1,2,3,4,5", "splitter": ","},
            ["1", "2", "3", "4", "5"],
        ),
        (
            "States.StringSplit($.inputString, $.splitter)",
            {"inputString": "This.is+a,test=string", "splitter": ".+,="},
            ["This", "is", "a", "test", "string"],
        ),
    ],
)
def test_the_guides_examples(expression: str, data: Any, expected: Any):
    assert evaluate(expression, data) == expected


def test_the_guides_nine_nested_functions():
    # [guide] "You can nest up to 10 intrinsic functions within a field" (its myArn example).
    arn = "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe.v2/1.0.0"
    recipe = "States.ArrayGetItem(States.StringSplit($.Arn, '/'), 1)"
    pick = f"States.ArrayGetItem(States.StringSplit({recipe}, '.'), {{}})"
    expression = f"States.Format('{{}}.{{}}', {pick.format(0)}, {pick.format(1)})"
    assert evaluate(expression, {"Arn": arn}) == "my-recipe.v2"


# -- arguments -----------------------------------------------------------------------------


def test_literal_arguments_strings_numbers_booleans_null():
    # [spec] "Intrinsic Function arguments may be strings enclosed by apostrophe (')
    # characters, numbers, null, Paths, or nested Intrinsic Functions."
    assert evaluate("States.Array('Foo', 2020, 1.5, -3, true, null)") == [
        "Foo",
        2020,
        1.5,
        -3,
        True,
        None,
    ]


def test_reserved_characters_are_escaped_with_a_backslash():
    # [guide] "The literal string \' represents '. \{ represents {. \} represents }.
    # \\ represents \."
    assert evaluate(r"States.Format('it\'s \{literal\} and {} \\ ok', $.v)", {"v": 1}) == (
        "it's {literal} and 1 \\ ok"
    )


def test_context_and_variable_free_paths_as_arguments():
    assert evaluate("States.Format('{} ran {}', $$.Execution.Name, $$.State.Name)") == "x ran P"


def test_format_writes_values_as_step_functions_does():
    data = {"s": "text", "n": 1.5, "b": True, "z": None, "o": {"a": 1, "l": [1, 2]}}
    assert evaluate("States.Format('{}|{}|{}|{}|{}', $.s, $.n, $.b, $.z, $.o)", data) == (
        "text|1.5|true|null|{a=1, l=[1, 2]}"
    )


# -- limits and errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "data", "reason"),
    [
        ("States.MathAdd('a', 1)", None, "must be a number"),
        ("States.MathAdd(2147483647, 1)", None, "outside"),
        ("States.ArrayRange(1, 1001, 1)", None, "at most 1000"),
        ("States.ArrayRange(1, 9, 0)", None, "must not be 0"),
        ("States.ArrayPartition($.a, 0)", {"a": [1]}, "positive integer"),
        ("States.ArrayGetItem($.a, 3)", {"a": [1, 2, 3]}, "out of bounds"),
        ("States.Base64Encode($.s)", {"s": "x" * 10_001}, "at most 10000"),
        ("States.Base64Decode('%%%')", None, "not valid Base64"),
        ("States.Hash('x', 'SHA256')", None, "not an algorithm"),
        ("States.JsonMerge($.a, $.a, true)", {"a": {}}, "must be false"),
        ("States.StringToJson('nope')", None, "not JSON"),
        ("States.Format('{} {}', 1)", None, "2 placeholder(s) but 1 value(s)"),
        ("States.Format('a { b', 1)", None, "Invalid template"),
        ("States.MathRandom(5, 5)", None, "below its end"),
        ("States.Hash('hello')", None, "takes 2 arguments, got 1"),
        ("States.UUID(1)", None, "takes 0 arguments, got 1"),
        (
            "States.Array($.missing)",
            {"other": 1},
            "The JsonPath argument for the field '$.missing'",
        ),
    ],
)
def test_failures_are_states_runtime_with_the_function_and_the_reason(
    expression: str, data: Any, reason: str
):
    cause = failure(expression, data)
    assert cause.startswith(f"The function '{expression}' had the following error: "), cause
    assert reason in cause


def test_math_add_rounds_half_up():
    # [guide] "If you specify a non-integer value ... Step Functions will round it off to
    # the nearest integer" (1.5 + 1.51 is 2 + 2 on Step Functions, not banker's rounding).
    assert evaluate("States.MathAdd(1.5, 1.51)") == 4
    assert evaluate("States.MathAdd(-1.5, -1.51)") == -3


def test_math_random_is_in_range_and_a_seed_repeats_it():
    # [guide] "between the specified start number (inclusive) and end number (exclusive)";
    # "if you use this function with the same seed value, it will return identical numbers".
    first = evaluate("States.MathRandom(1, 999, 7)")
    assert 1 <= first < 999
    assert evaluate("States.MathRandom(1, 999, 7)") == first
    assert all(0 <= evaluate("States.MathRandom(0, 2)") < 2 for _ in range(5))


def test_uuid_is_a_version_4_uuid_and_two_calls_differ():
    run = run_pass({}, Parameters={"a.$": "States.UUID()", "b.$": "States.UUID()"})
    a, b = run.head.data["a"], run.head.data["b"]
    assert a != b
    assert len(a) == 36
    assert a[14] == "4"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("States.format('x')", "did you mean 'States.Format'?"),
        ("States.Format('x'", "never closed"),
        ("States.Format('x') extra", "one invocation per field"),
        ("States.Format('a\\b')", "open escape backslash"),
        ("States.Format(@)", "unexpected '@'"),
        ("States.Array($.a[)", "position"),
        ("States.Array(" * 11 + ")" * 11, "more than 10 nested"),
    ],
)
def test_syntax_errors_are_refused_at_load_with_the_position(expression: str, message: str):
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"v.$": expression}, "End": True}},
    }
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    (problem,) = caught.value.problems
    assert problem.location == "/States/P/Parameters/v.$"
    assert message in problem.message
