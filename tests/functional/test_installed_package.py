"""steplane works from a built (non-editable) package, run from any folder.

The package is built the way an installer builds it, from a copy of the repository's
sources, and unzipped; ``steplane`` is then run with only that directory on the path, so
no source checkout can lend it a template.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ONBOARDING = ROOT / "statemachines" / "user_onboarding.json"
# What the build reads: pyproject.toml names README.md, functions/ and infra/'s backend.
SOURCES = ("pyproject.toml", "README.md", "template.yaml", "statemachines", "infra", "functions")


def _checked(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sources a build reads (building in place would litter the checkout)."""
    copy = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, copy / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def installed(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from ``source``, unzipped as an installer would lay it out."""
    wheels = tmp_path_factory.mktemp("wheels")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    _checked([*pip, "--quiet", "-w", str(wheels), str(source)])
    (wheel,) = wheels.glob("steplane-*.whl")
    target = tmp_path_factory.mktemp("installed")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def _python(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("STEPLANE_TEMPLATE", "PYTHONPATH")}
    env["PYTHONPATH"] = str(installed)
    return subprocess.run(
        [sys.executable, *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("folder", ["empty", "with_a_foreign_template"])
def test_the_built_wheel_runs_the_onboarding_workflow_from_any_folder(
    installed: Path, tmp_path: Path, folder: str
) -> None:
    if folder == "with_a_foreign_template":
        # Another SAM project's template: it used to be picked up, and crash the run.
        (tmp_path / "template.yaml").write_text(
            "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
        )
    cwd = tmp_path / "nested"
    cwd.mkdir()

    ran = _python(
        installed,
        cwd,
        *("-m", "steplane.cli", "run", str(ONBOARDING), "--input", '{"email": "a@example.com"}'),
    )

    assert ran.returncode == 0, ran.stderr
    assert "status: SUCCEEDED" in ran.stdout
    where = (
        "import steplane, steplane.local.template as t; print(steplane.__file__, t.find_template())"
    )
    located = _python(installed, cwd, "-c", where)
    package, template = located.stdout.split()
    assert Path(package).is_relative_to(installed)
    assert Path(template) == installed / "steplane" / "local" / "template.yaml"


def test_the_packaged_template_is_the_repository_template(installed: Path) -> None:
    packaged = installed / "steplane" / "local" / "template.yaml"
    assert packaged.read_bytes() == (ROOT / "template.yaml").read_bytes()


def test_the_package_carries_the_console_and_its_demo_definition(installed: Path) -> None:
    static = installed / "steplane" / "console" / "static"
    assert {p.name for p in static.iterdir()} == {"index.html", "app.js", "app.css"}
    demo = installed / "steplane" / "examples" / "user_onboarding.json"
    assert demo.read_bytes() == (ROOT / "statemachines" / "user_onboarding.json").read_bytes()


def test_the_sdist_carries_the_template_and_the_backend_to_rebuild_the_wheel(
    source: Path, tmp_path: Path
) -> None:
    build = f"import steplane_build; print(steplane_build.build_sdist({str(tmp_path)!r}))"
    env = {**os.environ, "PYTHONPATH": str(source / "infra")}
    name = _checked([sys.executable, "-c", build], cwd=source, env=env).stdout.split()[-1]
    with tarfile.open(tmp_path / name) as archive:
        members = {member.split("/", 1)[1] for member in archive.getnames() if "/" in member}
    assert {
        "template.yaml",
        "statemachines/user_onboarding.json",
        "infra/steplane_build.py",
        "pyproject.toml",
    } <= members
