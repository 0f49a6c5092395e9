"""A distributed Map's Map Run, the pure part: where its items come from (``ItemReader``),
how they are grouped into child inputs (``ItemBatcher``), and where the children's
results go (``ResultWriter``). The shell (``steplane.fanning``) does the reading and
writing through its ports; this module says what to read and write.

The guide's order: "1. ItemReader ... 2. ItemsPath ... or Items (JSONata) ... 3.
ItemSelector ... 4. ItemBatcher ... 5. ResultWriter".
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from steplane.asl.failures import AslError
from steplane.asl.paths import describe
from steplane.asl.references import read
from steplane.asl.scope import Scope
from steplane.asl.templates import TemplateError, compile_jsonata_template, compile_template
from steplane.definition.base import Spec
from steplane.errors import Problem
from steplane.jsontypes import Json
from steplane.limits import MAX_PAYLOAD_BYTES, utf8_size
from steplane.settings import Settings

GET_OBJECT = "arn:aws:states:::s3:getObject"
LIST_OBJECTS = "arn:aws:states:::s3:listObjectsV2"
PUT_OBJECT = "arn:aws:states:::s3:putObject"
JSONATA = "JSONata"

# The guide: "You can specify a limit of up to 100,000,000 after which the Distributed Map
# stops reading items."
MAX_ITEMS_LIMIT = 100_000_000


class ReaderConfig(Spec):
    """How the object is read: its format, the CSV header, and how many items at most."""

    input_type: Literal["CSV", "JSON", "JSONL", "PARQUET", "MANIFEST"] | None = Field(
        None, alias="InputType"
    )
    csv_header_location: Literal["FIRST_ROW", "GIVEN"] = Field(
        "FIRST_ROW", alias="CSVHeaderLocation"
    )
    csv_headers: tuple[str, ...] | None = Field(None, alias="CSVHeaders")
    csv_delimiter: Literal["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"] = Field(
        "COMMA", alias="CSVDelimiter"
    )
    max_items: int | str | None = Field(None, alias="MaxItems")
    max_items_path: str | None = Field(None, alias="MaxItemsPath")
    items_pointer: str | None = Field(None, alias="ItemsPointer")
    transformation: Literal["NONE", "LOAD_AND_FLATTEN"] = Field("NONE", alias="Transformation")
    manifest_type: Literal["ATHENA_DATA", "S3_INVENTORY"] | None = Field(None, alias="ManifestType")


class ItemReader(Spec):
    """``ItemReader``: an S3 object (``s3:getObject``) or listing (``s3:listObjectsV2``)."""

    resource: str = Field(alias="Resource")
    parameters: dict[str, Json] | None = Field(None, alias="Parameters")
    arguments: dict[str, Json] | str | None = Field(None, alias="Arguments")
    reader_config: ReaderConfig = Field(default_factory=ReaderConfig, alias="ReaderConfig")


class ItemBatcher(Spec):
    """``ItemBatcher``: how many items, and how many bytes, one child processes at most."""

    max_items_per_batch: int | str | None = Field(None, alias="MaxItemsPerBatch")
    max_items_per_batch_path: str | None = Field(None, alias="MaxItemsPerBatchPath")
    max_input_bytes_per_batch: int | str | None = Field(None, alias="MaxInputBytesPerBatch")
    max_input_bytes_per_batch_path: str | None = Field(None, alias="MaxInputBytesPerBatchPath")
    batch_input: dict[str, Json] | str | None = Field(None, alias="BatchInput")


class WriterConfig(Spec):
    """``WriterConfig``: what each result record holds, and the files' format."""

    transformation: Literal["NONE", "COMPACT", "FLATTEN"] = Field("NONE", alias="Transformation")
    output_type: Literal["JSON", "JSONL"] = Field("JSON", alias="OutputType")


class ResultWriter(Spec):
    """``ResultWriter``: the S3 bucket and prefix the Map Run's results are exported to."""

    resource: str | None = Field(None, alias="Resource")
    parameters: dict[str, Json] | None = Field(None, alias="Parameters")
    arguments: dict[str, Json] | str | None = Field(None, alias="Arguments")
    writer_config: WriterConfig | None = Field(None, alias="WriterConfig")


# -- what to read ------------------------------------------------------------------------
@dataclass(frozen=True)
class CsvSpec:
    """A CSV object's header and delimiter (``ReaderConfig``)."""

    header_location: Literal["FIRST_ROW", "GIVEN"]
    headers: tuple[str, ...]
    delimiter: Literal["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"]


