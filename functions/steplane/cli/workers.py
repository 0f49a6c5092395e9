"""``--workers`` modules: the user's task handlers, registered with the local runtime."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from steplane.cli.errors import CommandError

EXAMPLES = "steplane.examples.onboarding"
Registrar = Callable[[Any], None]


def load_registrar(module_name: str) -> Registrar:
    """The ``register(worker)`` (or ``register_all``) function of a --workers module."""
    module = _import(module_name)
    for attribute in ("register", "register_all"):
        function = getattr(module, attribute, None)
        if callable(function):
            return function  # type: ignore[no-any-return]
    raise CommandError(
        f"--workers {module_name}: define register(worker) to register your task handlers, "
        "e.g. worker.register('arn:...:function:F', handler)"
    )


def register_workers(registrars: dict[str, Registrar], worker: Any) -> None:
    """Call each module's registrar; a registrar that raises is the user's error, one line."""
    for module_name, register in registrars.items():
        try:
            register(worker)
        except Exception as error:
            raise CommandError(
                f"--workers {module_name}: register(worker) raised {type(error).__name__}: {error}"
            ) from error


def _import(module_name: str) -> Any:
    try:
        if module_name.endswith(".py"):
            return _exec_file(module_name)
        return importlib.import_module(module_name)
    except CommandError:
        raise
    except Exception as error:  # the user's module failed to import: their error, one line
        raise CommandError(
            f"--workers {module_name}: cannot load it: {type(error).__name__}: {error}"
        ) from error


def _exec_file(path: str) -> Any:
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    if spec is None or spec.loader is None:
        raise CommandError(f"--workers {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
