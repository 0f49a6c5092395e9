"""The README's Python example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_python_example_runs_and_succeeds() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    example = next(b for b in blocks if "LocalRuntime" in b)
    namespace: dict[str, object] = {}
    exec(compile(example, str(README), "exec"), namespace)
    result = namespace["result"]
    assert result.status == "SUCCEEDED"  # type: ignore[attr-defined]
    assert result.output == {"email": "a@b.c", "userId": "user_1"}  # type: ignore[attr-defined]
