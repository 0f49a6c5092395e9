"""The wire format: API request bodies and queue message bodies (camelCase, like the SFN API)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from steplane.interpreter.signals import WakePurpose
from steplane.names import require_execution_id

# The longest business key a start may carry (a DynamoDB index key: small, like a name).
MAX_BUSINESS_KEY_LENGTH = 256

# An execution id a message names, checked as every key built from it is (steplane.names).
ExecutionId = Annotated[str, AfterValidator(require_execution_id)]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class Wire(BaseModel):
    """A message body: camelCase on the wire, snake_case in Python, unknown fields refused."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        alias_generator=_camel,
        # Each handler parses one or two kinds: the others' validators are never built.
        defer_build=True,
    )

    def to_json(self) -> str:
        """Serialise with the wire (camelCase) names."""
        return self.model_dump_json(by_alias=True, exclude_none=True)


class StartRequest(Wire):
    """``POST /executions`` (and a StartQueue message): start ``workflow`` with ``input``."""

    workflow: str
    input: Any = Field(default_factory=dict)
    name: str | None = None
    # What operators search executions by (an order number, a customer id): not unique.
    business_key: str | None = Field(None, min_length=1, max_length=MAX_BUSINESS_KEY_LENGTH)


def queued_start_name(request: StartRequest) -> str:
    """The name of a queued start that gives none: derived from its workflow and input
    (and its business key, when it has one).

    Stable across redeliveries, redrives and duplicate sends of one message, so they start
    one execution. Two messages meant to start the same input twice must carry names.
    """
    named = [request.workflow, request.input]
    if request.business_key is not None:
        named.append(request.business_key)
    content = json.dumps(named, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "q-" + hashlib.sha256(content.encode()).hexdigest()[:32]


class WakeMessage(Wire):
    """AdvanceQueue: come back to ``execution_id`` at ``version`` (a timer fired)."""

    kind: Literal["wake"] = "wake"
    execution_id: ExecutionId
    version: int
    purpose: WakePurpose
    due_at: datetime


# The most lanes one message may name (the engine sends 25).
MAX_LANES_PER_MESSAGE = 100


class _LaneRange(Wire):
    """Lanes ``first``..``last`` of the fan-out ``parent`` made at its visit ``visit``."""

    parent: ExecutionId
    visit: int = Field(ge=0)
    first: int = Field(ge=0)
    last: int = Field(ge=0)

    @model_validator(mode="after")
    def _lane_range(self) -> Self:
        if self.last < self.first or self.last - self.first >= MAX_LANES_PER_MESSAGE:
            raise ValueError(
                f"lanes {self.first}..{self.last}: a message names 1 to "
                f"{MAX_LANES_PER_MESSAGE} lanes, in order"
            )
        return self


class LanesMessage(_LaneRange):
    """AdvanceQueue: move the lanes on (launch the next children; count the ended ones).
    ``ended``: the item whose child just ended, when that child sent it (one lane)."""

    kind: Literal["lanes"] = "lanes"
    ended: int | None = Field(None, ge=0)
    # A distributed Map's read of its items, which lane 0's step does first (None: not it).
    read: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_lane_when_ended(self) -> Self:
        if self.ended is not None and self.first != self.last:
            raise ValueError("a message naming the ended item names one lane")
        return self


class AbortMessage(_LaneRange):
    """AdvanceQueue: stop the lanes' running children (the parent has left the visit)."""

    kind: Literal["abort"] = "abort"


class StopMessage(Wire):
    """AdvanceQueue: stop the execution ``execution_id`` (a nested execution its parent
    no longer waits for): it ends ABORTED with ``cause``, if it is still running."""

    kind: Literal["stop"] = "stop"
    execution_id: ExecutionId
    cause: str
    # The parent attempt that started it: an execution of that name started otherwise
    # (through the API, by another parent) is not stopped.
    task_token: str


def advance_message(body: Any) -> WakeMessage | LanesMessage | AbortMessage | StopMessage:
    """An AdvanceQueue message, by its ``kind``."""
    kind = body.get("kind") if isinstance(body, dict) else None
    if kind == "lanes":
        return LanesMessage.model_validate(body)
    if kind == "abort":
        return AbortMessage.model_validate(body)
    if kind == "stop":
        return StopMessage.model_validate(body)
    return WakeMessage.model_validate(body)


class TaskMessage(Wire):
    """A task queue: one attempt of one task, for a worker."""

    kind: Literal["task"] = "task"
    task_token: str
    execution_id: ExecutionId
    state: str
    route: str
    action: str
    resource: str | None = None
    attempt: int
    idempotency_key: str
    input: Any = None
    # When this attempt times out (its state's TimeoutSeconds), if it does.
    deadline: datetime | None = None
    # The IAM role the state's Credentials name: the worker assumes it to do the work
    # (Step Functions assumes it "before invoking the specified Resource").
    role_arn: str | None = None


class CallerMessage(Wire):
    """IntegrationQueue: the nested execution ``execution_id`` ended; report how to the
    parent task waiting on it (``task_token``, a ``startExecution.sync`` attempt)."""

    kind: Literal["ended"] = "ended"
    task_token: str
    execution_id: ExecutionId
    pattern: str


def integration_message(body: Any) -> TaskMessage | CallerMessage:
    """An IntegrationQueue message, by its ``kind``."""
    if isinstance(body, dict) and body.get("kind") == "ended":
        return CallerMessage.model_validate(body)
    return TaskMessage.model_validate(body)


class TaskResultMessage(Wire):
    """TaskResultQueue: a worker's outcome for the attempt named by ``task_token``, or a
    heartbeat (``HEARTBEAT``: the attempt is alive; SendTaskHeartbeat's counterpart)."""

    kind: Literal["result"] = "result"
    task_token: str
    status: Literal["SUCCEEDED", "FAILED", "HEARTBEAT"]
    output: Any = None
    error: str | None = None
    cause: str | None = None
    started_at: datetime | None = None


class StopRequest(Wire):
    """``POST /executions/{id}/stop`` (both optional, as StopExecution's)."""

    error: str | None = Field(None, max_length=256)
    cause: str | None = Field(None, max_length=32768)


class RedriveRequest(Wire):
    """``POST /executions/{id}/redrive``: all optional (none: Step Functions' redrive,
    from the state that did not succeed, with its input, on the same definition)."""

    from_state: str | None = Field(None, min_length=1, max_length=80)
    # Any JSON value, null included: given or not is model_fields_set's to say.
    input: Any = None
    latest_definition: bool = False


class TaskFailureBody(Wire):
    """``POST /tasks/{token}/failure``."""

    error: str | None = None
    cause: str | None = None


class OutboundMessage(BaseModel):
    """A message to send: where, what, and after how long."""

    model_config = ConfigDict(frozen=True)

    queue_url: str
    body: str
    delay_seconds: int = 0
