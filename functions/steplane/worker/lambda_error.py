"""A handler exception, recorded as Step Functions records a Lambda function error.

When a Lambda task function raises, Step Functions fails the task with the exception's
class name as the Error and, as the Cause, the error document the Lambda Python runtime
writes: a JSON string ``{"errorMessage", "errorType", "stackTrace"}`` whose stack trace
is ``traceback.format_list`` of the exception's frames. The runtime leaves out its own
bootstrap frames; this leaves out the worker SDK's, so the trace starts in the handler.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path

_WORKER_SDK = Path(__file__).resolve().parent


def lambda_error_cause(error: BaseException) -> str:
    """The Cause Step Functions would record for ``error`` raised by a Lambda handler."""
    frames = traceback.extract_tb(error.__traceback__)
    return json.dumps(
        {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": traceback.format_list(_from_the_handler(frames)),
        }
    )


def _from_the_handler(frames: traceback.StackSummary) -> list[traceback.FrameSummary]:
    """The frames from the first one outside the worker SDK on (all, if there is none)."""
    for index, frame in enumerate(frames):
        if Path(frame.filename).resolve().parent != _WORKER_SDK:
            return list(frames[index:])
    return list(frames)
