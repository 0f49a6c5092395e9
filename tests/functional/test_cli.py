"""The ``steplane`` command as the README uses it."""

from __future__ import annotations

import io
import json
import sys
from datetime import datetime
from pathlib import Path

import pytest

import steplane
from steplane.adapters.dynamodb_store import DynamoDBExecutionStore
from steplane.cli import main, publish
from steplane.definition.loader import load_definition
from steplane.names import NAME_RULE, name_problem


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


# ---------------------------------------------------------------- input, output, names

RESOURCE = "arn:aws:lambda:us-east-1:1:function:F"


def _one_task(tmp_path: Path, **task: object) -> Path:
    path = tmp_path / "one.json"
    state = {"Type": "Task", "Resource": RESOURCE, "End": True, **task}
    path.write_text(json.dumps({"StartAt": "T", "States": {"T": state}}))
    return path


def _workers(tmp_path: Path, body: str) -> Path:
    """A --workers module registering ``handler`` (defined by ``body``) for RESOURCE."""
    path = tmp_path / "workers.py"
    path.write_text(
        f"{body}\n\ndef register(worker):\n    worker.register({RESOURCE!r}, handler)\n"
    )
    return path


def test_input_at_file_reads_the_execution_input_from_that_file(
    onboarding_path: Path, tmp_path: Path, capsys
) -> None:
    given = tmp_path / "in.json"
    given.write_text('{"email": "file@example.com"}')
    code, result = _run_json(capsys, str(onboarding_path), "--input", f"@{given}")
    assert (code, result["output"]["email"]) == (0, "file@example.com")


def test_input_dash_reads_the_execution_input_from_stdin(
    onboarding_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"email": "stdin@example.com"}'))
    code, result = _run_json(capsys, str(onboarding_path), "--input", "-")
    assert (code, result["output"]["email"]) == (0, "stdin@example.com")


def test_input_at_a_missing_file_is_one_line_and_exit_2(
    onboarding_path: Path, tmp_path: Path, capsys
) -> None:
    missing = tmp_path / "missing.json"
    assert main(["run", str(onboarding_path), "--input", f"@{missing}"]) == 2
    captured = capsys.readouterr()
    assert (
        captured.err
        == f"--input @{missing}: cannot read {str(missing)!r}: No such file or directory\n"
    )
    assert captured.out == ""


