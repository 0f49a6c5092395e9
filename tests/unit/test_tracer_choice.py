"""The X-Ray SDK is loaded only on request (STEPLANE_XRAY_SDK, template XRaySdkTracing).

Importing it builds two botocore clients, about 100 ms of every cold start; Lambda's
active tracing records each invocation without it.
"""

from __future__ import annotations

import pytest
from aws_lambda_powertools import Tracer

from steplane.handlers import observability


def _handler(event: object, context: object) -> str:
    return "ran"


def test_by_default_the_handler_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEPLANE_XRAY_SDK", raising=False)
    tracer = observability._tracer()
    assert not isinstance(tracer, Tracer)
    assert tracer.capture_lambda_handler(_handler) is _handler


@pytest.mark.parametrize("value", ["true", "TRUE"])
def test_on_request_powertools_tracer_wraps_the_handler(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("STEPLANE_XRAY_SDK", value)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")  # no X-Ray daemon here
    tracer = observability._tracer()
    assert isinstance(tracer, Tracer)
    wrapped = tracer.capture_lambda_handler(_handler)
    assert wrapped is not _handler
