"""Dead-letter redrive, as ``steplane redrive`` runs it against a deployed stack."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from steplane.adapters.sqs_redrive import RedriveError, redrive
from steplane.cli import main


@pytest.fixture
def sqs(fake_aws):
    return boto3.client("sqs", region_name="us-east-1")


def _queues(sqs) -> tuple[str, str]:
    dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
    policy = {"deadLetterTargetArn": arn["QueueArn"], "maxReceiveCount": 3}
    source = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": json.dumps(policy)})[
        "QueueUrl"
    ]
    return source, dlq


def test_redrive_moves_every_dead_lettered_message_back_to_its_queue(sqs, capsys):
    source, dlq = _queues(sqs)
    for n in range(23):  # more than one batch
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"n": n}))
    assert main(["redrive", source, "--region", "us-east-1"]) == 0
    moved = set()
    while messages := sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            moved.add(json.loads(message["Body"])["n"])
            sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
    assert moved == set(range(23))
    assert "Messages" not in sqs.receive_message(QueueUrl=dlq)
    assert capsys.readouterr().out.startswith("moved 23 message(s)")


def test_redrive_honours_its_maximum(sqs):
    source, dlq = _queues(sqs)
    for n in range(5):
        sqs.send_message(QueueUrl=dlq, MessageBody=str(n))
    first = redrive(sqs, source, max_messages=2)
    rest = redrive(sqs, source, max_messages=3)
    assert (first.moved, first.more) == (2, True)
    assert (rest.moved, rest.more) == (3, False)  # stopped at its maximum, nothing left


def test_redrive_of_a_queue_without_a_dead_letter_queue_is_one_clear_line(sqs, capsys):
    plain = sqs.create_queue(QueueName="plain")["QueueUrl"]
    with pytest.raises(RedriveError, match="no RedrivePolicy"):
        redrive(sqs, plain)
    assert main(["redrive", plain, "--region", "us-east-1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no RedrivePolicy" in err


def test_the_api_lists_dead_letter_depths_and_redrives_one_queue():
    from steplane.local import LocalRuntime  # noqa: PLC0415

    with LocalRuntime() as rt:
        dlq = rt.resources.ref("AdvanceDeadLetterQueue")
        rt.sqs.send_message(QueueUrl=dlq, MessageBody="{}")
        status, listing = rt.http("GET", "/dead-letters")
        depth = {q["queue"]: q["messages"] for q in listing["queues"]}
        moved = rt.http("POST", "/dead-letters/steplane-AdvanceQueue/redrive")
        unknown = rt.http("POST", "/dead-letters/nope/redrive")
    assert status == 200
    assert depth["steplane-AdvanceQueue"] == 1
    assert len(depth) == 8  # every queue of the stack has its dead-letter queue
    assert moved == (200, {"queue": "steplane-AdvanceQueue", "moved": 1, "more": False})
    assert (unknown[0], unknown[1]["error"]) == (404, "QueueDoesNotExist")


class RefusingSqs:
    """The moto client, except that SQS refuses to send any message whose body is "refused"."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:  # noqa: N803
        kept = [e for e in Entries if e["MessageBody"] != "refused"]
        response = (
            self._sqs.send_message_batch(QueueUrl=QueueUrl, Entries=kept)
            if kept
            else {"Successful": []}
        )
        response["Failed"] = [
            {"Id": e["Id"], "Code": "InvalidMessageContents", "Message": "no", "SenderFault": True}
            for e in Entries
            if e["MessageBody"] == "refused"
        ]
        return response


def _depth(sqs, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def test_a_message_the_source_queue_refuses_stays_dead_lettered_and_the_redrive_says_so(sqs):
    # "Only what reached the source queue leaves the dead-letter queue": a partial failure
    # deletes the messages that were sent, keeps the refused one, and raises.
    source, dlq = _queues(sqs)
    for body in ("a", "refused", "b"):
        sqs.send_message(QueueUrl=dlq, MessageBody=body)
    with pytest.raises(RedriveError) as caught:
        redrive(RefusingSqs(sqs), source)
    assert str(caught.value) == "1 message(s) could not be moved: InvalidMessageContents: no"
    assert (_depth(sqs, source), _depth(sqs, dlq)) == (2, 1)


def test_a_maximum_past_the_first_batch_is_still_honoured(sqs):
    source, dlq = _queues(sqs)
    for n in range(23):
        sqs.send_message(QueueUrl=dlq, MessageBody=str(n))
    assert redrive(sqs, source, max_messages=12).moved == 12
    assert (_depth(sqs, source), _depth(sqs, dlq)) == (12, 11)


def test_one_api_redrive_is_bounded_and_says_when_more_remain(monkeypatch):
    from steplane.handlers import redrive as redrive_api  # noqa: PLC0415
    from steplane.local import LocalRuntime  # noqa: PLC0415

    monkeypatch.setattr(redrive_api, "API_REDRIVE_MAX", 3)
    with LocalRuntime() as rt:
        dlq = rt.resources.ref("AdvanceDeadLetterQueue")
        for n in range(5):
            rt.sqs.send_message(QueueUrl=dlq, MessageBody=str(n))
        first = rt.http("POST", "/dead-letters/steplane-AdvanceQueue/redrive")
        second = rt.http("POST", "/dead-letters/steplane-AdvanceQueue/redrive")
    assert first == (200, {"queue": "steplane-AdvanceQueue", "moved": 3, "more": True})
    assert second == (200, {"queue": "steplane-AdvanceQueue", "moved": 2, "more": False})


def test_a_redrive_that_sqs_refuses_is_a_502_naming_the_refusal_not_a_500():
    from steplane.local import LocalRuntime  # noqa: PLC0415

    with LocalRuntime() as rt:
        dlq = rt.resources.ref("AdvanceDeadLetterQueue")
        rt.sqs.send_message(QueueUrl=dlq, MessageBody="refused")
        deps = rt._deps["RedriveFunction"]
        deps.sqs = RefusingSqs(deps.sqs)
        status, body = rt.http("POST", "/dead-letters/steplane-AdvanceQueue/redrive")
    assert (status, body["error"]) == (502, "RedriveFailed")
    assert "1 message(s) could not be moved: InvalidMessageContents: no" in body["message"]
