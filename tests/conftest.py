"""Shared fixtures: repository paths, the founding definition, a moto executions table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from steplane.local.template import load_template

ROOT = Path(__file__).resolve().parent.parent
ONBOARDING = ROOT / "statemachines" / "user_onboarding.json"
TEMPLATE = ROOT / "template.yaml"


@pytest.fixture
def onboarding_path() -> Path:
    """The founding onboarding definition, unchanged from the seed."""
    return ONBOARDING


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process moto, with a region and dummy credentials in the environment."""
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


@pytest.fixture
def executions_table(fake_aws: None) -> Any:
    """A DynamoDB client (moto) with an empty ``executions`` table keyed like the stack's."""
    client = boto3.client("dynamodb")
    # The table as template.yaml declares it (keys, the sweep index), never hand-copied.
    spec = next(t for t in load_template(TEMPLATE).tables() if t.logical_id == "ExecutionsTable")
    client.create_table(
        TableName="executions",
        KeySchema=list(spec.key_schema),
        AttributeDefinitions=list(spec.attribute_definitions),
        GlobalSecondaryIndexes=list(spec.global_secondary_indexes),
        BillingMode=spec.billing_mode,
    )
    return client


@contextmanager
def head_put_dies(monkeypatch: pytest.MonkeyPatch, client: Any) -> Iterator[None]:
    """Within the block, ``client``'s put of a HEAD item dies: a crash between the commit's
    history put and its head put, which leaves an orphan history item."""
    real_put = client.put_item

    def die_on_head_put(**request: Any) -> Any:
        if request["Item"]["sk"] == {"S": "HEAD"}:
            raise ConnectionError("crash after the history put")
        return real_put(**request)

    monkeypatch.setattr(client, "put_item", die_on_head_put)
    try:
        yield
    finally:
        monkeypatch.setattr(client, "put_item", real_put)
