"""Parse JSONPath Choice Rules into the model of choice_model.py, reporting every problem.

The spec (Choice State > JSONPath Choice Rules): "A Choice Rule MUST be either a Boolean
Expression or a Data-test Expression." A Boolean Expression holds "And", "Or" or "Not";
a Data-test Expression holds "Variable" and "exactly one field containing a comparison
operator". "A Choice Rule at the top level ... MUST have a "Next" field"; nested rules
"MUST NOT contain "Next" fields".
"""

from __future__ import annotations

from steplane.asl.paths import describe
from steplane.asl.templates import Template, TemplateError
from steplane.definition.choice_model import (
    BOOLEAN_OPERATORS,
    COMPARISON_OPERATORS,
    AndRule,
    ChoiceBranch,
    Comparison,
    NotRule,
    OrRule,
    Rule,
)
from steplane.definition.choice_operands import check_operand, check_path
from steplane.definition.pointers import pointer
from steplane.definition.templated import JSONATA, assign_template, jsonata_value
from steplane.errors import Problem
from steplane.jsontypes import Json

__all__ = [
    "BOOLEAN_OPERATORS",
    "COMPARISON_OPERATORS",
    "JSONATA_ONLY_RULE_FIELDS",
    "AndRule",
    "ChoiceBranch",
    "Comparison",
    "NotRule",
    "OrRule",
    "Rule",
    "parse_choice_branch",
]

_OPERATORS = frozenset(COMPARISON_OPERATORS + BOOLEAN_OPERATORS)
# ASL fields this version refuses rather than ignores (see spelling.py).
# Fields of a JSONata Choice Rule, refused in a JSONPath one.
JSONATA_ONLY_RULE_FIELDS = ("Condition", "Output")
_JSONATA_RULE_FIELDS = frozenset({"Condition", "Next", "Assign", "Output", "Comment"})


def parse_choice_branch(
    raw: Json, location: str, language: str = "JSONPath"
) -> tuple[ChoiceBranch | None, list[Problem]]:
    """Parse one element of a Choice state's ``Choices`` array.

    Args:
        raw: the Choice Rule as written.
        location: its JSON pointer, e.g. ``/States/Route/Choices/1``.

    Returns:
        The branch, or None when there is any problem; and every problem found, each at
        the JSON pointer of the offending field (``.../Choices/1/And/0/NumericEquals``).
    """
    problems: list[Problem] = []
    if language == JSONATA:
        return _parse_jsonata_branch(raw, location, problems)
    rule = _parse_rule(raw, location, problems, top=True)
    next_state = _next_of(raw, location, problems)
    assign = _parse_assign(raw, location, problems)
    if problems or rule is None or next_state is None:
        return None, problems
    return ChoiceBranch(rule, next_state, assign), problems


def _parse_jsonata_branch(
    raw: Json, location: str, problems: list[Problem]
) -> tuple[ChoiceBranch | None, list[Problem]]:
    """A JSONata Choice Rule: "Condition" (an expression that gives true or false),
    "Next", and optionally "Assign" and "Output"."""
    if not isinstance(raw, dict):
        problems.append(
            Problem(location, f"a Choice Rule must be a JSON object (got {describe(raw)})")
        )
        return None, problems
    for key in raw:
        if key not in _JSONATA_RULE_FIELDS:
            problems.append(
                Problem(
                    f"{location}{pointer(key)}", f"unknown field {key!r} in a JSONata Choice Rule"
                )
            )
    condition: Template | None = None
    if "Condition" not in raw:
        problems.append(Problem(f"{location}/Condition", "missing required field 'Condition'"))
    else:
        condition = _jsonata(raw["Condition"], f"{location}/Condition", "Condition", problems)
    next_state = _next_of(raw, location, problems)
    assign = _parse_assign(raw, location, problems, JSONATA)
    output = (
        _jsonata(raw["Output"], f"{location}/Output", "Output", problems)
        if "Output" in raw
        else None
    )
    if problems or condition is None or next_state is None:
        return None, problems
    return ChoiceBranch(None, next_state, assign, condition, output), problems


def _jsonata(value: Json, location: str, field: str, problems: list[Problem]) -> Template | None:
    try:
        return jsonata_value(value, field)
    except TemplateError as error:
        problems.extend(Problem(location + inside, reason) for inside, reason in error.problems)
        return None


def _next_of(raw: Json, location: str, problems: list[Problem]) -> str | None:
    next_state = raw.get("Next") if isinstance(raw, dict) else None
    if isinstance(raw, dict):
        if "Next" not in raw:
            problems.append(Problem(f"{location}/Next", "missing required field 'Next'"))
        elif not isinstance(next_state, str) or not next_state:
            problems.append(
                Problem(f"{location}/Next", f"must be a state name (got {describe(next_state)})")
            )
    return next_state if isinstance(next_state, str) and next_state else None


