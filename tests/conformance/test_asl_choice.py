"""Choice state conformance: JSONPath Choice Rules, pinned to the documented rules.

Sources quoted below:
- [spec] Amazon States Language (states-language.net/spec.html), "Choice State".
- [guide] AWS Step Functions Developer Guide, "Choice workflow state".
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.definition.loader import load_definition
from steplane.errors import DefinitionError
from steplane.execution import ExecutionStatus
from tests.unit.interpreter.harness import Driver


def _machine(rule: dict[str, Any], **choice: Any) -> dict[str, Any]:
    """A Choice ``C`` with one rule to ``Yes`` and Default ``No`` (each a Pass naming itself)."""
    return {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{**rule, "Next": "Yes"}],
                "Default": "No",
                **choice,
            },
            "Yes": {"Type": "Pass", "Result": "yes", "End": True},
            "No": {"Type": "Pass", "Result": "no", "End": True},
        },
    }


def choose(rule: dict[str, Any], data: Any) -> str:
    """Run the one-rule Choice on ``data``: "yes", "no", or the error name it failed with."""
    run = Driver(_machine(rule))
    run.begin(data)
    if run.head.status is ExecutionStatus.FAILED:
        return run.head.error or "?"
    assert run.head.status is ExecutionStatus.SUCCEEDED
    return run.head.data


# --- presence and missing paths -------------------------------------------------------


def test_is_present_on_a_missing_path_is_false_not_an_error():
    # [spec] IsPresent: "if the Variable-field Path fails to match anything in the input no
    # exception is thrown and the Choice Rule just returns false."
    assert choose({"Variable": "$.absent", "IsPresent": True}, {"x": 1}) == "no"
    assert choose({"Variable": "$.absent", "IsPresent": False}, {"x": 1}) == "yes"
    assert choose({"Variable": "$.a.b[3]", "IsPresent": True}, {"a": {"b": [1]}}) == "no"
    # A field holding the JSON literal null is present.
    assert choose({"Variable": "$.n", "IsPresent": True}, {"n": None}) == "yes"


def test_other_operators_on_a_missing_path_fail_with_states_runtime():
    # [guide] Choice state example note: "If the state input doesn't contain the $.type
    # field, the execution fails"; [spec] only IsPresent is exempt from the exception, and a
    # "...Path" operand is "applied to the state's effective input to yield a value".
    rules = [
        {"StringEquals": "x"},
        {"NumericEquals": 1},
        {"BooleanEquals": True},
        {"TimestampEquals": "2016-03-14T01:59:00Z"},
        {"StringMatches": "*"},
        {"IsNull": True},
        {"IsString": True},
    ]
    outcomes = {next(iter(r)): choose({"Variable": "$.absent", **r}, {"a": 1}) for r in rules}
    assert outcomes == dict.fromkeys(outcomes, "States.Runtime")
    path_operand = {"Variable": "$.a", "NumericEqualsPath": "$.missing"}
    assert choose(path_operand, {"a": 1}) == "States.Runtime"


def test_and_stops_before_a_rule_that_would_fail():
    # [spec] And/Or: "ceasing array processing when the boolean value has been
    # unambiguously determined" (the guide's IsPresent-guarded StringEquals example).
    guarded = {
        "And": [
            {"Variable": "$.maybe", "IsPresent": True},
            {"Variable": "$.maybe", "StringEquals": "foo"},
        ]
    }
    assert choose(guarded, {}) == "no"
    assert choose(guarded, {"maybe": "foo"}) == "yes"
    short_or = {
        "Or": [
            {"Variable": "$.x", "NumericEquals": 1},
            {"Variable": "$.missing", "NumericEquals": 1},
        ]
    }
    assert choose(short_or, {"x": 1}) == "yes"


def test_not_inverts_its_rule():
    # [spec] Not "returns the inverse of the boolean to which the Choice Rule evaluates".
    rule = {"Not": {"Variable": "$.type", "StringEquals": "Private"}}
    assert choose(rule, {"type": "Private"}) == "no"
    assert choose(rule, {"type": "Public"}) == "yes"


# --- type mismatches ------------------------------------------------------------------


def test_comparisons_of_mismatched_types_are_false_not_errors():
    # [spec] "if the values are not both of the appropriate type (String, number, boolean,
    # or Timestamp) the comparison will return false."
    cases = [
        ({"StringEquals": "1"}, 1),
        ({"NumericEquals": 1}, "1"),
        ({"NumericEquals": 1}, True),
        ({"BooleanEquals": True}, 1),
        ({"BooleanEquals": True}, "true"),
        ({"TimestampEquals": "2016-03-14T01:59:00Z"}, 1457920740),
        ({"TimestampEquals": "2016-03-14T01:59:00Z"}, "2016-03-14 01:59:00Z"),
        ({"StringMatches": "*"}, 5),
    ]
    outcomes = [choose({"Variable": "$.v", **rule}, {"v": value}) for rule, value in cases]
    assert outcomes == ["no"] * len(cases)


def test_a_timestamp_string_can_be_matched_by_a_string_comparator():
    # [spec] "a field which is thought of as a timestamp could be matched by a
    # string-typed comparator."
    stamp = "2016-03-14T01:59:00Z"
    assert choose({"Variable": "$.t", "StringEquals": stamp}, {"t": stamp}) == "yes"


# --- numeric --------------------------------------------------------------------------


def test_numeric_equals_compares_integer_and_float_by_value():
    # [spec] "Numbers in JSON generally conform to JavaScript semantics, typically
    # corresponding to double-precision IEEE-854 values" -- 1 and 1.0 are one number.
    assert choose({"Variable": "$.n", "NumericEquals": 1}, {"n": 1.0}) == "yes"
    assert choose({"Variable": "$.n", "NumericEquals": 1.0}, {"n": 1}) == "yes"
    assert choose({"Variable": "$.n", "NumericEqualsPath": "$.m"}, {"n": 2, "m": 2.0}) == "yes"


def test_numeric_orderings_at_the_boundary():
    # [guide] "NumericGreaterThanEquals" / "NumericLessThan" example: 20 <= value < 30.
    cases = {
        ("NumericLessThan", 19.999): "yes",
        ("NumericLessThan", 20): "no",
        ("NumericLessThanEquals", 20): "yes",
        ("NumericGreaterThan", 20): "no",
        ("NumericGreaterThanEquals", 20.0): "yes",
        ("NumericGreaterThan", -1e300): "no",
    }
    outcomes = {(op, v): choose({"Variable": "$.n", op: 20}, {"n": v}) for op, v in cases}
    assert outcomes == cases


def test_numeric_path_comparison_reads_the_operand_from_the_input():
    # [spec] example: {"Variable": "$.rating", "NumericGreaterThanPath": "$.auditThreshold"}.
    rule = {"Variable": "$.rating", "NumericGreaterThanPath": "$.auditThreshold"}
    assert choose(rule, {"rating": 7, "auditThreshold": 5}) == "yes"
    assert choose(rule, {"rating": 5, "auditThreshold": 5}) == "no"
    assert choose(rule, {"rating": 7, "auditThreshold": "5"}) == "no"


# --- booleans and type tests ----------------------------------------------------------


def test_boolean_equals_and_its_path_form():
    # [spec] operators 12: "BooleanEquals, BooleanEqualsPath".
    assert choose({"Variable": "$.b", "BooleanEquals": False}, {"b": False}) == "yes"
    rule = {"Variable": "$.b", "BooleanEqualsPath": "$.c"}
    assert choose(rule, {"b": True, "c": True}) == "yes"
    assert choose(rule, {"b": True, "c": 1}) == "no"


def test_type_tests():
    # [spec] IsNull/IsNumeric/IsString/IsBoolean/IsTimestamp; Timestamps: "an uppercase "T"
    # character MUST be used ... and an uppercase "Z" character MUST be present in the
    # absence of a numeric time zone offset".
    # Listed, not keyed: ("IsBoolean", 0) and ("IsBoolean", False) are equal dict keys.
    cases = [
        ("IsNull", None, "yes"),
        ("IsNull", "null", "no"),
        ("IsNumeric", 0, "yes"),
        ("IsNumeric", "5", "no"),
        ("IsNumeric", True, "no"),
        ("IsString", "", "yes"),
        ("IsString", None, "no"),
        ("IsBoolean", False, "yes"),
        ("IsBoolean", 0, "no"),
        ("IsTimestamp", "2016-03-14T01:59:00Z", "yes"),
        ("IsTimestamp", "2016-03-14T01:59:00.123456789+05:30", "yes"),
        ("IsTimestamp", "2016-03-14t01:59:00z", "no"),
        ("IsTimestamp", "2016-03-14T01:59:00", "no"),
        ("IsTimestamp", "2016-02-30T01:59:00Z", "no"),
    ]
    outcomes = [(op, v, choose({"Variable": "$.v", op: True}, {"v": v})) for op, v, _ in cases]
    assert outcomes == cases


def test_a_type_test_with_false_holds_for_every_other_type():
    # [spec] the Is* operators take a boolean: "IsNull": false asserts the value is not null.
    assert choose({"Variable": "$.v", "IsNull": False}, {"v": 0}) == "yes"
    assert choose({"Variable": "$.v", "IsNull": False}, {"v": None}) == "no"


# --- strings --------------------------------------------------------------------------


def test_string_matches_wildcards():
    # [spec] StringMatches: "foo*.log matches foo23.log, *.log matches zebra.log, and foo*.*
    # matches foobar.zebra. No characters other than "*" have any special meaning".
    cases = {
        ("foo*.log", "foo23.log"): "yes",
        ("*.log", "zebra.log"): "yes",
        ("foo*.*", "foobar.zebra"): "yes",
        ("*", ""): "yes",
        ("a*a", "a"): "no",
        ("log-?.txt", "log-1.txt"): "no",
        ("log-?.txt", "log-?.txt"): "yes",
        ("LOG*", "log1"): "no",
    }
    outcomes = {(p, v): choose({"Variable": "$.s", "StringMatches": p}, {"s": v}) for p, v in cases}
    assert outcomes == cases


def test_string_matches_escaped_star_and_backslash_are_literals():
    # [spec] "The literal string \* represents *. The literal string \\ represents \."
    star = {"Variable": "$.s", "StringMatches": "a\\*b"}  # JSON "a\\*b"
    assert choose(star, {"s": "a*b"}) == "yes"
    assert choose(star, {"s": "axxb"}) == "no"
    slash = {"Variable": "$.s", "StringMatches": "dir\\\\*"}  # JSON "dir\\\\*"
    assert choose(slash, {"s": "dir\\file"}) == "yes"
    assert choose(slash, {"s": "dirfile"}) == "no"


def test_string_comparisons_follow_java_compare_to():
    # [guide] "To understand the behavior of string comparisons, see the Java compareTo
    # documentation" -- UTF-16 code units, so U+1F600 (surrogate D83D) sorts before U+FFFF.
    rule = {"Variable": "$.s", "StringLessThan": "\uffff"}
    assert choose(rule, {"s": "\U0001f600"}) == "yes"
    # [spec] "no special treatments such as case-folding": "B" (0x42) < "a" (0x61).
    assert choose({"Variable": "$.s", "StringLessThan": "a"}, {"s": "B"}) == "yes"
    assert choose({"Variable": "$.s", "StringGreaterThanEquals": "abc"}, {"s": "abc"}) == "yes"
    assert choose({"Variable": "$.s", "StringLessThanEqualsPath": "$.t"}, {"s": "a", "t": "b"}) == (
        "yes"
    )


# --- timestamps -----------------------------------------------------------------------


def test_timestamp_equals_compares_instants_across_offsets():
    # [spec] Timestamps conform to RFC 3339, where an offset names the same instant:
    # 01:59Z and 02:59+01:00 are equal.
    rule = {"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z"}
    assert choose(rule, {"t": "2016-03-14T02:59:00+01:00"}) == "yes"
    assert choose(rule, {"t": "2016-03-13T20:59:00-05:00"}) == "yes"


def test_timestamp_equals_ignores_trailing_zero_fractions_but_not_real_ones():
    # [spec] RFC 3339 time-secfrac: ".000" is the same instant, ".001" is not.
    rule = {"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z"}
    assert choose(rule, {"t": "2016-03-14T01:59:00.000Z"}) == "yes"
    assert choose(rule, {"t": "2016-03-14T01:59:00.001Z"}) == "no"
    later = {"Variable": "$.t", "TimestampGreaterThan": "2016-03-14T01:59:00Z"}
    assert choose(later, {"t": "2016-03-14T01:59:00.5Z"}) == "yes"


def test_timestamp_path_operators_compare_two_input_values():
    # [spec] operators 13-17 each have a "...Path" twin.
    rule = {"Variable": "$.a", "TimestampLessThanPath": "$.b"}
    data = {"a": "2016-03-14T01:59:00+01:00", "b": "2016-03-14T01:00:00Z"}
    assert choose(rule, data) == "yes"
    assert choose({"Variable": "$.a", "TimestampGreaterThanEqualsPath": "$.a"}, data) == "yes"


# --- Default, order, data flow --------------------------------------------------------


def test_first_matching_rule_wins_and_default_applies_otherwise():
    # [guide] "Step Functions examines each of the Choice Rules in the order listed ... Then
    # it transitions to the state specified in the Next field of the first Choice Rule in
    # which the variable matches"; "If there are no matches ... the Default field runs".
    machine = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.v", "NumericGreaterThan": 10, "Next": "Big"},
                    {"Variable": "$.v", "NumericGreaterThan": 0, "Next": "Small"},
                ],
                "Default": "None",
            },
            "Big": {"Type": "Pass", "Result": "big", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "End": True},
            "None": {"Type": "Pass", "Result": "none", "End": True},
        },
    }
    outputs = []
    for value in (50, 5, -5):
        run = Driver(machine)
        run.begin({"v": value})
        outputs.append(run.head.data)
    assert outputs == ["big", "small", "none"]


def test_no_match_and_no_default_fails_with_no_choice_matched():
    # [spec] "The interpreter will throw a runtime States.NoChoiceMatched error if a Choice
    # State fails to match a Choice Rule and no "Default" transition was specified."
    machine = _machine({"Variable": "$.v", "NumericEquals": 1})
    del machine["States"]["C"]["Default"]
    del machine["States"]["No"]
    run = Driver(machine)
    run.begin({"v": 2})
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "States.NoChoiceMatched")


def test_choice_input_path_scopes_the_rules_and_output_path_shapes_the_output():
    # [spec] InputPath's selection "is used by the state, for example ... Choices selectors
    # in Choice States"; OutputPath is "applied to the state's output".
    machine = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "InputPath": "$.inner",
                "OutputPath": "$.keep",
                "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "Done"}],
            },
            "Done": {"Type": "Succeed"},
        },
    }
    run = Driver(machine)
    run.begin({"v": 2, "inner": {"v": 1, "keep": {"k": True}}})
    assert (run.head.status, run.head.data) == (ExecutionStatus.SUCCEEDED, {"k": True})


# --- definition rules -----------------------------------------------------------------


def test_malformed_choice_definitions_are_rejected_at_load():
    # [spec] And/Or values "MUST be a non-empty object array of Choice Rules, which MUST NOT
    # contain "Next" fields"; "Each choice rule MUST contain exactly one field containing a
    # comparison operator"; "A Choice State MUST NOT be an End state"; [guide] "the
    # corresponding value must be of the appropriate type".
    bad_rules = {
        "nested-next": {"And": [{"Variable": "$.a", "IsNull": True, "Next": "Yes"}]},
        "empty-and": {"And": []},
        "operand-type": {"Variable": "$.a", "NumericEquals": "1"},
        "two-operators": {"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1},
    }
    accepted = []
    for name, rule in bad_rules.items():
        try:
            load_definition(_machine(rule))
        except DefinitionError:
            continue
        accepted.append(name)
    ended = _machine({"Variable": "$.a", "IsNull": True})
    ended["States"]["C"]["End"] = True
    with pytest.raises(DefinitionError):
        load_definition(ended)
    assert accepted == []
