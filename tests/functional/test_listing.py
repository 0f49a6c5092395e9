"""``GET /executions`` (the list: filters, paging, business keys) and ``GET /workflows``.

The list reads three sparse, write-sharded indexes (steplane.adapters.dynamodb_listing):
never a Scan. Children of a Parallel or Map are not listed (their parent lists them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError

from steplane.adapters import dynamodb_listing
from steplane.local import LocalRuntime
from steplane.local.http import path_segment
from steplane.ports import ListFilter

PASS = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
FAIL = {"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "Boom", "Cause": "no"}}}
# A callback nobody answers: it waits.
WAIT = {
    "StartAt": "A",
    "States": {
        "A": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token"}},
            "End": True,
        }
    },
}


def _list(rt: LocalRuntime, **query: Any) -> dict[str, Any]:
    status, body = rt.http("GET", "/executions?" + urlencode(query))
    assert status == 200, body
    return body  # type: ignore[no-any-return]


def _all_pages(rt: LocalRuntime, **query: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token = None
    for _ in range(100):
        body = _list(rt, **query, **({"nextToken": token} if token else {}))
        found += body["executions"]
        token = body.get("nextToken")
        if token is None:
            return found
    raise AssertionError("the list never ended")


def _start(rt: LocalRuntime, workflow: str, **fields: Any) -> str:
    status, body = rt.http("POST", "/executions", {"workflow": workflow, **fields})
    assert status == 201, body
    rt.clock.advance(1)  # distinct start dates: the list is newest first
    return str(body["executionId"])


@pytest.fixture(name="rt")
def _runtime() -> Any:
    with LocalRuntime() as rt:
        rt.publish(PASS, "orders")
        rt.publish(FAIL, "refunds")
        rt.publish(WAIT, "slow")
        yield rt


def test_the_list_is_newest_first_and_pages_through_every_execution_once(rt: LocalRuntime) -> None:
    started = [_start(rt, "orders", input={"i": i}) for i in range(7)]
    started += [_start(rt, "refunds", input={"i": i}) for i in range(4)]
    rt.run_all()
    listed = _all_pages(rt, maxResults=3)
    assert [e["executionId"] for e in listed] == started[::-1]
    first = _list(rt, maxResults=3)
    assert len(first["executions"]) == 3
    assert "nextToken" in first


def test_filters_by_workflow_status_and_time(rt: LocalRuntime) -> None:
    orders = [_start(rt, "orders") for _ in range(3)]
    middle = rt.clock.now()
    refunds = [_start(rt, "refunds") for _ in range(3)]
    inbox = rt.sqs.create_queue(QueueName="inbox")["QueueUrl"]
    waiting = _start(rt, "slow", input={"queue": inbox})
    rt.run_all()
    assert [e["executionId"] for e in _all_pages(rt, workflow="orders", maxResults=2)] == orders[
        ::-1
    ]
    failed = _all_pages(rt, status="FAILED", maxResults=2)
    assert [e["executionId"] for e in failed] == refunds[::-1]
    assert {e["error"] for e in failed} == {"Boom"}
    assert [e["executionId"] for e in _all_pages(rt, status="RUNNING")] == [waiting]
    assert _all_pages(rt, workflow="orders", status="FAILED") == []
    after = _all_pages(rt, startedAfter=middle.isoformat())
    assert [e["executionId"] for e in after] == [waiting, *refunds[::-1]]
    before = _all_pages(rt, startedBefore=middle.isoformat())
    assert [e["executionId"] for e in before] == orders[::-1]
    window = _all_pages(
        rt,
        startedAfter=middle.isoformat(),
        startedBefore=(middle + timedelta(seconds=2)).isoformat(),
    )
    assert [e["executionId"] for e in window] == refunds[:2][::-1]


def test_an_entry_shows_what_a_list_needs(rt: LocalRuntime) -> None:
    execution = _start(rt, "refunds", name="r-1", businessKey="order-1234")
    rt.run_all()
    (entry,) = _list(rt)["executions"]
    assert entry == {
        "executionId": execution,
        "workflow": "refunds",
        "name": "r-1",
        "status": "FAILED",
        "startDate": entry["startDate"],
        "stopDate": entry["stopDate"],
        "businessKey": "order-1234",
        "error": "Boom",
    }
    assert entry["stopDate"] is not None


def test_a_business_key_finds_its_executions_across_workflows(rt: LocalRuntime) -> None:
    mine = [
        _start(rt, "orders", businessKey="customer-42", input={"n": 1}),
        _start(rt, "refunds", businessKey="customer-42"),
        _start(rt, "orders", businessKey="customer-42", input={"n": 2}),
    ]
    _start(rt, "orders", businessKey="customer-7")
    _start(rt, "orders")
    rt.run_all()
    found = _all_pages(rt, businessKey="customer-42", maxResults=2)
    assert [e["executionId"] for e in found] == mine[::-1]
    only_orders = _all_pages(rt, businessKey="customer-42", workflow="orders")
    assert [e["executionId"] for e in only_orders] == [mine[2], mine[0]]
    failed = _all_pages(rt, businessKey="customer-42", status="FAILED")
    assert [e["executionId"] for e in failed] == [mine[1]]
    described = rt.http("GET", f"/executions/{path_segment(mine[0])}")[1]
    assert described["businessKey"] == "customer-42"


def test_a_business_key_comes_with_a_queued_start_too(rt: LocalRuntime) -> None:
    queue = rt.resources.ref("StartQueue")
    rt.sqs.send_message(
        QueueUrl=queue,
        MessageBody='{"workflow": "orders", "input": {}, "businessKey": "batch-9"}',
    )
    rt.run_all()
    (entry,) = _list(rt, businessKey="batch-9")["executions"]
    assert entry["status"] == "SUCCEEDED"


def test_children_of_a_map_are_not_listed(rt: LocalRuntime) -> None:
    mapped = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }
    rt.publish(mapped, "fan")
    parent = _start(rt, "fan", input=[1, 2, 3])
    rt.run_all()
    assert [e["executionId"] for e in _all_pages(rt)] == [parent]


def test_a_filter_that_matches_little_returns_short_pages_not_long_reads(
    rt: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each partition is read at most this far per request: the rest comes with a token.
    monkeypatch.setattr(dynamodb_listing, "MAX_EVALUATED_PER_PARTITION", 2)
    wanted = _start(rt, "orders", businessKey="k", input={"first": True})
    for i in range(6):
        _start(rt, "refunds", businessKey="k", input={"i": i})
    rt.run_all()
    first = _list(rt, businessKey="k", status="SUCCEEDED", maxResults=10)
    assert first["executions"] == []
    assert "nextToken" in first
    found = _all_pages(rt, businessKey="k", status="SUCCEEDED", maxResults=10)
    assert [e["executionId"] for e in found] == [wanted]


@pytest.mark.parametrize(
    ("query", "expected", "message"),
    [
        ({"status": "DONE"}, 400, "status 'DONE' is none of RUNNING"),
        ({"startedAfter": "yesterday"}, 400, "startedAfter 'yesterday' is not an ISO 8601"),
        (
            {"startedAfter": "2026-01-02T00:00:00Z", "startedBefore": "2026-01-01T00:00:00Z"},
            400,
            "startedAfter must be earlier than startedBefore",
        ),
        ({"nextToken": "!!"}, 400, "nextToken"),
        # Out of its declared range: the validation error every route gives (as a 422).
        ({"maxResults": "0"}, 422, "maxResults"),
    ],
)
def test_a_bad_list_request_names_the_problem(
    rt: LocalRuntime, query: dict[str, str], expected: int, message: str
) -> None:
    status, body = rt.http("GET", "/executions?" + urlencode(query))
    assert status == expected
    assert message in str(body)


def test_workflows_list_their_revisions_and_definitions(rt: LocalRuntime) -> None:
    second = {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 2, "End": True}}}
    before = rt.http("GET", "/workflows/orders")[1]
    rt.clock.advance(60)
    rt.publish(second, "orders")
    rt.publish(second, "orders")  # the current definition again: no new revision
    status, listed = rt.http("GET", "/workflows")
    assert status == 200
    assert [w["name"] for w in listed["workflows"]] == ["orders", "refunds", "slow"]
    status, orders = rt.http("GET", "/workflows/orders")
    assert status == 200
    assert orders["revision"] == 2
    assert [r["revision"] for r in orders["revisions"]] == [2, 1]
    assert orders["revisions"][1]["definitionHash"] == before["definitionHash"]
    assert orders["revisions"][0]["publishedAt"] > orders["revisions"][1]["publishedAt"]
    current = rt.http("GET", "/workflows/orders/definition")[1]
    assert current["definition"]["StartAt"] == "B"
    old = rt.http("GET", f"/workflows/orders/definition?hash={before['definitionHash']}")[1]
    assert old["definition"]["StartAt"] == "A"
    paged = rt.http("GET", "/workflows?maxResults=2")[1]
    assert len(paged["workflows"]) == 2
    rest = rt.http("GET", f"/workflows?maxResults=2&nextToken={paged['nextToken']}")[1]
    assert [w["name"] for w in rest["workflows"]] == ["slow"]


def test_unknown_workflows_and_hashes_are_404s(rt: LocalRuntime) -> None:
    assert rt.http("GET", "/workflows/nope")[0] == 404
    hash_of_other = rt.http("GET", "/workflows/refunds")[1]["definitionHash"]
    status, body = rt.http("GET", f"/workflows/orders/definition?hash={hash_of_other}")
    assert status == 404
    assert "never published with definition" in body["message"]


def test_partitions_read_to_different_depths_still_page_each_execution_once(
    rt: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The status index has one partition per shard, each read at most two items deep per
    # request: a page holds only what every partition has read past, or an execution one
    # partition has not reached yet would come after an older one, or twice.
    monkeypatch.setattr(dynamodb_listing, "MAX_EVALUATED_PER_PARTITION", 2)
    orders = []
    for i in range(10):
        orders.append(_start(rt, "orders", input={"i": i}))
        _start(rt, "refunds", input={"i": i})
        _start(rt, "refunds", input={"i": i, "again": True})
    rt.run_all()
    found = _all_pages(rt, status="SUCCEEDED", workflow="orders", maxResults=3)
    assert [e["executionId"] for e in found] == orders[::-1]


def test_an_execution_that_ends_while_the_list_reads_is_listed_once(
    rt: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a status filter the list reads every status's partitions in turn: one that
    # ends between the read of RUNNING and of SUCCEEDED is in both reads.
    inbox = rt.sqs.create_queue(QueueName="inbox")["QueueUrl"]
    waiting = _start(rt, "slow", input={"queue": inbox})
    done = _start(rt, "orders")
    rt.advance(1)
    table = rt.resources.ref("ExecutionsTable")
    client = rt.session.client("dynamodb")
    original = dynamodb_listing.DynamoDBListing._read
    reads: list[str] = []

    def read_then_end(self: Any, partition: Any, *args: Any) -> Any:
        found = original(self, partition, *args)
        reads.append(partition.value)
        if partition.value.startswith("RUNNING#") and len(reads) == dynamodb_listing.LIST_SHARDS:
            # The execution ends now: its status key moves to SUCCEEDED.
            shard = next(
                item["lst"]["S"].split("#")[1]
                for item in [
                    client.get_item(
                        TableName=table,
                        Key={"pk": {"S": f"X#{waiting}"}, "sk": {"S": "HEAD"}},
                    )["Item"]
                ]
            )
            client.update_item(
                TableName=table,
                Key={"pk": {"S": f"X#{waiting}"}, "sk": {"S": "HEAD"}},
                UpdateExpression="SET st = :s, lst = :l",
                ExpressionAttributeValues={
                    ":s": {"S": "SUCCEEDED"},
                    ":l": {"S": f"SUCCEEDED#{shard}"},
                },
            )
        return found

    monkeypatch.setattr(dynamodb_listing.DynamoDBListing, "_read", read_then_end)
    listed = [e["executionId"] for e in _list(rt)["executions"]]
    assert listed == [done, waiting]


def test_a_token_from_before_the_start_bound_is_an_empty_page_not_a_dynamodb_error() -> None:
    # DynamoDB refuses "BETWEEN :low AND :high" with low > high (moto does not): a token
    # reused after raising startedAfter must end the list instead of reaching it.
    class StrictClient:
        def query(self, **request: Any) -> Any:
            values = request["ExpressionAttributeValues"]
            if ":low" in values and ":high" in values:
                assert values[":low"]["S"] <= values[":high"]["S"], "ValidationException"
            return {"Items": [], "ScannedCount": 0}

    listing = dynamodb_listing.DynamoDBListing(StrictClient(), "table")
    token = dynamodb_listing._encode_token("2026-01-01T00:00:00.000000Z#w:old")
    after = ListFilter(started_after=datetime(2026, 6, 1, tzinfo=UTC))
    page = listing.query(after, token, 10)
    assert (page.executions, page.next_token) == ([], None)


def test_a_workflow_published_before_revisions_were_kept_is_recorded_when_published_again(
    rt: LocalRuntime,
) -> None:
    table = rt.resources.ref("ExecutionsTable")
    client = rt.session.client("dynamodb")
    current = rt.http("GET", "/workflows/orders")[1]["definitionHash"]
    # As an older steplane wrote it: a pointer, no revision, no registry entry.
    client.put_item(
        TableName=table,
        Item={"pk": {"S": "WF#legacy"}, "sk": {"S": "WF"}, "dh": {"S": current}, "rev": {"N": "3"}},
    )
    before = [w["name"] for w in rt.http("GET", "/workflows")[1]["workflows"]]
    execution = _start(rt, "legacy")
    rt.run_all()
    # Its executions still show their definition (by their own hash).
    status, shown = rt.http("GET", f"/executions/{path_segment(execution)}/definition")
    rt.publish(PASS, "legacy")  # the same definition again
    after = rt.http("GET", "/workflows/legacy")[1]
    assert "legacy" not in before
    assert (status, shown["definitionHash"], shown["definition"]["StartAt"]) == (200, current, "A")
    assert after["revision"] == 4
    assert [r["revision"] for r in after["revisions"]] == [4]
    assert "legacy" in [w["name"] for w in rt.http("GET", "/workflows")[1]["workflows"]]
    assert rt.http("GET", "/executions/nope%3Anope/definition")[0] == 404


def test_a_list_index_not_created_yet_is_named() -> None:
    # A stack adding the indexes one deploy at a time (ListIndexes=1, 2, 3): a list that
    # needs one it has not reached says which, and what to deploy.
    class Unindexed:
        def query(self, **request: Any) -> Any:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ValidationException",
                        "Message": "The table does not have the specified index: "
                        + request["IndexName"],
                    }
                },
                "Query",
            )

    listing = dynamodb_listing.DynamoDBListing(Unindexed(), "table")
    with pytest.raises(dynamodb_listing.ListIndexMissingError) as missing:
        listing.query(ListFilter(business_key="k"), None, 10)
    assert missing.value.http_status == 503
    assert "no index ExecutionsByBusinessKey yet: deploy the stack with ListIndexes=3" in str(
        missing.value
    )
