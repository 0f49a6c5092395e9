"""The operators' commands (`steplane executions|start|workflows|graph`) against a running
engine: a LocalRuntime behind the console's server, reached over HTTP with --endpoint as
a deployed stack's API would be (and with --stack, through the stack's ApiUrl output and
SigV4-signed requests).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from steplane.cli import api_client, main
from steplane.cli.api_client import LocalApi
from steplane.console.server import ConsoleServer
from steplane.local import LocalRuntime

FLAKY = "Flaky"
DEFINITION = {
    "StartAt": "Work",
    "States": {
        "Work": {"Type": "Task", "Resource": FLAKY, "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 600, "End": True},
    },
}
CALLBACK = {
    "StartAt": "Ask",
    "TimeoutSeconds": 100,
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token"}},
            "End": True,
        }
    },
}


class Engine:
    """A LocalRuntime, its API served over HTTP, and the CLI pointed at it."""

    def __init__(self, runtime: LocalRuntime, api: LocalApi, endpoint: str) -> None:
        self.runtime = runtime
        self.api = api
        self.endpoint = endpoint
        self.healthy = False

    def work(self, task_input: Any, context: Any) -> Any:
        if not self.healthy:
            raise ConnectionError("the service is down")
        return {"done": task_input}

    def cli(self, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([*argv, "--endpoint", self.endpoint])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    def json(self, capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
        code, out, err = self.cli(capsys, *argv, "--json")
        assert code == 0, err
        return json.loads(out)

    def advance(self, seconds: float) -> None:
        with self.api.lock:
            self.runtime.advance(seconds)


@pytest.fixture(name="engine")
def _engine() -> Iterator[Engine]:
    with LocalRuntime() as runtime:
        api = LocalApi(runtime)
        server = ConsoleServer(api, port=0)
        server.start()
        engine = Engine(runtime, api, server.url + "api")
        runtime.register(FLAKY, engine.work)
        runtime.publish(DEFINITION, "jobs")
        runtime.publish(CALLBACK, "asks")
        try:
            yield engine
        finally:
            server.shutdown()
            server.server_close()


def test_start_list_describe_and_history(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = engine.cli(
        capsys, "start", "jobs", "--input", '{"n": 1}', "--name", "job-1", "--business-key", "b-1"
    )
    assert (code, out.strip()) == (0, "started jobs:job-1 (RUNNING)")
    assert engine.cli(capsys, "start", "jobs", "--input", '{"n": 1}', "--name", "job-1")[1] == (
        "already started jobs:job-1 (RUNNING)\n"
    )
    engine.advance(1)
    code, out, _ = engine.cli(capsys, "executions", "list", "--business-key", "b-1")
    header, row = out.splitlines()
    assert header.split() == [
        "EXECUTION",
        "STATUS",
        "STARTED",
        "STOPPED",
        "BUSINESS",
        "KEY",
        "ERROR",
    ]
    assert row.split()[:2] == ["jobs:job-1", "FAILED"]
    assert "ConnectionError" in row
    described = engine.json(capsys, "executions", "describe", "jobs:job-1")
    assert (described["status"], described["businessKey"]) == ("FAILED", "b-1")
    code, out, _ = engine.cli(capsys, "executions", "describe", "jobs:job-1")
    assert "the service is down" in out
    events = engine.json(capsys, "executions", "history", "jobs:job-1")["events"]
    assert events[-1]["type"] == "ExecutionFailed"
    code, out, _ = engine.cli(capsys, "executions", "history", "jobs:job-1")
    assert 'ConnectionError: {"errorMessage": "the service is down"' in out.splitlines()[-1]


def test_list_pages_and_filters(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    engine.healthy = True
    for i in range(5):
        engine.cli(capsys, "start", "jobs", "--input", json.dumps({"i": i}), "--name", f"j{i}")
        engine.advance(1)
    first = engine.json(capsys, "executions", "list", "--max-results", "2")
    assert [e["name"] for e in first["executions"]] == ["j4", "j3"]
    second = engine.json(
        capsys, "executions", "list", "--max-results", "2", "--next-token", first["nextToken"]
    )
    assert [e["name"] for e in second["executions"]] == ["j2", "j1"]
    everything = engine.json(capsys, "executions", "list", "--max-results", "2", "--all")
    assert [e["name"] for e in everything["executions"]] == ["j4", "j3", "j2", "j1", "j0"]
    assert "nextToken" not in everything
    waiting = engine.json(capsys, "executions", "list", "--status", "running", "--workflow", "jobs")
    assert len(waiting["executions"]) == 5  # in the Wait
    code, out, _ = engine.cli(capsys, "executions", "list", "--status", "ABORTED")
    assert out.strip() == "no executions match"
    code, out, err = engine.cli(capsys, "executions", "list", "--status", "DONE")
    assert code == 2
    assert "argument --status: 'DONE' is none of RUNNING" in err


def test_stop_during_a_task_and_during_a_wait(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    queue = engine.runtime.sqs.create_queue(QueueName="asks")["QueueUrl"]
    engine.cli(capsys, "start", "asks", "--input", json.dumps({"queue": queue}), "--name", "a1")
    engine.healthy = True
    engine.cli(capsys, "start", "jobs", "--name", "w1")
    engine.advance(1)
    assert engine.json(capsys, "executions", "describe", "jobs:w1")["currentState"] == "Nap"
    code, out, _ = engine.cli(
        capsys, "executions", "stop", "asks:a1", "--error", "Op", "--cause", "no"
    )
    assert (code, out.strip()) == (0, "asks:a1 is ABORTED")
    assert engine.cli(capsys, "executions", "stop", "jobs:w1")[1].strip() == "jobs:w1 is ABORTED"
    engine.advance(700)
    stopped = engine.json(capsys, "executions", "describe", "asks:a1")
    assert (stopped["status"], stopped["error"], stopped["cause"]) == ("ABORTED", "Op", "no")
    assert engine.json(capsys, "executions", "describe", "jobs:w1")["status"] == "ABORTED"


def test_redrive_after_a_failure_and_after_a_timeout(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    queue = engine.runtime.sqs.create_queue(QueueName="asks")["QueueUrl"]
    engine.cli(capsys, "start", "jobs", "--name", "f1")
    engine.cli(capsys, "start", "asks", "--input", json.dumps({"queue": queue}), "--name", "t1")
    engine.advance(150)
    assert engine.json(capsys, "executions", "describe", "jobs:f1")["status"] == "FAILED"
    assert engine.json(capsys, "executions", "describe", "asks:t1")["status"] == "TIMED_OUT"
    engine.healthy = True
    code, out, _ = engine.cli(capsys, "executions", "redrive", "jobs:f1")
    assert (code, out.strip()) == (0, "jobs:f1 is RUNNING again from Work (redrive 1)")
    engine.advance(601)
    assert engine.json(capsys, "executions", "describe", "jobs:f1")["status"] == "SUCCEEDED"
    redriven = engine.json(
        capsys, "executions", "redrive", "asks:t1", "--input", json.dumps({"queue": queue})
    )
    assert (redriven["status"], redriven["redriveCount"]) == ("RUNNING", 1)
    code, _, err = engine.cli(capsys, "executions", "redrive", "jobs:f1")
    assert code == 1
    assert err.startswith("executions redrive: 400 ExecutionNotRedrivable: 'jobs:f1' is SUCCEEDED")


def test_workflows_and_graph(
    engine: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    code, out, _ = engine.cli(capsys, "workflows")
    assert [line.split()[0] for line in out.splitlines()] == ["WORKFLOW", "asks", "jobs"]
    one = engine.json(capsys, "workflows", "jobs")
    assert [r["revision"] for r in one["revisions"]] == [1]
    engine.cli(capsys, "start", "jobs", "--name", "g1")
    engine.advance(1)
    definition = tmp_path / "jobs.json"
    definition.write_text(json.dumps(DEFINITION))
    code, out, _ = engine.cli(capsys, "graph", str(definition), "--execution", "jobs:g1")
    assert code == 0
    assert out.startswith("flowchart TD\n")
    assert "class s0 failed" in out


def test_errors_are_one_line(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = engine.cli(capsys, "executions", "describe", "jobs:nope")
    assert code == 1
    assert (
        err
        == "executions describe: 404 ExecutionDoesNotExist: execution 'jobs:nope' does not exist\n"
    )
    capsys.readouterr()
    assert main(["executions", "list"]) == 2
    assert "which engine? pass --stack NAME" in capsys.readouterr().err
    assert main(["executions", "list", "--endpoint", "http://127.0.0.1:9/api"]) == 1
    assert capsys.readouterr().err.startswith("cannot reach http://127.0.0.1:9/api:")


def test_stack_resolves_the_api_url_and_signs(
    engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    asked: list[str] = []

    class CloudFormation:
        def describe_stacks(self, StackName: str) -> Any:  # noqa: N803 - boto3's names
            asked.append(StackName)
            return {
                "Stacks": [{"Outputs": [{"OutputKey": "ApiUrl", "OutputValue": engine.endpoint}]}]
            }

    monkeypatch.setattr(api_client, "aws_client", lambda *args: CloudFormation())
    seen: list[str] = []
    original = api_client.Signer.sign

    def spying(self: Any, method: str, url: str, data: Any, headers: Any) -> Any:
        signed = original(self, method, url, data, headers)
        seen.append(signed["Authorization"])
        return signed

    monkeypatch.setattr(api_client.Signer, "sign", spying)
    capsys.readouterr()
    assert main(["workflows", "--stack", "prod", "--json"]) == 0
    assert asked == ["prod"]
    assert seen[0].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in seen[0]


def test_a_stack_command_without_region_or_credentials_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    assert main(["executions", "list", "--stack", "prod"]) == 2
    assert (
        capsys.readouterr().err
        == "executions list: no AWS region: pass --region or set AWS_REGION\n"
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["publish", "x.json", "--stack", "prod", "--region", "eu-west-1"]) == 2
    assert "publish: no AWS credentials" in capsys.readouterr().err
