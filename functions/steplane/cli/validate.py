"""``steplane validate``: every problem of every definition file, in one pass."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from steplane.cli.arguments import file_problem
from steplane.cli.errors import FAILED
from steplane.definition.loader import load_definition
from steplane.errors import DefinitionError


def validate_command(args: argparse.Namespace) -> int:
    """Report on each of ``args.files``; exit 1 if any is missing or invalid."""
    status = 0
    for path in args.files:
        if not _report(path):
            status = FAILED
    return status


def _report(path: str) -> bool:
    """Print what is wrong with the definition at ``path`` (or that it is valid)."""
    problem = file_problem(path)
    if problem is not None:
        print(f"{path}: {problem}", file=sys.stderr)
        return False
    try:
        load_definition(Path(path))
    except DefinitionError as error:
        count = len(error.problems)
        print(f"{path}: {count} problem{'' if count == 1 else 's'}")
        for each in error.problems:
            print(f"  {each}")
        return False
    print(f"{path}: valid")
    return True
