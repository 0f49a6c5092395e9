"""Parsing Choice Rules: the model, and every problem reported at its JSON pointer.

Quotes are from the Amazon States Language spec ("the spec") and the Step Functions
developer guide ("the guide").
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.definition.choice_rules import (
    BOOLEAN_OPERATORS,
    COMPARISON_OPERATORS,
    AndRule,
    ChoiceBranch,
    Comparison,
    NotRule,
    OrRule,
    parse_choice_branch,
)
from steplane.errors import Problem

WHERE = "/States/Route/Choices/1"

# A valid operand for every comparison operator.
VALID_OPERANDS: dict[str, Any] = {
    **{op: "$.other" for op in COMPARISON_OPERATORS if op.endswith("Path")},
    **{
        op: "text"
        for op in COMPARISON_OPERATORS
        if op.startswith("String") and not op.endswith("Path")
    },
    **{
        op: 10
        for op in COMPARISON_OPERATORS
        if op.startswith("Numeric") and not op.endswith("Path")
    },
    "BooleanEquals": True,
    **{
        op: "2016-03-14T01:59:00Z"
        for op in COMPARISON_OPERATORS
        if op.startswith("Timestamp") and not op.endswith("Path")
    },
    **{op: True for op in COMPARISON_OPERATORS if op.startswith("Is")},
    "StringMatches": "log-*.txt",
}


def parse(raw: Any) -> tuple[ChoiceBranch | None, list[Problem]]:
    return parse_choice_branch(raw, WHERE)


def only_problem(raw: Any) -> Problem:
    branch, problems = parse(raw)
    assert branch is None
    assert len(problems) == 1, problems
    return problems[0]


# --- the operator list --------------------------------------------------------------------


def test_comparison_operators_are_the_thirty_nine_the_spec_lists() -> None:
    # The spec's list: 5 String comparisons and StringMatches, 5 Numeric, BooleanEquals,
    # 5 Timestamp (each comparison with a "...Path" twin), and 6 Is* type tests.
    assert len(COMPARISON_OPERATORS) == len(set(COMPARISON_OPERATORS)) == 39
    assert {"StringMatches", "IsNull", "IsPresent", "IsNumeric"} <= set(COMPARISON_OPERATORS)
    assert {"IsString", "IsBoolean", "IsTimestamp"} <= set(COMPARISON_OPERATORS)
    assert BOOLEAN_OPERATORS == ("And", "Or", "Not")


@pytest.mark.parametrize("family", ["String", "Numeric", "Timestamp"])
@pytest.mark.parametrize(
    "relation", ["Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"]
)
def test_every_ordered_comparison_has_a_path_twin(family: str, relation: str) -> None:
    assert f"{family}{relation}" in COMPARISON_OPERATORS
    assert f"{family}{relation}Path" in COMPARISON_OPERATORS


def test_boolean_equals_has_a_path_twin_but_no_ordering() -> None:
    assert {"BooleanEquals", "BooleanEqualsPath"} <= set(COMPARISON_OPERATORS)
    assert "BooleanLessThan" not in COMPARISON_OPERATORS


def test_only_the_path_twins_end_in_path() -> None:
    assert VALID_OPERANDS.keys() == set(COMPARISON_OPERATORS)
    twins = [op for op in COMPARISON_OPERATORS if op.endswith("Path")]
    assert len(twins) == 16
    assert all(op.removesuffix("Path") in COMPARISON_OPERATORS for op in twins)


# --- well-formed rules ------------------------------------------------------------------


@pytest.mark.parametrize("operator", COMPARISON_OPERATORS)
def test_every_operator_with_a_valid_operand_parses_to_a_comparison(operator: str) -> None:
    operand = VALID_OPERANDS[operator]
    branch, problems = parse({"Variable": "$.foo", operator: operand, "Next": "Done"})
    assert problems == []
    assert branch == ChoiceBranch(Comparison("$.foo", operator, operand), "Done")
    assert isinstance(branch.rule, Comparison)
    assert branch.rule.is_path == operator.endswith("Path")
    assert branch.rule.base_operator == operator.removesuffix("Path")


def test_nested_and_or_not_parse_to_the_tree_as_written() -> None:
    # The guide's example: "Not" around a comparison, "And" over two comparisons.
    raw = {
        "Or": [
            {"Not": {"Variable": "$.type", "StringEquals": "Private"}},
            {
                "And": [
                    {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                    {"Variable": "$.value", "NumericLessThan": 30, "Comment": "under thirty"},
                ]
            },
        ],
        "Next": "ValueInTwenties",
        "Comment": "a comment is allowed at every level",
    }
    branch, problems = parse(raw)
    assert problems == []
    assert branch == ChoiceBranch(
        OrRule(
            (
                NotRule(Comparison("$.type", "StringEquals", "Private")),
                AndRule(
                    (
                        Comparison("$.value", "NumericGreaterThanEquals", 20),
                        Comparison("$.value", "NumericLessThan", 30),
                    )
                ),
            )
        ),
        "ValueInTwenties",
    )


def test_variable_with_bracket_and_index_steps_is_accepted() -> None:
    branch, problems = parse({"Variable": "$['a b'][0].c", "IsPresent": True, "Next": "X"})
    assert problems == []
    assert branch is not None


# --- operands of the wrong type -----------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "operand", "fragment"),
    [
        ("StringEquals", 1, "must be a string (got 1)"),
        ("StringLessThan", None, "must be a string (got null)"),
        ("StringMatches", ["*"], "must be a string"),
        ("NumericEquals", "1", 'must be a number (got "1")'),
        # JSON true is not a number, though Python's bool is an int.
        ("NumericGreaterThan", True, "must be a number (got true)"),
        ("BooleanEquals", "true", 'must be true or false (got "true")'),
        ("BooleanEquals", 1, "must be true or false (got 1)"),
        ("TimestampEquals", 1458000000, "must be a string"),
        ("TimestampLessThan", "yesterday", "must be an RFC 3339 timestamp"),
        # The spec: an uppercase "T" and "Z" MUST be used.
        ("TimestampEquals", "2016-03-14t01:59:00z", "must be an RFC 3339 timestamp"),
        ("IsNull", "true", "must be true or false"),
        ("IsPresent", 1, "must be true or false (got 1)"),
        ("StringEqualsPath", "other", "not a valid reference path"),
        ("NumericEqualsPath", 5, "must be a string holding a reference path"),
    ],
)
def test_operand_of_the_wrong_type_is_reported_at_the_operator(
    operator: str, operand: Any, fragment: str
) -> None:
    # The guide: "the corresponding value must be of the appropriate type: string,
    # number, Boolean, or timestamp".
    problem = only_problem({"Variable": "$.foo", operator: operand, "Next": "Done"})
    assert problem.location == f"{WHERE}/{operator}"
    assert fragment in problem.message


@pytest.mark.parametrize("pattern", ["a\\b", "ends with \\", "\\"])
def test_string_matches_with_an_open_escape_is_reported(pattern: str) -> None:
    # The spec: "If an open escape backslash \ is found in the StringMatches string, the
    # interpreter will throw a runtime error" -- a constant pattern always would.
    problem = only_problem({"Variable": "$.foo", "StringMatches": pattern, "Next": "Done"})
    assert problem.location == f"{WHERE}/StringMatches"
    assert "open escape" in problem.message


# --- Variable ---------------------------------------------------------------------------


def test_comparison_without_variable_is_reported() -> None:
    problem = only_problem({"StringEquals": "x", "Next": "Done"})
    assert problem == Problem(f"{WHERE}/Variable", "missing required field 'Variable'")


@pytest.mark.parametrize("variable", ["$$.Execution.Id", "$var", "$var.a[0]"])
def test_variable_may_read_the_context_object_or_a_workflow_variable(variable: str) -> None:
    # The guide: variables and $$ may be used in "Variable (in Choice states)".
    branch, problems = parse({"Variable": variable, "IsPresent": True, "Next": "Done"})
    assert problems == []
    assert branch is not None


@pytest.mark.parametrize("variable", ["$.a[*]", "$..a", "$.a[0:1]"])
def test_variable_must_be_a_reference_path(variable: str) -> None:
    # The guide: "The values of Variable and Path fields in a comparison must be valid
    # Reference Paths".
    problem = only_problem({"Variable": variable, "IsPresent": True, "Next": "Done"})
    assert problem.location == f"{WHERE}/Variable"
    assert "must be a reference path" in problem.message


@pytest.mark.parametrize("variable", ["foo", "$.a b", "$["])
def test_variable_that_is_not_a_path_is_invalid(variable: str) -> None:
    problem = only_problem({"Variable": variable, "IsPresent": True, "Next": "Done"})
    assert problem.location == f"{WHERE}/Variable"
    assert "is not a valid reference path" in problem.message
    assert "not supported yet" not in problem.message


def test_variable_that_is_not_a_string_is_reported() -> None:
    problem = only_problem({"Variable": 5, "IsPresent": True, "Next": "Done"})
    assert problem == Problem(
        f"{WHERE}/Variable", "must be a string holding a reference path (got 5)"
    )


def test_variable_beside_and_is_reported() -> None:
    raw = {"Variable": "$.a", "And": [{"Variable": "$.a", "IsNull": True}], "Next": "Done"}
    problem = only_problem(raw)
    assert problem.location == f"{WHERE}/Variable"
    assert "And rule takes no Variable" in problem.message


# --- operator count ------------------------------------------------------------------------


def test_two_operators_in_one_rule_are_reported() -> None:
    # The spec: "Each choice rule MUST contain exactly one field containing a comparison
    # operator."
    problem = only_problem({"Variable": "$.a", "StringEquals": "x", "IsNull": True, "Next": "D"})
    assert problem.location == WHERE
    assert "exactly one operator; found StringEquals, IsNull" in problem.message


def test_rule_without_an_operator_is_reported() -> None:
    problem = only_problem({"Variable": "$.a", "Next": "Done"})
    assert problem.location == WHERE
    assert "needs an operator" in problem.message


def test_comparison_and_boolean_operator_together_are_reported() -> None:
    raw = {"Variable": "$.a", "IsNull": True, "Not": {"Variable": "$.a", "IsNull": True}}
    _, problems = parse({**raw, "Next": "Done"})
    assert Problem(WHERE, "a Choice Rule takes exactly one operator; found IsNull, Not") in problems


# --- Next --------------------------------------------------------------------------------


def test_top_level_rule_without_next_is_reported() -> None:
    # The spec: "A Choice Rule at the top level ... MUST have a "Next" field".
    problem = only_problem({"Variable": "$.a", "IsNull": True})
    assert problem == Problem(f"{WHERE}/Next", "missing required field 'Next'")


@pytest.mark.parametrize("next_state", [5, "", None])
def test_top_level_next_that_is_not_a_state_name_is_reported(next_state: Any) -> None:
    problem = only_problem({"Variable": "$.a", "IsNull": True, "Next": next_state})
    assert problem.location == f"{WHERE}/Next"
    assert "must be a state name" in problem.message


@pytest.mark.parametrize(
    ("raw", "location"),
    [
        ({"And": [{"Variable": "$.a", "IsNull": True, "Next": "X"}]}, f"{WHERE}/And/0/Next"),
        ({"Or": [{"Variable": "$.a", "IsNull": True, "Next": "X"}]}, f"{WHERE}/Or/0/Next"),
        ({"Not": {"Variable": "$.a", "IsNull": True, "Next": "X"}}, f"{WHERE}/Not/Next"),
    ],
)
def test_next_inside_a_nested_rule_is_reported(raw: dict[str, Any], location: str) -> None:
    # The spec: And/Or arrays "MUST NOT contain "Next" fields"; the Not rule "MUST NOT
    # contain a "Next" field".
    problem = only_problem({**raw, "Next": "Done"})
    assert problem.location == location
    assert "only in a top-level Choice Rule" in problem.message


# --- And, Or, Not values -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "fragment"),
    [
        ("And", [], "non-empty array of Choice Rules (got an empty array)"),
        ("Or", [], "non-empty array of Choice Rules (got an empty array)"),
        (
            "And",
            {"Variable": "$.a", "IsNull": True},
            "non-empty array of Choice Rules (got an object)",
        ),
        ("Or", "rule", "non-empty array of Choice Rules (got a string)"),
        ("Not", [{"Variable": "$.a", "IsNull": True}], "single Choice Rule object (got an array)"),
        ("Not", None, "single Choice Rule object (got null)"),
    ],
)
def test_boolean_operator_with_the_wrong_value_is_reported(
    operator: str, value: Any, fragment: str
) -> None:
    problem = only_problem({operator: value, "Next": "Done"})
    assert problem.location == f"{WHERE}/{operator}"
    assert fragment in problem.message


def test_nested_rule_that_is_not_an_object_is_reported() -> None:
    problem = only_problem({"And": [{"Variable": "$.a", "IsNull": True}, "oops"], "Next": "D"})
    assert problem == Problem(
        f"{WHERE}/And/1", "a Choice Rule must be a JSON object (got a string)"
    )


def test_choice_rule_that_is_not_an_object_is_reported() -> None:
    assert only_problem(["StringEquals"]) == Problem(
        WHERE, "a Choice Rule must be a JSON object (got an array)"
    )


# --- other fields -----------------------------------------------------------------------------


def test_unknown_field_is_reported_at_its_location() -> None:
    problem = only_problem({"Variable": "$.a", "IsNull": True, "Next": "D", "Foo": 1})
    assert problem == Problem(f"{WHERE}/Foo", "unknown field 'Foo'")


def test_unknown_field_name_is_escaped_in_the_pointer() -> None:
    # RFC 6901: "~" is written "~0" and "/" is written "~1" in a JSON pointer.
    problem = only_problem({"Variable": "$.a", "IsNull": True, "Next": "D", "a/b~c": 1})
    assert problem.location == f"{WHERE}/a~1b~0c"


def test_a_jsonata_condition_in_a_jsonpath_state_is_refused() -> None:
    problem = only_problem(
        {"Variable": "$.a", "IsNull": True, "Condition": "{% true %}", "Next": "Done"}
    )
    assert problem == Problem(
        f"{WHERE}/Condition", "Condition is a JSONata field; this state's QueryLanguage is JSONPath"
    )


def test_output_in_a_jsonpath_rule_is_refused() -> None:
    problem = only_problem({"Variable": "$.a", "IsNull": True, "Next": "D", "Output": {"x": 1}})
    assert problem.location == f"{WHERE}/Output"
    assert problem.message == "Output is a JSONata field; this state's QueryLanguage is JSONPath"


def test_a_rule_may_assign_variables() -> None:
    branch, problems = parse({"Variable": "$.a", "IsNull": True, "Next": "D", "Assign": {"x": 1}})
    assert problems == []
    assert branch is not None
    assert branch.assign is not None


def test_a_rule_assign_problem_is_located_inside_it() -> None:
    problem = only_problem(
        {"Variable": "$.a", "IsNull": True, "Next": "D", "Assign": {"x.y": 1, "ok.$": "$.a"}}
    )
    assert problem.location == f"{WHERE}/Assign/x.y"
    assert "not a variable name" in problem.message


def test_assign_inside_and_or_not_is_refused() -> None:
    problem = only_problem(
        {"Not": {"Variable": "$.a", "IsNull": True, "Assign": {"x": 1}}, "Next": "D"}
    )
    assert problem.location == f"{WHERE}/Not/Assign"
    assert "only in a top-level Choice Rule" in problem.message


def test_comment_that_is_not_a_string_is_reported() -> None:
    problem = only_problem({"Variable": "$.a", "IsNull": True, "Next": "D", "Comment": 5})
    assert problem == Problem(f"{WHERE}/Comment", "must be a string (got a number)")


# --- every problem, together -------------------------------------------------------------


def test_every_problem_in_a_branch_is_reported_with_its_location() -> None:
    raw = {
        "And": [
            {"Variable": "$.count", "NumericEquals": "3"},
            {"Variable": "count", "IsPresent": True, "Next": "Elsewhere"},
            {"Or": [{"StringEquals": "x"}, {"Variable": "$.t", "TimestampEquals": "soon"}]},
            {"Not": {"Variable": "$.b", "BooleanEquals": True, "Extra": 1}},
        ],
        "Colour": "blue",
    }
    branch, problems = parse(raw)
    assert branch is None
    assert [problem.location for problem in problems] == [
        f"{WHERE}/Colour",
        f"{WHERE}/And/0/NumericEquals",
        f"{WHERE}/And/1/Next",
        f"{WHERE}/And/1/Variable",
        f"{WHERE}/And/2/Or/0/Variable",
        f"{WHERE}/And/2/Or/1/TimestampEquals",
        f"{WHERE}/And/3/Not/Extra",
        f"{WHERE}/Next",
    ]


def test_problem_in_one_branch_does_not_hide_the_next_field_problem() -> None:
    _, problems = parse({"Variable": "$.a", "NumericEquals": "1", "Next": 7})
    assert {problem.location for problem in problems} == {
        f"{WHERE}/NumericEquals",
        f"{WHERE}/Next",
    }
