"""A Map Run at run time, the pure part: what its ItemReader reads, how its items become
child inputs (``ItemBatcher``), where its ResultWriter writes, and its name. The shell
(``steplane.fanning``) reads and writes through its ports; this module says what.

The guide's order: "1. ItemReader ... 2. ItemsPath ... or Items (JSONata) ... 3.
ItemSelector ... 4. ItemBatcher ... 5. ResultWriter".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from steplane.asl.failures import AslError
from steplane.asl.item_files import CsvFormat
from steplane.asl.paths import describe
from steplane.asl.scope import Scope
from steplane.asl.templates import Template, TemplateError
from steplane.errors import StatesError
from steplane.execution import Execution
from steplane.interpreter.field_numbers import POSITIVE, NumberRule, field_number
from steplane.jsontypes import Json, compact_json
from steplane.limits import MAX_PAYLOAD_BYTES, utf8_size
from steplane.settings import Settings
from steplane.states.map_run import (
    LIST_OBJECTS,
    MAX_ITEMS_LIMIT,
    ItemBatcher,
    ItemReader,
    ReaderConfig,
    ResultWriter,
    WriterConfig,
    compiled,
    source_of,
)


class ChildInputTooLarge(AslError):  # noqa: N818 - an ASL error, named for what it is
    """A child's input over the 256 KiB payload limit (``States.DataLimitExceeded``)."""

    error = StatesError.DATA_LIMIT_EXCEEDED.value


# -- what to read ------------------------------------------------------------------------
@dataclass(frozen=True)
class ReadRequest:
    """One S3 source of a Map Run's items: an object in a format, or (``listing``) the
    objects under ``prefix``."""

    bucket: str
    listing: bool = False
    key: str = ""
    prefix: str = ""
    version: str | None = None
    input_type: str | None = None
    csv: CsvFormat | None = None
    pointer: str | None = None
    max_items: int | None = None

    @property
    def source(self) -> str:
        """Where the items are, as errors name it."""
        return f"s3://{self.bucket}/{self.prefix if self.listing else self.key}"

    @property
    def item_source(self) -> str:
        """``$$.Map.Item.Source`` of its items: the guide's "S3://bucket-name/object-key"
        for an object, "S3://bucket-name" for a listing."""
        return f"S3://{self.bucket}" if self.listing else f"S3://{self.bucket}/{self.key}"


def read_request(reader: ItemReader, effective: Scope, language: str) -> ReadRequest:
    """What ``reader`` reads for a visit whose effective input is ``effective``.

    Raises:
        AslError: parameters that do not give S3 what it needs (a Bucket and Key string,
            a Prefix string, a VersionId string), or a MaxItems(Path) out of range.
    """
    params = _evaluated(
        source_of(reader.parameters, reader.arguments, language), effective, language, "ItemReader"
    )
    if not isinstance(params, dict):
        raise AslError(f"the ItemReader's parameters gave {describe(params)}, not an object")
    bucket = _text(params, "Bucket", "the ItemReader")
    config = reader.reader_config
    max_items = _max_items(config, effective, language)
    if reader.resource == LIST_OBJECTS:
        prefix = _text(params, "Prefix", "the ItemReader", default="")
        return ReadRequest(bucket, listing=True, prefix=prefix, max_items=max_items)
    version = params.get("VersionId")
    if version is not None and not isinstance(version, str):
        raise AslError(f"the ItemReader's VersionId is {describe(version)}, not a string")
    csv = None
    if config.input_type == "CSV":
        csv = CsvFormat(config.csv_header_location, config.csv_headers or (), config.csv_delimiter)
    return ReadRequest(
        bucket,
        key=_text(params, "Key", "the ItemReader"),
        version=version,
        input_type=config.input_type,
        csv=csv,
        pointer=config.items_pointer,
        max_items=max_items,
    )


