"""Shared fixtures: repository paths and the founding definition."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ONBOARDING = ROOT / "statemachines" / "user_onboarding.json"


@pytest.fixture
def onboarding_path() -> Path:
    """The founding onboarding definition, unchanged from the seed."""
    return ONBOARDING
