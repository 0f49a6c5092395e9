"""What every state model is built from: the fields and entries state types share.

A definition is a frozen pydantic tree in ASL spelling. Both accepted spellings (the
founding ``StartState``/``Service``+``Action`` form and Amazon States Language) are
normalised to it by :mod:`.spelling` before validation, so the interpreter sees a single
shape. Each state type's own model is in its module in ``steplane.states``; the whole
machine is :mod:`.machine`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from steplane.asl.templates import Template
from steplane.definition.base import Spec
from steplane.definition.pointers import escape
from steplane.definition.templated import (
    AssignTemplate,
    OutputTemplate,
)

QueryLanguage = Literal["JSONPath", "JSONata"]
# Where the spelling pass moves a JSONata state's "{% %}" value of a field that otherwise
# holds a number or a timestamp ("TimeoutSeconds": "{% ... %}" -> "%TimeoutSeconds").
EXPRESSION_PREFIX = "%"

# Step Functions bounds (ASL spec / service quotas): retry intervals and caps are in
# seconds, at most one year (31622400 s); state names at most 80 characters.
MAX_SECONDS = 99_999_999
MAX_DELAY_SECONDS = 31_622_400


class Retrier(Spec):
    """One ``Retry`` entry. Defaults are the ones the ASL specification states."""

    error_equals: tuple[str, ...] = Field(alias="ErrorEquals", min_length=1)
    interval_seconds: int = Field(1, alias="IntervalSeconds", ge=1, le=MAX_SECONDS)
    # "MaxAttempts ... value of 0 is permitted and indicates that the error or errors
    # should never be retried." Its maximum is 99999999.
    max_attempts: int = Field(3, alias="MaxAttempts", ge=0, le=MAX_SECONDS)
    backoff_rate: float = Field(2.0, alias="BackoffRate", ge=1.0)
    max_delay_seconds: int | None = Field(None, alias="MaxDelaySeconds", ge=1, le=MAX_DELAY_SECONDS)
    jitter_strategy: Literal["FULL", "NONE"] = Field("NONE", alias="JitterStrategy")
    comment: str | None = Field(None, alias="Comment")


class Catcher(Spec):
    """One ``Catch`` entry; ``ResultPath`` defaults to ``$`` (the error output replaces input)."""

    # Its state's, set by the spelling pass (first: the fields below are read by it).
    query_language: QueryLanguage = Field("JSONPath", alias="QueryLanguage")
    error_equals: tuple[str, ...] = Field(alias="ErrorEquals", min_length=1)
    next: str = Field(alias="Next")
    result_path: str | None = Field("$", alias="ResultPath")
    assign: AssignTemplate | None = Field(None, alias="Assign")
    output: OutputTemplate | None = Field(None, alias="Output")
    comment: str | None = Field(None, alias="Comment")


@dataclass(frozen=True)
class Exit:
    """One way out of a state: where it is written, the state it goes to, and the
    ``Assign`` fields applied on the way (the state's and, say, its Catcher's or rule's)."""

    location: str
    target: str
    assigns: tuple[Template, ...] = ()


class StateSpec(Spec):
    """The fields every state type has, and what the whole-machine checks ask of each.

    A state type's model lives in its module in ``steplane.states``, with the rest of it.
    """

    # The state's own, or the definition's (the spelling pass sets it on every state);
    # declared first, as the fields after it are compiled in that language.
    query_language: QueryLanguage = Field("JSONPath", alias="QueryLanguage")
    # Its ASL Type; each model narrows it to its own (the tag of the tagged union).
    type: str = Field(alias="Type")
    comment: str | None = Field(None, alias="Comment")

    @property
    def jsonata(self) -> bool:
        """Whether the state's query language is JSONata."""
        return self.query_language == "JSONata"

    def exits(self) -> Iterator[Exit]:
        """Each way out of the state to another state (none: it ends the execution)."""
        return iter(())

    def targets(self) -> Iterator[tuple[str, str]]:
        """``(location, state name)`` of each state this one can go to."""
        return ((way.location, way.target) for way in self.exits())

    def machines(self) -> Iterator[tuple[str, MachineSpec]]:
        """``(location, machine)`` of each state machine nested in this state."""
        return iter(())

    def child_machine(self, index: int) -> MachineSpec:
        """The machine the state's child ``index`` runs (a branch, the ItemProcessor)."""
        raise LookupError(f"a {self.type} state has no children")

    def worker_route(self) -> tuple[str, str] | None:
        """``(route, action)`` a worker handles this state by (a Task's), or None."""
        return None

    def shares_variables(self) -> bool:
        """Whether the machines nested in the state read the variables of the scope around
        it ("Inner scopes can read variables from outer scopes")."""
        return True

    def label(self) -> str | None:
        """A name the state gives itself that must be unique in the definition (a Map's
        ``Label``), or None."""
        return None


class Flow(StateSpec):
    """States that move on: exactly one of ``Next`` and ``End`` (checked by the validator)."""

    next: str | None = Field(None, alias="Next")
    end: bool | None = Field(None, alias="End")
    assign: AssignTemplate | None = Field(None, alias="Assign")

    def exits(self) -> Iterator[Exit]:
        """``Next``, with the state's ``Assign``."""
        if self.next is not None:
            yield Exit("/Next", self.next, given(self.assign))


class DataFlow(Flow):
    """A Flow state with the data-flow fields every such state has."""

    input_path: str | None = Field("$", alias="InputPath")
    output_path: str | None = Field("$", alias="OutputPath")
    output: OutputTemplate | None = Field(None, alias="Output")


class MachineSpec(Spec):
    """A state machine: the whole definition, a Parallel branch, a Map's ItemProcessor.

    Its states are the registered state types' models (``steplane.states``), which may
    hold machines of their own (:meth:`StateSpec.machines`).
    """

    start_at: str = Field(alias="StartAt")
    states: dict[str, StateSpec] = Field(alias="States", min_length=1)
    comment: str | None = Field(None, alias="Comment")


def all_states(machine: MachineSpec, where: str = "") -> Iterator[tuple[str, str, StateSpec]]:
    """``(location, name, state)`` of every state of ``machine`` and of the machines
    nested in its states, each state before the ones nested in it."""
    for name, state in machine.states.items():
        at = f"{where}/States/{escape(name)}"
        yield at, name, state
        for location, inner in state.machines():
            yield from all_states(inner, at + location)


def given(*templates: Template | None) -> tuple[Template, ...]:
    """The templates that are there (an ``Assign`` field left out is None)."""
    return tuple(t for t in templates if t is not None)
