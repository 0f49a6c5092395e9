"""What operators watch: the per-workflow metrics the handlers emit (EMF, through
powertools), and the X-Ray trace header every engine message carries."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from steplane.adapters.sqs_bus import SqsMessageBus
from steplane.execution import ChildOf, Execution, ExecutionStatus, TaskAttempt
from steplane.handlers.observability import WorkflowMetrics
from steplane.interpreter.decisions import HistoryEvent
from steplane.messages import OutboundMessage

T0 = datetime(2026, 12, 1, tzinfo=UTC)
TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def _event(kind: str) -> HistoryEvent:
    return HistoryEvent(1, kind, T0, None, {})


def _head(**fields: Any) -> Execution:
    base = Execution("orders:1", "orders", "1", "h", "i", T0)
    return replace(base, **fields)


def _emitted(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The EMF documents printed, each metric's values summed (EMF may list them)."""
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    return [
        {k: sum(v) if isinstance(v, list) and k != "_aws" else v for k, v in doc.items()}
        for doc in documents
    ]


def test_a_workflow_s_transitions_and_ends_are_counted_with_its_dimension(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = WorkflowMetrics()
    started = _head(version=1, transitions=2)
    metrics.observe(None, started, [_event("ExecutionStarted")])
    waiting = replace(
        started,
        version=2,
        transitions=3,
        entered_version=2,
        entered_at=T0,
        waiting=TaskAttempt(number=3, retry_counts=(2,), nonce="n"),
    )
    # As the engine ends an execution in a task: the state, and its entered version, stay.
    ended = replace(
        waiting,
        version=3,
        transitions=5,
        status=ExecutionStatus.FAILED,
        waiting=None,
        updated_at=T0 + timedelta(seconds=2),
    )
    metrics.observe(waiting, ended, [_event("TaskFailed"), _event("ExecutionFailed")])
    other = _head(execution_id="refunds:1", workflow="refunds", version=1, transitions=1)
    metrics.observe(None, other, [_event("ExecutionStarted")])
    metrics.flush()
    documents = {doc.get("workflow", "ALL"): doc for doc in _emitted(capsys)}
    orders = documents["orders"]
    assert orders["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Steplane"
    assert ["workflow"] in [
        [d for d in dims if d != "service"]
        for dims in orders["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    ]
    assert orders["ExecutionsStarted"] == 1.0
    assert orders["ExecutionsFailed"] == 1.0
    assert orders["TasksFailed"] == 1.0
    assert orders["Transitions"] == 4.0  # 2 at the start, 2 from the task on
    assert orders["TaskAttempts"] == 3.0
    assert orders["TaskDuration"] == 2000.0
    assert documents["refunds"]["ExecutionsStarted"] == 1.0
    # The totals the failed-executions alarm watches: every workflow, no workflow dimension.
    totals = documents["ALL"]
    assert (totals["ExecutionsStarted"], totals["ExecutionsFailed"]) == (2.0, 1.0)
    assert "Transitions" not in totals
    # Flushed once: nothing is emitted twice.
    metrics.flush()
    assert _emitted(capsys) == []


def test_a_child_counts_transitions_only(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = WorkflowMetrics()
    child = _head(
        execution_id="orders:1/2/0",
        parent=ChildOf("orders:1", "Fan", 2, 0, 1, 1),
        version=1,
        transitions=2,
    )
    metrics.observe(None, child, [_event("ExecutionStarted")])
    metrics.flush()
    (document,) = _emitted(capsys)  # no execution counted: no totals document
    assert document["Transitions"] == 2.0
    assert "ExecutionsStarted" not in document


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("send_message", kwargs))
        return {}

    def send_message_batch(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("send_message_batch", kwargs))
        return {}


def test_every_message_carries_the_invocation_s_trace_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE)
    client = _Recorder()
    bus = SqsMessageBus(client)
    bus.send([OutboundMessage(queue_url="q1", body="a")])
    bus.send([OutboundMessage(queue_url="q2", body="b"), OutboundMessage(queue_url="q2", body="c")])
    single, batch = client.calls
    header = {"AWSTraceHeader": {"StringValue": TRACE, "DataType": "String"}}
    assert single[1]["MessageSystemAttributes"] == header
    assert [e["MessageSystemAttributes"] for e in batch[1]["Entries"]] == [header, header]


def test_outside_lambda_no_trace_header_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    client = _Recorder()
    SqsMessageBus(client).send([OutboundMessage(queue_url="q1", body="a")])
    assert "MessageSystemAttributes" not in client.calls[0][1]
