"""Variables read before any state could assign them: decidable at load for JSONPath
references.

The guide (Variables): "If $x had not been previously assigned, the example would fail
because $x would be undefined." Variables are assigned on the way out of a state (its
``Assign``, a Catcher's, a Choice rule's), so the variables that may hold a value when a
state is entered are those assigned on some path from ``StartAt`` to it. A read of any
other variable could only ever fail, and is reported with the field that reads it; a
read that only some paths assign is left to run time. (A JSONata expression's variables
are checked when it runs: ``$x`` there may also be the expression's own.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from steplane.asl.path_errors import PathError
from steplane.asl.references import Root
from steplane.asl.templates import Template
from steplane.definition.machine import StateMachine
from steplane.definition.model import MachineSpec, all_states
from steplane.definition.pointers import pointer
from steplane.definition.walk import Location, expressions
from steplane.errors import Problem


def unassigned_reads(machine: StateMachine) -> Iterator[Problem]:
    """A problem for each field that reads a ``$name`` no path to its state assigns."""
    # Every Assign, an end state's and a nested one's too.
    anywhere = _assigned(
        [found for _, field, found in expressions(state) if field == "assign"]
        for _, _, state in all_states(machine)
    )
    yield from _reads_in(machine, (), frozenset(), anywhere, frozenset())


def _reads_in(
    machine: MachineSpec,
    where: Location,
    outer: frozenset[str],
    anywhere: frozenset[str],
    enclosing: frozenset[str],
    *,
    isolated: bool = False,
) -> Iterator[Problem]:
    """The reads of one machine's states; ``outer`` holds the variables the scopes around
    it may have assigned (a nested machine reads them: the guide's "inner scopes can read
    variables of outer scopes"), ``enclosing`` every variable those scopes assign."""
    reachable = available_variables(machine, outer)
    own = _assigned(
        [found for _, field, found in expressions(state) if field == "assign"]
        for state in machine.states.values()
    )
    for name, state in machine.states.items():
        # An unreachable state is reported as such; judge its reads by every Assign.
        before = reachable.get(name, anywhere)
        at = (*where, "States", name)
        for location, field, found in expressions(state, at):
            for variable in sorted(_reads(found) - before):
                message = _message(variable, anywhere)
                if isolated:
                    message += "; a distributed Map's children cannot read outer variables"
                yield Problem(pointer(*location), message)
            if field == "assign":
                for variable in sorted(_assigned([[found]]) & enclosing):
                    yield Problem(pointer(*location), _outer_message(variable))
        for written, inner in state.machines():
            inner_at = (*at, *written.strip("/").split("/"))
            if state.shares_variables():
                yield from _reads_in(
                    inner, inner_at, before, anywhere, enclosing | own, isolated=isolated
                )
            else:
                # Its own scope: nothing of the scopes around it is readable there.
                yield from _reads_in(
                    inner, inner_at, frozenset(), anywhere, frozenset(), isolated=True
                )


def _outer_message(variable: str) -> str:
    # The guide (Variables, scope): "Inner scopes can read variables from outer scopes"
    # but "cannot assign to variables that exist in an outer scope", and "variable names
    # must be unique across outer and inner scopes".
    return (
        f"assigns ${variable}, which an outer scope assigns: a state in a Parallel branch "
        "or a Map's ItemProcessor may read it, not assign it (give it another name)"
    )


def available_variables(
    machine: MachineSpec, outer: frozenset[str] = frozenset()
) -> Mapping[str, frozenset[str]]:
    """For each state reachable from ``StartAt``, the variables some path to it assigns
    (``outer``: those assigned before the machine starts)."""
    if machine.start_at not in machine.states:
        return {}  # reported as an unknown state
    found: dict[str, frozenset[str]] = {machine.start_at: outer}
    frontier = [machine.start_at]
    while frontier:
        name = frontier.pop()
        for way in machine.states[name].exits():
            if way.target not in machine.states:
                continue  # reported as an unknown state
            after = found[name] | _assigned([way.assigns])
            if way.target not in found or not after <= found[way.target]:
                found[way.target] = found.get(way.target, frozenset()) | after
                frontier.append(way.target)
    return found


def _message(variable: str, anywhere: frozenset[str]) -> str:
    if variable in anywhere:
        return (
            f"reads ${variable} before any state could assign it "
            "(no path from StartAt to here passes an Assign of it)"
        )
    return f"reads ${variable}, which no state assigns (an Assign field gives it)"


def _assigned(groups: Iterable[Iterable[Template | str]]) -> frozenset[str]:
    return frozenset(
        key.removesuffix(".$")
        for templates in groups
        for template in templates
        if isinstance(template, Template) and isinstance(template.source, dict)
        for key in template.source
    )


def _reads(found: Template | str) -> set[str]:
    if isinstance(found, Template):
        return {p.variable for p in found.paths if p.root is Root.VARIABLE}
    from steplane.asl.expressions import cached_expression  # noqa: PLC0415 - at load only

    try:
        paths = cached_expression(found).paths
    except (PathError, ValueError):
        return set()  # reported as an invalid path
    return {p.variable for p in paths if p.root is Root.VARIABLE}