def test_json_output_is_only_the_document_when_workers_print(tmp_path: Path, capsys) -> None:
    workers = _workers(
        tmp_path,
        "print('loading my workers')\n\n"
        "def handler(data, ctx):\n    print('working')\n    return data",
    )
    args = ["run", str(_one_task(tmp_path)), "--workers", str(workers), "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)  # all of stdout is the one document
    assert result["status"] == "SUCCEEDED"
    assert set(result) == {"executionId", "status", "output", "error", "cause", "history"}
    assert "loading my workers\nworking\n" in captured.err


def test_version_prints_the_package_version(capsys) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith(f"steplane {steplane.__version__} (")


def test_run_help_states_the_naming_rule(capsys) -> None:
    assert main(["run", "--help"]) == 0
    assert NAME_RULE in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("name", ["a/b", "x" * 300, "two words"])
def test_an_invalid_execution_name_is_refused_before_anything_starts(
    name: str, onboarding_path: Path, monkeypatch, capsys
) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the local runtime was started")

    monkeypatch.setattr("steplane.local.LocalRuntime.__init__", never)
    assert main(["run", str(onboarding_path), "--name", name]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("--name ")
    assert name_problem(name) in err


def test_a_definition_file_whose_name_has_a_space_runs(tmp_path: Path, capsys) -> None:
    path = tmp_path / "my flow.json"
    path.write_text('{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}')
    code, result = _run_json(capsys, str(path), "--input", '{"a": 1}')
    assert (code, result["status"], result["output"]) == (0, "SUCCEEDED", {"a": 1})
    assert result["executionId"].startswith("my-flow:")


def test_run_ignores_a_foreign_template_in_the_working_directory(
    onboarding_path: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    (tmp_path / "template.yaml").write_text("Resources:\n  B:\n    Type: AWS::S3::Bucket\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STEPLANE_TEMPLATE", raising=False)
    code, result = _run_json(capsys, str(onboarding_path), "--input", '{"email": "a@b.c"}')
    assert (code, result["status"]) == (0, "SUCCEEDED")


# ---------------------------------------------------------------- why a task failed


def _progress_and_history(printed: str) -> tuple[str, str]:
    progress, history = printed.split("\nhistory:\n")
    return progress, history


def test_text_output_shows_the_error_of_each_failure_and_where_the_catch_led(
    onboarding_path: Path, capsys
) -> None:
    data = '{"email": "a@b.c", "simulate_provisioning_error": true}'
    assert main(["run", str(onboarding_path), "--input", data]) == 0
    progress, history = _progress_and_history(capsys.readouterr().out)
    failed = "ProvisionResources           TaskFailed  ProvisioningError: provisioning failed"
    exited = "ProvisionResources           TaskStateExited  caught ProvisioningError"
    entered = (
        "RollbackUserCreation         TaskStateEntered  "
        "via Catch of ProvisioningError in ProvisionResources"
    )
    for text in (progress, history):
        assert f"{failed} (attempt 1)" in text
        assert f"{failed} (attempt 4)" in text
        assert exited in text
        assert entered in text
    assert "ProvisionResources           TaskScheduled  retry: attempt 2 in 5s" in history


def test_an_unhandled_exception_shows_its_message_on_the_failed_lines(
    tmp_path: Path, capsys
) -> None:
    long_first_line = "card declined " + "x" * 200
    workers = _workers(
        tmp_path,
        f"def handler(data, ctx):\n    raise ValueError({long_first_line + chr(10) + 'detail'!r})",
    )
    assert main(["run", str(_one_task(tmp_path)), "--workers", str(workers)]) == 1
    printed = capsys.readouterr().out
    progress, history = _progress_and_history(printed)
    shown = f"ValueError: {long_first_line[:117]}..."
    for text in (progress, history):
        assert f"TaskFailed  {shown}\n" in text
        assert f"ExecutionFailed  {shown}\n" in text
    assert "detail" not in progress
    # The final report gives the whole message and where it was raised.
    assert f"cause: {long_first_line}\ndetail\nstack trace (most recent call last):\n" in printed
    assert f'File "{tmp_path / "workers.py"}", line 2, in handler' in printed


def test_a_timed_out_task_shows_states_timeout(tmp_path: Path, capsys) -> None:
    workers = tmp_path / "slow_workers.py"
    workers.write_text(
        "def register(worker):\n"
        "    def slow(data, ctx):\n"
        "        worker.clock.advance(60)  # virtual time: the task outlives TimeoutSeconds\n"
        "        return data\n"
        f"    worker.register({RESOURCE!r}, slow)\n"
    )
    definition = _one_task(tmp_path, TimeoutSeconds=5)
    assert main(["run", str(definition), "--workers", str(workers)]) == 1
    progress, history = _progress_and_history(capsys.readouterr().out)
    for text in (progress, history):
        assert "TaskTimedOut  States.Timeout\n" in text
        assert "ExecutionFailed  States.Timeout: task timed out\n" in text


def test_run_shows_a_maps_progress_as_a_bar(tmp_path: Path, capsys) -> None:
    definition = {
        "StartAt": "Lines",
        "States": {
            "Lines": {
                "Type": "Map",
                "MaxConcurrency": 4,
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }
    path = tmp_path / "lines.json"
    path.write_text(json.dumps(definition))
    assert main(["run", str(path), "--input", json.dumps(list(range(40)))]) == 0
    bars = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  Lines: [")]
    assert bars[0] == "  Lines: [..............................] 0/40"
    assert bars[-1] == "  Lines: [##############################] 40/40"
    done = [int(line.rsplit(" ", 1)[1].split("/")[0]) for line in bars]
    assert done == sorted(done)


MAP_RUN = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "Parameters": {"Bucket": "in-data", "Key": "rows.csv"},
                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "End": True}},
            },
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "in-data", "Prefix": "out"},
            },
            "End": True,
        }
    },
}


def test_run_feeds_a_map_run_local_files_and_copies_its_results_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = tmp_path / "map.json"
    definition.write_text(json.dumps(MAP_RUN))
    rows = tmp_path / "rows.csv"
    rows.write_text("id,name\n1,ada\n2,bob\n")
    out = tmp_path / "out"
    code, result = _run_json(
        capsys, str(definition), "--s3", f"in-data/rows.csv={rows}", "--s3-out", str(out)
    )
    assert (code, result["status"]) == (0, "SUCCEEDED")
    manifest_key = result["output"]["ResultWriterDetails"]["Key"]
    manifest = json.loads((out / "in-data" / manifest_key).read_text())
    (succeeded,) = manifest["ResultFiles"]["SUCCEEDED"]
    records = json.loads((out / "in-data" / succeeded["Key"]).read_text())
    assert [json.loads(r["Output"]) for r in records] == [
        {"id": "1", "name": "ada"},
        {"id": "2", "name": "bob"},
    ]


@pytest.mark.parametrize("spec", ["no-equals", "bucket=file", "in-data/k=/no/such/file"])
def test_a_bad_s3_option_is_named(tmp_path: Path, spec: str, capsys) -> None:
    definition = tmp_path / "map.json"
    definition.write_text(json.dumps(MAP_RUN))
    assert main(["run", str(definition), "--s3", spec]) == 2
    assert "--s3" in capsys.readouterr().err


def test_run_shows_a_map_runs_progress_once_its_items_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = tmp_path / "map.json"
    definition.write_text(json.dumps(MAP_RUN))
    rows = tmp_path / "rows.csv"
    rows.write_text("id\n" + "".join(f"{n}\n" for n in range(5)))
    assert main(["run", str(definition), "--s3", f"in-data/rows.csv={rows}"]) == 0
    out = capsys.readouterr().out
    assert "M: [" in out
    assert "5/5" in out
    assert "0/0" not in out  # nothing shown while the items were being read


