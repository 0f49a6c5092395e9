"""What an expression can read: the data (``$``), the Context Object (``$$``), variables.

The Step Functions guide (Context object): "The Context object is an internal JSON
structure that is available during an execution, and contains information about your
state machine and execution." Its shape::

    {"Execution": {"Id", "Input", "Name", "RoleArn", "StartTime", "RedriveCount"},
     "State": {"EnteredTime", "Name", "RetryCount"},
     "StateMachine": {"Id", "Name"},
     "Task": {"Token"},                     (in a Task's Parameters only)
     "Map": {"Item": {"Index", "Value", "Source"}}}   (in a Map's ItemSelector only)

Times are ISO 8601 in UTC with milliseconds, as Step Functions writes them
(``2019-03-26T20:14:13.192Z``; ``2019-03-26T20:14:13Z`` on a whole second).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property

from steplane.jsontypes import Json


def iso_time(moment: datetime) -> str:
    """``moment`` as Step Functions writes times: ``2019-03-26T20:14:13.192Z``; "When a
    timestamp has zero fractional seconds, Step Functions removes the trailing zeros"."""
    utc = moment.astimezone(UTC)
    millis = utc.microsecond // 1000
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + (f".{millis:03d}Z" if millis else "Z")


@dataclass(frozen=True)
class MapItem:
    """The item a Map iteration processes: its index and value, and where it came from
    (``Source``: "STATE_DATA" for the state's input, ``S3://bucket/key`` for an object an
    ItemReader read, ``S3://bucket`` for a listing)."""

    index: int
    value: Json
    source: str = "STATE_DATA"


@dataclass(frozen=True)
class ContextFields:
    """What the Context Object of one state visit says. ``execution_input`` is a reader:
    the input is loaded only by definitions that read it (see ``reads_execution_input``);
    None when it was not loaded (then no expression of the definition reads it, and the
    object leaves ``Execution.Input`` out rather than load it)."""

    execution_arn: str
    execution_name: str
    execution_input: Callable[[], Json] | None
    start_time: datetime
    role_arn: str
    redrive_count: int
    state_name: str
    entered_time: datetime
    retry_count: int
    state_machine_arn: str
    state_machine_name: str
    task_token: str | None = None
    map_item: MapItem | None = None
    # When the execution was last redriven (None: never).
    redrive_time: datetime | None = None


class ContextObject:
    """The Context Object of one state visit, built (from ``fields()``) only when an
    expression reads it: most state visits never do, and every one makes a scope."""

    def __init__(self, fields: Callable[[], ContextFields]) -> None:
        self._fields = fields

    def to_json(self) -> Json:
        """The object as JSON, built on first use."""
        return self._json

    def with_map_item(self, item: MapItem) -> ContextObject:
        """The same object with ``Map.Item`` (in a Map's ``ItemSelector``)."""
        fields = self._fields
        return ContextObject(lambda: replace(fields(), map_item=item))

    @cached_property
    def _json(self) -> Json:
        fields = self._fields()
        execution: dict[str, Json] = {"Id": fields.execution_arn}
        if fields.execution_input is not None:
            execution["Input"] = fields.execution_input()
        document: dict[str, Json] = {
            "Execution": {
                **execution,
                "Name": fields.execution_name,
                "RoleArn": fields.role_arn,
                "StartTime": iso_time(fields.start_time),
                "RedriveCount": fields.redrive_count,
                **(
                    {"RedriveTime": iso_time(fields.redrive_time)}
                    if fields.redrive_time is not None
                    else {}
                ),
            },
            "State": {
                "EnteredTime": iso_time(fields.entered_time),
                "Name": fields.state_name,
                "RetryCount": fields.retry_count,
            },
            "StateMachine": {"Id": fields.state_machine_arn, "Name": fields.state_machine_name},
        }
        if fields.task_token is not None:
            document["Task"] = {"Token": fields.task_token}
        if fields.map_item is not None:
            item = fields.map_item
            document["Map"] = {
                "Item": {"Index": item.index, "Value": item.value, "Source": item.source}
            }
        return document


@dataclass(frozen=True)
class Scope:
    """What one evaluation reads.

    Attributes:
        data: what ``$`` selects in (the effective input; for ResultSelector, the result);
            in a JSONata state, ``$states.input``.
        context: the Context Object ``$$`` selects in (None where none is available).
        variables: the workflow variables ``$name`` reads.
        seed: makes ``States.UUID`` and ``States.MathRandom`` deterministic for one state
            visit: the same decision, derived again after a crash, sends the same values.
    """

    data: Json
    context: ContextObject | None = None
    variables: Mapping[str, Json] = field(default_factory=dict)
    seed: str = ""
    # JSONata's $states (input, result, errorOutput; context comes from ``context``).
    states: Mapping[str, Json] = field(default_factory=dict)
    # What JSONata's $now() and $millis() read: the decision's clock (for a task's input,
    # the state's entry), never the wall clock, so a command derived again is the same.
    now: datetime | None = None

    def with_data(self, data: Json) -> Scope:
        """This scope with ``data`` as ``$`` (the same Context Object and variables)."""
        return replace(self, data=data)

    def with_map_item(self, item: MapItem) -> Scope:
        """This scope with ``$$.Map.Item`` (a Map's ``ItemSelector`` reads it)."""
        context = self.context.with_map_item(item) if self.context is not None else None
        return replace(self, context=context)

    def with_states(self, **states: Json) -> Scope:
        """This scope with more of JSONata's ``$states`` (``result``, ``errorOutput``)."""
        return replace(self, states={**self.states, **states})

    def salted(self, salt: str) -> Scope:
        """This scope with ``salt`` added to its seed: each field draws its own values."""
        return replace(self, seed=f"{self.seed}|{salt}")

    def random_bytes(self, salt: str) -> bytes:
        """32 bytes that look random, the same for the same seed and ``salt``."""
        return hashlib.sha256(f"{self.seed}|{salt}".encode()).digest()
