"""The console's local web server (``steplane console``).

It serves the page (``static/``, from the package: no CDN), forwards ``/api/...`` to the
engine's API (a deployed stack's, signed with the operator's AWS credentials, or a
LocalRuntime's), and draws ``/console/graph/{id}``: the execution's definition laid out
(steplane.graph) with each state's outcome from its history.

It listens on a loopback address only (``steplane console`` refuses any other), and it
signs requests with the operator's credentials, so it refuses what another web page in
the same browser could send it: a request must carry the ``X-Steplane-Console`` header (a
page of another origin cannot add one without a CORS preflight, which this server never
approves), name this server as its ``Host`` (a DNS-rebinding page names its own), and not
come from another origin (``Origin``, ``Sec-Fetch-Site``). Every request's body is read
whole before it is answered and every connection closes after one answer, so no body can
smuggle a second request onto a connection; chunked bodies are refused.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from steplane.cli.api_client import CONSOLE_HEADER, Api, every_item
from steplane.cli.errors import CommandError

STATIC_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
MAX_BODY_BYTES = 1_048_576  # an edited redrive input is at most 256 KiB
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def static_file(name: str) -> bytes:
    """One of the console's static files, from the installed package."""
    return resources.files("steplane.console").joinpath("static", name).read_bytes()


class ConsoleServer(ThreadingHTTPServer):
    """Serves the console for ``api`` on ``host:port`` (port 0: any free port)."""

    daemon_threads = True

    def __init__(self, api: Api, host: str = "127.0.0.1", port: int = 8765) -> None:
        if not is_loopback(host):
            raise ValueError(
                f"{host!r} is not a loopback address: the console signs with your AWS "
                "credentials, so it serves this machine only"
            )
        super().__init__((host, port), _Handler)
        self.api = api

    @property
    def url(self) -> str:
        """The console's address."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> threading.Thread:
        """Serve on a background thread (tests, and the demo's driver beside it)."""
        thread = threading.Thread(target=self.serve_forever, name="steplane-console", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: ConsoleServer
    protocol_version = "HTTP/1.1"
    _body = b""

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the console is a local tool, its access log would drown the terminal."""

    def _route(self, method: str) -> None:
        # One request per connection, its body read whole first (see the module docstring).
        self.close_connection = True
        if self.headers.get("Transfer-Encoding"):
            self._json(HTTPStatus.NOT_IMPLEMENTED, _error("Unsupported", "chunked bodies"))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._json(HTTPStatus.BAD_REQUEST, _error("BadRequest", "a bad Content-Length"))
            return
        if length > MAX_BODY_BYTES:
            # Drained (up to 16 MiB), so the client reads the answer rather than a reset.
            for start in range(0, min(length, 16 * MAX_BODY_BYTES), 65536):
                self.rfile.read(min(65536, length - start))
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _error("TooLarge", "body over 1 MiB"))
            return
        self._body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if method == "GET" and path in {"/", "/index.html"}:
            self._static("index.html")
        elif method == "GET" and path.startswith("/static/"):
            self._static(path.removeprefix("/static/"))
        elif path.startswith(("/api/", "/console/")):
            if not self._trusted():
                self._json(HTTPStatus.FORBIDDEN, _error("Forbidden", _FORBIDDEN))
            elif path.startswith("/api/"):
                self._forward(method)
            elif method == "GET" and path.startswith("/console/graph/"):
                self._graph(lambda: execution_graph(self.server.api, unquote(path[15:])))
            elif method == "GET" and path.startswith("/console/workflow-graph/"):
                name, query = unquote(path[24:]), urlsplit(self.path).query
                self._graph(lambda: workflow_graph(self.server.api, name, query))
            else:
                self._json(HTTPStatus.NOT_FOUND, _error("NotFound", f"no route {path}"))
        else:
            self._json(HTTPStatus.NOT_FOUND, _error("NotFound", f"no page {path}"))

    def _trusted(self) -> bool:
        host = self.headers.get("Host") or ""
        if self.headers.get(CONSOLE_HEADER) != "1" or host.rsplit(":", 1)[0] not in LOCAL_HOSTS:
            return False
        origin = self.headers.get("Origin")
        if origin is not None and origin != f"http://{host}":
            return False
        return self.headers.get("Sec-Fetch-Site") in (None, "same-origin", "none")

    def _static(self, name: str) -> None:
        kind = STATIC_TYPES.get(name)
        if kind is None:  # only the known files: never a path into the package
            self._json(HTTPStatus.NOT_FOUND, _error("NotFound", f"no file {name}"))
            return
        self._send(HTTPStatus.OK, static_file(name), kind)

    def _forward(self, method: str) -> None:
        target = self.path.removeprefix("/api")
        body = None
        if self._body:
            try:
                body = json.loads(self._body)
            except ValueError:
                self._json(HTTPStatus.BAD_REQUEST, _error("InvalidJson", "the body is not JSON"))
                return
        status, answer = self._call(method, target, body)
        self._json(status, answer)

    def _graph(self, draw: Callable[[], dict[str, Any]]) -> None:
        try:
            self._json(HTTPStatus.OK, draw())
        except _ApiError as error:
            self._json(error.status, error.body)

    def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        try:
            return self.server.api.call(method, path, body)
        except CommandError as error:  # the API cannot be reached
            return HTTPStatus.BAD_GATEWAY, _error("BadGateway", str(error))

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body, default=str).encode(), "application/json")

    def _send(self, status: int, payload: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        )
        self.end_headers()
        self.wfile.write(payload)


_FORBIDDEN = (
    f"the console answers its own page only (the {CONSOLE_HEADER} header, a localhost Host)"
)


class _ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def execution_graph(api: Api, execution_id: str) -> dict[str, Any]:
    """The execution's definition laid out, each state with its outcome so far."""
    from steplane.definition.loader import load_definition  # noqa: PLC0415 - graph pages only
    from steplane.graph import layout, outcomes, to_json  # noqa: PLC0415

    definition = _get(api, f"/executions/{quote(execution_id, safe='')}/definition")["definition"]
    history = f"/executions/{quote(execution_id, safe='')}/history"
    events = every_item(lambda page: _get(api, page), history, "events")
    return to_json(layout(load_definition(definition)), outcomes(events))


def workflow_graph(api: Api, workflow: str, query: str) -> dict[str, Any]:
    """The workflow's current definition laid out, each state with its statistics over
    the window ``query`` names (``since``, ``until``), and the standouts marked."""
    from steplane.definition.loader import load_definition  # noqa: PLC0415 - graph pages only
    from steplane.graph import layout, to_json  # noqa: PLC0415

    name = quote(workflow, safe="")
    definition = _get(api, f"/workflows/{name}/definition")["definition"]
    stats = _get(api, f"/workflows/{name}/stats" + (f"?{query}" if query else ""))
    drawn = to_json(layout(load_definition(definition)))
    by_state = {entry["state"]: entry for entry in stats["states"]}
    for node in drawn["nodes"]:
        if node["id"] in by_state:
            node["stats"] = by_state[node["id"]]
        if node["id"] in stats["standouts"]:
            node["standout"] = stats["standouts"][node["id"]]
    return {**drawn, "since": stats["since"], "until": stats["until"]}


def _get(api: Api, path: str) -> Any:
    status, body = api.call("GET", path)
    if status != HTTPStatus.OK:
        raise _ApiError(status, body)
    return body


def _error(name: str, message: str) -> dict[str, str]:
    return {"error": name, "message": message}
