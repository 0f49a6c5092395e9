"""The operators' commands, against a deployed stack or any endpoint of the API:
``steplane executions list|describe|history|stop|redrive``, ``steplane start`` and
``steplane workflows``. Human tables by default; ``--json`` prints the API's answers.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from steplane.cli.api_client import Api, connect, every_page, expect
from steplane.cli.arguments import read_input

# ``--all`` pages through at most this many executions (a guard, not a limit of the API).
MAX_LISTED = 100_000


def _path_id(execution_id: str) -> str:
    """An execution id as one path segment (ids hold ':' and, for children, '/')."""
    return quote(execution_id, safe="")


def _emit(args: argparse.Namespace, body: Any, human: Callable[[Any], list[str]]) -> int:
    if args.json:
        print(json.dumps(body, indent=2, default=str))
    else:
        for line in human(body):
            print(line)
    return 0


def list_command(args: argparse.Namespace, api: Api | None = None) -> int:
    """``executions list``: newest first, filtered; ``--all`` follows every page."""
    api = api or connect(args, "executions list")
    query = {
        key: value
        for key, value in {
            "workflow": args.workflow,
            "status": args.status,
            "businessKey": args.business_key,
            "startedAfter": args.started_after,
            "startedBefore": args.started_before,
            "maxResults": args.max_results,
            "nextToken": args.next_token,
        }.items()
        if value is not None
    }
    executions: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = expect(api.call("GET", "/executions?" + urlencode(query)), "executions list")
        executions += page["executions"]
        token = page.get("nextToken")
        if not args.all or token is None or len(executions) >= MAX_LISTED:
            break
        query["nextToken"] = token
    body = {"executions": executions, **({"nextToken": token} if token else {})}
    return _emit(args, body, _execution_table)


def _execution_table(body: dict[str, Any]) -> list[str]:
    rows = [
        [
            e["executionId"],
            e["status"],
            _short_time(e.get("startDate")),
            _short_time(e.get("stopDate")),
            e.get("businessKey") or "",
            e.get("error") or "",
        ]
        for e in body["executions"]
    ]
    lines = table(["EXECUTION", "STATUS", "STARTED", "STOPPED", "BUSINESS KEY", "ERROR"], rows)
    if not rows:
        lines = ["no executions match"]
    if body.get("nextToken"):
        lines.append(f"more: --next-token {body['nextToken']} (or --all)")
    return lines


def describe_command(args: argparse.Namespace, api: Api | None = None) -> int:
    """``executions describe ID``."""
    api = api or connect(args, "executions describe")
    path = f"/executions/{_path_id(args.execution_id)}"
    body = expect(api.call("GET", path), "executions describe")
    return _emit(args, body, _description)


def _description(body: dict[str, Any]) -> list[str]:
    fields = [
        ("execution", body.get("executionId")),
        ("workflow", body.get("workflow")),
        ("status", body.get("status")),
        ("state", body.get("currentState")),
        ("started", body.get("startDate")),
        ("stopped", body.get("stopDate")),
        ("business key", body.get("businessKey")),
        ("redrives", body.get("redriveCount") or None),
        ("error", body.get("error")),
        ("cause", body.get("cause")),
        ("cost", _cost(body.get("cost"))),
        ("input", _compact(body.get("input"))),
        ("output", _compact(body.get("output")) if body.get("status") == "SUCCEEDED" else None),
    ]
    return [f"{name:<13}{value}" for name, value in fields if value not in (None, "")]


def _cost(cost: Any) -> str | None:
    if not isinstance(cost, dict):
        return None
    return f"${cost.get('dollars', 0):.8f} so far ({cost.get('transitions', 0)} transitions)"


def history_command(args: argparse.Namespace, api: Api | None = None) -> int:
    """``executions history ID``: every event, oldest first."""
    api = api or connect(args, "executions history")
    path = f"/executions/{_path_id(args.execution_id)}/history"
    events = every_page(api, path, "events", "executions history")
    return _emit(args, {"events": events}, _history_table)


def _history_table(body: dict[str, Any]) -> list[str]:
    rows = [
        [
            str(e["id"]),
            _short_time(e.get("timestamp")),
            e["type"],
            e.get("state") or "",
            _note(e),
        ]
        for e in body["events"]
    ]
    return table(["ID", "TIME", "TYPE", "STATE", "DETAILS"], rows)


def _note(event: dict[str, Any]) -> str:
    if event.get("error") or event.get("cause"):
        return _clip(f"{event.get('error') or ''}: {event.get('cause') or ''}")
    if "redriveCount" in event:
        return f"redrive {event['redriveCount']}"
    return ""


def stop_command(args: argparse.Namespace, api: Api | None = None) -> int:
    """``executions stop ID [--error E] [--cause C]``."""
    api = api or connect(args, "executions stop")
    body = {k: v for k, v in {"error": args.error, "cause": args.cause}.items() if v is not None}
    path = f"/executions/{_path_id(args.execution_id)}/stop"
    answer = expect(api.call("POST", path, body), "executions stop")
    return _emit(args, answer, lambda a: [f"{a['executionId']} is {a['status']}"])


def redrive_command(args: argparse.Namespace, api: Api | None = None) -> int:
    """``executions redrive ID [--from-state S] [--input JSON] [--latest-definition]``."""
    api = api or connect(args, "executions redrive")
    body: dict[str, Any] = {}
    if args.from_state:
        body["fromState"] = args.from_state
    if args.input is not None:
        body["input"] = read_input(args.input, sys.stdin)
    if args.latest_definition:
        body["latestDefinition"] = True
    path = f"/executions/{_path_id(args.execution_id)}/redrive"
    answer = expect(api.call("POST", path, body), "executions redrive")
    return _emit(
        args,
        answer,
        lambda a: [
            f"{a['executionId']} is {a['status']} again from {a.get('currentState')} "
            f"(redrive {a['redriveCount']})"
        ],
    )


def start_command(args: argparse.Namespace, api: Api | None = None) -> int:
    """``start WORKFLOW [--input JSON] [--name N] [--business-key K]``."""
    api = api or connect(args, "start")
    body: dict[str, Any] = {"workflow": args.workflow, "input": read_input(args.input, sys.stdin)}
    if args.name:
        body["name"] = args.name
    if args.business_key:
        body["businessKey"] = args.business_key
    status, answer = api.call("POST", "/executions", body)
    answer = expect((status, answer), "start")
    verb = "started" if status == 201 else "already started"
    return _emit(args, answer, lambda a: [f"{verb} {a['executionId']} ({a['status']})"])


def workflows_command(args: argparse.Namespace, api: Api | None = None) -> int:
    """``workflows [NAME]``: the published workflows, or one with its revisions."""
    api = api or connect(args, "workflows")
    if args.name:
        body = expect(api.call("GET", f"/workflows/{quote(args.name, safe='')}"), "workflows")
        return _emit(args, body, _revisions)
    workflows = every_page(api, "/workflows", "workflows", "workflows")
    return _emit(args, {"workflows": workflows}, _workflow_table)


def _workflow_table(body: dict[str, Any]) -> list[str]:
    rows = [
        [w["name"], str(w["revision"]), w["definitionHash"][:12], _short_time(w["publishedAt"])]
        for w in body["workflows"]
    ]
    return (
        table(["WORKFLOW", "REVISION", "DEFINITION", "PUBLISHED"], rows)
        if rows
        else ["no workflows published"]
    )


def _revisions(body: dict[str, Any]) -> list[str]:
    rows = [
        [str(r["revision"]), r["definitionHash"], _short_time(r.get("publishedAt"))]
        for r in body["revisions"]
    ]
    return [
        f"{body['name']}: revision {body['revision']}",
        *table(["REV", "DEFINITION", "PUBLISHED"], rows),
    ]


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Rows as aligned text columns under ``headers``."""
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
    ]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]


def _short_time(value: Any) -> str:
    """An ISO timestamp to the second, without its zone when it is UTC."""
    if not value:
        return ""
    text = str(value).replace("+00:00", "Z")
    return text[:19] + ("Z" if text.endswith("Z") else "")


def _compact(value: Any) -> str:
    return _clip(json.dumps(value, separators=(",", ":"), default=str))


def _clip(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def check_status(value: str) -> str:
    """An execution status argument, upper-cased; argparse's usage error otherwise."""
    statuses = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
    if value.upper() not in statuses:
        raise argparse.ArgumentTypeError(f"{value!r} is none of {', '.join(statuses)}")
    return value.upper()
