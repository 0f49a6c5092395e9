"""A distributed Map's own fields, as the definition gives them: where its items come from
(``ItemReader``), how they are grouped into child inputs (``ItemBatcher``), and where the
children's results go (``ResultWriter``); and what the guide requires of them, checked at
load. What they do at run time is ``steplane.states.map_items``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from steplane.asl.templates import Template, TemplateError, compile_jsonata_template
from steplane.asl.templates import compile_template as compile_payload
from steplane.definition.base import Spec
from steplane.definition.checks import check_path
from steplane.definition.templated import JSONATA
from steplane.errors import Problem
from steplane.jsontypes import Json
from steplane.limits import MAX_PAYLOAD_BYTES

GET_OBJECT = "arn:aws:states:::s3:getObject"
LIST_OBJECTS = "arn:aws:states:::s3:listObjectsV2"
PUT_OBJECT = "arn:aws:states:::s3:putObject"

# The guide: "You can specify a limit of up to 100,000,000 after which the Distributed Map
# stops reading items."
MAX_ITEMS_LIMIT = 100_000_000

# Not built yet (README: Known gaps): refused at load, never accepted and ignored.
_NOT_YET = {
    "PARQUET": "InputType PARQUET",
    "MANIFEST": "InputType MANIFEST",
    "ATHENA_DATA": "ManifestType ATHENA_DATA",
    "S3_INVENTORY": "ManifestType S3_INVENTORY",
}


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
    """``ResultWriter``: the S3 bucket and prefix the Map Run's results are exported to,
    and (``WriterConfig``) their shape."""

    resource: str | None = Field(None, alias="Resource")
    parameters: dict[str, Json] | None = Field(None, alias="Parameters")
    arguments: dict[str, Json] | str | None = Field(None, alias="Arguments")
    writer_config: WriterConfig | None = Field(None, alias="WriterConfig")

    def exports(self, language: str) -> bool:
        """Whether it names a bucket (a ``WriterConfig`` alone only shapes the output)."""
        return source_of(self.parameters, self.arguments, language) is not None


def source_of(parameters: Json, arguments: Json, language: str) -> Json:
    """The field that names the S3 location in the state's language: JSONata
    ``Arguments``, JSONPath ``Parameters``."""
    return arguments if language == JSONATA else parameters


def compiled(source: Json, language: str, field: str) -> Template:
    """A templated field (``.$`` fields in JSONPath, ``{% %}`` values in JSONata).

    Raises:
        TemplateError: a field that does not compile, with its location.
    """
    if language == JSONATA:
        return compile_jsonata_template(source, field)
    return compile_payload(source)


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
    if reader.resource == LIST_OBJECTS and config.input_type is not None:
        # The guide: InputType with a listing goes with Transformation LOAD_AND_FLATTEN.
        yield Problem(f"{at}/InputType", "applies to s3:listObjectsV2 only with LOAD_AND_FLATTEN")
    for field, value in (("InputType", config.input_type), ("ManifestType", config.manifest_type)):
        if value in _NOT_YET:
            yield Problem(f"{at}/{field}", f"{_NOT_YET[value]} is not supported yet")
    if config.transformation == "LOAD_AND_FLATTEN":
        yield Problem(f"{at}/Transformation", "LOAD_AND_FLATTEN is not supported yet")
    yield from _check_csv(at, config)
    if config.items_pointer is not None and config.input_type != "JSON":
        yield Problem(f"{at}/ItemsPointer", "applies only to InputType JSON")
    if config.items_pointer is not None and not config.items_pointer.startswith("/"):
        yield Problem(f"{at}/ItemsPointer", "must be a JSON Pointer (it starts with /)")
    yield from _check_number(at, "MaxItems", config.max_items, config.max_items_path, language)
    if isinstance(config.max_items, int) and config.max_items > MAX_ITEMS_LIMIT:
        yield Problem(f"{at}/MaxItems", f"must be at most {MAX_ITEMS_LIMIT}")


def _check_csv(at: str, config: ReaderConfig) -> Iterator[Problem]:
    if config.csv_header_location == "GIVEN" and not config.csv_headers:
        yield Problem(at, "CSVHeaderLocation GIVEN needs CSVHeaders")
    if config.csv_headers is not None and config.csv_header_location != "GIVEN":
        yield Problem(f"{at}/CSVHeaders", "applies only with CSVHeaderLocation GIVEN")
    csv_fields = {"CSVHeaderLocation", "CSVHeaders", "CSVDelimiter"}
    for field in sorted(csv_fields & _given(config)):
        if config.input_type != "CSV":
            yield Problem(f"{at}/{field}", "applies only to InputType CSV")


def check_batcher(where: str, batcher: ItemBatcher, language: str) -> Iterator[Problem]:
    """The spec: "An ItemBatcher Configuration MUST contain at least one of ..."; a field
    and its Path are exclusive; "the maximum size of a batch in bytes, up to 256 KiB"."""
    items = (batcher.max_items_per_batch, batcher.max_items_per_batch_path)
    size = (batcher.max_input_bytes_per_batch, batcher.max_input_bytes_per_batch_path)
    if all(value is None for value in (*items, *size)):
        yield Problem(where, "needs MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path)")
    yield from _check_number(where, "MaxItemsPerBatch", *items, language)
    yield from _check_number(where, "MaxInputBytesPerBatch", *size, language)
    if isinstance(size[0], int) and size[0] > MAX_PAYLOAD_BYTES:
        yield Problem(f"{where}/MaxInputBytesPerBatch", f"must be at most {MAX_PAYLOAD_BYTES}")
    if batcher.batch_input is not None:
        yield from _check_template(f"{where}/BatchInput", batcher.batch_input, language)


def check_writer(where: str, writer: ResultWriter, language: str) -> Iterator[Problem]:
    """The guide: "The ResultWriter field cannot be empty. You must specify one of these
    sets of sub-fields": WriterConfig; Resource and Parameters (Arguments); all three."""
    source = source_of(writer.parameters, writer.arguments, language)
    field = "Arguments" if language == JSONATA else "Parameters"
    if writer.resource is None and source is None and writer.writer_config is None:
        yield Problem(where, f"cannot be empty: give Resource and {field}, WriterConfig, or all")
    if writer.resource is not None and writer.resource != PUT_OBJECT:
        yield Problem(f"{where}/Resource", f"must be {PUT_OBJECT}")
    if (writer.resource is None) != (source is None):
        yield Problem(where, f"Resource and {field} go together")
    yield from _check_language(where, writer.parameters, writer.arguments, language)
    if source is not None:
        yield from _check_template(f"{where}/{field}", source, language)
    config = writer.writer_config
    if source is None and config is not None and config.transformation == "NONE":
        # NONE adds each child's execution metadata, which steplane builds only when it
        # exports (README: Known gaps).
        yield Problem(
            f"{where}/WriterConfig/Transformation",
            "NONE without an export (Resource and Parameters) is not supported yet",
        )


