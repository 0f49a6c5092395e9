"""References between states: targets that name no state, and states nothing reaches.

One misspelled ``Next`` is one problem. The dangling reference is reported with the
state it most likely meant, and reachability follows it to that state; when no state
is close, reachability reports nothing, since every state could be the one it meant.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from steplane.definition.machine import StateMachine
from steplane.definition.spelling import pointer
from steplane.errors import Problem
from steplane.suggest import close_match, did_you_mean


def check_target(names: Collection[str], where: str, target: str) -> list[Problem]:
    """A problem at ``where`` if ``target`` names no state, suggesting the closest name."""
    if target in names:
        return []
    return [
        Problem(where, f"names state {target!r}, which does not exist{did_you_mean(target, names)}")
    ]


def check_start(names: Collection[str], start_at: str) -> list[Problem]:
    """A problem if ``StartAt`` names no state, suggesting the closest name."""
    if start_at in names:
        return []
    hint = did_you_mean(start_at, names)
    return [Problem("/StartAt", f"start state {start_at!r} does not exist{hint}")]


def raw_entries(raw: Mapping[str, Any], field: str) -> list[tuple[int, dict[str, Any]]]:
    """The object entries of the array ``raw[field]``, with their indexes."""
    entries = raw.get(field)
    if not isinstance(entries, list):
        return []
    return [(index, entry) for index, entry in enumerate(entries) if isinstance(entry, dict)]


def raw_targets(raw: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Best-effort ``(location, state name)`` transitions of a state that failed
    validation, read from its JSON; the location is relative to the state."""
    for key in ("Next", "Default"):
        if isinstance(raw.get(key), str):
            yield f"/{key}", raw[key]
    for field in ("Catch", "Choices"):
        for index, entry in raw_entries(raw, field):
            if isinstance(entry.get("Next"), str):
                yield f"/{field}/{index}/Next", entry["Next"]


def check_reachable(
    machine: StateMachine, broken: Mapping[str, Mapping[str, Any]]
) -> list[Problem]:
    """A problem for each state that no path from ``StartAt`` reaches."""
    names = set(machine.states) | set(broken)
    seen: set[str] = set()
    frontier = [machine.start_at]
    while frontier:
        meant = _meant(frontier.pop(), names)
        if meant is None:
            return []  # a reachable reference could mean any state: report none unreachable
        if meant in seen:
            continue
        seen.add(meant)
        if meant in broken:
            frontier.extend(target for _, target in raw_targets(broken[meant]))
        else:
            frontier.extend(_successors(machine, meant))
    return [
        Problem(pointer("States", name), "state is unreachable from StartAt")
        for name in [*machine.states, *broken]
        if name not in seen
    ]


def _meant(target: str, names: Collection[str]) -> str | None:
    """The state ``target`` refers to: itself if it exists, else its close match."""
    return target if target in names else close_match(target, names)


def _successors(machine: StateMachine, name: str) -> Iterator[str]:
    return (target for _, target in machine.states[name].targets())
