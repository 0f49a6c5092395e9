"""Which AWS calls each template function makes, recorded while it runs on a LocalRuntime.

Every Lambda invocation the runtime makes (SQS batch, API request, schedule) is wrapped
through ``around_invocation``; the event says which template function it is (the queue's
consumer, the route's owner, the scheduled function), and every AWS call made inside it is
that function's. Outside invocations, the runtime plays Lambda's event source mappings
with ``rt.sqs``: their receives and deletes are the consuming function's too, as in AWS,
where the mapping polls with the function's role. Anything else (the test's own set-up,
the runtime's bookkeeping reads) belongs to no function and is not recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from botocore.client import BaseClient
from moto.sts.models import sts_backends

from steplane.local import LocalRuntime
from tests.iam_policy import calls_of, queue_arn_of

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
# What Lambda's event source mapping does to its queue (the local runtime does it with rt.sqs).
POLLER_OPERATIONS = frozenset({"ReceiveMessage", "DeleteMessage", "DeleteMessageBatch"})
# An invocation by no template function: a worker of DefaultTaskQueue, run by the user.
OUTSIDE_THE_STACK = "(outside the stack)"
# Calls made with an assumed role are recorded under "role " + its ARN.
ASSUMED = "role "


class InjectedCrashError(RuntimeError):
    """A first batch that dies before it starts, so SQS delivers it again (receive count 2)."""


class CallRecorder:
    """Records ``(IAM action, resource ARN)`` per function logical id."""

    def __init__(self, crash_first_batch_of: frozenset[str] = frozenset()) -> None:
        self.calls: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.crashed: set[str] = set()
        self._crash = crash_first_batch_of
        self._current: str | None = None
        self._rt: LocalRuntime | None = None
        self._consumers: dict[str, str] = {}  # queue ARN -> function
        self._routes: dict[tuple[str, str], str] = {}  # (method, path pattern) -> function
        self._scheduled: list[str] = []

    def around(self, handler: Handler) -> Handler:
        """Pass as ``LocalRuntime(around_invocation=...)``."""

        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            function = self._function_of(event)
            if function in self._crash and "Records" in event and function not in self.crashed:
                self.crashed.add(function)
                raise InjectedCrashError(function)
            previous, self._current = self._current, function
            try:
                return handler(event, context)
            finally:
                self._current = previous

        return invoke

    def attach(self, rt: LocalRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
        """Learn ``rt``'s functions from its template, then record every AWS call from now on."""
        self._rt = rt
        for spec in rt.template.functions():
            for event in spec.sqs_events:
                self._consumers[rt.resources.get_att(event.queue_logical_id, "Arn")] = (
                    spec.logical_id
                )
            for route in spec.api_events:
                self._routes[(route.method, route.path)] = spec.logical_id
            if spec.schedule_events:
                self._scheduled.append(spec.logical_id)
        original = BaseClient._make_api_call

        def recording(client: Any, operation: str, params: dict[str, Any]) -> Any:
            self._record(client, operation, params)
            return original(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", recording)

    def _function_of(self, event: dict[str, Any]) -> str:
        if "Records" in event:
            source = event["Records"][0]["eventSourceARN"]
            return self._consumers.get(source, OUTSIDE_THE_STACK)
        if "httpMethod" in event:
            return self._routes[(event["httpMethod"], event["resource"])]
        (scheduled,) = self._scheduled  # the local runtime's schedule event names no function
        return scheduled

    def _record(self, client: Any, operation: str, params: dict[str, Any]) -> None:
        assert self._rt is not None
        region, account = client.meta.region_name, self._rt.resources.account_id
        function = self._current
        if function is None:
            if client is not self._rt.sqs or operation not in POLLER_OPERATIONS:
                return  # the test's or the runtime's own call
            queue = queue_arn_of(operation, params, region, account)
            function = self._consumers.get(queue, OUTSIDE_THE_STACK)
        if function == OUTSIDE_THE_STACK:
            return
        role = _assumed_role(client, account)
        if role is not None:
            # Made with a role the function assumed (the integrations' call role, a
            # Task's Credentials): that role's call, not the function's.
            function = f"{ASSUMED}{role}"
        service = client.meta.service_model.service_name
        self.calls[function].update(calls_of(service, operation, params, region, account))


def _assumed_role(client: Any, account: str) -> str | None:
    """The role whose temporary credentials ``client`` signs with, if any (moto's STS)."""
    credentials = getattr(client._request_signer, "_credentials", None)
    key = getattr(credentials, "access_key", None)
    for assumed in sts_backends[account]["global"].assumed_roles:
        if assumed.access_key_id == key:
            return str(assumed.role_arn)
    return None
