"""Choice Rules at their edges: strings that are not well-formed UTF-16, and exact causes."""

from __future__ import annotations

import pytest

from steplane.definition.choice_rules import Comparison
from steplane.interpreter.choice import ChoiceRuntimeError, evaluate_rule


def test_a_string_with_a_lone_surrogate_compares_by_utf16_code_units() -> None:
    # The guide: string comparisons follow Java's compareTo, which orders UTF-16 code
    # units; JSON text may hold a lone surrogate ("\ud800"), and it is a code unit like any
    # other (0xD800 sorts after "a", 0x61, and before U+FFFF).
    data = {"v": "\ud800"}
    assert evaluate_rule(Comparison("$.v", "StringGreaterThan", "a"), data) is True
    assert evaluate_rule(Comparison("$.v", "StringLessThan", "\uffff"), data) is True
    assert evaluate_rule(Comparison("$.v", "StringEquals", "\ud800"), data) is True


def test_a_missing_variable_names_the_path_and_the_rule_field_exactly() -> None:
    # The guide: "If the state input doesn't contain the $.type field, the execution fails".
    with pytest.raises(ChoiceRuntimeError) as caught:
        evaluate_rule(Comparison("$.missing", "StringEquals", "x"), {"other": "x"})
    assert caught.value.cause.startswith("Invalid path '$.missing' in the Choice rule's Variable: ")
    assert str(caught.value) == caught.value.cause  # what a log line or traceback shows
