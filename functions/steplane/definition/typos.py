"""Catch misspelled field names and state types before validation, and suggest the fix.

A field that is not valid where it stands but is close to one that is (``Nxt``, ``Retyr``,
``IntervalSecond``, ``Servce``) is reported once, with the suggestion, and renamed in a
copy of the document; validation then goes on as if the user had written the suggestion.
So one typo is one problem: ``Nxt`` does not also leave its state without Next and the
state it names unreachable, and the fields inside ``Retyr`` are still checked. Fields
with no close match are left alone for the model to report as unknown.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from steplane.definition.choice_rules import (
    BOOLEAN_OPERATORS,
    COMPARISON_OPERATORS,
    JSONATA_ONLY_RULE_FIELDS,
)
from steplane.definition.machine import StateMachine
from steplane.definition.model import EXPRESSION_PREFIX, Catcher, Retrier
from steplane.definition.nesting import nested_machines, raw_states
from steplane.definition.pointers import pointer
from steplane.definition.spelling import is_founding
from steplane.definition.targets import raw_entries
from steplane.errors import Problem
from steplane.states import REGISTERED, STATE_TYPES, Branch, ItemProcessor
from steplane.states.map_state import ProcessorConfig
from steplane.suggest import close_match


@dataclass(frozen=True)
class Place:
    """One place in a definition: the fields that may stand there, and those to suggest."""

    known: frozenset[str]
    suggested: frozenset[str]

    @classmethod
    def of(cls, suggested: Iterable[str], also_known: Iterable[str] = ()) -> Place:
        """A place whose valid fields are ``suggested``, plus ``also_known`` ones that are
        handled elsewhere (refused as not supported yet, say) and so never suggested."""
        fields = frozenset(suggested)
        return cls(fields | frozenset(also_known), fields)


def _fields(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


_MACHINE = _fields(StateMachine)
# QueryLanguage is valid (JSONPath); spelling.py takes it out before the model sees it.
_ASL_TOP = Place.of(_MACHINE | {"QueryLanguage"}, {"StartState"})
# A founding document is told about StartState, the field it would have meant.
_FOUNDING_TOP = Place.of(_MACHINE - {"StartAt"} | {"StartState", "QueryLanguage"}, {"StartAt"})
_STATES = {
    # "%Field" aliases are where JSONata expressions move; nobody means to write them.
    kind: Place.of(
        {f for f in _fields(model) if not f.startswith(EXPRESSION_PREFIX)} | {"QueryLanguage"}
    )
    for kind, model in ((kind.name, kind.model) for kind in REGISTERED)
}
# A state without Type: only a misspelled Type is worth correcting; the rest waits for it.
_UNTYPED_STATE = Place.of({"Type"}, [f for place in _STATES.values() for f in place.known])
_BRANCH = Place.of(_fields(Branch))
_PROCESSOR = Place.of(_fields(ItemProcessor))
_PROCESSOR_CONFIG = Place.of(_fields(ProcessorConfig))
_RETRIER = Place.of(_fields(Retrier))
_CATCHER = Place.of(_fields(Catcher) - {"QueryLanguage"})
# Next is suggested in a nested rule too: a misspelled one is then told that Next belongs
# only at the top, rather than renamed to the nearest operator (Nxt is close to Not).
_RULE = Place.of(
    {*COMPARISON_OPERATORS, *BOOLEAN_OPERATORS, "Variable", "Comment", "Next", "Assign"},
    JSONATA_ONLY_RULE_FIELDS,
)


@dataclass
class Corrected:
    """The document with its typos corrected, their problems, and where each fix was."""

    document: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    # Pointer of a corrected field -> pointer of the field as the user wrote it.
    renamed: dict[str, str] = field(default_factory=dict)

    def original_location(self, location: str) -> str:
        """Map a pointer into the corrected document back to where the user wrote it."""
        prefixes = [p for p in self.renamed if location == p or location.startswith(p + "/")]
        if not prefixes:
            return location
        longest = max(prefixes, key=len)
        return self.renamed[longest] + location[len(longest) :]

    def fix_fields(self, where: str, node: dict[str, Any], place: Place) -> None:
        """Report and rename each field of ``node`` that misspells one valid at ``place``."""
        for key in [key for key in node if key not in place.known]:
            match = close_match(key, place.suggested)
            if match is None:
                continue
            written = self.original_location(where) + pointer(key)
            self.problems.append(
                Problem(written, f"unknown field {key!r}; did you mean {match!r}?")
            )
            if match not in node:
                node[match] = node.pop(key)
                self.renamed[where + pointer(match)] = written


def correct_typos(document: dict[str, Any]) -> Corrected:
    """Report every misspelled field and state type of ``document``, and correct a copy."""
    result = Corrected(copy.deepcopy(document))
    doc = result.document
    result.fix_fields("", doc, _FOUNDING_TOP if is_founding(doc) else _ASL_TOP)
    # A state is corrected before the machines nested in it are looked for (raw_states
    # reads them after): a misspelled Branches is found as Branches.
    for where, _, state in raw_states(doc):
        _fix_state(result, where, state)
        for inner_where, inner in nested_machines(state, where):
            place = _PROCESSOR if inner_where.endswith("/ItemProcessor") else _BRANCH
            result.fix_fields(inner_where, inner, place)
            config = inner.get("ProcessorConfig")
            if isinstance(config, dict):
                result.fix_fields(f"{inner_where}/ProcessorConfig", config, _PROCESSOR_CONFIG)
    return result


def _fix_state(result: Corrected, where: str, state: dict[str, Any]) -> None:
    if "Type" not in state:
        result.fix_fields(where, state, _UNTYPED_STATE)
    kind = _fix_type(result, where, state)
    if kind is None:
        return  # an unknown or refused type: its fields cannot be judged
    result.fix_fields(where, state, _STATES[kind])
    retry = state.get("Retry")
    if isinstance(retry, dict):  # the founding spelling: one retry object
        result.fix_fields(f"{where}/Retry", retry, _RETRIER)
    for name, place in (("Retry", _RETRIER), ("Catch", _CATCHER)):
        for index, entry in raw_entries(state, name):
            result.fix_fields(f"{where}/{name}/{index}", entry, place)
    for index, rule in raw_entries(state, "Choices"):
        _fix_rule(result, f"{where}/Choices/{index}", rule)


def _fix_type(result: Corrected, where: str, state: dict[str, Any]) -> str | None:
    """The state's type, after correcting a misspelling of a supported one."""
    kind = state.get("Type")
    if not isinstance(kind, str):
        return None
    if kind in STATE_TYPES:
        return kind
    match = close_match(kind, STATE_TYPES)
    if match is not None:
        message = f"unknown state type {kind!r}; did you mean {match!r}?"
        result.problems.append(Problem(result.original_location(f"{where}/Type"), message))
        state["Type"] = match
    return match


def _fix_rule(result: Corrected, where: str, rule: dict[str, Any]) -> None:
    result.fix_fields(where, rule, _RULE)
    for key in ("And", "Or"):
        for index, inner in raw_entries(rule, key):
            _fix_rule(result, f"{where}/{key}/{index}", inner)
    negated = rule.get("Not")
    if isinstance(negated, dict):
        _fix_rule(result, f"{where}/Not", negated)