@dataclass(frozen=True)
class ReadRequest:
    """One S3 source of a Map Run's items: an object in a format, or a listing (``key``
    None: every object under ``prefix``)."""

    bucket: str
    key: str | None = None
    prefix: str = ""
    version: str | None = None
    input_type: str | None = None
    csv: CsvSpec | None = None
    pointer: str | None = None
    max_items: int | None = None

    @property
    def source(self) -> str:
        """Where the items are, as ``$$.Map.Item.Source`` and errors name it."""
        return f"s3://{self.bucket}/{self.key if self.key is not None else self.prefix}"


def read_request(reader: ItemReader, effective: Scope, language: str) -> ReadRequest:
    """What ``reader`` reads for a visit whose effective input is ``effective``.

    Raises:
        AslError: Parameters/Arguments or MaxItems(Path) that do not give what S3 needs.
    """
    params = _evaluated(
        reader.arguments if language == JSONATA else reader.parameters,
        effective,
        language,
        "ItemReader",
    )
    if not isinstance(params, dict) or not isinstance(params.get("Bucket"), str):
        raise AslError(
            f"the ItemReader's parameters gave {describe(params)}, with no Bucket string"
        )
    config = reader.reader_config
    max_items = _max_items(config, effective, language)
    bucket = str(params["Bucket"])
    if reader.resource == LIST_OBJECTS:
        prefix = params.get("Prefix", "")
        if not isinstance(prefix, str):
            raise AslError(f"the ItemReader's Prefix is {describe(prefix)}, not a string")
        return ReadRequest(bucket, prefix=prefix, max_items=max_items)
    key, version = params.get("Key"), params.get("VersionId")
    if not isinstance(key, str):
        raise AslError(f"the ItemReader's Key is {describe(key)}, not a string")
    csv = None
    if config.input_type == "CSV":
        csv = CsvSpec(config.csv_header_location, config.csv_headers or (), config.csv_delimiter)
    return ReadRequest(
        bucket,
        key=key,
        version=version if isinstance(version, str) else None,
        input_type=config.input_type,
        csv=csv,
        pointer=config.items_pointer,
        max_items=max_items,
    )


def _max_items(config: ReaderConfig, effective: Scope, language: str) -> int | None:
    """ReaderConfig's ``MaxItems`` ("MUST be a positive integer"), read by its Path or
    evaluated (JSONata); None when absent."""
    if config.max_items_path is not None:
        value: Json = read(effective, config.max_items_path)
        source = f"MaxItemsPath {config.max_items_path!r} selected"
    elif isinstance(config.max_items, str):
        value = _evaluated(config.max_items, effective, language, "MaxItems")
        source = "the MaxItems expression gave"
    else:
        return config.max_items
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ITEMS_LIMIT:
        raise AslError(
            f"{source} {describe(value)}, not a positive integer of at most {MAX_ITEMS_LIMIT}"
        )
    return value


# -- batching ----------------------------------------------------------------------------
def batched(
    batcher: ItemBatcher | None, selected: list[Json], effective: Scope, language: str
) -> list[Json]:
    """The child inputs: each selected item, or with an ``ItemBatcher`` batches of them.

    The guide: "Step Functions adds the items to an Items array", with ``BatchInput`` beside
    it; a batch holds at most ``MaxItemsPerBatch`` items and ``MaxInputBytesPerBatch``
    bytes ("If you use batching and don't specify a maximum batch size, the interpreter
    processes as many items it can process up to 256 KiB in each child").

    Raises:
        AslError: a limit read by its Path (or evaluated) that is not a positive integer,
            or a single item too large for any batch.
    """
    if batcher is None:
        return selected
    max_items = _batch_limit(
        batcher.max_items_per_batch,
        batcher.max_items_per_batch_path,
        "MaxItemsPerBatch",
        effective,
        language,
    )
    max_bytes = _batch_limit(
        batcher.max_input_bytes_per_batch,
        batcher.max_input_bytes_per_batch_path,
        "MaxInputBytesPerBatch",
        effective,
        language,
    )
    max_bytes = min(max_bytes or MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES)
    batch_input = None
    if batcher.batch_input is not None:
        batch_input = _evaluated(batcher.batch_input, effective, language, "BatchInput")
    # The batch's bytes are its input's: {"Items": [...], "BatchInput": ...}.
    base = utf8_size(
        _text({"Items": [], **({"BatchInput": batch_input} if batch_input is not None else {})})
    )
    batches: list[Json] = []
    items: list[Json] = []
    size = base
    for index, item in enumerate(selected):
        item_size = utf8_size(_text(item)) + (1 if items else 0)  # the comma
        if items and ((max_items and len(items) >= max_items) or size + item_size > max_bytes):
            batches.append(_batch(items, batch_input))
            items, size = [], base
            item_size -= 1
        if size + item_size > max_bytes:
            raise AslError(
                f"item {index} is {item_size} bytes: with the batch's other fields it is over "
                f"MaxInputBytesPerBatch ({max_bytes} bytes)"
            )
        items.append(item)
        size += item_size
    if items:
        batches.append(_batch(items, batch_input))
    return batches


