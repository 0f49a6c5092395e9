"""boto3 clients for the integrations, made on first use and kept for the container."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.config import Config

# A synchronous Invoke waits as long as the function runs, up to what the invocation
# (900 s) leaves to record the result: a longer function fails the task
# (Lambda.SdkClientException) rather than the invocation. Never retried by the SDK: a
# repeat would run the function again.
LAMBDA_CONFIG = Config(read_timeout=880, retries={"total_max_attempts": 1})
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


class RoleClients:
    """Clients with a role's temporary credentials (STS AssumeRole), assumed on first use
    and again when they are within ``RENEW`` of their expiry.

    Raises (from ``get``): whatever STS raises when the role cannot be assumed.
    """

    RENEW = timedelta(minutes=5)

    def __init__(self, session: Any, role_arn: str, session_name: str) -> None:
        self._session = session
        self._role_arn = role_arn
        self._session_name = session_name[:64]
        self._clients: ClientCache | None = None
        self._expires = datetime.min.replace(tzinfo=UTC)

    def get(self, service: str) -> Any:
        """The client of ``service`` with the role's credentials."""
        # Credentials expire in real time, whatever clock the engine runs on.
        now = datetime.now(UTC)
        if self._clients is None or now >= self._expires - self.RENEW:
            try:
                self._renew()
            except Exception:
                if self._clients is None or now >= self._expires:
                    raise
                # Early renewal failed (throttled): the current credentials still hold.
        assert self._clients is not None
        return self._clients.get(service)

    def _renew(self) -> None:
        import boto3  # noqa: PLC0415 - loaded with the session already

        sts = self._session.client("sts", config=SERVICE_CONFIG)
        granted = sts.assume_role(RoleArn=self._role_arn, RoleSessionName=self._session_name)
        keys = granted["Credentials"]
        session = boto3.session.Session(
            aws_access_key_id=keys["AccessKeyId"],
            aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys["SessionToken"],
            region_name=self._session.region_name,
        )
        self._clients = ClientCache(session)
        expires = keys["Expiration"]
        self._expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