def test_run_names_the_tasks_no_handler_does_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = tmp_path / "flow.json"
    branch = {"StartAt": "Hop", "States": {"Hop": {"Type": "Task", "Resource": "hop", "End": True}}}
    states = {
        "Ask": {"Type": "Task", "Service": "Humans", "Action": "approve", "Next": "Both"},
        "Both": {"Type": "Parallel", "Branches": [branch], "End": True},
    }
    definition.write_text(json.dumps({"StartAt": "Ask", "States": states}))
    assert main(["run", str(definition)]) == 1  # the first task fails: no handler
    err = capsys.readouterr().err
    assert "no handler is registered for Humans approve, hop" in err
    assert "Steplane.HandlerNotFound" in err


def test_run_says_nothing_of_handlers_when_every_task_has_one(
    onboarding_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(onboarding_path), "--input", '{"email": "a@example.com"}']) == 0
    assert "no handler" not in capsys.readouterr().err


def test_run_names_the_lambda_functions_nobody_registered_before_it_starts(
    tmp_path: Path, capsys
) -> None:
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "Unregistered", "Payload": {}},
                "Next": "Send",
            },
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                    "MessageBody": "x",
                },
                "End": True,
            },
        },
    }
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(definition))
    main(["run", str(path), "--json"])
    first_line = capsys.readouterr().err.splitlines()[0]
    assert first_line.startswith("steplane run: no handler is registered for Unregistered:")
    assert "Lambda.ResourceNotFoundException" in first_line
    assert "sqs" not in first_line  # a service integration needs no handler


class _CloudFormation:
    """DescribeStacks of one stack (moto's CloudFormation needs extras the suite does not
    install; only this call is read)."""

    def __init__(self, name: str, parameters: dict[str, str]) -> None:
        self.name, self.parameters = name, parameters

    def describe_stacks(self, StackName: str) -> dict:  # noqa: N803 - boto3's spelling
        assert StackName == self.name
        stack_id = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{self.name}/1"
        parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in self.parameters.items()]
        return {"Stacks": [{"StackId": stack_id, "Parameters": parameters}]}


def _stack(monkeypatch: pytest.MonkeyPatch, parameters: dict[str, str]) -> str:
    """A stack named ``orders-stack`` with the Integration* parameters set as given."""
    real = publish.aws_client
    fake = _CloudFormation("orders-stack", parameters)

    def client(service: str, *args: object) -> object:
        return fake if service == "cloudformation" else real(service, *args)

    monkeypatch.setattr(publish, "aws_client", client)
    return fake.name


def _calling(tmp_path: Path) -> Path:
    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {
                    "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
                    "MessageBody": "x",
                },
                "Next": "Record",
            },
            "Record": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "Orders", "Item": {}},
                "End": True,
            },
        },
    }
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(definition))
    return path


def test_publish_warns_about_each_call_the_stack_does_not_grant(
    tmp_path: Path, executions_table, monkeypatch, capsys
) -> None:
    stack = _stack(
        monkeypatch,
        {
            "IntegrationQueues": "arn:aws:sqs:us-east-1:123456789012:orders",
            "IntegrationTables": "arn:aws:dynamodb:us-east-1:123456789012:table/Refunds",
        },
    )
    args = ["publish", str(_calling(tmp_path)), "--table", "executions", "--stack", stack]
    assert main(args) == 0  # published all the same: the grant may come with the next deploy
    captured = capsys.readouterr()
    assert captured.out.startswith("published calls -> ")
    assert captured.err.splitlines() == [
        "steplane publish: warning: /States/Record: the DynamoDB table "
        "arn:aws:dynamodb:us-east-1:123456789012:table/Orders is not granted: add it to the "
        "stack's IntegrationTables parameter"
    ]


def test_publish_finds_the_stack_by_the_tables_tag(
    tmp_path: Path, executions_table, monkeypatch, capsys
) -> None:
    stack = _stack(monkeypatch, {"IntegrationQueues": "", "IntegrationTables": "*"})
    arn = executions_table.describe_table(TableName="executions")["Table"]["TableArn"]
    executions_table.tag_resource(
        ResourceArn=arn, Tags=[{"Key": "aws:cloudformation:stack-name", "Value": stack}]
    )
    assert main(["publish", str(_calling(tmp_path)), "--table", "executions"]) == 0
    (warning,) = capsys.readouterr().err.splitlines()
    assert "the SQS queue arn:aws:sqs:us-east-1:123456789012:orders is not granted" in warning


def test_publish_without_a_stack_to_read_says_the_grants_were_not_checked(
    tmp_path: Path, executions_table, capsys
) -> None:
    assert main(["publish", str(_calling(tmp_path)), "--table", "executions"]) == 0
    (note,) = capsys.readouterr().err.splitlines()
    assert note.startswith("steplane publish: the table executions names no stack")
