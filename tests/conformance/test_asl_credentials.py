"""Task Credentials: the role a task's work is done with.

Source: AWS Step Functions Developer Guide, Task state ([guide]): "Credentials (Optional):
Specifies a target role the state machine's execution role must assume before invoking
the specified Resource. Alternatively, you can also specify a JSONPath value or an
intrinsic function that resolves to an IAM role ARN at runtime based on the execution
input." steplane's workers do the work, so the role travels with the task to the worker,
which assumes it (TaskContext.role_arn, TaskContext.assumed_session).
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.definition.loader import DefinitionError, load_definition
from steplane.execution import ExecutionStatus
from steplane.local import LocalRuntime
from tests.unit.interpreter.harness import Driver

ROLE = "arn:aws:iam::111122223333:role/LambdaRole"


def _task(credentials: Any) -> dict[str, Any]:
    task = {"Type": "Task", "Resource": "r", "Credentials": credentials, "End": True}
    return {"StartAt": "T", "States": {"T": task}}


@pytest.mark.parametrize(
    ("credentials", "data"),
    [
        ({"RoleArn": ROLE}, {}),
        ({"RoleArn.$": "$.roleArn"}, {"roleArn": ROLE}),
        (
            {"RoleArn.$": "States.Format('arn:aws:iam::{}:role/LambdaRole', $.accountId)"},
            {"accountId": "111122223333"},
        ),
    ],
)
def test_the_role_is_given_read_or_built_and_sent_with_the_task(credentials: Any, data: Any):
    run = Driver(_task(credentials))
    run.begin(data)
    assert run.dispatch().role_arn == ROLE
    scheduled = next(e for e in run.events if e.type == "TaskScheduled")
    assert scheduled.details["taskCredentials"] == {"roleArn": ROLE}


def test_a_value_that_is_not_a_role_arn_fails_with_states_runtime():
    run = Driver(_task({"RoleArn.$": "$.roleArn"}))
    run.begin({"roleArn": "admin"})
    assert run.head.status is ExecutionStatus.FAILED
    assert run.head.error == "States.Runtime"
    assert "not an IAM role ARN" in (run.head.cause or "")


@pytest.mark.parametrize("credentials", [{"Role": ROLE}, {"RoleArn": ROLE, "x": 1}, ROLE])
def test_other_shapes_are_refused_at_load(credentials: Any):
    with pytest.raises(DefinitionError) as caught:
        load_definition(_task(credentials))
    assert "/States/T/Credentials" in {p.location for p in caught.value.problems}


def test_the_worker_receives_the_role():
    seen: list[str | None] = []

    def work(data: Any, context: Any) -> Any:
        seen.append(context.role_arn)
        return {}

    with LocalRuntime() as rt:
        rt.register("r", work)
        result = rt.run_until_complete(rt.start(_task({"RoleArn": ROLE}), {}))
    assert result.status == ExecutionStatus.SUCCEEDED
    assert seen == [ROLE]
