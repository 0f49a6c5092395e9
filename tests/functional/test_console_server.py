"""The console's local server (steplane.console.server), without a browser: what it
serves, what it forwards, the graph it draws, and what it refuses.

It signs requests with the operator's AWS credentials, so it answers its own page only:
a request without the console header (a cross-site form or script cannot add one) or
naming another Host (DNS rebinding) is refused.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from steplane.cli.api_client import LocalApi
from steplane.console.demo import Demo
from steplane.console.server import ConsoleServer, is_loopback

HEADER = {"X-Steplane-Console": "1"}


@pytest.fixture(scope="module", name="server")
def _server() -> Iterator[ConsoleServer]:
    with Demo() as demo:
        server = ConsoleServer(demo.api, port=0)
        server.start()
        try:
            yield server
        finally:
            server.shutdown()
            server.server_close()


def _request(
    server: ConsoleServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, str]:
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), int(port), timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("Content-Type") or ""
    finally:
        connection.close()


def _json(server: ConsoleServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    raw = json.dumps(body).encode() if body is not None else None
    status, payload, _ = _request(server, method, path, raw, HEADER)
    return status, json.loads(payload)


def test_it_serves_the_page_and_its_files_from_the_package(server: ConsoleServer) -> None:
    status, page, kind = _request(server, "GET", "/")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert b"/static/app.js" in page
    assert _request(server, "GET", "/static/app.js")[0] == 200
    assert _request(server, "GET", "/static/app.css")[0] == 200
    # Only its own files: never a path into the package.
    assert _request(server, "GET", "/static/../server.py")[0] == 404
    assert _request(server, "GET", "/static/demo.py")[0] == 404


def test_it_forwards_the_api_and_its_errors(server: ConsoleServer) -> None:
    status, listed = _json(server, "GET", "/api/executions?status=SUCCEEDED")
    assert status == 200
    assert {e["status"] for e in listed["executions"]} == {"SUCCEEDED"}
    assert _json(server, "GET", "/api/executions/nope%3Anope")[0] == 404
    status, refused = _json(server, "GET", "/api/executions?status=DONE")
    assert (status, refused["error"]) == (400, "InvalidRequest")


def test_the_graph_marks_each_state_with_its_outcome(server: ConsoleServer) -> None:
    listed = _json(server, "GET", "/api/executions?businessKey=customer-1002")[1]
    (retried,) = listed["executions"]
    status, graph = _json(server, "GET", f"/console/graph/{quote(retried['executionId'], safe='')}")
    assert status == 200
    outcomes = {node["id"]: node.get("outcome") for node in graph["nodes"]}
    assert outcomes["ProvisionResources"] == "retried"  # it failed twice, then succeeded
    assert outcomes["CreateUser"] == "succeeded"
    assert outcomes["RollbackUserCreation"] is None
    assert _json(server, "GET", "/console/graph/nope%3Anope")[0] == 404


@pytest.mark.parametrize(
    "headers",
    [
        {},  # what a cross-site form or script sends
        {**HEADER, "Host": "evil.example:8765"},  # a DNS-rebinding page's host
    ],
)
def test_a_request_from_another_page_is_refused(
    server: ConsoleServer, headers: dict[str, str]
) -> None:
    for method, path in (("GET", "/api/executions"), ("POST", "/api/executions/x%3Ay/stop")):
        status, body, _ = _request(server, method, path, b"{}", headers)
        assert status == 403
        assert b"answers its own page only" in body


def test_a_body_too_large_or_not_json_is_refused(server: ConsoleServer) -> None:
    big = b"{" + b" " * 1_100_000 + b"}"
    assert _request(server, "POST", "/api/executions", big, HEADER)[0] == 413
    assert _request(server, "POST", "/api/executions", b"{nope", HEADER)[0] == 400
    host, port = server.server_address[:2]
    with socket.create_connection((str(host), int(port)), timeout=10) as raw:
        raw.sendall(
            b"POST /api/executions HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n"
        )
        assert raw.recv(65536).startswith(b"HTTP/1.1 400")


def test_a_refused_request_cannot_smuggle_a_trusted_one_in_its_body(
    server: ConsoleServer,
) -> None:
    """A cross-site "simple" POST whose body is a whole second request: refused, and the
    connection closes after the answer, so the body is never read as a request."""
    inner = (
        b"POST /api/executions HTTP/1.1\r\nHost: localhost\r\nX-Steplane-Console: 1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 44\r\n\r\n"
        b'{"workflow": "UserOnboardingWorkflow", "a":1}'
    )
    host, port = server.server_address[:2]
    before = _json(server, "GET", "/api/executions")[1]["executions"]
    with socket.create_connection((str(host), int(port)), timeout=10) as raw:
        raw.sendall(
            b"POST /api/executions HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
            + f"Content-Length: {len(inner)}\r\n\r\n".encode()
            + inner
        )
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 403")
    assert answer.count(b"HTTP/1.1 ") == 1  # one answer, then the connection closed
    assert _json(server, "GET", "/api/executions")[1]["executions"] == before


@pytest.mark.parametrize(
    "extra",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_a_request_from_another_origin_is_refused(
    server: ConsoleServer, extra: dict[str, str]
) -> None:
    status, _, _ = _request(server, "GET", "/api/executions", None, {**HEADER, **extra})
    assert status == 403
    host, port = server.server_address[:2]
    own = {**HEADER, "Origin": f"http://{host}:{port}", "Sec-Fetch-Site": "same-origin"}
    assert _request(server, "GET", "/api/executions", None, own)[0] == 200


def test_the_console_serves_this_machine_only() -> None:
    with pytest.raises(ValueError, match="not a loopback address"):
        ConsoleServer(LocalApi.__new__(LocalApi), host="0.0.0.0", port=0)
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("192.168.1.10")
