"""A Choice rule's short text, for the label of its edge: ``$.n < 2``, ``$.ok == true``."""

from __future__ import annotations

import json

from steplane.definition.choice_model import AndRule, ChoiceBranch, Comparison, NotRule, Rule

# Longer labels crowd the drawing; the definition has the whole rule.
MAX_LABEL = 40

_SYMBOLS = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
    "Matches": "matches",
}
_KINDS = ("String", "Numeric", "Boolean", "Timestamp")
_TESTS = {
    "IsNull": "null",
    "IsPresent": "present",
    "IsNumeric": "numeric",
    "IsString": "a string",
    "IsBoolean": "a boolean",
    "IsTimestamp": "a timestamp",
}


def rule_text(branch: ChoiceBranch) -> str:
    """The rule of ``branch`` in a few words, cut to ``MAX_LABEL`` characters: a JSONPath
    rule with operators as symbols, a JSONata rule as its Condition's expression."""
    if branch.rule is not None:
        text = _text(branch.rule)
    elif branch.condition is not None and isinstance(branch.condition.source, str):
        text = branch.condition.source.strip().removeprefix("{%").removesuffix("%}").strip()
    else:
        text = "?"
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 3] + "..."


def _text(rule: Rule) -> str:
    if isinstance(rule, NotRule):
        return f"not {_nested(rule.rule)}"
    if isinstance(rule, AndRule):
        return " and ".join(_nested(inner) for inner in rule.rules)
    if isinstance(rule, Comparison):
        return _comparison(rule)
    return " or ".join(_nested(inner) for inner in rule.rules)


def _nested(rule: Rule) -> str:
    """A rule inside another: in brackets unless it is a single comparison."""
    return _text(rule) if isinstance(rule, Comparison) else f"({_text(rule)})"


def _comparison(rule: Comparison) -> str:
    operator = rule.base_operator
    if operator in _TESTS:
        negation = "" if rule.operand is True else "not "
        return f"{rule.variable} is {negation}{_TESTS[operator]}"
    for kind in _KINDS:
        operator = operator.removeprefix(kind)
    # A ...Path operator's operand is a path: shown as written, not as a JSON string.
    operand = rule.operand if rule.is_path else json.dumps(rule.operand, ensure_ascii=False)
    return f"{rule.variable} {_SYMBOLS.get(operator, operator)} {operand}"
