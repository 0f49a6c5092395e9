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


def assumed(session: Any, role_arn: str, session_name: str) -> Any:
    """A session with ``role_arn``'s temporary credentials (STS AssumeRole)."""
    import boto3  # noqa: PLC0415 - loaded with the session already

    sts = session.client("sts", config=SERVICE_CONFIG)
    keys = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name[:64])["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"],
        region_name=session.region_name,
    )
