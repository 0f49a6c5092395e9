"""Lane records of a fan-out, against DynamoDB (moto): each moves only from where its
mover saw it, so two movers (a redelivered message, a sweep) never skip a child."""

from __future__ import annotations

from typing import Any

import pytest

from steplane.adapters.dynamodb_lanes import DynamoDBLanes
from steplane.ports import LaneRecord

PARENT = "W:fan"


@pytest.fixture
def lanes(executions_table: Any) -> DynamoDBLanes:
    return DynamoDBLanes(executions_table, "executions")


def test_a_lane_opens_at_its_first_child_once(lanes: DynamoDBLanes) -> None:
    assert lanes.get(PARENT, 3, 1) is None
    assert lanes.open(PARENT, 3, 1, expiry=10**10) == LaneRecord(1, 1)
    moved = lanes.advance(PARENT, 3, LaneRecord(1, 1), 4, failed=False)
    # Opened again (a redelivered launch): it is where it was moved, not back at 1.
    assert lanes.open(PARENT, 3, 1, expiry=10**10) == moved == LaneRecord(1, 5)


def test_a_lane_moves_on_only_from_where_its_mover_saw_it(lanes: DynamoDBLanes) -> None:
    seen = lanes.open(PARENT, 3, 0, expiry=10**10)
    first = lanes.advance(PARENT, 3, seen, 2, failed=False)
    # A second mover with the same (now stale) view does not move it again.
    second = lanes.advance(PARENT, 3, seen, 2, failed=True)
    assert first == second == LaneRecord(0, 2)
    assert lanes.get(PARENT, 3, 0) == LaneRecord(0, 2)


def test_failures_are_counted_and_the_first_is_kept(lanes: DynamoDBLanes) -> None:
    record = lanes.open(PARENT, 3, 0, expiry=10**10)
    record = lanes.advance(PARENT, 3, record, 2, failed=True)
    record = lanes.advance(PARENT, 3, record, 2, failed=False)
    record = lanes.advance(PARENT, 3, record, 2, failed=True, weight=5)
    # Two failed children, carrying 1 and 5 items (a Map Run's batch of five).
    assert record == LaneRecord(0, 6, failed=2, first_failed=0, failed_items=6)
    assert lanes.get(PARENT, 3, 0) == record
    assert record.items_failed == 6


def test_the_fan_in_reads_every_lane_of_its_visit_only(lanes: DynamoDBLanes) -> None:
    for lane in range(3):
        lanes.open(PARENT, 3, lane, expiry=10**10)
    lanes.open(PARENT, 4, 0, expiry=10**10)  # a later visit of the state (a retry)
    assert [r.lane for r in lanes.all(PARENT, 3)] == [0, 1, 2]
    assert [r.lane for r in lanes.all(PARENT, 4)] == [0]


def test_a_lanes_first_move_makes_its_record(lanes: DynamoDBLanes) -> None:
    # A lane is at its first child until it moves: no record before (no write), and the
    # first move makes it, once: a second mover with the same view reads it as moved.
    assert lanes.get(PARENT, 5, 2) is None
    moved = lanes.advance(PARENT, 5, LaneRecord(2, 2), 4, failed=False, expiry=10**10)
    assert (moved, moved.moved) == (LaneRecord(2, 6), True)
    again = lanes.advance(PARENT, 5, LaneRecord(2, 2), 4, failed=True, expiry=10**10)
    assert (again, again.moved) == (LaneRecord(2, 6), False)
    assert lanes.get(PARENT, 5, 2) == LaneRecord(2, 6)


def test_only_a_lanes_first_child_makes_its_record(lanes: DynamoDBLanes) -> None:
    # A view of a later child on a lane with no record is not a move: nothing is written,
    # and the lane is where a lane that has not moved is, at its first child.
    found = lanes.advance(PARENT, 5, LaneRecord(1, 5), 4, failed=False, expiry=10**10)
    assert (found, found.moved) == (LaneRecord(1, 1), False)
    assert lanes.get(PARENT, 5, 1) is None
