"""The limits a state's output must keep: Step Functions' payload quota, and JSON we accept."""

from __future__ import annotations

from steplane.errors import StatesError
from steplane.interpreter.steps import Fail
from steplane.json_input import json_problem
from steplane.jsontypes import Json, compact_json
from steplane.limits import MAX_PAYLOAD_BYTES, utf8_size


def check_state_output(output: Json) -> Fail | None:
    """``States.DataLimitExceeded`` if ``output`` breaks a limit, else None.

    "States.DataLimitExceeded: ... When the output of a state is larger than payload size
    quota." The quota counts UTF-8 bytes. A state can also nest its result under its input
    (ResultPath), so depth is checked here too: a document deeper than the engine accepts
    at its doors would break the next parse of it.
    """
    problem = json_problem(output)
    if problem is not None:
        return Fail(StatesError.DATA_LIMIT_EXCEEDED, f"the state output is refused: {problem}")
    size = utf8_size(compact_json(output))
    if size <= MAX_PAYLOAD_BYTES:
        return None
    return Fail(
        StatesError.DATA_LIMIT_EXCEEDED,
        f"the state output is {size} bytes; the limit is {MAX_PAYLOAD_BYTES} bytes",
    )
