"""The ``steplane`` command as the README uses it."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pytest

from steplane.adapters.dynamodb_store import DynamoDBExecutionStore
from steplane.cli import main
from steplane.definition.loader import load_definition


def _run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["run", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_run_json_reports_the_onboarding_tasks_in_order(onboarding_path: Path, capsys) -> None:
    code, result = _run_json(capsys, str(onboarding_path), "--input", '{"email": "a@example.com"}')
    assert (code, result["status"]) == (0, "SUCCEEDED")
    assert set(result) >= {"status", "output", "error", "cause", "history"}
    entered = [e["state"] for e in result["history"] if e["type"] == "TaskStateEntered"]
    assert entered == [
        "CreateUser",
        "ProvisionResources",
        "SendWelcomeEmail",
        "NotifyInternalTeams",
    ]
    for event in result["history"]:
        assert {"type", "timestamp"} <= set(event)
        datetime.fromisoformat(event["timestamp"])
    assert result["output"]["email"] == "a@example.com"


def test_run_prints_progress_history_and_status(onboarding_path: Path, capsys) -> None:
    code = main(
        ["run", str(onboarding_path), "--input", '{"email": "a@b.c", "provisioning_failures": 2}']
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "+      5s  ProvisionResources           TaskFailed" in printed
    assert "+     15s  ProvisionResources           TaskStateExited" in printed
    assert "history:" in printed
    assert "status: SUCCEEDED" in printed


def test_a_failed_execution_exits_1_with_its_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "fails.json"
    path.write_text(
        json.dumps(
            {
                "StartAt": "F",
                "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "by design"}},
            }
        )
    )
    code, result = _run_json(capsys, str(path))
    assert code == 1
    assert (result["status"], result["error"], result["cause"]) == ("FAILED", "Nope", "by design")


def test_bad_input_json_exits_2_naming_the_problem(onboarding_path: Path, capsys) -> None:
    assert main(["run", str(onboarding_path), "--input", "{email}"]) == 2
    assert "--input is not valid JSON" in capsys.readouterr().err


def test_a_broken_definition_exits_1_before_running(tmp_path: Path, capsys) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"StartAt": "A", "States": {}}')
    assert main(["run", str(path)]) == 1
    assert "/States" in capsys.readouterr().err


def test_publish_stores_the_definition_and_names_the_workflow(
    onboarding_path: Path, executions_table, capsys
) -> None:
    assert main(["publish", str(onboarding_path), "--table", "executions"]) == 0
    store = DynamoDBExecutionStore(executions_table, "executions")
    published = store.resolve_workflow("UserOnboardingWorkflow")
    assert published == load_definition(onboarding_path).hash
    assert f"published UserOnboardingWorkflow -> {published}" in capsys.readouterr().out


def test_publish_without_a_table_says_so(onboarding_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("EXECUTIONS_TABLE_NAME", raising=False)
    assert main(["publish", str(onboarding_path)]) == 2
    assert "--table" in capsys.readouterr().err


def test_run_loads_your_own_workers(tmp_path: Path, capsys) -> None:
    workers = tmp_path / "my_workers.py"
    workers.write_text(
        "def register(worker):\n"
        "    worker.register('arn:aws:lambda:us-east-1:1:function:Double',\n"
        "                    lambda data, ctx: {'n': data['n'] * 2})\n"
    )
    definition = tmp_path / "double.json"
    definition.write_text(
        json.dumps(
            {
                "StartAt": "D",
                "States": {
                    "D": {
                        "Type": "Task",
                        "Resource": "arn:aws:lambda:us-east-1:1:function:Double",
                        "End": True,
                    }
                },
            }
        )
    )
    code, result = _run_json(
        capsys, str(definition), "--input", '{"n": 21}', "--workers", str(workers)
    )
    assert (code, result["status"], result["output"]) == (0, "SUCCEEDED", {"n": 42})


def test_a_workers_module_without_register_is_refused_clearly(
    tmp_path: Path, onboarding_path: Path, capsys
) -> None:
    workers = tmp_path / "empty_workers.py"
    workers.write_text("x = 1\n")
    assert main(["run", str(onboarding_path), "--workers", str(workers)]) == 2
    assert "define register(worker)" in capsys.readouterr().err
    assert main(["run", str(onboarding_path), "--workers", "no.such.mod"]) == 2
    assert "cannot load it" in capsys.readouterr().err


def test_run_without_the_local_extra_says_how_to_install_it(
    onboarding_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setitem(sys.modules, "steplane.local", None)  # as if moto/PyYAML were absent
    assert main(["run", str(onboarding_path), "--input", '{"email": "a@b.c"}']) == 2
    assert "pip install 'steplane[local]'" in capsys.readouterr().err
