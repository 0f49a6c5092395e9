"""What an integration is given and what it answers: the shared vocabulary of the
integration modules and the IntegrationFunction's shell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from steplane.integrations.resources import LambdaFunction, Pattern, ServiceCall
from steplane.jsontypes import Json
from steplane.messages import TaskMessage
from steplane.settings import Settings


@dataclass(frozen=True)
class Succeeded:
    """The call's result: the task's output."""

    output: Json


@dataclass(frozen=True)
class Failed:
    """The call failed: the error Retry and Catch match, and its cause."""

    error: str
    cause: str | None = None


@dataclass(frozen=True)
class Submitted:
    """A ``.waitForTaskToken`` call was made: the task now waits for its token."""


@dataclass(frozen=True)
class Running:
    """A ``.sync`` job runs: its end is reported later (the nested execution's own)."""


Outcome = Succeeded | Failed | Submitted | Running


class LambdaInvoker(Protocol):
    """Lambda's Invoke, as boto3's ``lambda`` client offers it (the local runtime: the
    Python callables registered by function ARN)."""

    def invoke(self, **request: Any) -> dict[str, Any]:
        """``Invoke(FunctionName, Payload, InvocationType, Qualifier, ClientContext)``."""
        ...


class NestedExecutions(Protocol):
    """Starts and reads steplane executions, for ``states:startExecution``."""

    def start(
        self, workflow: str, name: str, input: Json, caller: tuple[str, Pattern] | None
    ) -> dict[str, Any]:
        """Start (or find, by name) an execution; its description (see ``describe``).

        Raises:
            steplane.errors.SteplaneError: the start is refused (no such workflow, the
                name is taken by another input, the input is too large or malformed).
        """
        ...

    def describe(self, execution_id: str) -> dict[str, Any]:
        """``executionId, workflow, name, status, input, output, error, cause,
        startDate, stopDate, caller`` (the token a ``.sync`` parent waits with)."""
        ...


@dataclass(frozen=True)
class Ports:
    """What the integrations call through (boto3 clients in Lambda, moto locally).

    ``lambdas``: Lambda's Invoke when it is not ``client("lambda")`` (the local runtime's
    registered functions). ``assume``: clients with a role's credentials, for a state's
    ``Credentials`` (role ARN, session name).
    """

    client: Callable[[str], Any]  # a boto3 client by botocore service name
    lambdas: LambdaInvoker | None
    executions: NestedExecutions
    settings: Settings
    now: Callable[[], datetime]
    assume: Callable[[str, str], Callable[[str], Any]] | None = None

    def invoker(self) -> LambdaInvoker:
        """Lambda's Invoke."""
        invoker: LambdaInvoker = self.lambdas or self.client("lambda")
        return invoker

    def as_role(self, role_arn: str, session_name: str) -> Ports:
        """The same ports with the role's credentials ("Specifies a target role the state
        machine's execution role must assume before invoking the specified Resource").

        Raises:
            Exception: the role cannot be assumed (STS refused).
        """
        if self.assume is None:
            return self
        return replace(self, client=self.assume(role_arn, session_name))


@dataclass(frozen=True)
class Call:
    """One task attempt's call: what it targets, its parameters (the state's
    Parameters or Arguments), and the task message it came in."""

    target: ServiceCall | LambdaFunction
    parameters: Json
    message: TaskMessage

    @property
    def pattern(self) -> Pattern:
        """How the task waits (a Lambda function ARN: request-response)."""
        if isinstance(self.target, ServiceCall):
            return self.target.pattern
        return Pattern.REQUEST_RESPONSE

    def object_parameters(self) -> dict[str, Any]:
        """The parameters as an object (an integration's request is one)."""
        if isinstance(self.parameters, dict):
            return self.parameters
        return {}


Perform = Callable[[Call, Ports], Outcome]
