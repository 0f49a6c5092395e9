"""steplane's build backend: setuptools, plus the root ``template.yaml`` (and the onboarding
definition the console's demo runs) inside the package.

The local runtime builds its moto tables and queues from the SAM template, and the one
template lives at the repository root, where SAM deploys it. So that an installed package
(not only a source checkout) can run workflows, the build copies that file into the
package as ``steplane/local/template.yaml``: one committed file, never a second copy that
could drift. ``pyproject.toml`` names this module as the build backend (``backend-path``
puts ``infra/`` on the import path) and its ``BuildPy`` and ``Sdist`` as setuptools
commands.
"""

from __future__ import annotations

from pathlib import Path

from setuptools.build_meta import (
    build_editable,
    build_sdist,
    build_wheel,
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

__all__ = [
    "BuildPy",
    "Sdist",
    "build_editable",
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "template.yaml"
# Where steplane.local.template looks for it in an installed package.
PACKAGED_TEMPLATE = Path("steplane", "local", TEMPLATE)
# The onboarding definition `steplane console`'s demo runs (steplane.console.demo).
ONBOARDING = "statemachines/user_onboarding.json"
PACKAGED_ONBOARDING = Path("steplane", "examples", "user_onboarding.json")
# Each root file the package carries, and where.
PACKAGED = ((TEMPLATE, PACKAGED_TEMPLATE), (ONBOARDING, PACKAGED_ONBOARDING))
# What an sdist needs beyond the package to build the same wheel again.
SDIST_EXTRAS = (TEMPLATE, ONBOARDING, "infra/steplane_build.py")


class BuildPy(build_py):
    """``build_py`` that also copies the root ``template.yaml`` into the built package."""

    def run(self) -> None:
        super().run()
        # An editable install runs the sources in place, where the runtime finds the
        # repository's template itself; copying it would only make a stray file.
        if not self.editable_mode:
            self._copy_template()

    def _copy_template(self) -> None:
        for name, packaged in PACKAGED:
            source = ROOT / name
            if not source.is_file():
                # Fail the build rather than ship a package whose runtime cannot start.
                raise FileNotFoundError(f"{source} is missing: the package must carry it")
            target = Path(self.build_lib) / packaged
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """The built files, the copied ones included, so installers record them."""
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            outputs += [str(Path(self.build_lib) / packaged) for _, packaged in PACKAGED]
        return outputs


class Sdist(sdist):
    """``sdist`` that also ships the root template and this backend, to rebuild the wheel."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        for extra in SDIST_EXTRAS:
            target = Path(base_dir, extra)
            self.mkpath(str(target.parent))
            self.copy_file(str(ROOT / extra), str(target))
