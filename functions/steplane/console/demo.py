"""``steplane console``'s demo: the onboarding workflow on a LocalRuntime, with a few
executions that show what the console shows (succeeded, retried, caught, failed).

One onboarding fails because the (simulated) mail provider is down when its welcome email
is sent; the outage is over once it has failed, so redriving that execution succeeds: the
round trip an operator makes.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import steplane
from steplane.cli.api_client import LocalApi
from steplane.errors import TaskFailed
from steplane.examples.onboarding import register_all, send_welcome_email_task
from steplane.worker.context import TaskContext

WORKFLOW = "UserOnboardingWorkflow"
# (input, business key) of each demo execution.
DEMO_STARTS: tuple[tuple[dict[str, Any], str], ...] = (
    ({"email": "ada@example.com"}, "customer-1001"),
    ({"email": "grace@example.com", "provisioning_failures": 2}, "customer-1002"),
    ({"email": "linus@example.com", "simulate_error": True}, "customer-1003"),
    ({"email": "margaret@example.com", "simulate_email_outage": True}, "customer-1004"),
)
# How often the driver delivers what is due (seconds).
DRIVE_EVERY_SECONDS = 0.2


def onboarding_definition() -> Path:
    """The onboarding definition: packaged (an installed steplane), else the repository's."""
    package = Path(steplane.__file__).parent
    for candidate in (
        package / "examples" / "user_onboarding.json",
        package.parents[1] / "statemachines" / "user_onboarding.json",
    ):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("user_onboarding.json is neither packaged nor in a checkout")


class MailOutage:
    """The welcome email fails once for an input asking for an outage, then recovers."""

    def __init__(self) -> None:
        self.over = False

    def __call__(self, task_context: TaskContext) -> dict[str, Any]:
        if task_context.input.get("simulate_email_outage") and not self.over:
            self.over = True
            raise TaskFailed(
                "NotificationService.Unavailable",
                "the mail provider answered 503 Service Unavailable (simulated outage)",
            )
        return send_welcome_email_task(task_context)


class Demo:
    """A LocalRuntime with the demo's workflow and executions, driven on a thread."""

    def __init__(self) -> None:
        from steplane.local import LocalRuntime  # noqa: PLC0415 - the local extra

        self.runtime = LocalRuntime()
        self.api = LocalApi(self.runtime)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Demo:
        self.runtime.__enter__()
        register_all(self.runtime.worker)
        self.runtime.worker.register_task_handler(
            "sendWelcomeEmail", MailOutage(), service="NotificationService"
        )
        self.runtime.publish(onboarding_definition(), WORKFLOW)
        for execution_input, business_key in DEMO_STARTS:
            self.runtime.http(
                "POST",
                "/executions",
                {"workflow": WORKFLOW, "input": execution_input, "businessKey": business_key},
            )
        self.drive_once()
        self._thread = threading.Thread(target=self._drive, name="steplane-demo", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.runtime.__exit__(None, None, None)

    def drive_once(self) -> None:
        """Deliver everything in flight (the virtual clock skips the waits)."""
        with self.api.lock:
            self.runtime.run_all()

    def _drive(self) -> None:
        while not self._stop.wait(DRIVE_EVERY_SECONDS):
            self.drive_once()