def _batch(items: list[Json], batch_input: Json) -> Json:
    if batch_input is None:
        return {"Items": items}
    return {"Items": items, "BatchInput": batch_input}


def _batch_limit(
    given: int | str | None, path: str | None, field: str, effective: Scope, language: str
) -> int | None:
    if path is not None:
        value: Json = read(effective, path)
        source = f"{field}Path {path!r} selected"
    elif isinstance(given, str):
        value = _evaluated(given, effective, language, field)
        source = f"the {field} expression gave"
    else:
        return given
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise AslError(f"{source} {describe(value)}, not a positive integer")
    return value


# -- writing -----------------------------------------------------------------------------
@dataclass(frozen=True)
class WriteRequest:
    """Where and how a Map Run's results are exported."""

    bucket: str
    prefix: str
    transformation: Literal["NONE", "COMPACT", "FLATTEN"]
    output_type: Literal["JSON", "JSONL"]


def write_request(writer: ResultWriter, effective: Scope, language: str) -> WriteRequest:
    """Where ``writer`` exports to, for a visit whose effective input is ``effective``.

    Raises:
        AslError: the parameters do not give a Bucket string (and a Prefix string).
    """
    config = writer.writer_config or WriterConfig()
    source = writer.arguments if language == JSONATA else writer.parameters
    if source is None:
        # The guide: with only WriterConfig, nothing is exported, the output is
        # transformed ("COMPACT - ... Default when ResultWriter is not specified").
        raise AslError("the ResultWriter has no Parameters/Arguments naming a Bucket")
    params = _evaluated(source, effective, language, "ResultWriter")
    if not isinstance(params, dict) or not isinstance(params.get("Bucket"), str):
        raise AslError(
            f"the ResultWriter's parameters gave {describe(params)}, with no Bucket string"
        )
    prefix = params.get("Prefix", "")
    if not isinstance(prefix, str):
        raise AslError(f"the ResultWriter's Prefix is {describe(prefix)}, not a string")
    return WriteRequest(str(params["Bucket"]), prefix, config.transformation, config.output_type)


