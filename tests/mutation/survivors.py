"""List a mutmut run's mutants that were not killed, one line each: file:line, the change.

Run from the staged run's folder (build/mutation), as tests/mutation/run.sh does:
``python survivors.py``. Uses mutmut's own diff of each mutant against its function.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.utils.format_utils import orig_function_and_class_names_from_key

# 37: rejected by mypy --strict, which CI runs, so caught there.
KILLED = {1, 3, 36, 37, -24, 24, 152, 255, -11, -9}
STATUS = {0: "survived", 5: "no tests", 33: "no tests", None: "not checked"}


def function_line(source: str, function: str, class_name: str | None) -> int:
    """The line of ``def function`` (in ``class_name``, if given) in ``source``."""
    for node in ast.walk(ast.parse(source)):
        if class_name and isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                function_def = isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                if function_def and item.name == function:
                    return item.lineno
        if not class_name and isinstance(node, ast.FunctionDef) and node.name == function:
            return node.lineno
    return 1


def describe(name: str, path: str) -> str:
    """``file:line  - old  + new`` for one mutant (the line of its first changed line)."""
    diff = get_diff_for_mutant(name, path=path).splitlines()[2:]
    removed = [line[1:].strip() for line in diff if line.startswith("-")]
    added = [line[1:].strip() for line in diff if line.startswith("+")]
    function, class_name = orig_function_and_class_names_from_key(name)
    start = function_line(Path(path).read_text(), function, class_name)
    # The diff numbers the function's own lines from 1 ("@@ -a,b +c,d @@").
    offset = 0
    for line in diff:
        if line.startswith("@@"):
            offset = int(line.split()[1].split(",")[0].lstrip("-")) - 1
            continue
        if line.startswith(("-", "+")):
            break
        offset += 1
    where = f"{path.removeprefix('src/')}:{start + offset}"
    return f"{where}  - {' | '.join(removed)}  + {' | '.join(added)}"


def main() -> int:
    """Print one line per mutant that a run did not kill."""
    for meta in sorted(Path("mutants/src").rglob("*.py.meta")):
        path = str(meta.relative_to("mutants"))[: -len(".meta")]
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in codes.items():
            if code not in KILLED and code is not None:
                status = STATUS.get(code, f"exit {code}")
                print(f"{describe(name, path)}  [{status}: {name.rpartition('.')[2]}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
