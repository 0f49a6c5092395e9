"""Checks that need the whole machine: flow, routes, error-name rules, paths, and (in
targets.py) references between states and their reachability.

Structural checks (types, unknown fields, ranges) are pydantic's; these run after it and
add every further problem, so one run reports all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from steplane.asl.failures import ExpressionSyntaxError
from steplane.asl.paths import PathError, parse_reference_path
from steplane.asl.references import compile_path
from steplane.asl.timestamps import parse_datetime
from steplane.definition.model import (
    MAX_DELAY_SECONDS,
    Catcher,
    ChoiceState,
    Flow,
    Retrier,
    StateMachine,
    TaskState,
    WaitState,
)
from steplane.definition.spelling import pointer
from steplane.definition.targets import (
    check_reachable,
    check_start,
    check_target,
    raw_entries,
    raw_targets,
)
from steplane.errors import Problem, StatesError

MAX_STATE_NAME = 80
_KNOWN_STATES_ERRORS = {e.value for e in StatesError}


def check_machine(
    machine: StateMachine, broken: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Problem]:
    """Return every cross-reference and semantic problem of ``machine``.

    ``broken`` holds the raw JSON of states that failed structural validation (their
    problems are already reported): they still exist as targets, and their raw ``Next``
    fields still count for reachability, so one broken state does not hide or invent
    problems elsewhere.
    """
    broken = broken or {}
    names = set(machine.states) | set(broken)
    problems = check_start(names, machine.start_at)
    for name, state in machine.states.items():
        where = pointer("States", name)
        if len(name) > MAX_STATE_NAME:
            problems.append(
                Problem(where, f"state name is longer than {MAX_STATE_NAME} characters")
            )
        problems.extend(_check_flow(names, where, state))
        problems.extend(_check_paths(where, state))
        check_own = _OWN_CHECKS.get(state.type)
        if check_own is not None:
            problems.extend(check_own(names, where, state))
    for name, raw in broken.items():
        problems.extend(_check_raw_state(names, pointer("States", name), raw))
    problems.extend(check_reachable(machine, broken))
    return problems


def _check_raw_state(names: set[str], where: str, raw: Mapping[str, Any]) -> Iterator[Problem]:
    """The cross-reference checks that still apply to a state that failed validation."""
    kind = raw.get("Type")
    if kind in ("Task", "Pass", "Wait") and isinstance(raw.get("End", False), bool):
        has_next = isinstance(raw.get("Next"), str)
        yield from _next_or_end(where, has_next=has_next, end=raw.get("End") is True)
    if kind == "Task":
        yield from _check_route(where, raw.get("Resource"), raw.get("Service"), raw.get("Action"))
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
        yield from _check_error_names(f"{where}/{field}", lists, len(entries))


def _check_flow(names: set[str], where: str, state: object) -> list[Problem]:
    # The states that move on have exactly one of Next and End (the Flow model).
    if not isinstance(state, Flow):
        return []
    if state.next is not None and not state.end:
        return check_target(names, f"{where}/Next", state.next)
    return _next_or_end(where, has_next=state.next is not None, end=bool(state.end))


def _next_or_end(where: str, *, has_next: bool, end: bool) -> list[Problem]:
    if has_next and end:
        return [Problem(where, "has both Next and End; give exactly one")]
    if not has_next and not end:
        return [Problem(where, "has neither Next nor End: true; give exactly one")]
    return []


def _check_route(
    where: str, resource: object, service: object, action: object
) -> Iterator[Problem]:
    has_service = service is not None or action is not None
    if resource is None and not has_service:
        yield Problem(where, "a Task needs Resource (or Service and Action)")
    if resource is not None and has_service:
        yield Problem(where, "give Resource or Service + Action, not both")
    if has_service and (service is None or action is None):
        missing = "Service" if service is None else "Action"
        yield Problem(where, f"Service and Action go together; {missing} is missing")


_PATH_FIELDS = {
    "InputPath": "input_path",
    "OutputPath": "output_path",
    "ResultPath": "result_path",
    "ErrorPath": "error_path",
    "CausePath": "cause_path",
    "TimeoutSecondsPath": "timeout_seconds_path",
    "HeartbeatSecondsPath": "heartbeat_seconds_path",
}
# A field and its Path form: a state gives one or the other. The spec, Fail State: "A
# Fail State MUST NOT include both Error and ErrorPath or both Cause and CausePath";
# Task State: "A Task State MUST NOT include both TimeoutSeconds and TimeoutSecondsPath".
_EXCLUSIVE_FIELDS = {
    "Error": ("error", "error_path"),
    "Cause": ("cause", "cause_path"),
    "TimeoutSeconds": ("timeout_seconds", "timeout_seconds_path"),
    "HeartbeatSeconds": ("heartbeat_seconds", "heartbeat_seconds_path"),
}


def _check_paths(where: str, state: object) -> Iterator[Problem]:
    for field, attribute in _PATH_FIELDS.items():
        value = getattr(state, attribute, None)
        if isinstance(value, str):
            yield from _check_path(f"{where}/{field}", value)
    for index, catcher in enumerate(getattr(state, "catch", ())):
        if catcher.result_path is not None:
            yield from _check_path(f"{where}/Catch/{index}/ResultPath", catcher.result_path)
    for field, (plain, path) in _EXCLUSIVE_FIELDS.items():
        if getattr(state, plain, None) is not None and getattr(state, path, None) is not None:
            yield Problem(where, f"has both {field} and {field}Path; give one")


def _check_path(where: str, path: str) -> Iterator[Problem]:
    """Each path field, as the guide allows it: ResultPath is a reference path into the
    data ("MUST NOT begin with $$"; "variables cannot be used in ResultPath");
    ErrorPath and CausePath may also be intrinsic functions; the others may read the
    Context Object ($$) and variables ($name)."""
    field = where.rsplit("/", 1)[-1]
    try:
        if field == "ResultPath":
            parse_reference_path(path)
        elif field in ("ErrorPath", "CausePath"):
            from steplane.asl.expressions import compile_expression  # noqa: PLC0415

            compile_expression(path, queries=False)
        else:
            # InputPath and OutputPath take a Path (a query may select many nodes); the
            # others a Reference Path.
            compile_path(path, queries=field in ("InputPath", "OutputPath"))
    except (PathError, ExpressionSyntaxError) as error:
        yield Problem(where, f"{path!r} is not a valid {_KINDS.get(field, 'path')}: {error}")


_KINDS = {
    "ResultPath": "reference path into the state's data",
    "ErrorPath": "path or intrinsic function",
    "CausePath": "path or intrinsic function",
}


def _check_task(names: set[str], where: str, task: TaskState) -> Iterator[Problem]:
    yield from _check_route(where, task.resource, task.service, task.action)
    yield from _check_error_lists(f"{where}/Retry", task.retry)
    yield from _check_error_lists(f"{where}/Catch", task.catch)
    for index, retrier in enumerate(task.retry):
        if retrier.max_delay_seconds is not None and retrier.max_delay_seconds > MAX_DELAY_SECONDS:
            yield Problem(f"{where}/Retry/{index}/MaxDelaySeconds", "is above one year")
    for index, catcher in enumerate(task.catch):
        yield from check_target(names, f"{where}/Catch/{index}/Next", catcher.next)
    heartbeat, timeout = task.heartbeat_seconds, task.timeout_seconds
    if heartbeat is not None and timeout is not None and heartbeat >= timeout:
        # The spec: "If provided, the "HeartbeatSeconds" interval MUST be smaller than
        # the "TimeoutSeconds" value."
        yield Problem(
            f"{where}/HeartbeatSeconds",
            f"must be smaller than TimeoutSeconds ({timeout}), got {heartbeat}",
        )


def _check_error_lists(where: str, entries: Sequence[Retrier | Catcher]) -> Iterator[Problem]:
    # "The reserved name States.ALL ... must appear alone in the ErrorEquals array and
    # must appear in the last Retrier/Catcher in the array."
    lists = [(index, entry.error_equals) for index, entry in enumerate(entries)]
    yield from _check_error_names(where, lists, len(entries))


def _check_error_names(
    where: str, lists: Sequence[tuple[int, tuple[str, ...]]], count: int
) -> Iterator[Problem]:
    for index, errors in lists:
        if StatesError.ALL in errors and len(errors) > 1:
            yield Problem(f"{where}/{index}/ErrorEquals", "States.ALL must appear alone")
        if StatesError.ALL in errors and index != count - 1:
            yield Problem(f"{where}/{index}/ErrorEquals", "States.ALL must be in the last entry")
        for name in errors:
            if name.startswith("States.") and name not in _KNOWN_STATES_ERRORS:
                yield Problem(f"{where}/{index}/ErrorEquals", f"{name!r} is not a States error")


def _check_choice(names: set[str], where: str, choice: ChoiceState) -> Iterator[Problem]:
    for location, target in choice.targets():
        yield from check_target(names, f"{where}{location}", target)


def _check_wait(names: set[str], where: str, wait: WaitState) -> Iterator[Problem]:
    given = [
        f
        for f, v in (
            ("Seconds", wait.seconds),
            ("Timestamp", wait.timestamp),
            ("SecondsPath", wait.seconds_path),
            ("TimestampPath", wait.timestamp_path),
            ("Seconds", wait.seconds_expression),
            ("Timestamp", wait.timestamp_expression),
        )
        if v is not None
    ]
    if len(given) != 1:
        yield Problem(
            where,
            "a Wait needs exactly one of Seconds, Timestamp, SecondsPath, "
            f"TimestampPath (found {len(given)})",
        )
    if wait.timestamp is not None and parse_datetime(wait.timestamp) is None:
        yield Problem(f"{where}/Timestamp", f"{wait.timestamp!r} is not an RFC 3339 timestamp")
    for field, value in (
        ("SecondsPath", wait.seconds_path),
        ("TimestampPath", wait.timestamp_path),
    ):
        if value is not None:
            yield from _check_path(f"{where}/{field}", value)


# Each state type's own checks, by its ASL Type (beside the checks every state gets).
_OWN_CHECKS: dict[str, Callable[[set[str], str, Any], Iterator[Problem]]] = {
    "Task": _check_task,
    "Wait": _check_wait,
    "Choice": _check_choice,
}
