"""Example workers for the founding onboarding workflow (AuthService, ProvisioningService,
NotificationService). They simulate their actions; flags in the input drive failures:

- ``"simulate_error": true``: createUser fails with AuthServiceError (as in the founding document);
- ``"simulate_provisioning_error": true``: provisionUserResources fails with ProvisioningError
  on every attempt;
- ``"provisioning_failures": N``: provisionUserResources fails N times, then succeeds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from steplane import workflow_client
from steplane.errors import TaskFailed
from steplane.worker.client import WorkerClient
from steplane.worker.context import TaskContext
from steplane.worker.runner import make_lambda_handler


def _user_id(email: str) -> str:
    return "user_" + hashlib.sha256(email.encode()).hexdigest()[:8]


def create_user_task(task_context: TaskContext) -> None:
    """AuthService.createUser, written as in the founding document."""
    user_data = task_context.get("input_data") or {}
    try:
        if user_data.get("simulate_error"):  # for testing error paths
            raise Exception("AuthServiceError: User creation failed")
        if "email" not in user_data:
            raise Exception("AuthServiceError: an email is required to create a user")
        workflow_client.complete_task(
            task_context["task_id"], {**user_data, "userId": _user_id(user_data["email"])}
        )
    except Exception as e:
        workflow_client.fail_task(task_context["task_id"], str(e), "AuthServiceError")


def delete_user_task(task_context: TaskContext) -> dict[str, Any]:
    """AuthService.deleteUser: the compensation for a failed provisioning."""
    return {**task_context.input, "userDeleted": True}


def provision_user_resources_task(task_context: TaskContext) -> dict[str, Any]:
    """ProvisioningService.provisionUserResources, failing on demand."""
    data = task_context.input
    if data.get("simulate_provisioning_error"):
        raise TaskFailed(
            "ProvisioningError", f"provisioning failed (attempt {task_context.attempt})"
        )
    if task_context.attempt <= int(data.get("provisioning_failures", 0)):
        raise TaskFailed(
            "ProvisioningError", f"transient provisioning failure (attempt {task_context.attempt})"
        )
    # The idempotency key names this state visit, so a redelivered task provisions the same tenant.
    tenant = "tenant_" + hashlib.sha256(task_context.idempotency_key.encode()).hexdigest()[:8]
    return {**data, "tenantId": tenant}


def send_welcome_email_task(task_context: TaskContext) -> dict[str, Any]:
    """NotificationService.sendWelcomeEmail."""
    return {**task_context.input, "welcomeEmailSent": True}


def notify_internal_teams_task(task_context: TaskContext) -> dict[str, Any]:
    """NotificationService.notifyInternalTeams."""
    return {**task_context.input, "teamsNotified": True}


def send_admin_alert_task(task_context: TaskContext) -> dict[str, Any]:
    """NotificationService.sendAdminAlert: reports what went wrong."""
    return {**task_context.input, "adminAlerted": True}


HANDLERS: dict[str, dict[str, Callable[[TaskContext], Any]]] = {
    "AuthService": {"createUser": create_user_task, "deleteUser": delete_user_task},
    "ProvisioningService": {"provisionUserResources": provision_user_resources_task},
    "NotificationService": {
        "sendWelcomeEmail": send_welcome_email_task,
        "notifyInternalTeams": notify_internal_teams_task,
        "sendAdminAlert": send_admin_alert_task,
    },
}


def register_all(client: WorkerClient) -> None:
    """Register every example handler on ``client``."""
    for service, actions in HANDLERS.items():
        for action, fn in actions.items():
            client.register_task_handler(action, fn, service=service)


def _service_worker(service: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    client = WorkerClient()
    for action, fn in HANDLERS[service].items():
        client.register_task_handler(action, fn, service=service)
    return make_lambda_handler(client)


auth_service_handler = _service_worker("AuthService")
provisioning_service_handler = _service_worker("ProvisioningService")
notification_service_handler = _service_worker("NotificationService")