def _max_items(config: ReaderConfig, effective: Scope, language: str) -> int | None:
    """ReaderConfig's ``MaxItems`` ("MUST be a positive integer")."""
    value = _limit(
        "MaxItems",
        config.max_items,
        config.max_items_path,
        effective,
        language,
        NumberRule(1, MAX_ITEMS_LIMIT),
    )
    return None if value is None else int(value)


# -- child inputs --------------------------------------------------------------------------
@dataclass(frozen=True)
class ChildInputs:
    """A Map Run's children: each one's input and how many items it carries (its
    weight: 1, or its batch's size; the tolerated failures count items)."""

    inputs: list[Json]
    weights: list[int]

    @property
    def items(self) -> int:
        """The items the children carry in all."""
        return sum(self.weights)


def batched(
    batcher: ItemBatcher | None, selected: list[Json], effective: Scope, language: str
) -> ChildInputs:
    """The children of ``selected`` (the items after ItemSelector): one each, or with an
    ``ItemBatcher`` batches of them.

    The guide: "Step Functions adds the items to an Items array", with ``BatchInput`` beside
    it; a batch holds at most ``MaxItemsPerBatch`` items and ``MaxInputBytesPerBatch``
    bytes (the batch's input, measured as compact JSON in UTF-8), "up to 256 KiB" and 256
    KiB when not given.

    Raises:
        AslError: a limit read by its Path (or evaluated) that is not a positive integer,
            or one item too large for any batch, or a child's input over 256 KiB.
    """
    if batcher is None:
        for index, item in enumerate(selected):
            _check_size(index, utf8_size(compact_json(item)))
        return ChildInputs(selected, [1] * len(selected))
    max_items = _limit(
        "MaxItemsPerBatch",
        batcher.max_items_per_batch,
        batcher.max_items_per_batch_path,
        effective,
        language,
        POSITIVE,
    )
    max_bytes = _limit(
        "MaxInputBytesPerBatch",
        batcher.max_input_bytes_per_batch,
        batcher.max_input_bytes_per_batch_path,
        effective,
        language,
        NumberRule(1, MAX_PAYLOAD_BYTES),
    )
    batch_input = _evaluated(batcher.batch_input, effective, language, "BatchInput")
    return _batches(selected, batch_input, int(max_items or 0), int(max_bytes or MAX_PAYLOAD_BYTES))


def _batches(
    selected: list[Json], batch_input: Json, max_items: int, max_bytes: int
) -> ChildInputs:
    shell: dict[str, Json] = {"Items": []}
    if batch_input is not None:
        shell["BatchInput"] = batch_input
    base = utf8_size(compact_json(shell))  # the batch's own bytes, before its items
    inputs: list[Json] = []
    weights: list[int] = []
    items: list[Json] = []
    size = base
    for index, item in enumerate(selected):
        item_size = utf8_size(compact_json(item))
        comma = 1 if items else 0
        full = bool(max_items) and len(items) >= max_items
        if items and (full or size + comma + item_size > max_bytes):
            inputs.append({**shell, "Items": items})
            weights.append(len(items))
            items, size, comma = [], base, 0
        if base + item_size > max_bytes:
            raise AslError(
                f"item {index} is {item_size} bytes: in a batch it is over "
                f"MaxInputBytesPerBatch ({max_bytes} bytes)"
            )
        items.append(item)
        size += comma + item_size
    if items:
        inputs.append({**shell, "Items": items})
        weights.append(len(items))
    return ChildInputs(inputs, weights)


def _check_size(index: int, size: int) -> None:
    """The guide: "The execution input used to start a child workflow execution can't
    exceed 256 KiB"."""
    if size > MAX_PAYLOAD_BYTES:
        raise ChildInputTooLarge(
            f"item {index}'s input is {size} bytes, over the {MAX_PAYLOAD_BYTES} bytes of a "
            "child execution's input (use ItemSelector to keep what the child needs)"
        )


