"""boto3 clients for the integrations, made on first use and kept for the container."""

from __future__ import annotations

from typing import Any

from botocore.config import Config

# A synchronous Invoke waits as long as the function runs (at most 900 s), and is never
# retried by the SDK: a repeat would run the function again.
LAMBDA_CONFIG = Config(read_timeout=905, retries={"total_max_attempts": 1})
# Other calls: the SDK's standard retries for throttling and transient errors, then the
# error is the task's (its Retry decides).
SERVICE_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 3})


class ClientCache:
    """One client per service of ``session``."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._clients: dict[str, Any] = {}

    def get(self, service: str) -> Any:
        """The client of ``service`` (a botocore service name: ``sqs``, ``stepfunctions``)."""
        client = self._clients.get(service)
        if client is None:
            config = LAMBDA_CONFIG if service == "lambda" else SERVICE_CONFIG
            client = self._session.client(service, config=config)
            self._clients[service] = client
        return client
