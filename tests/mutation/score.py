"""Print a mutmut run's score per mutated module, and list the mutants that were not killed.

Usage (from the staged run's folder, as tests/mutation/run.sh does): ``python score.py mutants``.
A timeout counts as killed (the mutant hung a test), and so does a mutant that mypy --strict
rejects (CI runs mypy, so it is caught there); "no tests"
(no selected test calls the function) counts as a survivor, so it shows in the list.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

# 37: rejected by mypy --strict, which CI runs, so caught there.
KILLED = {1, 3, 36, 37, -24, 24, 152, 255, -11, -9}
STATUS = {0: "survived", 5: "no tests", 33: "no tests", None: "not checked", 34: "skipped"}


def main(mutants: Path) -> int:
    """Print ``module: killed / total`` lines, the overall score, then each survivor."""
    total: Counter[str] = Counter()
    killed: Counter[str] = Counter()
    survivors: list[str] = []
    for meta in sorted(mutants.rglob("*.py.meta")):
        module = str(meta.relative_to(mutants / "src"))[: -len(".meta")]
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            total[module] += 1
            if code in KILLED:
                killed[module] += 1
            else:
                survivors.append(f"{STATUS.get(code, f'exit {code}')}: {name}")
    for module in sorted(total):
        print(f"{module}: {killed[module]} / {total[module]}")
    print(f"TOTAL: {sum(killed.values())} / {sum(total.values())} killed")
    print(*survivors, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
