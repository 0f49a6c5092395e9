"""Print a mutmut run's score per mutated module; optionally the names of the survivors.

Usage, from the staged run's folder (tests/mutation/run.sh does this)::

    python score.py mutants [earlier/mutants ...]     # killed / total, per module
    python score.py --survivors mutants [...]         # names of the mutants not killed

With several folders, a mutant counts as killed if any run killed it (a recheck runs only
the earlier run's survivors, against more tests). A timeout counts as killed (the mutant
hung a test), and so does a mutant that mypy --strict rejects (CI runs mypy, so it is
caught there); "no tests" (no selected test calls the function) is a survivor.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes: 1/3 a test failed, 36 and the signals a timeout, 37 caught by mypy.
KILLED = {1, 3, 36, 37, -24, 24, 152, 255, -11, -9}


def outcomes(folders: list[Path]) -> dict[str, tuple[str, bool]]:
    """Each mutant's (module path, killed in any of ``folders``)."""
    found: dict[str, tuple[str, bool]] = {}
    for folder in folders:
        for meta in sorted(folder.rglob("*.py.meta")):
            module = str(meta.relative_to(folder / "src"))[: -len(".meta")]
            for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
                killed = found.get(name, (module, False))[1] or code in KILLED
                found[name] = (module, killed)
    return found


def main(arguments: list[str]) -> int:
    """Print the score per module and overall, or with --survivors the survivors' names."""
    names_only = arguments[:1] == ["--survivors"]
    found = outcomes([Path(a) for a in arguments[names_only:]])
    if names_only:
        print(*sorted(name for name, (_, killed) in found.items() if not killed), sep="\n")
        return 0
    total: Counter[str] = Counter(module for module, _ in found.values())
    killed: Counter[str] = Counter(module for module, dead in found.values() if dead)
    for module in sorted(total):
        print(f"{module}: {killed[module]} / {total[module]}")
    share = 100 * sum(killed.values()) / max(1, sum(total.values()))
    print(f"TOTAL: {sum(killed.values())} / {sum(total.values())} killed ({share:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
