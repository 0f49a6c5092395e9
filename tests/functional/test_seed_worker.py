"""The founding worker example runs with only its import line changed."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from steplane.local import LocalRuntime

EXAMPLE = Path(__file__).parent / "seed" / "auth_service_worker.py"
ONE_TASK = {
    "WorkflowName": "SignUp",
    "StartState": "CreateUser",
    "States": {
        "CreateUser": {
            "Type": "Task",
            "Service": "AuthService",
            "Action": "createUser",
            "End": True,
            "Catch": [{"ErrorEquals": ["AuthServiceError"], "Next": "Failed"}],
        },
        "Failed": {"Type": "Fail", "Error": "SignUpFailed"},
    },
}


@pytest.mark.parametrize(
    ("data", "status", "output"),
    [
        ({"email": "a@example.com"}, "SUCCEEDED", {"userId": "user_123"}),
        ({"email": "a@example.com", "simulate_error": True}, "FAILED", None),
    ],
)
def test_founding_worker_polls_runs_and_reports(monkeypatch, capsys, data, status, output):
    with LocalRuntime() as rt:
        execution_id = rt.start(ONE_TASK, data)
        queue = rt.resources.ref("AuthServiceTaskQueue")
        monkeypatch.setenv("TASK_RESULT_QUEUE_URL", rt.resources.ref("TaskResultQueue"))
        monkeypatch.setenv("STEPLANE_POLL_QUEUE_URLS", queue)
        monkeypatch.setenv("STEPLANE_POLL_WAIT_SECONDS", "0")
        monkeypatch.setenv("STEPLANE_STOP_AFTER_IDLE_POLLS", "1")
        runpy.run_path(str(EXAMPLE), run_name="__main__")
        result = rt.run_until_complete(execution_id)
    assert "Creating user: a@example.com" in capsys.readouterr().out
    assert (result.status, result.output) == (status, output)
    if status == "FAILED":
        failed = [e for e in result.history if e["type"] == "TaskFailed"]
        assert failed[0]["error"] == "AuthServiceError"
        assert failed[0]["cause"] == "AuthServiceError: User creation failed"
