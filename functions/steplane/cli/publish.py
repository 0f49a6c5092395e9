"""``steplane publish``: store a definition in a deployed stack and point a workflow at it."""

from __future__ import annotations

import argparse

from botocore.exceptions import BotoCoreError, ClientError

from steplane.adapters.dynamodb_store import DynamoDBExecutionStore
from steplane.cli.arguments import check_name, definition_file, loaded_definition
from steplane.cli.aws import aws_client
from steplane.cli.errors import FAILED, CommandError
from steplane.definition.loader import default_workflow_name


def publish_command(args: argparse.Namespace) -> int:
    """Publish ``args.definition`` under its workflow name in ``args.table``."""
    if not args.table:
        raise CommandError("publish needs --table or EXECUTIONS_TABLE_NAME")
    path = definition_file(args.definition)
    loaded = loaded_definition(path)
    if loaded is None:
        return FAILED
    name = args.workflow or default_workflow_name(path, loaded)
    check_name(name, "workflow name")
    try:
        client = aws_client("dynamodb", args.region, args.profile, "publish")
        store = DynamoDBExecutionStore(client, args.table)
        store.put_definition(loaded)
        store.publish(name, loaded.hash)
    except (BotoCoreError, ClientError) as error:
        raise CommandError(f"publish: {error}") from error
    print(f"published {name} -> {loaded.hash}")
    return 0