def _parse_assign(
    raw: Json, location: str, problems: list[Problem], language: str = "JSONPath"
) -> Template | None:
    if not isinstance(raw, dict) or "Assign" not in raw:
        return None
    try:
        return assign_template(raw["Assign"], language)
    except TemplateError as error:
        for inside, reason in error.problems:
            problems.append(Problem(f"{location}/Assign{inside}", reason))
        return None


def _parse_rule(raw: Json, location: str, problems: list[Problem], *, top: bool) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(
            Problem(location, f"a Choice Rule must be a JSON object (got {describe(raw)})")
        )
        return None
    before = len(problems)
    _check_other_fields(raw, location, problems, top=top)
    operators = [key for key in raw if key in _OPERATORS]
    _check_operators(raw, location, operators, problems)
    parsed = [_parse_operator(raw, key, f"{location}{pointer(key)}", problems) for key in operators]
    if len(problems) > before or len(parsed) != 1:
        return None
    return parsed[0]


def _check_operators(
    raw: dict[str, Json], location: str, operators: list[str], problems: list[Problem]
) -> None:
    """Exactly one operator, and a Variable exactly when that operator is a comparison."""
    if len(operators) > 1:
        found = ", ".join(operators)
        problems.append(
            Problem(location, f"a Choice Rule takes exactly one operator; found {found}")
        )
    elif not operators and "Condition" not in raw:
        # A lone Condition is already reported as JSONata; one more problem would be noise.
        problems.append(
            Problem(
                location,
                "a Choice Rule needs an operator: a comparison such as StringEquals "
                "(with Variable), or And, Or or Not",
            )
        )
    if any(key in COMPARISON_OPERATORS for key in operators) or (
        not operators and "Variable" in raw
    ):
        _check_variable(raw, location, problems)
    elif "Variable" in raw:
        problems.append(
            Problem(
                f"{location}/Variable",
                f"a {operators[0]} rule takes no Variable; give it to the comparisons inside",
            )
        )


def _parse_operator(
    raw: dict[str, Json], key: str, where: str, problems: list[Problem]
) -> Rule | None:
    value = raw[key]
    if key in COMPARISON_OPERATORS:
        problem = check_operand(key, value)
        if problem is not None:
            problems.append(Problem(where, problem))
            return None
        return Comparison(raw.get("Variable", ""), key, value)
    if key == "Not":
        if not isinstance(value, dict):
            problems.append(
                Problem(where, f"Not takes a single Choice Rule object (got {describe(value)})")
            )
            return None
        inner = _parse_rule(value, where, problems, top=False)
        return None if inner is None else NotRule(inner)
    if not isinstance(value, list) or not value:
        got = "an empty array" if value == [] else describe(value)
        problems.append(
            Problem(where, f"{key} takes a non-empty array of Choice Rules (got {got})")
        )
        return None
    rules = [
        _parse_rule(item, f"{where}/{index}", problems, top=False)
        for index, item in enumerate(value)
    ]
    complete = tuple(rule for rule in rules if rule is not None)
    if len(complete) != len(rules):
        return None
    return AndRule(complete) if key == "And" else OrRule(complete)


def _check_variable(raw: dict[str, Json], location: str, problems: list[Problem]) -> None:
    if "Variable" not in raw:
        problems.append(Problem(f"{location}/Variable", "missing required field 'Variable'"))
        return
    problem = check_path(raw["Variable"])
    if problem is not None:
        problems.append(Problem(f"{location}/Variable", problem))


def _check_other_fields(
    raw: dict[str, Json], location: str, problems: list[Problem], *, top: bool
) -> None:
    """Report every field that is neither an operator, Variable, Comment nor a top-level Next."""
    for key, value in raw.items():
        where = f"{location}{pointer(key)}"
        if key in _OPERATORS or key == "Variable" or (key in ("Next", "Assign") and top):
            continue
        if key == "Comment":
            if not isinstance(value, str):
                problems.append(Problem(where, f"must be a string (got {describe(value)})"))
        elif key in ("Next", "Assign"):
            problems.append(
                Problem(
                    where,
                    f"{key} belongs only in a top-level Choice Rule, not inside And, Or or Not",
                )
            )
        elif key in JSONATA_ONLY_RULE_FIELDS:
            problems.append(
                Problem(where, f"{key} is a JSONata field; this state's QueryLanguage is JSONPath")
            )
        else:
            problems.append(Problem(where, f"unknown field {key!r}"))
