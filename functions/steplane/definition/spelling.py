"""Normalise the founding spelling to Amazon States Language, and each state's query language.

The founding document writes ``StartState`` for ``StartAt`` and ``Retry`` as one object
that applies to every error, and names its workflow (``WorkflowName``, held to the
naming rule of steplane.names). Both spellings load into one model; this module rewrites
the founding forms in a copy of the document, gives every state (nested ones included)
its query language and refuses the other language's fields, so nothing is ever silently
ignored.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from steplane.definition.model import EXPRESSION_PREFIX
from steplane.definition.nesting import raw_states
from steplane.definition.pointers import escape as _escape
from steplane.errors import Problem, StatesError
from steplane.names import name_problem

# The guide (Transforming data with JSONata): "your workflow fields will reduce from five
# JSONPath fields (InputPath, Parameters, ResultSelector, ResultPath, and OutputPath) to
# only two fields: Arguments and Output"; the ...Path forms become "{% %}" expressions.
JSONPATH_ONLY_FIELDS = (
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "ItemsPath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
)
JSONATA_ONLY_FIELDS = ("Arguments", "Output", "Items")
# Fields that hold a number, a timestamp or a text in JSONPath, and may be "{% %}" in
# JSONata: the expression moves to "%<field>" (steplane.definition.model).
EXPRESSION_FIELDS = (
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "Seconds",
    "Timestamp",
    "Error",
    "Cause",
    "MaxConcurrency",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
)


@dataclass
class Normalised:
    """The ASL-spelled document, the problems found, and pointer rewrites for messages."""

    document: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    # Pointers into the normalised document whose founding original had no list index:
    # ``/States/X/Retry/0`` was written as ``/States/X/Retry``.
    collapsed: set[str] = field(default_factory=set)
    # Top-level fields renamed from the founding spelling: ``/StartAt`` was ``/StartState``.
    renamed: dict[str, str] = field(default_factory=dict)

    def original_location(self, location: str) -> str:
        """Map a pointer into the normalised document back to where the user wrote it."""
        for normal, original in self.renamed.items():
            if location == normal or location.startswith(normal + "/"):
                return original + location[len(normal) :]
        for prefix in self.collapsed:
            if location == prefix or location.startswith(prefix + "/"):
                return prefix[: -len("/0")] + location[len(prefix) :]
        return location


def is_founding(document: dict[str, Any]) -> bool:
    """Whether ``document`` uses the founding spelling anywhere (so speak it back)."""
    if "WorkflowName" in document or "StartState" in document:
        return True
    states = document.get("States")
    return isinstance(states, dict) and any(
        isinstance(state, dict) and ("Service" in state or "Action" in state)
        for state in states.values()
    )


def normalise(raw: dict[str, Any]) -> Normalised:
    """Rewrite the founding spelling to ASL and collect "not supported yet" problems."""
    doc = copy.deepcopy(raw)
    result = Normalised(doc)
    if "StartState" in doc:
        if "StartAt" in doc:
            result.problems.append(Problem("/StartState", "give StartAt or StartState, not both"))
            del doc["StartState"]  # reported once, not again as an unknown field
        else:
            doc["StartAt"] = doc.pop("StartState")
            result.renamed["/StartAt"] = "/StartState"
    elif "StartAt" not in doc and is_founding(doc):
        result.renamed["/StartAt"] = "/StartState"  # so a missing start is named as written
    _check_workflow_name(doc, result)
    top = doc.get("QueryLanguage", "JSONPath")
    for where, _, state in raw_states(doc):
        _normalise_state(where, state, result)
        _query_language(where, state, top, result)
    return result


def _normalise_state(where: str, state: dict[str, Any], result: Normalised) -> None:
    retry = state.get("Retry")
    if isinstance(retry, dict):
        # Founding spelling: one retry policy for every error, i.e. ErrorEquals [States.ALL].
        if "ErrorEquals" not in retry:
            retry = {"ErrorEquals": [StatesError.ALL.value], **retry}
        state["Retry"] = [retry]
        result.collapsed.add(f"{where}/Retry/0")


def _check_workflow_name(doc: dict[str, Any], result: Normalised) -> None:
    """The founding WorkflowName becomes the workflow's name, so it obeys the naming rule.

    State names do not: ASL allows any characters in them, white space included.
    """
    name = doc.get("WorkflowName")
    if not isinstance(name, str):
        return  # a missing name is allowed; a name of another type is the model's problem
    problem = name_problem(name)
    if problem is not None:
        result.problems.append(Problem("/WorkflowName", f"workflow name {name[:100]!r} {problem}"))


def _query_language(where: str, state: dict[str, Any], top: Any, result: Normalised) -> None:
    """Give the state its query language (its own, else the definition's), refuse the
    fields of the other language, and move "{% %}" values of number/timestamp fields to
    where the model compiles them.

    The guide: "If JSONata is specified at the top level, JSONPath cannot be used in the
    state machine definition."
    """
    own = state.get("QueryLanguage")
    if top == "JSONata" and own == "JSONPath":
        result.problems.append(
            Problem(
                f"{where}/QueryLanguage",
                "a state cannot use JSONPath when the definition's QueryLanguage is JSONata",
            )
        )
    language = own if own is not None else top
    if language not in ("JSONPath", "JSONata"):
        return  # the model reports the value
    state["QueryLanguage"] = language
    for key in [k for k in state if k.startswith(EXPRESSION_PREFIX)]:
        result.problems.append(Problem(f"{where}/{_escape(key)}", f"unknown field {key!r}"))
        del state[key]
    wrong, other = (
        (JSONPATH_ONLY_FIELDS, "JSONPath")
        if language == "JSONata"
        else (JSONATA_ONLY_FIELDS, "JSONata")
    )
    _refuse(
        state, where, wrong, f"is a {other} field; this state's QueryLanguage is {language}", result
    )
    if language == "JSONata":
        for key in EXPRESSION_FIELDS:
            if _is_jsonata(state.get(key)):
                state[EXPRESSION_PREFIX + key] = state.pop(key)
                result.renamed[f"{where}/{_escape(EXPRESSION_PREFIX + key)}"] = f"{where}/{key}"
    catchers = state.get("Catch")
    for index, catcher in enumerate(catchers if isinstance(catchers, list) else ()):
        if not isinstance(catcher, dict):
            continue
        if "QueryLanguage" in catcher:  # a Catcher has its state's language, no field
            result.problems.append(
                Problem(f"{where}/Catch/{index}/QueryLanguage", "unknown field 'QueryLanguage'")
            )
        catcher["QueryLanguage"] = language
        at = f"{where}/Catch/{index}"
        _refuse(catcher, at, wrong, f"is not a field of a {language} Catcher", result)


def _refuse(
    node: dict[str, Any], where: str, fields: tuple[str, ...], why: str, result: Normalised
) -> None:
    """Report and drop each of ``fields`` that ``node`` has (another language's)."""
    for key in fields:
        if key in node:
            result.problems.append(Problem(f"{where}/{key}", f"{key} {why}"))
            del node[key]


def _is_jsonata(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")
