"""The one failure an ASL evaluation raises: an error name and a cause, as Step Functions
reports them (``States.Runtime``, ``States.ResultPathMatchFailure``, ...)."""

from __future__ import annotations

from steplane.errors import StatesError


class AslError(Exception):
    """An ASL evaluation that fails the state with ``error`` and ``cause``.

    Subclasses set ``error`` (the ASL error name; ``States.Runtime`` unless said) and
    ``cause`` (the human-readable text that goes with it).
    """

    error: str = StatesError.RUNTIME.value

    def __init__(self, cause: str, message: str | None = None) -> None:
        super().__init__(cause if message is None else message)
        self.cause = cause


class QueryEvaluationError(AslError):
    """A JSONata expression failed or gave nothing (``States.QueryEvaluationError``)."""

    error = StatesError.QUERY_EVALUATION_ERROR.value


class ExpressionSyntaxError(ValueError):
    """Text that is not a valid expression, with the 0-based ``position`` of the problem."""

    def __init__(self, text: str, position: int, reason: str) -> None:
        super().__init__(f"{reason} (at position {position} of {text!r})")
        self.text = text
        self.position = position
        self.reason = reason
