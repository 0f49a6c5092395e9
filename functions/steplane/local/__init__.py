"""The local runtime: ``from steplane.local import LocalRuntime``."""

from steplane.local.result import ExecutionResult, StalledError, StartRefusedError
from steplane.local.runtime import LocalRuntime

__all__ = ["ExecutionResult", "LocalRuntime", "StalledError", "StartRefusedError"]
