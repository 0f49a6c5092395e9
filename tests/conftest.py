"""Shared fixtures: repository paths, the founding definition, a moto executions table."""

from __future__ import annotations

from collections.abc import Iterator
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
def executions_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A DynamoDB client (moto) with an empty ``executions`` table keyed like the stack's."""
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("dynamodb")
        # The table as template.yaml declares it (keys, the sweep index), never hand-copied.
        spec = next(
            t for t in load_template(TEMPLATE).tables() if t.logical_id == "ExecutionsTable"
        )
        client.create_table(
            TableName="executions",
            KeySchema=list(spec.key_schema),
            AttributeDefinitions=list(spec.attribute_definitions),
            GlobalSecondaryIndexes=list(spec.global_secondary_indexes),
            BillingMode=spec.billing_mode,
        )
        yield client
