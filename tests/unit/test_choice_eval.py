"""Evaluating Choice Rules: every operator and its Path twin, types, missing data, logic.

Quotes are from the Amazon States Language spec ("the spec") and the Step Functions
developer guide ("the guide").
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.definition.choice_rules import (
    COMPARISON_OPERATORS,
    AndRule,
    ChoiceBranch,
    Comparison,
    NotRule,
    OrRule,
    Rule,
    parse_choice_branch,
)
from steplane.interpreter.choice import ChoiceRuntimeError, evaluate_rule, select_branch

NOON = "2001-01-01T12:00:00Z"
# (operator, value at $.v, operand, expected). Each case runs twice: with the operand
# as written, and through the operator's Path twin with the operand at $.other.
COMPARISONS: list[tuple[str, Any, Any, bool]] = [
    ("StringEquals", "abc", "abc", True),
    ("StringEquals", "abc", "abd", False),
    # The spec: "no special treatments such as case-folding".
    ("StringEquals", "ABC", "abc", False),
    ("StringEquals", 1, "1", False),
    ("StringLessThan", "a", "b", True),
    ("StringLessThan", "b", "a", False),
    ("StringLessThan", "a", "a", False),
    ("StringLessThan", "B", "a", True),
    ("StringGreaterThan", "b", "a", True),
    ("StringGreaterThan", "a", "a", False),
    ("StringLessThanEquals", "a", "a", True),
    ("StringLessThanEquals", "b", "a", False),
    ("StringGreaterThanEquals", "a", "a", True),
    ("StringGreaterThanEquals", "a", "b", False),
    ("StringGreaterThanEquals", None, "a", False),
    ("NumericEquals", 1, 1, True),
    ("NumericEquals", 1, 1.0, True),
    ("NumericEquals", 1, 2, False),
    # The guide: "Step Functions doesn't attempt to match a numeric field to a string".
    ("NumericEquals", "1", 1, False),
    # JSON true is not a number, though Python's bool is an int.
    ("NumericEquals", True, 1, False),
    ("NumericLessThan", 1, 2, True),
    ("NumericLessThan", 2, 2, False),
    ("NumericLessThan", -0.5, 0, True),
    ("NumericGreaterThan", 3, 2, True),
    ("NumericGreaterThan", 2, 2, False),
    ("NumericLessThanEquals", 2, 2, True),
    ("NumericLessThanEquals", 3, 2, False),
    ("NumericGreaterThanEquals", 2, 2, True),
    ("NumericGreaterThanEquals", 1, 2, False),
    ("NumericGreaterThanEquals", [3], 2, False),
    ("BooleanEquals", True, True, True),
    ("BooleanEquals", False, False, True),
    ("BooleanEquals", False, True, False),
    ("BooleanEquals", 1, True, False),
    ("BooleanEquals", "true", True, False),
    ("TimestampEquals", NOON, NOON, True),
    # The same instant written with an offset.
    ("TimestampEquals", "2001-01-01T13:00:00+01:00", NOON, True),
    ("TimestampEquals", "2001-01-01T12:00:00.000000001Z", NOON, False),
    ("TimestampEquals", "2001-01-01T12:00:00", NOON, False),
    ("TimestampEquals", "2001-01-01 12:00:00Z", NOON, False),
    ("TimestampEquals", 978350400, NOON, False),
    ("TimestampLessThan", "2001-01-01T11:59:59.999Z", NOON, True),
    ("TimestampLessThan", NOON, NOON, False),
    ("TimestampLessThan", "2001-01-01T12:30:00+01:00", NOON, True),
    ("TimestampGreaterThan", "2001-01-02T00:00:00Z", NOON, True),
    ("TimestampGreaterThan", NOON, NOON, False),
    ("TimestampLessThanEquals", NOON, NOON, True),
    ("TimestampLessThanEquals", "2001-01-01T12:00:01Z", NOON, False),
    ("TimestampGreaterThanEquals", NOON, NOON, True),
    ("TimestampGreaterThanEquals", "2000-12-31T23:59:59Z", NOON, False),
]


def compare(operator: str, value: Any, operand: Any) -> bool:
    return evaluate_rule(Comparison("$.v", operator, operand), {"v": value})


@pytest.mark.parametrize(("operator", "value", "operand", "expected"), COMPARISONS)
def test_comparison_with_a_constant(
    operator: str, value: Any, operand: Any, expected: bool
) -> None:
    assert compare(operator, value, operand) is expected


@pytest.mark.parametrize(("operator", "value", "operand", "expected"), COMPARISONS)
def test_comparison_path_twin_reads_its_operand_from_the_input(
    operator: str, value: Any, operand: Any, expected: bool
) -> None:
    # The spec: for operators that end with "Path", "the value MUST be a Path, to be
    # applied to the state's effective input to yield a value to be compared".
    rule = Comparison("$.v", f"{operator}Path", "$.other")
    assert evaluate_rule(rule, {"v": value, "other": operand}) is expected


def test_comparison_cases_cover_every_comparison_operator() -> None:
    covered = {case[0] for case in COMPARISONS} | {f"{case[0]}Path" for case in COMPARISONS}
    is_tests = {op for op in COMPARISON_OPERATORS if op.startswith("Is")}
    assert set(COMPARISON_OPERATORS) - covered == is_tests | {"StringMatches"}


@pytest.mark.parametrize(
    ("operator", "value", "other"),
    [
        ("StringEqualsPath", "1", 1),
        ("NumericEqualsPath", 1, "1"),
        ("BooleanEqualsPath", True, "true"),
        ("TimestampEqualsPath", NOON, "noon"),
        ("NumericLessThanPath", 1, None),
    ],
)
def test_path_operand_of_the_wrong_type_compares_false(
    operator: str, value: Any, other: Any
) -> None:
    # The spec: "if the values are not both of the appropriate type ... the comparison
    # will return false."
    assert (
        evaluate_rule(Comparison("$.v", operator, "$.other"), {"v": value, "other": other}) is False
    )


def test_string_order_is_java_utf16_order_not_code_point_order() -> None:
    # The guide: "To understand the behavior of string comparisons, see the Java
    # compareTo documentation": Java compares UTF-16 code units, so U+1F600 (units
    # D83D DE00) sorts before U+FFFD, though its code point is larger.
    assert compare("StringLessThan", "\U0001f600", "\ufffd") is True
    assert compare("StringGreaterThan", "\U0001f600", "\ufffd") is False


# --- StringMatches ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        # The guide's example, and the spec's three.
        ("log-1.txt", "log-*.txt", True),
        ("foo23.log", "foo*.log", True),
        ("zebra.log", "*.log", True),
        ("foobar.zebra", "foo*.*", True),
        # "*" matches zero or more characters.
        ("log-.txt", "log-*.txt", True),
        ("", "*", True),
        ("anything", "*", True),
        ("log-1.csv", "log-*.txt", False),
        ("xlog-1.txt", "log-*.txt", False),
        ("abc", "abc", True),
        ("abcd", "abc", False),
        ("aXbYc", "a*b*c", True),
        ("acb", "a*b*c", False),
        ("aaa", "a*aa", True),
        ("aa", "a*aa", False),
        ("ab", "a**b", True),
        # "No characters other than "*" have any special meaning during matching."
        ("a.b", "a?b", False),
        ("a?b", "a?b", True),
        ("a+b", "a+b", True),
        ("A", "a", False),
    ],
)
def test_string_matches_wildcards(value: str, pattern: str, expected: bool) -> None:
    assert compare("StringMatches", value, pattern) is expected


def test_string_matches_escaped_star_is_literal() -> None:
    # The spec: "The literal string \* represents *" (written "\\*" in JSON).
    assert compare("StringMatches", "a*b", "a\\*b") is True
    assert compare("StringMatches", "axb", "a\\*b") is False


def test_string_matches_escaped_backslash_is_literal() -> None:
    # The spec: "The literal string \\ represents \".
    assert compare("StringMatches", "a\\b", "a\\\\b") is True
    assert compare("StringMatches", "a\\xb", "a\\\\*b") is True
    assert compare("StringMatches", "ab", "a\\\\b") is False


@pytest.mark.parametrize("pattern", ["a\\b", "trailing\\"])
def test_string_matches_open_escape_is_a_runtime_error(pattern: str) -> None:
    # The spec: "If an open escape backslash \ is found in the StringMatches string, the
    # interpreter will throw a runtime error."
    with pytest.raises(ChoiceRuntimeError) as caught:
        compare("StringMatches", "ab", pattern)
    assert caught.value.error == "States.Runtime"
    assert "open escape" in caught.value.cause


@pytest.mark.parametrize("value", [5, None, True, ["a"], {"a": 1}])
def test_string_matches_against_a_non_string_is_false(value: Any) -> None:
    assert compare("StringMatches", value, "*") is False


# --- type tests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        # The spec: IsNull "means the value is the built-in JSON literal null".
        ("IsNull", None, True),
        ("IsNull", 0, False),
        ("IsNull", "null", False),
        ("IsNumeric", 1, True),
        ("IsNumeric", -1.5, True),
        ("IsNumeric", True, False),
        ("IsNumeric", "1", False),
        ("IsString", "x", True),
        ("IsString", "", True),
        ("IsString", 1, False),
        ("IsString", None, False),
        ("IsBoolean", True, True),
        ("IsBoolean", False, True),
        ("IsBoolean", 0, False),
        ("IsBoolean", "true", False),
        ("IsTimestamp", "2016-03-14T01:59:00Z", True),
        ("IsTimestamp", "2016-03-14T01:59:00.123456789+05:30", True),
        ("IsTimestamp", "2016-12-31T23:59:60Z", True),
        # The spec: an uppercase "T" MUST separate date and time, and an uppercase "Z"
        # MUST be present in the absence of a numeric offset.
        ("IsTimestamp", "2016-03-14t01:59:00Z", False),
        ("IsTimestamp", "2016-03-14T01:59:00z", False),
        ("IsTimestamp", "2016-03-14 01:59:00Z", False),
        ("IsTimestamp", "2016-03-14T01:59:00", False),
        ("IsTimestamp", "2016-03-14T01:59Z", False),
        ("IsTimestamp", "2016-02-30T00:00:00Z", False),
        ("IsTimestamp", "2016-03-14T24:00:00Z", False),
        ("IsTimestamp", "2016-03-14T01:59:00+24:00", False),
        ("IsTimestamp", "2016-03-14", False),
        ("IsTimestamp", 1458000000, False),
    ],
)
def test_type_test(operator: str, value: Any, expected: bool) -> None:
    assert compare(operator, value, True) is expected
    # "IsX": false holds exactly when "IsX": true does not.
    assert compare(operator, value, False) is (not expected)


def test_is_present_is_true_for_a_present_field_even_when_null() -> None:
    assert evaluate_rule(Comparison("$.v", "IsPresent", True), {"v": None}) is True
    assert evaluate_rule(Comparison("$.v", "IsPresent", False), {"v": None}) is False


@pytest.mark.parametrize("data", [{}, {"w": 1}, {"v": "not an object"}, "text", [1]])
def test_is_present_on_a_missing_variable_is_false_not_an_error(data: Any) -> None:
    # The spec: for IsPresent, "if the Variable-field Path fails to match anything in the
    # input no exception is thrown and the Choice Rule just returns false."
    path = "$.v.x" if data == {"v": "not an object"} else "$.v"
    assert evaluate_rule(Comparison(path, "IsPresent", True), data) is False
    assert evaluate_rule(Comparison(path, "IsPresent", False), data) is True


# --- missing data ------------------------------------------------------------------------------

SAMPLE_OPERANDS: dict[str, Any] = {
    "String": "x",
    "Numeric": 1,
    "Boolean": True,
    "Timestamp": NOON,
    "Is": True,
}


def sample_operand(operator: str) -> Any:
    if operator.endswith("Path"):
        return "$.other"
    if operator == "StringMatches":
        return "*"
    return next(value for prefix, value in SAMPLE_OPERANDS.items() if operator.startswith(prefix))


@pytest.mark.parametrize("operator", [op for op in COMPARISON_OPERATORS if op != "IsPresent"])
def test_missing_variable_is_a_runtime_error_for_every_operator_but_is_present(
    operator: str,
) -> None:
    # The guide's Choice example: "If the state input doesn't contain the $.type field,
    # the execution fails"; the spec exempts only IsPresent, so IsNull and the other
    # type tests fail too.
    rule = Comparison("$.missing", operator, sample_operand(operator))
    with pytest.raises(ChoiceRuntimeError) as caught:
        evaluate_rule(rule, {"other": "x"})
    assert caught.value.error == "States.Runtime"
    assert "'$.missing'" in caught.value.cause
    assert "Variable" in caught.value.cause


@pytest.mark.parametrize("operator", [op for op in COMPARISON_OPERATORS if op.endswith("Path")])
def test_missing_path_operand_is_a_runtime_error(operator: str) -> None:
    rule = Comparison("$.v", operator, "$.absent")
    with pytest.raises(ChoiceRuntimeError) as caught:
        evaluate_rule(rule, {"v": "x"})
    assert "'$.absent'" in caught.value.cause
    assert operator in caught.value.cause


# --- And, Or, Not -------------------------------------------------------------------------------

TRUE = Comparison("$.flag", "BooleanEquals", True)
FALSE = Comparison("$.flag", "BooleanEquals", False)
FAILS = Comparison("$.missing", "StringEquals", "x")
DATA = {"flag": True}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (AndRule((TRUE, TRUE)), True),
        (AndRule((TRUE, FALSE)), False),
        (AndRule((FALSE, TRUE)), False),
        (OrRule((FALSE, TRUE)), True),
        (OrRule((FALSE, FALSE)), False),
        (OrRule((TRUE,)), True),
        (NotRule(TRUE), False),
        (NotRule(FALSE), True),
        (NotRule(NotRule(TRUE)), True),
        (AndRule((TRUE, OrRule((FALSE, NotRule(FALSE))))), True),
        (OrRule((AndRule((TRUE, FALSE)), NotRule(OrRule((TRUE, FALSE))))), False),
    ],
)
def test_boolean_expression(rule: Rule, expected: bool) -> None:
    assert evaluate_rule(rule, DATA) is expected


def test_and_stops_at_the_first_false_rule() -> None:
    # The spec: the interpreter processes And/Or arrays in order, "ceasing array
    # processing when the boolean value has been unambiguously determined".
    assert evaluate_rule(AndRule((FALSE, FAILS)), DATA) is False


def test_or_stops_at_the_first_true_rule() -> None:
    assert evaluate_rule(OrRule((TRUE, FAILS)), DATA) is True


@pytest.mark.parametrize("rule", [AndRule((TRUE, FAILS)), OrRule((FALSE, FAILS)), NotRule(FAILS)])
def test_boolean_expression_that_reaches_a_failing_rule_fails(rule: Rule) -> None:
    with pytest.raises(ChoiceRuntimeError):
        evaluate_rule(rule, DATA)


def test_is_present_guards_a_comparison_of_a_missing_field() -> None:
    # The guide: the StringEquals rule "is only evaluated when $.keyThatMightNotExist
    # exists because of the preceding IsPresent Choice Rule".
    rule = AndRule(
        (
            Comparison("$.keyThatMightNotExist", "IsPresent", True),
            Comparison("$.keyThatMightNotExist", "StringEquals", "foo"),
        )
    )
    assert evaluate_rule(rule, {}) is False
    assert evaluate_rule(rule, {"keyThatMightNotExist": "foo"}) is True


def select_next(branches: Any, data: Any) -> str | None:
    """The Next of the branch a Choice state takes, or None."""
    branch = select_branch(branches, data)
    return branch.next if branch is not None else None


# --- select_next ---------------------------------------------------------------------------------

GUIDE_CHOICES = [
    {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
    {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
    {
        "And": [
            {"Variable": "$.value", "NumericGreaterThanEquals": 20},
            {"Variable": "$.value", "NumericLessThan": 30},
        ],
        "Next": "ValueInTwenties",
    },
]


def guide_branches() -> list[ChoiceBranch]:
    branches = []
    for index, raw in enumerate(GUIDE_CHOICES):
        branch, problems = parse_choice_branch(raw, f"/States/ChoiceStateX/Choices/{index}")
        assert problems == []
        assert branch is not None
        branches.append(branch)
    return branches


@pytest.mark.parametrize(
    ("state_input", "expected"),
    [
        # The guide: with input {"type": "Private", "value": 22}, "Step Functions
        # transitions to the ValueInTwenties state".
        ({"type": "Private", "value": 22}, "ValueInTwenties"),
        ({"type": "Public", "value": 22}, "Public"),
        ({"type": "Private", "value": 0}, "ValueIsZero"),
        ({"type": "Private", "value": 30}, None),
    ],
)
def test_select_next_takes_the_first_matching_branch(
    state_input: Any, expected: str | None
) -> None:
    assert select_next(guide_branches(), state_input) == expected


def test_select_next_fails_when_an_earlier_rule_reads_a_missing_field() -> None:
    # The guide: "If the state input doesn't contain the $.type field, the execution
    # fails" -- even though a later branch would match.
    with pytest.raises(ChoiceRuntimeError) as caught:
        select_next(guide_branches(), {"value": 22})
    assert "'$.type'" in caught.value.cause


def test_select_next_with_no_branches_returns_none() -> None:
    assert select_next([], {"a": 1}) is None
