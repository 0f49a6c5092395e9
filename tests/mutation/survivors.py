"""List a mutmut run's mutants that were not killed, one line each: file:line, the change.

Run from the staged run's folder: ``cd build/mutation && python
../../tests/mutation/survivors.py recheck`` (the folders named hold later verdicts, e.g.
recheck.py's; a mutant any of them killed is left out). Uses mutmut's own diff of each
mutant against its function. Unchecked mutants (a run stopped early) are left out.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.utils.format_utils import orig_function_and_class_names_from_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score import KILLED, outcomes

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


def main(arguments: list[str]) -> int:
    """Print one line per mutant that no run killed (mutants/, plus the folders named)."""
    later = [Path(a) for a in arguments]
    killed_later = {name for name, (_, killed) in outcomes(later).items() if killed}
    verdicts: dict[str, int] = {}
    for folder in later:  # a verdict for a mutant the first run never reached
        for meta in folder.rglob("*.py.meta"):
            verdicts.update(json.loads(meta.read_text())["exit_code_by_key"])
    for meta in sorted(Path("mutants/src").rglob("*.py.meta")):
        path = str(meta.relative_to("mutants"))[: -len(".meta")]
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, first in codes.items():
            code = verdicts.get(name, first)  # the latest verdict names the status
            if code in KILLED or code is None or name in killed_later:
                continue
            status = STATUS.get(code, f"exit {code}")
            print(f"{describe(name, path)}  [{status}: {name.rpartition('.')[2]}]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
