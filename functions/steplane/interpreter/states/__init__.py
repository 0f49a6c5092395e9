"""One module per state type behind one signature, and the registry that maps them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from steplane.interpreter.run import Run
from steplane.interpreter.states import (
    choice_state,
    fail_state,
    pass_state,
    succeed_state,
    task_state,
    wait_state,
)
from steplane.interpreter.steps import Step
from steplane.jsontypes import Json

# enter(name, state, raw_input, run) -> Step
EnterState = Callable[[str, Any, Json, Run], Step]

ENTER: dict[str, EnterState] = {
    "Task": task_state.enter,
    "Pass": pass_state.enter,
    "Choice": choice_state.enter,
    "Wait": wait_state.enter,
    "Succeed": succeed_state.enter,
    "Fail": fail_state.enter,
}
