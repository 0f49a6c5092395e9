"""Paths that are JSONPath queries (InputPath, OutputPath, payload template values).

Sources quoted below:
- [spec] Amazon States Language, "Paths": "A Path is a string, beginning with "$", used to
  identify components with a JSON text. The syntax is that of JsonPath." Reference Paths
  (ResultPath, the Choice Variable, the ...Path timeouts) "can only identify a single node".
- [guide] AWS Step Functions Developer Guide, ResultSelector: "flattenArray.$": "$[*][*]"
  flattens an array of arrays. Step Functions evaluates Paths as the Jayway JsonPath
  library does: a path that can select many nodes gives an array of all of them, [] when
  none.
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.definition.loader import DefinitionError, load_definition
from tests.conformance.test_asl_dataflow import run_pass, run_task
from tests.unit.interpreter.harness import Driver

STORE = {
    "book": [
        {"category": "reference", "author": "Rees", "price": 8.95},
        {"category": "fiction", "author": "Waugh", "price": 12.99, "isbn": "0-553"},
        {"category": "fiction", "author": "Melville", "price": 8.99, "isbn": "0-395"},
    ],
    "bicycle": {"color": "red", "price": 19.95},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.book[*].author", ["Rees", "Waugh", "Melville"]),
        ("$..author", ["Rees", "Waugh", "Melville"]),
        ("$..price", [8.95, 12.99, 8.99, 19.95]),
        ("$.book[-1].author", "Melville"),
        ("$.book[0,2].author", ["Rees", "Melville"]),
        ("$.book[:2].price", [8.95, 12.99]),
        ("$.book[?(@.isbn)].author", ["Waugh", "Melville"]),
        ("$.book[?(@.price < 10)].author", ["Rees", "Melville"]),
        ("$.book[?(@.category == 'fiction' && @.price > 10)].author", ["Waugh"]),
        ("$.book[?(@.price > $.bicycle.price)]", []),
        ("$['bicycle']['color','price']", ["red", 19.95]),
    ],
)
def test_template_values_may_be_queries(path: str, expected: Any):
    run = run_pass(STORE, Parameters={"v.$": path})
    assert run.head.data == {"v": expected}, run.head.cause


def test_result_selector_flattens_with_the_guides_query():
    # [guide] "flattenArray.$": "$[*][*]"
    run = run_task({}, [[1, 2, 3], [4, 5, 6]], ResultSelector={"flattenArray.$": "$[*][*]"})
    assert run.head.data == {"flattenArray": [1, 2, 3, 4, 5, 6]}


def test_input_and_output_path_may_be_queries():
    run = run_pass(STORE, InputPath="$.book[?(@.price < 10)]", OutputPath="$[*].author")
    assert run.head.data == ["Rees", "Melville"]


def test_a_query_over_a_variable_and_inside_an_intrinsic():
    machine = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"store.$": "$"}, "Next": "Use"},
            "Use": {
                "Type": "Pass",
                "Parameters": {
                    "authors.$": "$store.book[*].author",
                    "count.$": "States.ArrayLength($.book[?(@.isbn)])",
                },
                "End": True,
            },
        },
    }
    run = Driver(machine)
    run.begin(STORE)
    assert run.head.data == {"authors": ["Rees", "Waugh", "Melville"], "count": 2}


@pytest.mark.parametrize(
    ("field", "path"),
    [("ResultPath", "$.a[*]"), ("TimeoutSecondsPath", "$..t"), ("ErrorPath", "$.e[0:1]")],
)
def test_reference_path_fields_refuse_queries(field: str, path: str):
    state: dict[str, Any] = {"Type": "Task", "Resource": "r", "End": True, field: path}
    if field == "ErrorPath":
        state = {"Type": "Fail", field: path}
    with pytest.raises(DefinitionError) as caught:
        load_definition({"StartAt": "S", "States": {"S": state}})
    assert f"/States/S/{field}" in {p.location for p in caught.value.problems}


@pytest.mark.parametrize(
    ("path", "message"),
    [("$.a[?(@.b ~ 1)]", "filter"), ("$.a[1:2:0]", "step must not be 0"), ("$.a[", "never closed")],
)
def test_a_broken_query_is_refused_at_load(path: str, message: str):
    with pytest.raises(DefinitionError) as caught:
        load_definition(
            {
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "Parameters": {"v.$": path}, "End": True}},
            }
        )
    (problem,) = caught.value.problems
    assert problem.location == "/States/P/Parameters/v.$"
    assert message in problem.message
