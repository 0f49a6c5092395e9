"""template.yaml through the SAM transform, offline: what CloudFormation would deploy."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "template.yaml"


class NoManagedPolicies:
    """Only policy *names* in Policies need IAM; the template uses none, so none is listed."""

    def load(self) -> dict[str, str]:
        raise AssertionError("the transform tried to list IAM managed policies")


def translate(path: Path = TEMPLATE_PATH, region: str = "us-east-1") -> dict[str, Any]:
    """The CloudFormation template the SAM transform makes of ``path`` (no network used)."""
    sam = copy.deepcopy(yaml_parse(path.read_text(encoding="utf-8")))
    # A local CodeUri is only valid after `sam package` uploads it; stand in an S3 URI the
    # way `sam package` (and cfn-lint) do.
    sam["Globals"]["Function"]["CodeUri"] = "s3://bucket/steplane.zip"
    # The translator reads AWS::Region from a default boto3 session.
    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        translated: dict[str, Any] = transform(sam, {}, NoManagedPolicies())
    finally:
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved
    return translated
