"""Checks that need the whole machine: flow, routes, error-name rules, paths, and (in
targets.py) references between states and their reachability.

Structural checks (types, unknown fields, ranges) are pydantic's; these run after it and
add every further problem, so one run reports all of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from steplane.definition.checks import check_error_names, check_path, next_or_end
from steplane.definition.machine import StateMachine
from steplane.definition.model import Flow, MachineSpec, StateSpec, all_states
from steplane.definition.pointers import pointer
from steplane.definition.targets import (
    check_reachable,
    check_start,
    check_target,
    raw_entries,
    raw_targets,
)
from steplane.errors import Problem
from steplane.states import STATE_TYPES

MAX_STATE_NAME = 80


def check_machine(
    machine: StateMachine, broken: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Problem]:
    """Return every cross-reference and semantic problem of ``machine`` and of the
    machines nested in its states.

    ``broken`` holds the raw JSON of top-level states that failed structural validation
    (their problems are already reported): they still exist as targets, and their raw
    ``Next`` fields still count for reachability, so one broken state does not hide or
    invent problems elsewhere.
    """
    everywhere = {name: where for where, name, _ in reversed(list(all_states(machine)))}
    return [
        *_unique_names(machine),
        *_unique_labels(machine),
        *_check_one(machine, "", broken or {}, everywhere),
    ]


def _check_one(
    machine: MachineSpec,
    where: str,
    broken: Mapping[str, Mapping[str, Any]],
    everywhere: Mapping[str, str],
) -> list[Problem]:
    """One machine (at ``where``): its states' own checks, their targets within it, its
    reachability; then each machine nested in its states, on its own. ``everywhere``
    locates every state of the definition by name."""
    names = set(machine.states) | set(broken)
    elsewhere = {name: at for name, at in everywhere.items() if name not in names}
    problems = check_start(names, machine.start_at, where)
    for name, state in machine.states.items():
        at = where + pointer("States", name)
        if len(name) > MAX_STATE_NAME:
            problems.append(Problem(at, f"state name is longer than {MAX_STATE_NAME} characters"))
        problems.extend(_check_flow(names, at, state, elsewhere))
        problems.extend(_check_paths(at, state))
        own = STATE_TYPES[state.type].check
        if own is not None:
            problems.extend(own(names, at, state))
        for location, inner in state.machines():
            problems.extend(_check_one(inner, at + location, {}, everywhere))
    for name, raw in broken.items():
        problems.extend(_check_raw_state(names, where + pointer("States", name), raw))
    problems.extend(check_reachable(machine, broken, where))
    return problems


def _unique_names(machine: MachineSpec) -> Iterator[Problem]:
    """The spec: "State names must be unique within the scope of the whole state
    machine", nested machines included (a state is known by its name alone)."""
    first: dict[str, str] = {}
    for where, name, _ in all_states(machine):
        if name in first:
            yield Problem(where, f"state name {name!r} is used already, at {first[name]}")
        else:
            first[name] = where


def _unique_labels(machine: MachineSpec) -> Iterator[Problem]:
    """The guide: a Map's Label "must be unique within a state machine definition"."""
    first: dict[str, str] = {}
    for where, _, state in all_states(machine):
        label = state.label()
        if label is None:
            continue
        if label in first:
            yield Problem(f"{where}/Label", f"Label {label!r} is used already, at {first[label]}")
        else:
            first[label] = f"{where}/Label"


def _check_raw_state(names: set[str], where: str, raw: Mapping[str, Any]) -> Iterator[Problem]:
    """The cross-reference checks that still apply to a state that failed validation."""
    written = raw.get("Type")
    kind = STATE_TYPES.get(written) if isinstance(written, str) else None
    moves_on = kind is not None and issubclass(kind.model, Flow)
    if moves_on and isinstance(raw.get("End", False), bool):
        has_next = isinstance(raw.get("Next"), str)
        yield from next_or_end(where, has_next=has_next, end=raw.get("End") is True)
    if kind is not None and kind.check_raw is not None:
        yield from kind.check_raw(raw, where)
    for location, target in raw_targets(raw):
        yield from check_target(names, f"{where}{location}", target)
    for field in ("Retry", "Catch"):
        entries = raw_entries(raw, field)
        lists = [
            (index, tuple(entry["ErrorEquals"]))
            for index, entry in entries
            if isinstance(entry.get("ErrorEquals"), list)
            and all(isinstance(e, str) for e in entry["ErrorEquals"])
        ]
        yield from check_error_names(f"{where}/{field}", lists, len(entries))


def _check_flow(
    names: set[str], where: str, state: StateSpec, elsewhere: Mapping[str, str]
) -> list[Problem]:
    """Every way out names a state of the same machine; one that moves on has exactly one
    of Next and End."""
    problems = [
        problem
        for location, target in state.targets()
        if not (location == "/Next" and isinstance(state, Flow) and state.end)
        for problem in check_target(names, f"{where}{location}", target, elsewhere)
    ]
    if isinstance(state, Flow):
        has_next = state.next is not None
        problems.extend(next_or_end(where, has_next=has_next, end=bool(state.end)))
    return problems


_PATH_FIELDS = {
    "InputPath": "input_path",
    "OutputPath": "output_path",
    "ResultPath": "result_path",
    "ErrorPath": "error_path",
    "CausePath": "cause_path",
    "TimeoutSecondsPath": "timeout_seconds_path",
    "HeartbeatSecondsPath": "heartbeat_seconds_path",
    "ItemsPath": "items_path",
    "MaxConcurrencyPath": "max_concurrency_path",
    "ToleratedFailureCountPath": "tolerated_failure_count_path",
    "ToleratedFailurePercentagePath": "tolerated_failure_percentage_path",
}
# A field and its Path form: a state gives one or the other. The spec, Fail State: "A
# Fail State MUST NOT include both Error and ErrorPath or both Cause and CausePath";
# Task State: "A Task State MUST NOT include both TimeoutSeconds and TimeoutSecondsPath".
_EXCLUSIVE_FIELDS = {
    "Error": ("error", "error_path"),
    "Cause": ("cause", "cause_path"),
    "TimeoutSeconds": ("timeout_seconds", "timeout_seconds_path"),
    "HeartbeatSeconds": ("heartbeat_seconds", "heartbeat_seconds_path"),
    # Map State: "MUST NOT include both "MaxConcurrency" and "MaxConcurrencyPath"", and the
    # same of each tolerated failure field and its Path.
    "MaxConcurrency": ("max_concurrency", "max_concurrency_path"),
    "ToleratedFailureCount": ("tolerated_failure_count", "tolerated_failure_count_path"),
    "ToleratedFailurePercentage": (
        "tolerated_failure_percentage",
        "tolerated_failure_percentage_path",
    ),
}


def _check_paths(where: str, state: object) -> Iterator[Problem]:
    for field, attribute in _PATH_FIELDS.items():
        value = getattr(state, attribute, None)
        if isinstance(value, str):
            yield from check_path(f"{where}/{field}", value)
    for index, catcher in enumerate(getattr(state, "catch", ())):
        if catcher.result_path is not None:
            yield from check_path(f"{where}/Catch/{index}/ResultPath", catcher.result_path)
    for field, (plain, path) in _EXCLUSIVE_FIELDS.items():
        if getattr(state, plain, None) is not None and getattr(state, path, None) is not None:
            yield Problem(where, f"has both {field} and {field}Path; give one")
