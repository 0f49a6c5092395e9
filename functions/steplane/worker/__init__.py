"""The worker SDK (see :mod:`steplane.worker.client`)."""

from steplane.worker.client import WorkerClient
from steplane.worker.context import TaskContext
from steplane.worker.runner import make_lambda_handler, start_polling

__all__ = ["TaskContext", "WorkerClient", "make_lambda_handler", "start_polling"]
