"""References between states: targets that name no state, and states nothing reaches.

One misspelled ``Next`` is one problem. The dangling reference is reported with the
state it most likely meant, and reachability follows it to that state; when no state
is close, reachability reports nothing, since every state could be the one it meant.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from steplane.definition.model import MachineSpec
from steplane.definition.pointers import pointer
from steplane.errors import Problem
from steplane.suggest import close_match, did_you_mean


def check_target(
    names: Collection[str], where: str, target: str, elsewhere: Mapping[str, str] | None = None
) -> list[Problem]:
    """A problem at ``where`` if ``target`` names no state of its machine, suggesting the
    closest name; ``elsewhere`` maps the names of the definition's other machines' states
    to their locations (a transition may not leave or enter a branch)."""
    if target in names:
        return []
    if elsewhere and target in elsewhere:
        # The spec (Parallel State): "A state in a Parallel State branch "States" field MUST
        # NOT have a "Next" field that targets a field outside of that "States" field."
        return [
            Problem(
                where,
                f"names state {target!r}, which is in another state machine of the "
                f"definition (at {elsewhere[target]}): a transition stays within its own "
                "machine (the top level, a branch or an ItemProcessor)",
            )
        ]
    return [
        Problem(where, f"names state {target!r}, which does not exist{did_you_mean(target, names)}")
    ]


def check_start(names: Collection[str], start_at: str, where: str = "") -> list[Problem]:
    """A problem if ``StartAt`` names no state of its machine (at ``where``), suggesting
    the closest name."""
    if start_at in names:
        return []
    hint = did_you_mean(start_at, names)
    return [Problem(f"{where}/StartAt", f"start state {start_at!r} does not exist{hint}")]


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
    machine: MachineSpec, broken: Mapping[str, Mapping[str, Any]], where: str = ""
) -> list[Problem]:
    """A problem for each state of ``machine`` (at ``where``) that no path from its
    ``StartAt`` reaches."""
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
        Problem(where + pointer("States", name), "state is unreachable from StartAt")
        for name in [*machine.states, *broken]
        if name not in seen
    ]


def _meant(target: str, names: Collection[str]) -> str | None:
    """The state ``target`` refers to: itself if it exists, else its close match."""
    return target if target in names else close_match(target, names)


def _successors(machine: MachineSpec, name: str) -> Iterator[str]:
    return (target for _, target in machine.states[name].targets())
