"""Variables read but never assigned: decidable at load for JSONPath references.

The guide (Variables): "If $x had not been previously assigned, the example would fail
because $x would be undefined." Whether a given path through the states assigns a
variable before a read is not always decidable; that no state assigns it at all is, and
such a read could only ever fail, so it is reported with the field that reads it. (A
JSONata expression's variables are checked when it runs.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from pydantic import BaseModel

from steplane.asl.path_errors import PathError
from steplane.asl.references import Root, cached_path
from steplane.asl.templates import Template
from steplane.definition.choice_model import ChoiceBranch, Rule, rule_paths
from steplane.definition.model import StateMachine
from steplane.definition.spelling import pointer
from steplane.errors import Problem


def unassigned_reads(
    machine: StateMachine, branches: Mapping[str, tuple[ChoiceBranch, ...]]
) -> Iterator[Problem]:
    """A problem for each field that reads a ``$name`` no ``Assign`` anywhere gives."""
    assigned = set(_assigned(machine, branches))
    for name, state in machine.states.items():
        for field, names in _reads(state, ("States", name)):
            for variable in sorted(names - assigned):
                yield Problem(
                    pointer(*field),
                    f"reads ${variable}, which no state assigns (an Assign field gives it)",
                )
    for name, state_branches in branches.items():
        for index, branch in enumerate(state_branches):
            where = ("States", name, "Choices", index)
            names = _rule_reads(branch.rule) if branch.rule is not None else set()
            for variable in sorted(names - assigned):
                yield Problem(pointer(*where), f"reads ${variable}, which no state assigns")


def _assigned(
    machine: StateMachine, branches: Mapping[str, tuple[ChoiceBranch, ...]]
) -> Iterator[str]:
    templates: list[Template] = [
        b.assign for bs in branches.values() for b in bs if b.assign is not None
    ]
    for state in machine.states.values():
        templates.extend(_assign_fields(state))
    for template in templates:
        if isinstance(template.source, dict):
            yield from (key.removesuffix(".$") for key in template.source)


def _assign_fields(node: object) -> Iterator[Template]:
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            if name == "assign" and isinstance(value, Template):
                yield value
            else:
                yield from _assign_fields(value)
    elif isinstance(node, tuple):
        for item in node:
            yield from _assign_fields(item)


def _reads(
    node: BaseModel, where: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], set[str]]]:
    """(location, variables read) for each field of ``node`` that reads variables."""
    for name, info in type(node).model_fields.items():
        value = getattr(node, name)
        at = (*where, info.alias or name)
        if isinstance(value, Template):
            yield at, {p.variable for p in value.paths if p.root is Root.VARIABLE}
        elif isinstance(value, str) and name.endswith("_path"):
            yield at, _path_reads(value)
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _reads(item, (*at, index))


def _path_reads(text: str) -> set[str]:
    try:
        path = cached_path(text)
    except PathError:
        return set()  # reported as an invalid path
    return {path.variable} if path.root is Root.VARIABLE else set()


def _rule_reads(rule: Rule) -> set[str]:
    return set().union(*(_path_reads(path) for path in rule_paths(rule)))
