"""What a task handler receives about its task."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from steplane.messages import TaskMessage


class TaskContext(Mapping[str, Any]):
    """A task attempt, readable as attributes or, as in the founding example, as a mapping.

    ``task_context["task_id"]`` and ``task_context.get("input_data")`` work as written in
    the founding document; ``idempotency_key`` is stable across redeliveries and retries
    of the same state visit, so side effects can be made exactly-once by the worker.
    """

    def __init__(self, message: TaskMessage) -> None:
        self.message = message
        self._view: dict[str, Any] = {
            "task_id": message.task_token,
            "task_token": message.task_token,
            "input_data": message.input,
            "execution_id": message.execution_id,
            "state": message.state,
            "service": message.route,
            "action": message.action,
            "resource": message.resource,
            "attempt": message.attempt,
            "idempotency_key": message.idempotency_key,
            "deadline": message.deadline,
            "role_arn": message.role_arn,
        }

    @property
    def task_id(self) -> str:
        """The task token: hand it to ``complete_task`` / ``fail_task``."""
        return self.message.task_token

    @property
    def input(self) -> Any:
        """The task's input (the state's effective input)."""
        return self.message.input

    @property
    def attempt(self) -> int:
        """1 for the first attempt, 2 for the first retry, ..."""
        return self.message.attempt

    @property
    def idempotency_key(self) -> str:
        """Stable for every attempt and redelivery of this state visit."""
        return self.message.idempotency_key

    @property
    def role_arn(self) -> str | None:
        """The IAM role the state's ``Credentials`` name, or None. Step Functions assumes
        it before invoking the resource; a steplane worker does the work, so it assumes
        it (:meth:`assumed_session`) and acts with that role's permissions."""
        return self.message.role_arn

    def assumed_session(self, session_name: str | None = None) -> Any:
        """A boto3 Session with the temporary credentials of :attr:`role_arn`.

        Raises:
            ValueError: the state has no Credentials.
        """
        if self.message.role_arn is None:
            raise ValueError(f"the state {self.message.state!r} has no Credentials")
        import boto3  # noqa: PLC0415 - only a worker that assumes a role needs it

        sts = boto3.client("sts")
        digest = hashlib.sha256(self.idempotency_key.encode()).hexdigest()[:16]
        name = session_name or f"steplane-{digest}-{self.message.attempt}"
        granted = sts.assume_role(RoleArn=self.message.role_arn, RoleSessionName=name[:64])
        keys = granted["Credentials"]
        return boto3.Session(
            aws_access_key_id=keys["AccessKeyId"],
            aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys["SessionToken"],
        )

    @property
    def deadline(self) -> datetime | None:
        """When this attempt times out (its state's TimeoutSeconds), or None."""
        return self.message.deadline

    @property
    def execution_id(self) -> str:
        """The execution this task belongs to."""
        return self.message.execution_id

    def __getitem__(self, key: str) -> Any:
        return self._view[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._view)

    def __len__(self) -> int:
        return len(self._view)
