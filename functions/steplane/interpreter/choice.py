"""Evaluate JSONPath Choice Rules against a Choice state's effective input.

The spec (Choice State): "For each operator which compares values, if the values are not
both of the appropriate type (String, number, boolean, or Timestamp) the comparison will
return false." A Variable (or ``...Path`` operand) that selects nothing is a runtime
error, except for IsPresent: "if the Variable-field Path fails to match anything in the
input no exception is thrown and the Choice Rule just returns false."
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from steplane.asl.failures import AslError, QueryEvaluationError
from steplane.asl.paths import PathNotFoundError, describe
from steplane.asl.references import read
from steplane.asl.scope import Scope
from steplane.asl.templates import Template
from steplane.asl.timestamps import is_timestamp, parse_instant
from steplane.asl.wildcard import PatternError, matches_pattern
from steplane.definition.choice_rules import (
    AndRule,
    ChoiceBranch,
    Comparison,
    NotRule,
    OrRule,
    Rule,
)
from steplane.jsontypes import Json


class ChoiceRuntimeError(AslError):
    """A Choice Rule that cannot be evaluated; the state fails with ``States.Runtime``."""


def select_branch(
    branches: Sequence[ChoiceBranch], data: Json, scope: Scope | None = None
) -> ChoiceBranch | None:
    """The first branch whose rule is true, or None when none is.

    The Step Functions guide: "Step Functions examines each of the Choice Rules in the
    order listed in the Choices field. Then it transitions to the state specified in the
    Next field of the first Choice Rule in which the variable matches the value". On None
    the caller takes ``Default``, or fails with ``States.NoChoiceMatched``.

    ``scope`` gives the Context Object and variables that ``$$`` and ``$name`` paths read.

    Raises:
        ChoiceRuntimeError: a rule evaluated before the first match cannot be evaluated.
    """
    for branch in branches:
        if branch.condition is not None:
            if _condition(branch.condition, scope or Scope(data)):
                return branch
        elif branch.rule is not None and evaluate_rule(branch.rule, data, scope):
            return branch
    return None


def _condition(condition: Template, scope: Scope) -> bool:
    """A JSONata rule's Condition, which must give true or false."""
    value = condition.evaluate(scope)
    if not isinstance(value, bool):
        raise QueryEvaluationError(
            f"The Condition of a Choice Rule gave {describe(value)}, not true or false"
        )
    return value


def evaluate_rule(rule: Rule, data: Json, scope: Scope | None = None) -> bool:
    """Evaluate ``rule`` against ``data``, the state's effective input (``$``), and the
    Context Object and variables of ``scope``.

    And and Or stop as soon as the outcome is known: the spec says the interpreter
    processes the array "in order ... ceasing array processing when the boolean value has
    been unambiguously determined", so a later rule that would fail is never evaluated.

    Raises:
        ChoiceRuntimeError: a Variable or ``...Path`` operand selects nothing, or a
            StringMatches pattern has an open escape.
    """
    return _evaluate(rule, scope.with_data(data) if scope is not None else Scope(data))


def _evaluate(rule: Rule, scope: Scope) -> bool:
    if isinstance(rule, AndRule):
        return all(_evaluate(inner, scope) for inner in rule.rules)
    if isinstance(rule, OrRule):
        return any(_evaluate(inner, scope) for inner in rule.rules)
    if isinstance(rule, NotRule):
        return not _evaluate(rule.rule, scope)
    return _compare(rule, scope)


def _java_string_key(text: str) -> bytes:
    # The guide: "To understand the behavior of string comparisons, see the Java compareTo
    # documentation" -- Java orders strings by UTF-16 code units, and big-endian UTF-16
    # bytes sort exactly as those units do (Python's own order is by code point).
    return text.encode("utf-16-be", errors="surrogatepass")


def _number_key(value: Json) -> Any:
    # JSON true and false are not numbers, though Python's bool is an int.
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


# Per type family: the key two values are compared by, or None when a value is not of
# that type (then the comparison is false).
_KEYS: dict[str, Callable[[Json], Any]] = {
    "String": lambda value: _java_string_key(value) if isinstance(value, str) else None,
    "Numeric": _number_key,
    "Boolean": lambda value: value if isinstance(value, bool) else None,
    "Timestamp": lambda value: parse_instant(value) if isinstance(value, str) else None,
}
_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
_TYPE_TESTS: dict[str, Callable[[Json], bool]] = {
    "IsNull": lambda value: value is None,  # the spec: "the built-in JSON literal null"
    "IsNumeric": lambda value: _number_key(value) is not None,
    "IsString": lambda value: isinstance(value, str),
    "IsBoolean": lambda value: isinstance(value, bool),
    "IsTimestamp": is_timestamp,
}


def _compare(rule: Comparison, data: Scope) -> bool:
    # The Is* operand is true or false: "IsNull": false holds for any value but null.
    if rule.operator == "IsPresent":
        return _is_present(rule.variable, data) is bool(rule.operand)
    value = _resolve(rule.variable, data, "Variable")
    if rule.operator in _TYPE_TESTS:
        return _TYPE_TESTS[rule.operator](value) is bool(rule.operand)
    operand = _resolve(rule.operand, data, rule.operator) if rule.is_path else rule.operand
    if rule.operator == "StringMatches":
        return isinstance(value, str) and isinstance(operand, str) and _matches(operand, value)
    family = next((name for name in _KEYS if rule.base_operator.startswith(name)), None)
    relation = _RELATIONS.get(rule.base_operator.removeprefix(family or ""))
    if family is None or relation is None:
        raise ChoiceRuntimeError(f"unknown comparison operator {rule.operator!r}")
    left, right = _KEYS[family](value), _KEYS[family](operand)
    return left is not None and right is not None and relation(left, right)


def _resolve(path: str, data: Scope, field: str) -> Json:
    try:
        return read(data, path)
    except PathNotFoundError as error:
        raise ChoiceRuntimeError(
            f"Invalid path {path!r} in the Choice rule's {field}: {error.reason}"
        ) from error


def _is_present(path: str, data: Scope) -> bool:
    try:
        read(data, path)
    except PathNotFoundError:
        return False
    return True


def _matches(pattern: str, text: str) -> bool:
    try:
        return matches_pattern(pattern, text)
    except PatternError as error:
        raise ChoiceRuntimeError(f"StringMatches pattern {pattern!r}: {error}") from error