def map_run_id(execution_id: str, visit: int) -> str:
    """The Map Run's UUID: the same for every look at the same visit (a retry's visit is
    a new Map Run: "When you retry a Map state, it creates a new Map Run")."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"steplane:map-run:{execution_id}:{visit}"))


def map_run_arn(settings: Settings, workflow: str, label: str, run_id: str) -> str:
    """``arn:...:mapRun:{stateMachine}/{label}:{uuid}``, as the guide shows it."""
    base = settings.state_machine_arn(workflow).replace(":stateMachine:", ":mapRun:")
    return f"{base}/{label}:{run_id}"


# -- load-time checks ----------------------------------------------------------------------
def check_reader(where: str, reader: ItemReader, language: str) -> Iterator[Problem]:
    """What the guide requires of an ItemReader, and what is not built yet."""
    config = reader.reader_config
    at = f"{where}/ReaderConfig"
    if reader.resource not in (GET_OBJECT, LIST_OBJECTS):
        yield Problem(f"{where}/Resource", f"must be {GET_OBJECT} or {LIST_OBJECTS}")
    yield from _check_source(where, reader.parameters, reader.arguments, language)
    if reader.resource == GET_OBJECT and config.input_type is None:
        yield Problem(at, "an s3:getObject ItemReader needs InputType (CSV, JSON or JSONL)")
    if (
        reader.resource == LIST_OBJECTS
        and config.input_type is not None
        and config.transformation == "NONE"
    ):
        yield Problem(
            f"{at}/InputType", "applies to a listing only with Transformation LOAD_AND_FLATTEN"
        )
    for field, value in (("InputType", config.input_type), ("ManifestType", config.manifest_type)):
        if value in ("PARQUET", "MANIFEST", "ATHENA_DATA", "S3_INVENTORY"):
            yield Problem(f"{at}/{field}", f"{value} is not supported yet (README: Known gaps)")
    if config.transformation == "LOAD_AND_FLATTEN":
        yield Problem(
            f"{at}/Transformation", "LOAD_AND_FLATTEN is not supported yet (README: Known gaps)"
        )
    if config.csv_header_location == "GIVEN" and not config.csv_headers:
        yield Problem(at, "CSVHeaderLocation GIVEN needs CSVHeaders")
    if config.csv_headers and config.csv_header_location != "GIVEN":
        yield Problem(f"{at}/CSVHeaders", "applies only with CSVHeaderLocation GIVEN")
    if config.input_type != "CSV" and "CSVHeaderLocation" in config.model_fields_set:
        yield Problem(f"{at}/CSVHeaderLocation", "applies only to InputType CSV")
    if config.items_pointer is not None and config.input_type != "JSON":
        yield Problem(f"{at}/ItemsPointer", "applies only to InputType JSON")
    if config.max_items is not None and config.max_items_path is not None:
        yield Problem(at, "has both MaxItems and MaxItemsPath; give one")
    yield from _check_limit(f"{at}/MaxItems", config.max_items, language, MAX_ITEMS_LIMIT)


def check_batcher(where: str, batcher: ItemBatcher, language: str) -> Iterator[Problem]:
    """The spec: "An ItemBatcher Configuration MUST contain at least one of ..."; a field
    and its Path are exclusive."""
    pairs = (
        ("MaxItemsPerBatch", batcher.max_items_per_batch, batcher.max_items_per_batch_path),
        (
            "MaxInputBytesPerBatch",
            batcher.max_input_bytes_per_batch,
            batcher.max_input_bytes_per_batch_path,
        ),
    )
    if all(value is None and path is None for _, value, path in pairs):
        yield Problem(where, "needs MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path)")
    for field, value, path in pairs:
        if value is not None and path is not None:
            yield Problem(where, f"has both {field} and {field}Path; give one")
        limit = MAX_PAYLOAD_BYTES if field == "MaxInputBytesPerBatch" else None
        yield from _check_limit(f"{where}/{field}", value, language, limit)
    if batcher.batch_input is not None:
        yield from _check_template(f"{where}/BatchInput", batcher.batch_input, language)


def check_writer(where: str, writer: ResultWriter, language: str) -> Iterator[Problem]:
    """The guide: "The ResultWriter field cannot be empty"; Resource goes with its
    Parameters (Arguments)."""
    source = writer.arguments if language == JSONATA else writer.parameters
    if writer.resource is None and source is None and writer.writer_config is None:
        yield Problem(
            where, "cannot be empty: give Resource and Parameters, WriterConfig, or all three"
        )
    if writer.resource is not None and writer.resource != PUT_OBJECT:
        yield Problem(f"{where}/Resource", f"must be {PUT_OBJECT}")
    if (writer.resource is None) != (source is None):
        field = "Arguments" if language == JSONATA else "Parameters"
        yield Problem(where, f"Resource and {field} go together")
    if source is not None:
        yield from _check_source(where, writer.parameters, writer.arguments, language)


def _check_source(
    where: str, parameters: Json, arguments: Json, language: str
) -> Iterator[Problem]:
    wrong, right = (
        ("Parameters", "Arguments") if language == JSONATA else ("Arguments", "Parameters")
    )
    if (parameters if language == JSONATA else arguments) is not None:
        yield Problem(f"{where}/{wrong}", f"is not a field of a {language} state; use {right}")
    source = arguments if language == JSONATA else parameters
    if source is None:
        yield Problem(where, f"needs {right} naming the Bucket")
        return
    yield from _check_template(f"{where}/{right}", source, language)


def _check_template(where: str, source: Json, language: str) -> Iterator[Problem]:
    try:
        _compiled(source, language, where)
    except TemplateError as error:
        for pointer, message in error.problems:
            yield Problem(f"{where}{pointer}", message)


def _check_limit(
    where: str, value: int | str | None, language: str, limit: int | None
) -> Iterator[Problem]:
    if isinstance(value, str):
        if language != JSONATA or not value.startswith("{%"):
            yield Problem(where, "must be a positive integer (or a {% %} expression, in JSONata)")
        else:
            yield from _check_template(where, value, language)
    elif value is not None and (value <= 0 or (limit is not None and value > limit)):
        bound = f" of at most {limit}" if limit is not None else ""
        yield Problem(where, f"must be a positive integer{bound}")


# -- evaluation ------------------------------------------------------------------------------
def _compiled(source: Json, language: str, field: str) -> Any:
    if language == JSONATA:
        return compile_jsonata_template(source, field)
    return compile_template(source)


def _evaluated(source: Json, effective: Scope, language: str, field: str) -> Json:
    """A templated field's value for this visit (compiled again: once per Map Run)."""
    if source is None:
        return None
    try:
        template = _compiled(source, language, field)
    except TemplateError as error:  # checked at load: only a definition loaded unchecked
        raise AslError(f"{field}: {error.problems}") from None
    value: Json = template.evaluate(effective)
    return value


def _text(value: Json) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
