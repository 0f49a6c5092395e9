"""The Lambda bundle stays lean: it installs exactly the runtime dependencies."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "functions" / "steplane"
# Modules the deployed handlers load; the local runtime and CLI are extras.
LAMBDA_MODULES = (
    "handlers",
    "adapters",
    "interpreter",
    "states",
    "definition",
    "asl",
    "worker",
    "examples",
)
RUNTIME_IMPORTS = {"boto3", "botocore", "aws_lambda_powertools", "pydantic", "pydantic_core"}


def test_sam_requirements_equal_the_runtime_dependencies() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = (ROOT / "functions" / "requirements.txt").read_text().splitlines()
    required = [line for line in lines if line.strip() and not line.startswith("#")]
    assert sorted(required) == sorted(declared)


def _top_level_imports(path: Path) -> set[str]:
    """Full names of the modules ``path`` imports at module level."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in tree.body:  # module level only: local imports are how extras stay optional
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _lambda_sources() -> list[Path]:
    return [path for folder in LAMBDA_MODULES for path in (PACKAGE / folder).rglob("*.py")]


def test_lambda_code_imports_only_the_standard_library_and_runtime_dependencies() -> None:
    allowed = set(sys.stdlib_module_names) | RUNTIME_IMPORTS | {"steplane", "__future__"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(extra)
        for path in _lambda_sources()
        if (extra := {name.split(".")[0] for name in _top_level_imports(path)} - allowed)
    }
    assert offenders == {}


def test_lambda_code_never_imports_the_local_runtime_or_cli_at_module_level() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(local)
        for path in _lambda_sources()
        if (
            local := {
                name
                for name in _top_level_imports(path)
                if name.startswith(("steplane.local", "steplane.cli"))
            }
        )
    }
    assert offenders == {}
