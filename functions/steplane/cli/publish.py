"""``steplane publish``: store a definition in a deployed stack and point a workflow at it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from steplane.adapters.dynamodb_store import DynamoDBExecutionStore
from steplane.cli.api_client import stack_output
from steplane.cli.arguments import check_name, definition_file, loaded_definition
from steplane.cli.aws import aws_client
from steplane.cli.errors import FAILED, CommandError
from steplane.definition.loader import default_workflow_name


def publish_command(args: argparse.Namespace) -> int:
    """Publish ``args.definition`` under its workflow name in ``args.table``."""
    if not args.table and args.stack:
        args.table = stack_output(args, "ExecutionsTableName", "publish")
    if not args.table:
        raise CommandError("publish needs --stack NAME, --table or EXECUTIONS_TABLE_NAME")
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
    _warn_ungranted(loaded.document, args, client)
    return 0


def _warn_ungranted(document: Any, args: argparse.Namespace, dynamodb: Any) -> None:
    """Warn about each integration call the stack's IntegrationFunction is not granted
    (its ``Integration*`` parameters): it would fail at run time, access denied."""
    from steplane.integrations.grants import Place, needs, ungranted  # noqa: PLC0415

    region = dynamodb.meta.region_name
    found = needs(document, Place(region=region, account="*"))
    if not found:
        return  # calls nothing the stack must grant: no stack to read
    try:
        stack = args.stack or _stack_of(dynamodb, args.table)
        if stack is None:
            _say(
                f"the table {args.table} names no stack (aws:cloudformation:stack-name tag): "
                "pass --stack to check the integrations' grants"
            )
            return
        cloudformation = aws_client("cloudformation", args.region, args.profile, "publish")
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except (BotoCoreError, ClientError) as error:
        _say(f"the integrations' grants were not checked: {error}")
        return
    account = str(described["StackId"]).split(":")[4]
    parameters = {
        p["ParameterKey"]: str(p.get("ParameterValue", "")).split(",")
        for p in described.get("Parameters", [])
    }
    for warning in ungranted(needs(document, Place(region=region, account=account)), parameters):
        _say(f"warning: {warning}")


def _stack_of(dynamodb: Any, table: str) -> str | None:
    """The stack that made ``table``, by the tag CloudFormation puts on what it creates."""
    arn = dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
    tags = dynamodb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])
    return next((t["Value"] for t in tags if t["Key"] == "aws:cloudformation:stack-name"), None)


def _say(line: str) -> None:
    print(f"steplane publish: {line}", file=sys.stderr)
