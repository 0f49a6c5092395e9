"""AWS sessions and clients for the commands that talk to a deployed stack, with one-line
errors."""

from __future__ import annotations

import os
from typing import Any

from steplane.cli.errors import CommandError


def aws_session(region: str | None, profile: str | None, command: str) -> Any:
    """A boto3 session, once a region and credentials are known to be there."""
    import boto3  # noqa: PLC0415 - only the commands that talk to a real account need it
    from botocore.exceptions import ProfileNotFound  # noqa: PLC0415

    try:
        session = boto3.session.Session(
            profile_name=profile, region_name=region or os.environ.get("AWS_REGION")
        )
    except ProfileNotFound as error:
        raise CommandError(f"{command}: {error}") from error
    if not session.region_name:
        raise CommandError(f"{command}: no AWS region: pass --region or set AWS_REGION")
    if session.get_credentials() is None:
        raise CommandError(
            f"{command}: no AWS credentials: pass --profile, or set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    return session


def aws_client(service: str, region: str | None, profile: str | None, command: str) -> Any:
    """A boto3 client for ``service``, once a region and credentials are known to be there."""
    return aws_session(region, profile, command).client(service)
