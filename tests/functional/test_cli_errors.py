"""Every way a ``steplane`` command can go wrong ends in one line on stderr, not a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from steplane.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _one_line(err: str) -> str:
    """The single line of ``err``; fails if there are more, or a traceback."""
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err.rstrip("\n")


# ---------------------------------------------------------------- run


def test_ctrl_c_during_a_run_exits_130_with_one_line(
    tmp_path: Path, onboarding_path: Path, capsys
) -> None:
    workers = tmp_path / "interrupting.py"
    workers.write_text(
        "def handler(data, ctx):\n    raise KeyboardInterrupt\n\n"
        "from steplane.examples.onboarding import register_all\n\n"
        "def register(worker):\n    register_all(worker)\n"
        "    worker.register('AuthService', 'createUser', handler)\n"
    )
    args = ["run", str(onboarding_path), "--input", '{"email": "a@b.c"}', "--workers", str(workers)]
    try:
        code = main(args)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped main()")
    assert code == 130
    assert _one_line(capsys.readouterr().err) == "steplane: interrupted"


def test_a_closed_stdout_pipe_exits_141_without_a_broken_pipe_error(
    onboarding_path: Path,
) -> None:
    # `steplane run ... | head -1`: the reader is gone before the output is written.
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "functions")}
    command = [sys.executable, "-m", "steplane.cli", "run", str(onboarding_path)]
    try:
        done = subprocess.run(
            [*command, "--input", '{"email": "a@b.c"}'],
            check=False,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert done.stderr == ""


def test_a_missing_definition_file_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["run", str(tmp_path / "nope.json")]) == 2
    assert _one_line(capsys.readouterr().err) == f"{tmp_path / 'nope.json'}: no such file"


def test_an_input_the_engine_refuses_is_one_line(
    onboarding_path: Path, tmp_path: Path, capsys
) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"email": "a@b.c", "blob": "x" * 300_000}))
    assert main(["run", str(onboarding_path), "--input", f"@{big}"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("the engine refused to start the execution: ")
    assert "262144" in line


def test_a_template_that_is_not_steplanes_is_one_line(
    onboarding_path: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    foreign = tmp_path / "template.yaml"
    foreign.write_text("Resources:\n  B:\n    Type: AWS::S3::Bucket\n")
    monkeypatch.setenv("STEPLANE_TEMPLATE", str(foreign))
    assert main(["run", str(onboarding_path), "--input", '{"email": "a@b.c"}']) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"{foreign} is not steplane's template" in line
    assert "steplane.handlers.start" in line


def test_a_workers_module_whose_register_raises_is_one_line(
    onboarding_path: Path, tmp_path: Path, capsys
) -> None:
    workers = tmp_path / "broken.py"
    workers.write_text("def register(worker):\n    worker.register('only-one-argument')\n")
    assert main(["run", str(onboarding_path), "--workers", str(workers)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"--workers {workers}: register(worker) raised TypeError: ")


# ---------------------------------------------------------------- validate


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_validate_a_missing_file_or_a_directory_is_one_line_and_exit_1(
    kind: str, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "nope.json" if kind == "missing" else tmp_path
    assert main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    expected = "no such file" if kind == "missing" else "is a directory, not a definition file"
    assert _one_line(captured.err) == f"{path}: {expected}"
    assert captured.out == ""


def test_validate_goes_on_to_the_next_file_after_a_missing_one(
    tmp_path: Path, onboarding_path: Path, capsys
) -> None:
    assert main(["validate", str(tmp_path / "nope.json"), str(onboarding_path)]) == 1
    assert capsys.readouterr().out == f"{onboarding_path}: valid\n"


# ---------------------------------------------------------------- publish


@pytest.fixture
def no_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS configuration at all: no variables, empty config and credentials files."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    empty = tmp_path / "empty-aws-config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    # Never ask an instance metadata service for credentials: tests stay on this machine.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_aws")
def test_publish_without_a_region_says_how_to_give_one(onboarding_path: Path, capsys) -> None:
    assert main(["publish", str(onboarding_path), "--table", "executions"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line == "publish: no AWS region: pass --region or set AWS_REGION"


@pytest.mark.usefixtures("no_aws")
def test_publish_without_credentials_says_so(onboarding_path: Path, capsys) -> None:
    args = ["publish", str(onboarding_path), "--table", "executions", "--region", "eu-west-1"]
    assert main(args) == 2
    assert _one_line(capsys.readouterr().err).startswith("publish: no AWS credentials: ")


@pytest.mark.usefixtures("no_aws")
def test_publish_with_a_profile_that_does_not_exist_names_it(onboarding_path: Path, capsys) -> None:
    args = ["publish", str(onboarding_path), "--table", "t", "--profile", "nope"]
    assert main([*args, "--region", "eu-west-1"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("publish: ")
    assert "(nope)" in line


def test_publish_reads_the_region_from_aws_region(
    onboarding_path: Path, executions_table, monkeypatch, capsys
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert main(["publish", str(onboarding_path), "--table", "executions"]) == 0
    assert capsys.readouterr().out.startswith("published UserOnboardingWorkflow -> ")


def test_publish_to_a_table_that_does_not_exist_is_one_line(
    onboarding_path: Path, executions_table, capsys
) -> None:
    args = ["publish", str(onboarding_path), "--table", "missing", "--region", "us-east-1"]
    assert main(args) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("publish: An error occurred (ResourceNotFoundException)")


def test_a_real_sigint_during_a_run_exits_130_with_one_line(
    tmp_path: Path, onboarding_path: Path
) -> None:
    started = tmp_path / "started"
    workers = tmp_path / "slow.py"
    workers.write_text(
        "import pathlib, time\n\n"
        "def handler(data, ctx):\n"
        f"    pathlib.Path({str(started)!r}).touch()\n"
        "    time.sleep(60)\n\n"
        "from steplane.examples.onboarding import register_all\n\n"
        "def register(worker):\n    register_all(worker)\n"
        "    worker.register('AuthService', 'createUser', handler)\n"
    )
    command = [sys.executable, "-m", "steplane.cli", "run", str(onboarding_path)]
    running = subprocess.Popen(
        [*command, "--input", '{"email": "a@b.c"}', "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "functions")},
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and running.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the task never started"
        running.send_signal(signal.SIGINT)
        _, err = running.communicate(timeout=60)
    finally:
        if running.poll() is None:  # only on a failure above: never leave it running
            running.kill()
            running.wait()
    assert running.returncode == 130
    assert _one_line(err) == "steplane: interrupted"


def test_an_unexpected_error_is_one_line_unless_debugging(
    onboarding_path: Path, monkeypatch, capsys
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something steplane did not foresee")

    monkeypatch.setattr("steplane.cli.run._execute", broken)
    monkeypatch.delenv("STEPLANE_DEBUG", raising=False)
    assert main(["run", str(onboarding_path)]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("steplane: unexpected RuntimeError: something steplane did not")
    monkeypatch.setenv("STEPLANE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="did not foresee"):
        main(["run", str(onboarding_path)])
