"""The state machine definition as a frozen pydantic tree, in ASL spelling.

Both accepted spellings (the founding ``StartState``/``Service``+``Action`` form and
Amazon States Language) are normalised to this one model by :mod:`.spelling` before
validation, so the interpreter sees a single shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field

from steplane.definition.base import Spec
from steplane.definition.templated import (
    ArgumentsTemplate,
    AssignTemplate,
    CauseExpression,
    CredentialsTemplate,
    ErrorExpression,
    HeartbeatSecondsExpression,
    OutputTemplate,
    PayloadTemplate,
    SecondsExpression,
    TimeoutSecondsExpression,
    TimestampExpression,
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


class _StateBase(Spec):
    # The state's own, or the definition's (the spelling pass sets it on every state);
    # declared first, as the fields after it are compiled in that language.
    query_language: QueryLanguage = Field("JSONPath", alias="QueryLanguage")
    comment: str | None = Field(None, alias="Comment")

    @property
    def jsonata(self) -> bool:
        """Whether the state's query language is JSONata."""
        return self.query_language == "JSONata"

    def targets(self) -> Iterator[tuple[str, str]]:
        """``(location, state name)`` of each state this one can go to (none: it ends)."""
        return iter(())


class Flow(_StateBase):
    """States that move on: exactly one of ``Next`` and ``End`` (checked by the validator)."""

    next: str | None = Field(None, alias="Next")
    end: bool | None = Field(None, alias="End")

    def targets(self) -> Iterator[tuple[str, str]]:
        """``Next`` (its location, its state)."""
        if self.next is not None:
            yield "/Next", self.next


class _DataFlow(Flow):
    input_path: str | None = Field("$", alias="InputPath")
    output_path: str | None = Field("$", alias="OutputPath")
    output: OutputTemplate | None = Field(None, alias="Output")


class TaskState(_DataFlow):
    """A unit of work done by a worker: ``Resource``, or the founding ``Service`` + ``Action``."""

    type: Literal["Task"] = Field(alias="Type")
    resource: str | None = Field(None, alias="Resource")
    service: str | None = Field(None, alias="Service")
    action: str | None = Field(None, alias="Action")
    parameters: PayloadTemplate | None = Field(None, alias="Parameters")
    arguments: ArgumentsTemplate | None = Field(None, alias="Arguments")
    result_selector: PayloadTemplate | None = Field(None, alias="ResultSelector")
    result_path: str | None = Field("$", alias="ResultPath")
    timeout_seconds: int | None = Field(None, alias="TimeoutSeconds", ge=1, le=MAX_SECONDS)
    timeout_seconds_path: str | None = Field(None, alias="TimeoutSecondsPath")
    heartbeat_seconds: int | None = Field(None, alias="HeartbeatSeconds", ge=1, le=MAX_SECONDS)
    heartbeat_seconds_path: str | None = Field(None, alias="HeartbeatSecondsPath")
    timeout_expression: TimeoutSecondsExpression | None = Field(None, alias="%TimeoutSeconds")
    heartbeat_expression: HeartbeatSecondsExpression | None = Field(None, alias="%HeartbeatSeconds")
    credentials: CredentialsTemplate | None = Field(None, alias="Credentials")
    retry: tuple[Retrier, ...] = Field((), alias="Retry")
    catch: tuple[Catcher, ...] = Field((), alias="Catch")
    assign: AssignTemplate | None = Field(None, alias="Assign")

    @property
    def route(self) -> str:
        """The key that selects the task queue: the founding Service, else the Resource."""
        return self.service or self.resource or ""

    @property
    def action_name(self) -> str:
        """The action a worker registers for: the founding Action, else the Resource."""
        return self.action or self.resource or ""

    def targets(self) -> Iterator[tuple[str, str]]:
        """``Next``, and each Catcher's ``Next``."""
        yield from super().targets()
        for index, catcher in enumerate(self.catch):
            yield f"/Catch/{index}/Next", catcher.next


