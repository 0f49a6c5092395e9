"""Run a mutmut run's survivors again, against tests written since (or any tests you name).

Usage, from the repository root, after tests/mutation/run.sh::

    python tests/mutation/recheck.py [--jobs 2] -- tests/unit/test_wildcard.py ...
    python tests/mutation/recheck.py --unchecked -- <the selection, fastest files first>
    python tests/mutation/recheck.py --only 'steplane/interpreter/*' -- tests/unit/...

``--only`` takes the mutants of the modules matching a pattern, so each module group runs
the tests that can reach it (the interpreter's are pure unit tests).

Each mutant that no test killed (survived, or no selected test reached its function) runs
once, in its own pytest process with ``-x``, switched on by mutmut's own trampoline
(``MUTANT_UNDER_TEST``) over the staged mutants in build/mutation/mutants/src. Tests
that already ran against a mutant cannot kill it on a second run, so naming only the new
tests is enough, and fast. Verdicts go to build/mutation/recheck/, in mutmut's meta
format, so ``score.py mutants recheck`` merges them (killed by either run is killed); a
mutant already rechecked there is not run again, unless ``--again`` asks to rerun the
ones that survived it (after more tests were written).

``--unchecked`` runs instead the mutants a stopped mutmut run never reached, against the
tests named (in the order named, so cheap files first kill most mutants sooner), and
writes to build/mutation/unchecked/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGE = ROOT / "build" / "mutation"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from score import outcomes  # noqa: E402


def run_one(name: str, tests: list[str]) -> int:
    """pytest's exit code for ``tests`` with mutant ``name`` switched on (1: killed)."""
    environment = dict(os.environ, MUTANT_UNDER_TEST=name, PYTHONPATH=str(STAGE / "mutants/src"))
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-n",
        "0",
        *tests,
    ]
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=environment, capture_output=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        return 36  # mutmut's code for a timeout: the mutant hung a test
    return done.returncode


def main(arguments: list[str]) -> int:
    """Recheck every survivor of the staged run; write verdicts; print how many died."""
    jobs, unchecked, only, again = 1, False, "*", False
    while arguments[:1] in (["--jobs"], ["--unchecked"], ["--only"], ["--again"]):
        if arguments[0] == "--again":
            again, arguments = True, arguments[1:]
        elif arguments[0] == "--jobs":
            jobs, arguments = int(arguments[1]), arguments[2:]
        elif arguments[0] == "--only":
            only, arguments = arguments[1], arguments[2:]
        else:
            unchecked, arguments = True, arguments[1:]
    tests = arguments[1:] if arguments[:1] == ["--"] else arguments
    folder = STAGE / ("unchecked" if unchecked else "recheck")
    found = outcomes([STAGE / "mutants"])
    earlier = outcomes([folder]) if folder.is_dir() else {}
    checked = _checked(STAGE / "mutants")
    todo = [
        (name, module)
        for name, (module, killed) in sorted(found.items(), key=_service_first)
        if not killed
        and (name not in checked) == unchecked
        and (name not in earlier or (again and not earlier[name][1]))
        and fnmatch(module, only)
    ]
    what = "mutants the run did not reach" if unchecked else "survivors"
    print(f"running {len(todo)} {what} against {' '.join(tests)}", flush=True)
    killed = 0
    with ThreadPoolExecutor(jobs) as pool:
        # Verdicts are written as they come, so an interrupted recheck keeps its work.
        for (name, module), code in zip(
            todo, pool.map(lambda item: run_one(item[0], tests), todo), strict=True
        ):
            _record(folder, module, name, code)
            killed += code in (1, 36)
    print(f"killed {killed} of {len(todo)}")
    return 0


def _service_first(item: tuple[str, tuple[str, bool]]) -> tuple[int, str]:
    """The service, then the interpreter, then the adapters (an --unchecked run may be cut)."""
    name, (module, _) = item
    rank = 0 if "service" in module else 1 if "interpreter" in module else 2
    return rank, name


def _record(folder: Path, module: str, name: str, code: int) -> None:
    meta = folder / "src" / f"{module}.meta"
    meta.parent.mkdir(parents=True, exist_ok=True)
    codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.is_file() else {}
    codes[name] = code
    meta.write_text(json.dumps({"exit_code_by_key": codes}, indent=1))


def _checked(folder: Path) -> set[str]:
    """Mutants the run has a verdict for (a run stopped early leaves some unchecked)."""
    names: set[str] = set()
    for meta in folder.rglob("*.py.meta"):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        names.update(name for name, code in codes.items() if code is not None)
    return names


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
