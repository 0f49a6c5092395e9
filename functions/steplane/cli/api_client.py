"""The engine's HTTP API as the operators' commands and the console reach it: a deployed
stack's (SigV4-signed with the caller's AWS credentials, as its IAM-authorised routes
require), any endpoint (``steplane console``'s, locally), or a LocalRuntime in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from steplane.cli.aws import aws_client, aws_session
from steplane.cli.errors import FAILED, CommandError

if TYPE_CHECKING:
    from steplane.local import LocalRuntime

# The header the console's server wants on every API request (steplane.console.server);
# sent to any endpoint, which ignores it.
CONSOLE_HEADER = "X-Steplane-Console"
# How long one API request may take before the command gives up on it.
REQUEST_TIMEOUT_SECONDS = 30.0


class Api(Protocol):
    """One request to the engine's API: its status and parsed JSON body."""

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send ``method path`` (the path with its query string) with a JSON body."""
        ...


class LocalApi:
    """A LocalRuntime's API, one request at a time (the runtime is not thread-safe: the
    console's request threads and its demo driver share this lock)."""

    def __init__(self, runtime: LocalRuntime, lock: threading.Lock | None = None) -> None:
        self.runtime = runtime
        self.lock = lock or threading.Lock()

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Answer the request as API Gateway and the handlers would."""
        with self.lock:
            return self.runtime.http(method, path, body)


class HttpApi:
    """An API at ``base_url``, over HTTP(S); requests are signed (SigV4, ``execute-api``)
    when ``signer`` is given."""

    def __init__(self, base_url: str, signer: Signer | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._signer = signer

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send the request; a connection failure is a one-line CommandError."""
        url = self.base_url + path
        data = json.dumps(body).encode() if body is not None else None
        headers = {CONSOLE_HEADER: "1"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self._signer is not None:
            headers = self._signer.sign(method, url, data, headers)
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                return response.status, _parsed(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _parsed(error.read())
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CommandError(f"cannot reach {self.base_url}: {reason}", FAILED) from error


class Signer:
    """Signs a request with SigV4 for API Gateway (``execute-api``) with a boto3 session's
    credentials, refreshed as they rotate."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def sign(
        self, method: str, url: str, data: bytes | None, headers: dict[str, str]
    ) -> dict[str, str]:
        """The headers with the signature added."""
        from botocore.auth import SigV4Auth  # noqa: PLC0415 - only a deployed stack needs it
        from botocore.awsrequest import AWSRequest  # noqa: PLC0415

        request = AWSRequest(method=method, url=url, data=data, headers=headers)
        credentials = self._session.get_credentials().get_frozen_credentials()
        SigV4Auth(credentials, "execute-api", self._session.region_name).add_auth(request)
        return dict(request.headers.items())


def _parsed(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"message": raw.decode(errors="replace")[:500]}


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """``--stack``, ``--endpoint``, ``--region`` and ``--profile``: which API to talk to."""
    target = parser.add_argument_group("where the engine is")
    target.add_argument(
        "--stack",
        default=os.environ.get("STEPLANE_STACK"),
        help="a deployed steplane stack's name: its API URL is read from the stack's outputs "
        "and requests are signed with your AWS credentials (default: $STEPLANE_STACK)",
    )
    target.add_argument(
        "--endpoint",
        default=os.environ.get("STEPLANE_ENDPOINT"),
        help="the API's URL instead, e.g. http://127.0.0.1:8765/api for `steplane console` "
        "(signed when it is an execute-api URL) (default: $STEPLANE_ENDPOINT)",
    )
    target.add_argument("--region", help="AWS region (default: $AWS_REGION, else the profile's)")
    target.add_argument("--profile", help="AWS credentials profile (default: $AWS_PROFILE)")


def connect(args: argparse.Namespace, command: str) -> Api:
    """The API the target arguments name; a one-line CommandError when none is usable."""
    if args.endpoint:
        if urlsplit(args.endpoint).scheme not in {"http", "https"}:
            raise CommandError(f"{command}: --endpoint {args.endpoint!r} is not an http(s) URL")
        host = urlsplit(args.endpoint).hostname or ""
        if ".execute-api." in host:
            return HttpApi(args.endpoint, Signer(aws_session(args.region, args.profile, command)))
        return HttpApi(args.endpoint)
    if args.stack:
        return HttpApi(
            stack_output(args, "ApiUrl", command),
            Signer(aws_session(args.region, args.profile, command)),
        )
    raise CommandError(
        f"{command}: which engine? pass --stack NAME (a deployed stack) or --endpoint URL "
        "(e.g. http://127.0.0.1:8765/api, while `steplane console` runs)"
    )


def stack_output(args: argparse.Namespace, name: str, command: str) -> str:
    """The output ``name`` of the stack ``args.stack`` (CloudFormation DescribeStacks)."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    cloudformation = aws_client("cloudformation", args.region, args.profile, command)
    try:
        stacks = cloudformation.describe_stacks(StackName=args.stack)["Stacks"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        raise CommandError(f"{command}: stack {args.stack!r}: {message}") from error
    except BotoCoreError as error:
        raise CommandError(f"{command}: stack {args.stack!r}: {error}") from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if name not in outputs:
        raise CommandError(
            f"{command}: stack {args.stack!r} has no output {name} (is it a steplane stack?)"
        )
    return str(outputs[name])


def expect(answer: tuple[int, Any], command: str) -> Any:
    """The body of a 2xx answer; anything else is a one-line CommandError with the API's
    error name and message."""
    status, body = answer
    if 200 <= status < 300:
        return body
    if isinstance(body, dict):
        error = body.get("error") or "Error"
        message = body.get("message") or json.dumps(body)[:300]
        raise CommandError(f"{command}: {status} {error}: {message}", FAILED)
    raise CommandError(f"{command}: HTTP {status}", FAILED)


def every_page(api: Api, path: str, key: str, command: str) -> list[Any]:
    """Every item under ``key`` of a paged listing at ``path``: a one-line CommandError
    for an answer that is not a 2xx."""
    return every_item(lambda page: expect(api.call("GET", page), command), path, key)


def every_item(get: Callable[[str], Any], path: str, key: str) -> list[Any]:
    """Every item under ``key`` of the paged listing at ``path`` (1,000 to a request),
    following ``nextToken`` to the end; ``get`` answers one page's body."""
    from urllib.parse import urlencode  # noqa: PLC0415

    items: list[Any] = []
    query: dict[str, Any] = {"maxResults": 1000}
    while True:
        page = get(f"{path}?{urlencode(query)}")
        items += page[key]
        if "nextToken" not in page:
            return items
        query["nextToken"] = page["nextToken"]
