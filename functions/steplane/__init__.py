"""steplane: Amazon States Language workflows on Lambda, DynamoDB and SQS."""

from steplane.errors import TaskFailed

__all__ = ["TaskFailed"]
__version__ = "0.1.0"
