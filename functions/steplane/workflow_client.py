"""The founding worker API, as module functions on one process-wide WorkerClient.

The founding example runs with only its import changed::

    from steplane import workflow_client

    workflow_client.register_task_handler("createUser", create_user_task)
    workflow_client.start_polling()
"""

from __future__ import annotations

from typing import Any

from steplane.worker.client import TaskHandler, WorkerClient
from steplane.worker.runner import LambdaHandler, make_lambda_handler
from steplane.worker.runner import start_polling as _start_polling

default_client = WorkerClient()


def register_task_handler(action: str, fn: TaskHandler) -> None:
    """Run ``fn(task_context)`` for tasks whose Action (or Resource) is ``action``."""
    default_client.register_task_handler(action, fn)


def register_activity(activity: str, fn: TaskHandler) -> None:
    """Run ``fn(task_context)`` for the tasks of an activity (its name or ARN)."""
    default_client.register_activity(activity, fn)


def complete_task(task_id: str, output: Any = None) -> None:
    """Report that task ``task_id`` succeeded with ``output``."""
    default_client.complete_task(task_id, output)


def fail_task(task_id: str, message: str = "", error: str = "States.TaskFailed") -> None:
    """Report that task ``task_id`` failed with ``error`` (matched by Retry/Catch) and a cause."""
    default_client.fail_task(task_id, message, error)


def heartbeat(task_id: str) -> None:
    """Tell the engine the task ``task_id`` is still running (see WorkerClient.heartbeat)."""
    default_client.heartbeat(task_id)


def start_polling(**options: Any) -> None:
    """Poll the task queues and run registered handlers until interrupted."""
    _start_polling(default_client, **options)


def lambda_handler() -> LambdaHandler:
    """The registered handlers as an SQS-triggered Lambda handler (partial batch failures)."""
    return make_lambda_handler(default_client)
