"""Read ``template.yaml`` so the local runtime builds exactly what the SAM template declares.

The template is the single source of truth: tables, queues, dead-letter queues, function
handlers, environment variables and event sources are read from it, never copied by hand.
Parsing here is pure; :func:`provision` (in :mod:`steplane.local.provision`) creates the
resources in moto or any other AWS endpoint.

Example::

    template = load_template(find_template())
    resources = provision(template, boto3.client("dynamodb"), boto3.client("sqs"))
    env = function_environment(template, "AdvanceFunction", resources)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steplane.local.cfn import (
    TemplateError,
    UnresolvedReferenceError,
    UnsupportedIntrinsicError,
    load_yaml,
    resolve,
)
from steplane.local.provision import Resources, function_environment, provision
from steplane.local.specs import (
    ApiEventSpec,
    FunctionSpec,
    QueueSpec,
    SqsEventSpec,
    TableSpec,
    parse_function,
    parse_queue,
    parse_table,
)

__all__ = [
    "ApiEventSpec",
    "FunctionSpec",
    "QueueSpec",
    "Resources",
    "SqsEventSpec",
    "TableSpec",
    "Template",
    "TemplateError",
    "UnresolvedReferenceError",
    "UnsupportedIntrinsicError",
    "check_engine_functions",
    "find_template",
    "function_environment",
    "load_template",
    "provision",
]

TEMPLATE_ENV_VAR = "STEPLANE_TEMPLATE"
TEMPLATE_FILE_NAME = "template.yaml"
TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
FUNCTION = "AWS::Serverless::Function"
ENGINE_HANDLERS = "steplane.handlers."
# The engine's Lambda functions, by handler module: a template without them is not steplane's.
ENGINE_MODULES = tuple(
    ENGINE_HANDLERS + name for name in ("start", "advance", "task_complete", "status")
)
_HERE = Path(__file__).resolve()
# A built package carries the repository's root template beside this module (copied at build
# time by infra/steplane_build.py); a source checkout or editable install has the root file.
PACKAGED_TEMPLATE = _HERE.with_name(TEMPLATE_FILE_NAME)
# functions/steplane/local/template.py -> the repository root is three levels above local/.
REPOSITORY_TEMPLATE = (
    _HERE.parents[3] / TEMPLATE_FILE_NAME if _HERE.parents[2].name == "functions" else None
)


@dataclass(frozen=True)
class Template:
    """A parsed SAM template: the raw data plus typed views of the parts the runtime uses."""

    data: dict[str, Any]
    path: Path | None = None

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Return logical id -> resource for every resource of ``resource_type``."""
        resources = self.data.get("Resources")
        if not isinstance(resources, dict):
            raise TemplateError("template has no Resources mapping")
        return {
            k: v
            for k, v in resources.items()
            if isinstance(v, dict) and v.get("Type") == resource_type
        }

    def parameter_defaults(self) -> dict[str, Any]:
        """Return the Default of every template parameter that has one."""
        parameters = self.data.get("Parameters") or {}
        return {
            name: _default(spec) for name, spec in parameters.items() if "Default" in (spec or {})
        }

    def tables(self) -> list[TableSpec]:
        """Every ``AWS::DynamoDB::Table``, in template order, its conditions evaluated with
        the parameters' defaults (an index a condition leaves out is not there)."""
        return [
            parse_table(k, self._conditioned(v)) for k, v in self.resources_of_type(TABLE).items()
        ]

    def _conditioned(self, fragment: Any) -> Any:
        """``fragment`` with ``Fn::If`` (and what it needs: parameters' defaults, the
        template's conditions) evaluated; a reference to a resource is an error."""
        defaults = self.parameter_defaults()
        conditions = self.data.get("Conditions") or {}

        def ref(name: str) -> Any:
            if name not in defaults:
                raise TemplateError(f"a table property refers to {name!r}, not a parameter")
            value = defaults[name]
            return list(value) if isinstance(value, list | tuple) else str(value)

        def get_att(logical_id: str, attribute: str) -> Any:
            raise TemplateError(f"a table property refers to {logical_id}.{attribute}")

        return resolve(fragment, ref, get_att, conditions.__getitem__)

    def queues(self) -> list[QueueSpec]:
        """Every ``AWS::SQS::Queue``, in template order."""
        return [parse_queue(k, v) for k, v in self.resources_of_type(QUEUE).items()]

    def dead_letter_queue_ids(self) -> frozenset[str]:
        """Logical ids of the queues that some RedrivePolicy names as its dead-letter queue."""
        return frozenset(
            q.dead_letter_queue_logical_id for q in self.queues() if q.dead_letter_queue_logical_id
        )

    def functions(self) -> list[FunctionSpec]:
        """Every ``AWS::Serverless::Function``, Globals merged, in template order."""
        globals_ = (self.data.get("Globals") or {}).get("Function") or {}
        functions = self.resources_of_type(FUNCTION).items()
        return [parse_function(k, v, globals_) for k, v in functions]

    def function(self, logical_id: str) -> FunctionSpec:
        """The function named ``logical_id``; raises TemplateError if there is none."""
        for spec in self.functions():
            if spec.logical_id == logical_id:
                return spec
        raise TemplateError(f"template has no {FUNCTION} {logical_id!r}")


def _default(spec: dict[str, Any]) -> Any:
    """A parameter's Default, as Ref gives it: a CommaDelimitedList as its list."""
    default = spec["Default"]
    if spec.get("Type") == "CommaDelimitedList":
        return [part.strip() for part in str(default).split(",")]
    return default


def load_template(path: str | Path) -> Template:
    """Read and parse a SAM template.

    Raises:
        FileNotFoundError: there is no file at ``path``.
        TemplateError: the file is not a template.
    """
    path = Path(path)
    return Template(data=load_yaml(path.read_text(encoding="utf-8")), path=path)


def find_template() -> Path:
    """Locate the template the local runtime builds its resources from.

    Looks, in order, at the ``STEPLANE_TEMPLATE`` environment variable (which must then name
    an existing file), the template packaged with steplane, and, in a source checkout, the
    repository's root ``template.yaml``. Never at the working directory: an unrelated
    ``template.yaml`` in the folder a user runs from must not replace the engine's.

    Raises:
        FileNotFoundError: no template was found; the message lists every place looked at.
    """
    explicit = os.environ.get(TEMPLATE_ENV_VAR)
    if explicit:
        if Path(explicit).is_file():
            return Path(explicit)
        raise FileNotFoundError(f"{TEMPLATE_ENV_VAR}={explicit!r} is not a file")
    candidates = [c for c in (PACKAGED_TEMPLATE, REPOSITORY_TEMPLATE) if c is not None]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"no {TEMPLATE_FILE_NAME} packaged with steplane (looked at: {looked}); "
        f"set {TEMPLATE_ENV_VAR} to steplane's template.yaml"
    )


def check_engine_functions(template: Template) -> None:
    """Make sure ``template`` declares the engine's functions, so the runtime can wire them.

    Raises:
        TemplateError: naming the engine handler modules that no function of it uses.
    """
    where = str(template.path or "the template")
    try:
        declared = {spec.handler.rsplit(".", 1)[0] for spec in template.functions()}
    except TemplateError as error:
        raise TemplateError(f"{where}: {error}") from error
    missing = [module for module in ENGINE_MODULES if module not in declared]
    if missing:
        raise TemplateError(
            f"{where} is not steplane's template: no {FUNCTION} has its handler in "
            f"{', '.join(missing)} (set {TEMPLATE_ENV_VAR} to steplane's template.yaml)"
        )
