"""The fan-out's AdvanceQueue messages refuse what the engine never sends (a bad lane
range would write stray lane records, or loop over millions of lanes)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from steplane.errors import InvalidExecutionIdError
from steplane.messages import AbortMessage, LanesMessage, WakeMessage, advance_message

PARENT = "wf:run"


@pytest.mark.parametrize(
    ("first", "last"),
    [(-2, -1), (3, 2), (0, 100), (0, -1)],
)
def test_a_lane_range_out_of_order_negative_or_too_wide_is_refused(first: int, last: int) -> None:
    for kind in ("lanes", "abort"):
        body = {"kind": kind, "parent": PARENT, "visit": 1, "first": first, "last": last}
        with pytest.raises(ValidationError):
            advance_message(body)


def test_each_kind_parses_to_its_message() -> None:
    lanes = {"kind": "lanes", "parent": PARENT, "visit": 1, "first": 0, "last": 24}
    abort = {**lanes, "kind": "abort"}
    assert isinstance(advance_message(lanes), LanesMessage)
    assert isinstance(advance_message(abort), AbortMessage)
    wake = {
        "executionId": PARENT,
        "version": 3,
        "purpose": "fan-in",
        "dueAt": "2026-01-01T00:00:00+00:00",
    }
    assert isinstance(advance_message(wake), WakeMessage)


def test_a_child_id_is_a_valid_parent() -> None:
    body = {"kind": "lanes", "parent": f"{PARENT}/3/0", "visit": 1, "first": 0, "last": 0}
    assert advance_message(body).parent == f"{PARENT}/3/0"
    with pytest.raises(InvalidExecutionIdError):
        advance_message({**body, "parent": f"{PARENT}/3/x"})
