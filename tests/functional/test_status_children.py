"""``GET /executions/{id}/children``: the child executions of a Parallel or Map visit,
paged in index order, through the real status handler on the local runtime."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from steplane.local import LocalRuntime
from steplane.local.http import path_segment
from tests.fan_out_children import fail_or_wait

MAP = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "MaxConcurrency": 2,
            "ItemProcessor": {
                "StartAt": "W",
                "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}},
            },
            "End": True,
        }
    },
}


@pytest.fixture
def rt() -> Iterator[LocalRuntime]:
    with LocalRuntime() as runtime:
        yield runtime


def _children(rt: LocalRuntime, execution_id: str, query: str = "") -> tuple[int, Any]:
    return rt.http("GET", f"/executions/{path_segment(execution_id)}/children{query}")


def test_a_running_map_lists_its_children_a_page_at_a_time(rt: LocalRuntime) -> None:
    execution_id = rt.start(MAP, [1, 2, 3, 4, 5])
    rt.advance(1)  # two launched, their Waits not over
    status, page = _children(rt, execution_id, "?maxResults=3")
    assert status == 200
    assert page["total"] == 5
    assert [c["status"] for c in page["children"]] == ["RUNNING", "RUNNING", "PENDING"]
    assert page["children"][0]["executionId"] == f"{execution_id}/{page['visit']}/0"
    status, rest = _children(rt, execution_id, f"?maxResults=3&nextToken={page['nextToken']}")
    assert [c["index"] for c in rest["children"]] == [3, 4]
    assert "nextToken" not in rest


def test_an_ended_parent_lists_a_visit_it_names(rt: LocalRuntime) -> None:
    execution_id = rt.start(MAP, [1, 2, 3])
    rt.run_until_complete(execution_id)
    status, body = _children(rt, execution_id)
    assert status == 400
    assert "?visit=" in body["message"]
    status, page = _children(rt, execution_id, "?visit=1")
    assert status == 200
    assert [c["status"] for c in page["children"]] == ["SUCCEEDED"] * 3


def test_bad_requests_are_named(rt: LocalRuntime) -> None:
    execution_id = rt.start(MAP, [1])
    assert _children(rt, execution_id, "?nextToken=abc")[0] == 400
    assert _children(rt, execution_id, "?visit=0")[0] == 422
    assert _children(rt, "wf:missing")[0] == 404


def test_a_map_runs_counts_say_children_and_items(rt: LocalRuntime) -> None:
    # Batches of two items: the counts are of children (batches), with the items and the
    # failed items beside them (what the tolerated failures count).
    processor = fail_or_wait({"Variable": "$.Items[0]", "NumericEquals": 1}, 60, "STANDARD")
    state = {
        "Type": "Map",
        "ItemProcessor": processor,
        "ItemBatcher": {"MaxItemsPerBatch": 2},
        "ToleratedFailurePercentage": 100,
        "End": True,
    }
    execution_id = rt.start({"StartAt": "M", "States": {"M": state}}, [1, 2, 3, 4])
    rt.advance(1)
    status, body = rt.http("GET", f"/executions/{path_segment(execution_id)}")
    assert status == 200
    counts = body["children"]
    assert (counts["total"], counts["failed"], counts["running"]) == (2, 1, 1)
    assert (counts["items"], counts["failedItems"]) == (4, 2)
