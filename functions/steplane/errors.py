"""Error names Step Functions defines, and the engine's own exceptions.

ASL failures are values (an error name and a cause), not Python exceptions: they
travel through Retry and Catch as data. Engine exceptions (``...Error``) are for
the shell: bad requests, conflicts, unknown executions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StatesError(StrEnum):
    """Error names reserved by the Amazon States Language (the ``States.`` prefix)."""

    ALL = "States.ALL"
    TASK_FAILED = "States.TaskFailed"
    TIMEOUT = "States.Timeout"
    HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
    RUNTIME = "States.Runtime"
    NO_CHOICE_MATCHED = "States.NoChoiceMatched"
    DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
    PERMISSIONS = "States.Permissions"
    RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
    PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
    INTRINSIC_FAILURE = "States.IntrinsicFailure"
    BRANCH_FAILED = "States.BranchFailed"
    QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
    ITEM_READER_FAILED = "States.ItemReaderFailed"
    RESULT_WRITER_FAILED = "States.ResultWriterFailed"
    EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"


# steplane's own error names (not reserved by ASL), for limits Step Functions words otherwise.
# The transition limit ends the execution; no Catch sees it, or a runaway loop would go on.
TRANSITION_LIMIT_EXCEEDED = "Steplane.TransitionLimitExceeded"


class TaskFailed(Exception):  # noqa: N818 - the public name is fixed by the local-runtime contract
    """Raised by a task handler to fail its task with a chosen ASL error name and cause.

    Args:
        error: the error name that Retry and Catch match on (``ErrorEquals``).
        cause: a human-readable explanation, surfaced as ``Cause``.
    """

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


class SteplaneError(Exception):
    """Base class of the engine's own exceptions.

    Each kind says how the shell answers it: the HTTP status and Step Functions-style
    error name an API request gets, and whether a queued input that raised it is worth
    redelivering (``retryable``) or can never succeed and is dropped as poison.
    """

    http_status = 400
    api_error = "InvalidRequest"
    retryable = False


class ExecutionAlreadyExistsError(SteplaneError):
    """A start named an existing execution with a different input."""

    http_status = 409
    api_error = "ExecutionAlreadyExists"

    def __init__(self, execution_id: str) -> None:
        super().__init__(f"execution {execution_id!r} already exists with a different input")
        self.execution_id = execution_id


class ExecutionNotFoundError(SteplaneError):
    """No execution has this id."""

    http_status = 404
    api_error = "ExecutionDoesNotExist"

    def __init__(self, execution_id: str) -> None:
        super().__init__(f"execution {execution_id!r} does not exist")
        self.execution_id = execution_id


class InvalidNameError(SteplaneError, ValueError):
    """A workflow or execution name that breaks the naming rule (steplane.names)."""

    http_status = 400
    api_error = "InvalidName"


class WorkflowNotFoundError(SteplaneError):
    """No published definition has this workflow name or hash."""

    http_status = 404
    api_error = "StateMachineDoesNotExist"

    def __init__(self, workflow: str) -> None:
        super().__init__(f"workflow {workflow!r} is not published")
        self.workflow = workflow


class InvalidTaskTokenError(SteplaneError):
    """A task token that does not decode, or names no pending task."""

    http_status = 400
    api_error = "InvalidToken"

    def __init__(self, token: str, reason: str) -> None:
        super().__init__(f"invalid task token: {reason}")
        self.token = token
        self.reason = reason


class TaskClosedError(SteplaneError):
    """A callback for a task attempt that already completed, failed or timed out."""

    http_status = 409
    api_error = "TaskTimedOut"

    def __init__(self, execution_id: str) -> None:
        super().__init__(
            f"the task attempt this token names in {execution_id!r} is no longer open "
            "(it completed, failed, timed out or was retried)"
        )
        self.execution_id = execution_id


class InvalidPageTokenError(SteplaneError):
    """A history ``nextToken`` that this engine did not issue."""

    http_status = 400
    api_error = "InvalidToken"

    def __init__(self, token: str) -> None:
        super().__init__(f"invalid nextToken {token!r}: pass back the token of the previous page")
        self.token = token


class PayloadTooLargeError(SteplaneError):
    """A payload exceeds the engine's size limit."""

    http_status = 413
    api_error = "PayloadTooLarge"

    def __init__(self, what: str, size: int, limit: int) -> None:
        super().__init__(f"{what} is {size} bytes; the limit is {limit} bytes")
        self.what = what
        self.size = size
        self.limit = limit


class ConcurrentDecisionError(SteplaneError):
    """Another decision for the same execution version is in flight; retry the message later."""

    http_status = 409
    api_error = "ConcurrentDecision"
    # Another input is committing this version: redeliver this one, it may apply next.
    retryable = True

    def __init__(self, execution_id: str, version: int, holder: str | None = None) -> None:
        super().__init__(
            f"execution {execution_id!r}: another decision for version {version + 1} is in flight"
        )
        self.execution_id = execution_id
        self.version = version
        # The decision id that holds the version's history item, when known.
        self.holder = holder


class InvalidJsonError(SteplaneError):
    """A JSON document a client sent that the engine refuses (see steplane.json_input)."""

    api_error = "InvalidJson"

    def __init__(self, what: str, reason: str, api_error: str | None = None) -> None:
        super().__init__(f"{what} is refused: {reason}")
        self.what = what
        self.reason = reason
        # Step Functions names some refusals after the field: InvalidOutput for a callback.
        self.api_error = api_error or self.api_error


class InvalidExecutionIdError(SteplaneError):
    """A string that cannot be an execution id (``{workflow}:{name}``, both valid names)."""

    api_error = "InvalidExecutionId"

    def __init__(self, execution_id: str, reason: str) -> None:
        super().__init__(f"execution id {execution_id[:200]!r} is invalid: {reason}")
        self.execution_id = execution_id


class InvalidRequestError(SteplaneError):
    """A request that names an execution rightly but asks for something it cannot give
    (a page token not its own, children of an execution that has none): the message
    says what."""


class DefinitionError(SteplaneError):
    """A definition failed to load; ``problems`` lists every problem with its JSON location."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
        super().__init__(f"invalid state machine definition ({count}):\n{lines}")


@dataclass(frozen=True)
class Problem:
    """One definition problem: a JSON-pointer location (``/States/X/Next``) and a message."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location or '/'}: {self.message}"
