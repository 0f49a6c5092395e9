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
    """Base class of the engine's own exceptions."""


class ExecutionAlreadyExistsError(SteplaneError):
    """A start named an existing execution with a different input."""

    def __init__(self, execution_id: str) -> None:
        super().__init__(f"execution {execution_id!r} already exists with a different input")
        self.execution_id = execution_id


class ExecutionNotFoundError(SteplaneError):
    """No execution has this id."""

    def __init__(self, execution_id: str) -> None:
        super().__init__(f"execution {execution_id!r} does not exist")
        self.execution_id = execution_id


class WorkflowNotFoundError(SteplaneError):
    """No published definition has this workflow name or hash."""

    def __init__(self, workflow: str) -> None:
        super().__init__(f"workflow {workflow!r} is not published")
        self.workflow = workflow


class InvalidTaskTokenError(SteplaneError):
    """A task token that does not decode, or names no pending task."""

    def __init__(self, token: str, reason: str) -> None:
        super().__init__(f"invalid task token: {reason}")
        self.token = token
        self.reason = reason


class TaskClosedError(SteplaneError):
    """A callback for a task attempt that already completed, failed or timed out."""

    def __init__(self, execution_id: str) -> None:
        super().__init__(
            f"the task attempt this token names in {execution_id!r} is no longer open "
            "(it completed, failed, timed out or was retried)"
        )
        self.execution_id = execution_id


class InvalidPageTokenError(SteplaneError):
    """A history ``nextToken`` that this engine did not issue."""

    def __init__(self, token: str) -> None:
        super().__init__(f"invalid nextToken {token!r}: pass back the token of the previous page")
        self.token = token


class PayloadTooLargeError(SteplaneError):
    """A payload exceeds the engine's size limit."""

    def __init__(self, what: str, size: int, limit: int) -> None:
        super().__init__(f"{what} is {size} bytes; the limit is {limit} bytes")
        self.what = what
        self.size = size
        self.limit = limit


class ConcurrentDecisionError(SteplaneError):
    """Another decision for the same execution version is in flight; retry the message later."""

    def __init__(self, execution_id: str, version: int) -> None:
        super().__init__(
            f"execution {execution_id!r}: another decision for version {version + 1} is in flight"
        )
        self.execution_id = execution_id
        self.version = version


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
