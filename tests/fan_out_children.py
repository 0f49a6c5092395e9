"""Child machines the fan-out tests share."""

from __future__ import annotations

from typing import Any


def fail_or_wait(
    fails: dict[str, Any], seconds: int, execution_type: str | None = None
) -> dict[str, Any]:
    """A child that fails (``Boom``) when the Choice rule ``fails`` matches its input, and
    otherwise waits ``seconds``: some children fail at once while the others still run.
    ``execution_type``: a distributed Map's ItemProcessor, of that type."""
    machine: dict[str, Any] = {
        "StartAt": "Which",
        "States": {
            "Which": {"Type": "Choice", "Choices": [{**fails, "Next": "Boom"}], "Default": "Slow"},
            "Boom": {"Type": "Fail", "Error": "Boom"},
            "Slow": {"Type": "Wait", "Seconds": seconds, "End": True},
        },
    }
    if execution_type is not None:
        machine["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": execution_type}
    return machine
