"""``steplane redrive``: move a queue's dead-lettered messages back to it."""

from __future__ import annotations

import argparse

from botocore.exceptions import BotoCoreError, ClientError

from steplane.adapters.sqs_redrive import RedriveError, redrive
from steplane.cli.aws import aws_client
from steplane.cli.errors import CommandError


def redrive_command(args: argparse.Namespace) -> int:
    """Redrive ``args.queue_url``'s dead-letter queue into it; print how many moved."""
    sqs = aws_client("sqs", args.region, args.profile, "redrive")
    try:
        result = redrive(sqs, args.queue_url, args.max)
    except (BotoCoreError, ClientError, RedriveError) as error:
        raise CommandError(f"redrive: {error}") from error
    print(f"moved {result.moved} message(s) from {result.dead_letter_url} to {result.source_url}")
    if result.more:
        print(f"more messages remain dead-lettered: run again, or raise --max ({args.max})")
    return 0
