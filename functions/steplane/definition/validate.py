"""Checks that need the whole machine: names, reachability, error-name rules, paths.

Structural checks (types, unknown fields, ranges) are pydantic's; these run after it and
add every further problem, so one run reports all of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from steplane.definition.choice_rules import ChoiceBranch
from steplane.definition.model import (
    MAX_DELAY_SECONDS,
    Catcher,
    ChoiceState,
    PassState,
    Retrier,
    StateMachine,
    TaskState,
    WaitState,
)
from steplane.definition.spelling import pointer
from steplane.errors import Problem, StatesError
from steplane.interpreter.paths import PathError, parse_reference_path

MAX_STATE_NAME = 80
_KNOWN_STATES_ERRORS = {e.value for e in StatesError}


def check_machine(
    machine: StateMachine, branches: dict[str, tuple[ChoiceBranch, ...]]
) -> list[Problem]:
    """Return every cross-reference and semantic problem of ``machine``."""
    problems: list[Problem] = []
    if machine.start_at not in machine.states:
        problems.append(Problem("/StartAt", f"start state {machine.start_at!r} does not exist"))
    for name, state in machine.states.items():
        where = pointer("States", name)
        if len(name) > MAX_STATE_NAME:
            problems.append(
                Problem(where, f"state name is longer than {MAX_STATE_NAME} characters")
            )
        problems.extend(_check_flow(machine, where, state))
        problems.extend(_check_paths(where, state))
        if isinstance(state, TaskState):
            problems.extend(_check_task(machine, where, state))
        elif isinstance(state, WaitState):
            problems.extend(_check_wait(where, state))
        elif isinstance(state, ChoiceState):
            for index, branch in enumerate(branches.get(name, ())):
                problems.extend(
                    _check_target(machine, f"{where}/Choices/{index}/Next", branch.next)
                )
            if state.default is not None:
                problems.extend(_check_target(machine, f"{where}/Default", state.default))
    problems.extend(_check_reachable(machine, branches))
    return problems


def _check_target(machine: StateMachine, where: str, target: str) -> list[Problem]:
    if target in machine.states:
        return []
    return [Problem(where, f"names state {target!r}, which does not exist")]


def _check_flow(machine: StateMachine, where: str, state: object) -> list[Problem]:
    if not isinstance(state, TaskState | PassState | WaitState):
        return []
    if state.next is not None and state.end:
        return [Problem(where, "has both Next and End; give exactly one")]
    if state.next is None and not state.end:
        return [Problem(where, "has neither Next nor End: true; give exactly one")]
    if state.next is not None:
        return _check_target(machine, f"{where}/Next", state.next)
    return []


_PATH_FIELDS = {"InputPath": "input_path", "OutputPath": "output_path", "ResultPath": "result_path"}


def _check_paths(where: str, state: object) -> Iterator[Problem]:
    for field, attribute in _PATH_FIELDS.items():
        value = getattr(state, attribute, None)
        if isinstance(value, str):
            yield from _check_path(f"{where}/{field}", value)
    for index, catcher in enumerate(getattr(state, "catch", ())):
        if catcher.result_path is not None:
            yield from _check_path(f"{where}/Catch/{index}/ResultPath", catcher.result_path)


def _check_path(where: str, path: str) -> Iterator[Problem]:
    try:
        parse_reference_path(path)
    except PathError as error:
        yield Problem(where, f"{path!r} is not a valid reference path: {error}")


def _check_task(machine: StateMachine, where: str, task: TaskState) -> Iterator[Problem]:
    has_service = task.service is not None or task.action is not None
    if task.resource is None and not has_service:
        yield Problem(where, "a Task needs Resource (or Service and Action)")
    if task.resource is not None and has_service:
        yield Problem(where, "give Resource or Service + Action, not both")
    if has_service and (task.service is None or task.action is None):
        missing = "Service" if task.service is None else "Action"
        yield Problem(where, f"Service and Action go together; {missing} is missing")
    yield from _check_error_lists(f"{where}/Retry", task.retry)
    yield from _check_error_lists(f"{where}/Catch", task.catch)
    for index, retrier in enumerate(task.retry):
        if retrier.max_delay_seconds is not None and retrier.max_delay_seconds > MAX_DELAY_SECONDS:
            yield Problem(f"{where}/Retry/{index}/MaxDelaySeconds", "is above one year")
    for index, catcher in enumerate(task.catch):
        yield from _check_target(machine, f"{where}/Catch/{index}/Next", catcher.next)


def _check_error_lists(where: str, entries: Sequence[Retrier | Catcher]) -> Iterator[Problem]:
    # "The reserved name States.ALL ... must appear alone in the ErrorEquals array and
    # must appear in the last Retrier/Catcher in the array."
    for index, entry in enumerate(entries):
        errors = entry.error_equals
        if StatesError.ALL in errors and len(errors) > 1:
            yield Problem(f"{where}/{index}/ErrorEquals", "States.ALL must appear alone")
        if StatesError.ALL in errors and index != len(entries) - 1:
            yield Problem(f"{where}/{index}/ErrorEquals", "States.ALL must be in the last entry")
        for name in errors:
            if name.startswith("States.") and name not in _KNOWN_STATES_ERRORS:
                yield Problem(f"{where}/{index}/ErrorEquals", f"{name!r} is not a States error")


def _check_wait(where: str, wait: WaitState) -> Iterator[Problem]:
    given = [
        f
        for f, v in (
            ("Seconds", wait.seconds),
            ("Timestamp", wait.timestamp),
            ("SecondsPath", wait.seconds_path),
            ("TimestampPath", wait.timestamp_path),
        )
        if v is not None
    ]
    if len(given) != 1:
        yield Problem(
            where,
            "a Wait needs exactly one of Seconds, Timestamp, SecondsPath, "
            f"TimestampPath (found {len(given)})",
        )
    if wait.timestamp is not None and parse_timestamp(wait.timestamp) is None:
        yield Problem(f"{where}/Timestamp", f"{wait.timestamp!r} is not an RFC 3339 timestamp")
    for field, value in (
        ("SecondsPath", wait.seconds_path),
        ("TimestampPath", wait.timestamp_path),
    ):
        if value is not None:
            yield from _check_path(f"{where}/{field}", value)


def parse_timestamp(text: str) -> datetime | None:
    """Parse an RFC 3339 timestamp with an explicit offset (``Z`` or ``+hh:mm``), else None."""
    if "T" not in text or not (text.endswith("Z") or text[-6:-5] in "+-"):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _successors(
    name: str, machine: StateMachine, branches: dict[str, tuple[ChoiceBranch, ...]]
) -> Iterator[str]:
    state = machine.states[name]
    if isinstance(state, ChoiceState):
        yield from (b.next for b in branches.get(name, ()))
        if state.default is not None:
            yield state.default
        return
    following = getattr(state, "next", None)
    if following is not None:
        yield following
    for catcher in getattr(state, "catch", ()):
        yield catcher.next


def _check_reachable(
    machine: StateMachine, branches: dict[str, tuple[ChoiceBranch, ...]]
) -> list[Problem]:
    if machine.start_at not in machine.states:
        return []
    seen = {machine.start_at}
    frontier = [machine.start_at]
    while frontier:
        for target in _successors(frontier.pop(), machine, branches):
            if target in machine.states and target not in seen:
                seen.add(target)
                frontier.append(target)
    return [
        Problem(pointer("States", name), "state is unreachable from StartAt")
        for name in machine.states
        if name not in seen
    ]
