"""The parsed model of JSONPath Choice Rules: comparisons and And, Or, Not over them.

The spec (Choice State): "A Choice Rule MUST be either a Boolean Expression or a
Data-test Expression." Parse raw rules with ``choice_rules.parse_choice_branch``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeAlias

from steplane.asl.templates import Template
from steplane.jsontypes import Json

# The spec's list of data-test comparison operators, in its order. Every String, Numeric,
# Boolean and Timestamp comparison has a "...Path" twin whose operand is a path into the
# input; StringMatches and the Is* type tests have none.
COMPARISON_OPERATORS: tuple[str, ...] = (
    "StringEquals", "StringEqualsPath",
    "StringLessThan", "StringLessThanPath",
    "StringGreaterThan", "StringGreaterThanPath",
    "StringLessThanEquals", "StringLessThanEqualsPath",
    "StringGreaterThanEquals", "StringGreaterThanEqualsPath",
    "StringMatches",
    "NumericEquals", "NumericEqualsPath",
    "NumericLessThan", "NumericLessThanPath",
    "NumericGreaterThan", "NumericGreaterThanPath",
    "NumericLessThanEquals", "NumericLessThanEqualsPath",
    "NumericGreaterThanEquals", "NumericGreaterThanEqualsPath",
    "BooleanEquals", "BooleanEqualsPath",
    "TimestampEquals", "TimestampEqualsPath",
    "TimestampLessThan", "TimestampLessThanPath",
    "TimestampGreaterThan", "TimestampGreaterThanPath",
    "TimestampLessThanEquals", "TimestampLessThanEqualsPath",
    "TimestampGreaterThanEquals", "TimestampGreaterThanEqualsPath",
    "IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp",
)  # fmt: skip
BOOLEAN_OPERATORS: tuple[str, ...] = ("And", "Or", "Not")


@dataclass(frozen=True)
class Comparison:
    """A Data-test Expression: ``Variable`` compared by ``operator`` with ``operand``.

    Attributes:
        variable: the reference path whose value is tested.
        operator: the ASL operator name exactly as written, e.g. ``"NumericLessThanPath"``.
        operand: the operator's value: a constant, or a reference path for ``...Path``.
    """

    variable: str
    operator: str
    operand: Json

    @property
    def is_path(self) -> bool:
        """Whether the operand is a path into the input (the ``...Path`` operators)."""
        return self.operator.endswith("Path")

    @property
    def base_operator(self) -> str:
        """The operator minus its ``Path`` suffix: ``StringEqualsPath`` gives ``StringEquals``."""
        return self.operator.removesuffix("Path")


@dataclass(frozen=True)
class AndRule:
    """True when every rule is true; evaluated in order, stopping at the first false."""

    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class OrRule:
    """True when any rule is true; evaluated in order, stopping at the first true."""

    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class NotRule:
    """The inverse of its rule."""

    rule: Rule


Rule: TypeAlias = Comparison | AndRule | OrRule | NotRule


@dataclass(frozen=True)
class ChoiceBranch:
    """A top-level Choice Rule: when ``rule`` is true, go to the state ``next``, assigning
    the variables of ``assign`` ("assigns variables when this specific choice rule
    matches")."""

    rule: Rule | None  # JSONPath; a JSONata rule has a condition instead
    next: str
    assign: Template | None = None
    condition: Template | None = None  # JSONata: an expression that gives true or false
    output: Template | None = None  # JSONata: the state's output when this rule matches

    def path_texts(self) -> Iterator[str]:
        """The paths its JSONPath rule reads (see :func:`rule_paths`)."""
        return rule_paths(self.rule) if self.rule is not None else iter(())


def rule_paths(rule: Rule) -> Iterator[str]:
    """Every path a rule reads: its Variables, and the operands of ``...Path`` operators."""
    if isinstance(rule, AndRule | OrRule):
        for inner in rule.rules:
            yield from rule_paths(inner)
    elif isinstance(rule, NotRule):
        yield from rule_paths(rule.rule)
    else:
        yield rule.variable
        if rule.is_path and isinstance(rule.operand, str):
            yield rule.operand
