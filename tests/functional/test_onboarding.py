"""The founding onboarding workflow end to end on the local runtime (moto, virtual clock)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from steplane.examples.onboarding import register_all
from steplane.local import LocalRuntime


@pytest.fixture
def runtime():
    with LocalRuntime() as rt:
        register_all(rt.worker)
        yield rt


def _states(result, event_type):
    return [e["state"] for e in result.history if e["type"] == event_type]


def test_happy_path_runs_the_four_tasks_in_order(runtime, onboarding_path):
    execution_id = runtime.start(onboarding_path, {"email": "a@example.com"})
    result = runtime.run_until_complete(execution_id)
    assert result.status == "SUCCEEDED"
    assert _states(result, "TaskStateEntered") == [
        "CreateUser",
        "ProvisionResources",
        "SendWelcomeEmail",
        "NotifyInternalTeams",
    ]
    assert result.output["teamsNotified"] is True
    assert result.output["userId"].startswith("user_")


def test_create_user_error_is_caught_and_the_execution_ends_normally(runtime, onboarding_path):
    execution_id = runtime.start(
        onboarding_path, {"email": "a@example.com", "simulate_error": True}
    )
    result = runtime.run_until_complete(execution_id)
    failed = [e for e in result.history if e["type"] == "TaskFailed"]
    assert [(e["state"], e["error"]) for e in failed] == [("CreateUser", "AuthServiceError")]
    assert _states(result, "TaskStateEntered") == ["CreateUser", "SendErrorNotification"]
    assert result.status == "SUCCEEDED"


def test_provisioning_retries_at_5_10_20_seconds_then_rolls_back(runtime, onboarding_path):
    wall = time.monotonic()
    execution_id = runtime.start(
        onboarding_path, {"email": "a@example.com", "simulate_provisioning_error": True}
    )
    result = runtime.run_until_complete(execution_id)
    starts = [
        datetime.fromisoformat(e["timestamp"])
        for e in result.history
        if e["type"] == "TaskStarted" and e["state"] == "ProvisionResources"
    ]
    assert len(starts) == 4
    offsets = [(s - starts[0]) for s in starts]
    assert offsets == [
        timedelta(0),
        timedelta(seconds=5),
        timedelta(seconds=15),
        timedelta(seconds=35),
    ]
    assert _states(result, "TaskStateEntered")[-2:] == [
        "RollbackUserCreation",
        "SendErrorNotification",
    ]
    assert result.status == "SUCCEEDED"
    assert time.monotonic() - wall < 10


def test_two_transient_provisioning_failures_then_success(runtime, onboarding_path):
    execution_id = runtime.start(
        onboarding_path, {"email": "a@example.com", "provisioning_failures": 2}
    )
    result = runtime.run_until_complete(execution_id)
    attempts = [
        e["attempt"]
        for e in result.history
        if e["type"] == "TaskStarted" and e["state"] == "ProvisionResources"
    ]
    assert attempts == [1, 2, 3]
    assert _states(result, "TaskStateEntered") == [
        "CreateUser",
        "ProvisionResources",
        "SendWelcomeEmail",
        "NotifyInternalTeams",
    ]
    assert result.status == "SUCCEEDED"