class PassState(_DataFlow):
    """Passes its input (or ``Result``) to its output."""

    type: Literal["Pass"] = Field(alias="Type")
    parameters: PayloadTemplate | None = Field(None, alias="Parameters")
    result: Any = Field(None, alias="Result")
    result_path: str | None = Field("$", alias="ResultPath")
    assign: AssignTemplate | None = Field(None, alias="Assign")

    @property
    def has_result(self) -> bool:
        """Whether ``Result`` was given (``"Result": null`` counts as given)."""
        return "result" in self.model_fields_set


class ChoiceState(_StateBase):
    """Branches on its input. ``Choices`` are parsed into rules by the loader."""

    type: Literal["Choice"] = Field(alias="Type")
    output: OutputTemplate | None = Field(None, alias="Output")
    choices: tuple[dict[str, Any], ...] = Field(alias="Choices", min_length=1)
    default: str | None = Field(None, alias="Default")
    input_path: str | None = Field("$", alias="InputPath")
    output_path: str | None = Field("$", alias="OutputPath")
    assign: AssignTemplate | None = Field(None, alias="Assign")

    def targets(self) -> Iterator[tuple[str, str]]:
        """Each rule's ``Next`` and the ``Default``, read from the rules as written: a rule
        with a problem of its own still has its Next checked and followed, and the index
        is the one the user sees."""
        for index, rule in enumerate(self.choices):
            if isinstance(rule.get("Next"), str):
                yield f"/Choices/{index}/Next", rule["Next"]
        if self.default is not None:
            yield "/Default", self.default


class WaitState(_DataFlow):
    """Delays for ``Seconds``, until ``Timestamp``, or by the *Path forms of either."""

    type: Literal["Wait"] = Field(alias="Type")
    seconds: int | None = Field(None, alias="Seconds", ge=0, le=MAX_SECONDS)
    seconds_expression: SecondsExpression | None = Field(None, alias="%Seconds")
    timestamp_expression: TimestampExpression | None = Field(None, alias="%Timestamp")
    timestamp: str | None = Field(None, alias="Timestamp")
    seconds_path: str | None = Field(None, alias="SecondsPath")
    timestamp_path: str | None = Field(None, alias="TimestampPath")
    assign: AssignTemplate | None = Field(None, alias="Assign")


class SucceedState(_StateBase):
    """Ends the execution successfully."""

    type: Literal["Succeed"] = Field(alias="Type")
    output: OutputTemplate | None = Field(None, alias="Output")
    input_path: str | None = Field("$", alias="InputPath")
    output_path: str | None = Field("$", alias="OutputPath")


class FailState(_StateBase):
    """Ends the execution with ``Error`` and ``Cause``, each given as is or read from the
    state's input (``ErrorPath``, ``CausePath``)."""

    type: Literal["Fail"] = Field(alias="Type")
    error: str | None = Field(None, alias="Error")
    cause: str | None = Field(None, alias="Cause")
    error_path: str | None = Field(None, alias="ErrorPath")
    cause_path: str | None = Field(None, alias="CausePath")
    error_expression: ErrorExpression | None = Field(None, alias="%Error")
    cause_expression: CauseExpression | None = Field(None, alias="%Cause")


State = Annotated[
    TaskState | PassState | ChoiceState | WaitState | SucceedState | FailState,
    Field(discriminator="type"),
]

# Each state type and the model of its fields; STATE_TYPES keeps the same order.
STATE_MODELS: dict[str, type[Spec]] = {
    "Task": TaskState,
    "Pass": PassState,
    "Choice": ChoiceState,
    "Wait": WaitState,
    "Succeed": SucceedState,
    "Fail": FailState,
}
STATE_TYPES: tuple[str, ...] = tuple(STATE_MODELS)


class StateMachine(Spec):
    """A whole definition: ``StartAt`` and the ``States`` it names."""

    start_at: str = Field(alias="StartAt")
    states: dict[str, State] = Field(alias="States", min_length=1)
    comment: str | None = Field(None, alias="Comment")
    version: str | None = Field(None, alias="Version")
    timeout_seconds: int | None = Field(None, alias="TimeoutSeconds", ge=1, le=MAX_SECONDS)
    query_language: QueryLanguage = Field("JSONPath", alias="QueryLanguage")
    # The founding spelling names its workflow; ASL leaves naming to the caller.
    workflow_name: str | None = Field(None, alias="WorkflowName")
