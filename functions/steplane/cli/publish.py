"""``steplane publish``: store a definition in a deployed stack and point a workflow at it."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from steplane.adapters.dynamodb_store import DynamoDBExecutionStore
from steplane.cli.arguments import check_name, definition_file
from steplane.cli.errors import FAILED, CommandError
from steplane.definition.loader import default_workflow_name, load_definition
from steplane.errors import DefinitionError


def publish_command(args: argparse.Namespace) -> int:
    """Publish ``args.definition`` under its workflow name in ``args.table``."""
    if not args.table:
        raise CommandError("publish needs --table or EXECUTIONS_TABLE_NAME")
    path = definition_file(args.definition)
    try:
        loaded = load_definition(path)
    except DefinitionError as error:
        print(f"{path}: {error}", file=sys.stderr)  # every problem, one per line
        return FAILED
    name = args.workflow or default_workflow_name(path, loaded)
    check_name(name, "workflow name")
    try:
        store = DynamoDBExecutionStore(_dynamodb(args.region, args.profile), args.table)
        store.put_definition(loaded)
        store.publish(name, loaded.hash)
    except (BotoCoreError, ClientError) as error:
        raise CommandError(f"publish: {error}") from error
    print(f"published {name} -> {loaded.hash}")
    return 0


def _dynamodb(region: str | None, profile: str | None) -> Any:
    """A DynamoDB client, once a region and credentials are known to be there."""
    import boto3  # noqa: PLC0415 - only this command talks to a real account

    session = boto3.session.Session(
        profile_name=profile, region_name=region or os.environ.get("AWS_REGION")
    )
    if not session.region_name:
        raise CommandError("publish: no AWS region: pass --region or set AWS_REGION")
    if session.get_credentials() is None:
        raise CommandError(
            "publish: no AWS credentials: pass --profile, or set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    return session.client("dynamodb")