def _check_language(
    where: str, parameters: Json, arguments: Json, language: str
) -> Iterator[Problem]:
    """The other language's field: Parameters in JSONata, Arguments in JSONPath."""
    wrong, right = ("Parameters", "Arguments")
    if language != JSONATA:
        wrong, right = right, wrong
    if source_of(arguments, parameters, language) is not None:
        yield Problem(f"{where}/{wrong}", f"is not a field of a {language} state; use {right}")


def _check_source(
    where: str, parameters: Json, arguments: Json, language: str
) -> Iterator[Problem]:
    """The field naming the S3 location: in the state's language, and well formed."""
    yield from _check_language(where, parameters, arguments, language)
    right = "Arguments" if language == JSONATA else "Parameters"
    source = source_of(parameters, arguments, language)
    if source is None:
        yield Problem(where, f"needs {right} naming the Bucket")
        return
    yield from _check_template(f"{where}/{right}", source, language)


def _check_template(where: str, source: Json, language: str) -> Iterator[Problem]:
    try:
        compiled(source, language, where.rsplit("/", 1)[-1])
    except TemplateError as error:
        for pointer, message in error.problems:
            yield Problem(f"{where}{pointer}", message)


def _check_number(
    where: str, field: str, value: int | str | None, path: str | None, language: str
) -> Iterator[Problem]:
    """A positive whole number, its ``...Path`` (JSONPath only), or (JSONata) a ``{% %}``
    expression; not both a field and its Path."""
    if value is not None and path is not None:
        yield Problem(where, f"has both {field} and {field}Path; give one")
    if path is not None:
        if language == JSONATA:
            yield Problem(f"{where}/{field}Path", "is a JSONPath field; use a {% %} expression")
        else:
            yield from check_path(f"{where}/{field}Path", path)
    if isinstance(value, str):
        if language != JSONATA or not value.startswith("{%"):
            yield Problem(f"{where}/{field}", "must be a positive integer")
        else:
            yield from _check_template(f"{where}/{field}", value, language)
    elif value is not None and value <= 0:
        yield Problem(f"{where}/{field}", "must be a positive integer")


def _given(config: ReaderConfig) -> set[str]:
    """The fields the definition wrote (by their ASL names)."""
    fields = type(config).model_fields
    return {fields[name].alias or name for name in config.model_fields_set}