# -- where to write -------------------------------------------------------------------------
@dataclass(frozen=True)
class WriteRequest:
    """Where and how a Map Run's results are exported."""

    bucket: str
    prefix: str
    transformation: Literal["NONE", "COMPACT", "FLATTEN"]
    output_type: Literal["JSON", "JSONL"]


def write_request(writer: ResultWriter, effective: Scope, language: str) -> WriteRequest:
    """Where ``writer`` exports to (it names a bucket: ``ResultWriter.exports``).

    Raises:
        AslError: the parameters do not give a Bucket string (and a Prefix string).
    """
    config = writer.writer_config or WriterConfig()
    source = source_of(writer.parameters, writer.arguments, language)
    params = _evaluated(source, effective, language, "ResultWriter")
    if not isinstance(params, dict):
        raise AslError(f"the ResultWriter's parameters gave {describe(params)}, not an object")
    bucket = _text(params, "Bucket", "the ResultWriter")
    prefix = _text(params, "Prefix", "the ResultWriter", default="")
    return WriteRequest(bucket, prefix, config.transformation, config.output_type)


def flattened(transformation: str, outputs: list[Json]) -> list[Json]:
    """The guide: "FLATTEN - ... If a child workflow execution returns an array, this
    option flattens the array"; anything else keeps each output as it is."""
    if transformation != "FLATTEN":
        return outputs
    flat: list[Json] = []
    for output in outputs:
        if isinstance(output, list):
            flat.extend(output)
        else:
            flat.append(output)
    return flat


# -- the Map Run's name ------------------------------------------------------------------------
@dataclass(frozen=True)
class MapRunName:
    """A Map Run's identity: its UUID and ARN, and the ARNs its children are named by."""

    run_id: str
    arn: str
    child_machine_arn: str

    def child_arn(self, child_name: str) -> str:
        """A child execution's ARN: ``...:execution:{stateMachine}/{label}:{name}``."""
        return self.child_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{child_name}"


def map_run_name(settings: Settings, label: str, parent: Execution) -> MapRunName:
    """The Map Run of the visit ``parent`` is parked on: the same for every look at that
    visit (a retry's visit is a new Map Run: "When you retry a Map state, it creates a new
    Map Run"), and another for a later execution of the same name."""
    visit, started = parent.entered_version, parent.start_date.isoformat()
    seed = f"steplane:map-run:{parent.execution_id}:{started}:{visit}"
    run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
    machine = f"{settings.state_machine_arn(parent.workflow)}/{label}"
    arn = machine.replace(":stateMachine:", ":mapRun:", 1) + f":{run_id}"
    return MapRunName(run_id, arn, machine)


def child_name(child_id: str) -> str:
    """A Map Run child's execution name (a UUID, as Step Functions names them), the same
    for every look at the child."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"steplane:child:{child_id}"))


# -- evaluation ------------------------------------------------------------------------------
def _limit(  # noqa: PLR0917 - the field's spellings, its scope and its rule
    field: str,
    given: int | str | None,
    path: str | None,
    effective: Scope,
    language: str,
    rule: NumberRule,
) -> float | None:
    """A limit as given, read by its Path, or (a ``{% %}`` string in JSONata) evaluated."""
    expression = compiled(given, language, field) if isinstance(given, str) else None
    plain = given if isinstance(given, int) else None
    return field_number(field, plain, path, expression, effective, rule)


def _evaluated(source: Json, effective: Scope, language: str, field: str) -> Json:
    """A templated field's value for this visit (None when the field is absent)."""
    if source is None:
        return None
    try:
        template: Template = compiled(source, language, field)
    except TemplateError as error:  # checked at load: only a definition loaded unchecked
        raise AslError(f"{field}: {error.problems}") from None
    value: Json = template.evaluate(effective)
    return value


def _text(params: dict[str, Json], field: str, owner: str, default: str | None = None) -> str:
    value = params.get(field, default)
    if not isinstance(value, str) or (default is None and not value):
        raise AslError(f"{owner}'s {field} is {describe(value)}, not a non-empty string")
    return value
