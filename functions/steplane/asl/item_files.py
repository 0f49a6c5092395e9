"""The items of a Distributed Map ``ItemReader``, read from the bytes of an S3 object.

The developer guide ("ItemReader (Map)" and "How Step Functions parses input CSV files")
describes the readers: a JSON file holding an array (or, with ``ItemsPointer``, an array
nested in it), JSON Lines, text delimited files (``InputType`` ``CSV``), and the objects an
``s3:listObjectsV2`` listing returns. This module is pure: the caller fetches the bytes.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from steplane.asl.paths import describe
from steplane.jsontypes import Json

# "Currently, Step Functions supports CSV headers of up to 10 KiB."
# The largest CSV field read: a child's whole input, 256 KiB (characters, at least).
CSV_FIELD_LIMIT = 256 * 1024
CSV_HEADER_LIMIT = 10 * 1024

_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
# RFC 8259 whitespace: exactly these four, which is what may sit between array elements.
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# RFC 6901 section 4: an array index is "0" or digits without a leading zero.
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_BAD_ESCAPE = re.compile(r"~(?![01])")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ItemFileError(Exception):
    """The object's bytes are not the dataset ``ReaderConfig`` describes.

    The message says what is wrong and where: the line and column, the CSV line, or the
    ``ItemsPointer`` step that failed.
    """


@dataclass(frozen=True)
class CsvFormat:
    """How a text delimited file is laid out (``ReaderConfig`` for ``InputType`` CSV).

    Attributes:
        header_location: ``CSVHeaderLocation``; "FIRST_ROW" when "the first line of the
            file is the header", "GIVEN" when the definition gives it.
        headers: ``CSVHeaders``, used with "GIVEN".
        delimiter: ``CSVDelimiter``; "The delimiter defaults to COMMA".
    """

    header_location: Literal["FIRST_ROW", "GIVEN"]
    headers: tuple[str, ...] = ()
    delimiter: Literal["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"] = "COMMA"


def json_items(body: bytes, *, pointer: str | None, max_items: int | None) -> list[Json]:
    """The items of a JSON file: the elements of its array, or of the array ``pointer`` names.

    Args:
        body: the object's bytes, UTF-8 (a leading byte order mark is allowed).
        pointer: ``ItemsPointer``, an RFC 6901 JSON Pointer such as
            ``"/inventory/products/featured"``; None or "" for the whole document.
        max_items: ``MaxItems``; at most this many items, or None for all.

    Raises:
        ItemFileError: the bytes are not UTF-8 JSON (naming line and column), the pointer
            does not resolve, or the value found is not an array (naming what it is).
    """
    _check_limit(max_items)
    text = _decode(body, "the JSON file")
    if not pointer and max_items is not None:
        # Stop after max_items elements rather than parsing the whole file.
        prefix = _array_prefix(text, max_items)
        if prefix is not None:
            return prefix
    try:
        document = _decoder().decode(text)
    except (ValueError, RecursionError) as exc:
        raise _json_error(exc, "the JSON file") from None
    found = _resolve(document, pointer) if pointer else document
    if not isinstance(found, list):
        where = f"ItemsPointer {pointer!r} selects" if pointer else "the JSON file holds"
        raise ItemFileError(f"{where} {describe(found)}, not an array of items")
    return found if max_items is None else found[:max_items]


def jsonl_items(body: bytes, *, max_items: int | None) -> list[Json]:
    """The items of a JSON Lines file: one JSON value per line, blank lines skipped.

    Raises:
        ItemFileError: the bytes are not UTF-8, or a line is not one JSON value (naming
            the line number).
    """
    _check_limit(max_items)
    text = _decode(body, "the JSONL file")
    decoder = _decoder()
    items: list[Json] = []
    for number, line in enumerate(_lines(text), start=1):
        # Blank lines (a trailing newline among them) carry no item.
        if not line.strip():
            continue
        try:
            items.append(decoder.decode(line))
        except (ValueError, RecursionError) as exc:
            raise _json_error(exc, f"line {number} of the JSONL file") from None
        if len(items) == max_items:
            break
    return items


def csv_items(body: bytes, fmt: CsvFormat, *, max_items: int | None) -> list[dict[str, str]]:
    """The items of a text delimited file: each row an object keyed by the header.

    "Fields are treated as strings." A short row gets "empty strings for the missing
    values"; for a long row Step Functions "skips the additional fields". Quoted fields
    "can contain commas and newlines"; "You can preserve double quotes by repeating
    them"; backslashes escape the next character ("A backslash followed by any other
    character is silently removed"). Fully empty lines are skipped.

    Raises:
        ItemFileError: the bytes are not UTF-8, there is no header, the header names a
            column twice or is over 10 KiB, or the file cannot be split into rows.
    """
    _check_limit(max_items)
    # The csv module refuses fields over 128 KiB by default, less than a child's 256 KiB
    # input (a process-wide setting: raised, never lowered).
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    delimiter = _DELIMITERS[fmt.delimiter]
    # newline="" semantics: the csv module sees each line with its own ending, so CRLF
    # files and newlines inside quoted fields are read as written.
    reader = csv.reader(
        _lines(_decode(body, "the CSV file"), keepends=True), delimiter=delimiter, escapechar="\\"
    )
    rows = (row for row in reader if row)
    items: list[dict[str, str]] = []
    try:
        if fmt.header_location == "FIRST_ROW":
            header = next(rows, None)
            if header is None:
                raise ItemFileError("CSVHeaderLocation is FIRST_ROW but the CSV file has no rows")
        else:
            header = list(fmt.headers)
            if not header:
                raise ItemFileError("CSVHeaderLocation is GIVEN but CSVHeaders is empty")
        _check_header(header, delimiter)
        # Check the count before reading a row, so the rows past MaxItems go unread.
        while len(items) != max_items:
            row = next(rows, None)
            if row is None:
                break
            items.append({name: row[i] if i < len(row) else "" for i, name in enumerate(header)})
    except csv.Error as exc:
        raise ItemFileError(f"CSV line {reader.line_num}: {exc}") from None
    return items


def listing_item(entry: Mapping[str, Any]) -> dict[str, Json]:
    """The item for one ``Contents`` entry of an S3 ``ListObjectsV2`` response.

    The guide's ``s3:listObjectsV2`` item spells ``Etag`` (S3 says ``ETag``), keeps the
    ETag's quotes, and gives ``LastModified`` as whole epoch seconds, e.g.
    ``{"Etag": "\\"0570...\\"", "Key": "...", "LastModified": 1668699881, "Size": 34910,
    "StorageClass": "STANDARD"}``.

    Raises:
        ItemFileError: the entry lacks Key, LastModified, ETag or Size.
    """
    missing = [name for name in ("Key", "LastModified", "ETag", "Size") if name not in entry]
    if missing:
        raise ItemFileError(f"the S3 listing entry has no {', '.join(missing)}")
    modified: datetime = entry["LastModified"]
    if modified.tzinfo is None:  # boto3 gives UTC; a naive time is taken as UTC too
        modified = modified.replace(tzinfo=UTC)
    return {
        "Etag": entry["ETag"],
        "Key": entry["Key"],
        "LastModified": (modified - _EPOCH) // timedelta(seconds=1),
        "Size": entry["Size"],
        # S3 lists every object with its class; STANDARD is the class of an untold one.
        "StorageClass": entry.get("StorageClass", "STANDARD"),
    }


def _check_limit(max_items: int | None) -> None:
    if max_items is not None and max_items < 1:
        raise ValueError(f"max_items must be a positive integer or None, not {max_items!r}")


def _decode(body: bytes, what: str) -> str:
    """The text of ``body``, less a UTF-8 byte order mark, or an error naming the bad byte."""
    # Strip the BOM here rather than decode "utf-8-sig", whose error offsets skip it.
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = body.rfind(b"\n", 0, exc.start) + 1
        line = body.count(b"\n", 0, exc.start) + 1
        column = len(body[line_start : exc.start].decode("utf-8")) + 1
        raise ItemFileError(
            f"{what} is not UTF-8: byte 0x{body[exc.start]:02x} at line {line} column {column}"
        ) from None


def _lines(text: str, *, keepends: bool = False) -> Iterator[str]:
    """The lines of ``text``, split at "\\n" only, one at a time so a reader can stop early.

    Not ``str.splitlines``: that also splits at U+2028 and the like, which JSON strings
    and CSV fields may hold.
    """
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end == -1:
            yield text[start:]
            return
        yield text[start : end + 1 if keepends else end]
        start = end + 1


def _reject_constant(name: str) -> Json:
    # Python's json reads NaN and Infinity; RFC 8259 JSON has no such values.
    raise ValueError(f"{name} is not a JSON value")


def _decoder() -> json.JSONDecoder:
    return json.JSONDecoder(parse_constant=_reject_constant)


def _json_error(exc: ValueError | RecursionError, what: str) -> ItemFileError:
    if isinstance(exc, json.JSONDecodeError):
        return ItemFileError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        )
    if isinstance(exc, RecursionError):
        return ItemFileError(f"{what} nests arrays or objects too deeply to read")
    return ItemFileError(f"{what} is not valid JSON: {exc}")


def _array_prefix(text: str, limit: int) -> list[Json] | None:
    """The first ``limit`` elements of a top-level array, parsing no further than them.

    None when the document does not open with "[": the caller's full parse then says what
    it is (or where it is broken).
    """
    decoder = _decoder()
    position = _skip(text, 0)
    if not text.startswith("[", position):
        return None
    position = _skip(text, position + 1)
    items: list[Json] = []
    if text.startswith("]", position):
        return _closed(text, position, items)
    try:
        while True:
            item, position = decoder.raw_decode(text, position)
            items.append(item)
            if len(items) == limit:
                return items
            position = _skip(text, position)
            if text.startswith("]", position):
                return _closed(text, position, items)
            if not text.startswith(",", position):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
            position = _skip(text, position + 1)
    except (ValueError, RecursionError) as exc:
        raise _json_error(exc, "the JSON file") from None


def _closed(text: str, position: int, items: list[Json]) -> list[Json]:
    # The array ended before the limit: the rest must be whitespace, as in a full parse.
    after = _skip(text, position + 1)
    if after != len(text):
        raise _json_error(json.JSONDecodeError("Extra data", text, after), "the JSON file")
    return items


def _skip(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    return position if match is None else match.end()


def _resolve(document: Json, pointer: str) -> Json:
    """The value RFC 6901 ``pointer`` names in ``document``, or an error naming the step."""
    if not pointer.startswith("/"):
        raise ItemFileError(f"ItemsPointer {pointer!r} is not a JSON Pointer: it must start '/'")
    value, walked = document, ""
    for raw in pointer[1:].split("/"):
        if _BAD_ESCAPE.search(raw):
            raise ItemFileError(f"ItemsPointer {pointer!r}: '~' must be followed by 0 or 1")
        # RFC 6901 section 4: "~1" to "/" first, then "~0" to "~", so "~01" is "~1".
        token = raw.replace("~1", "/").replace("~0", "~")
        where = f"at {walked!r}" if walked else "at the root"
        if isinstance(value, dict):
            if token not in value:
                raise ItemFileError(
                    f"ItemsPointer {pointer!r}: the object {where} has no member {token!r}"
                )
            value = value[token]
        elif isinstance(value, list):
            if not _ARRAY_INDEX.fullmatch(token) or int(token) >= len(value):
                raise ItemFileError(
                    f"ItemsPointer {pointer!r}: the array {where} "
                    f"({len(value)} elements) has no element {token!r}"
                )
            value = value[int(token)]
        else:
            raise ItemFileError(
                f"ItemsPointer {pointer!r}: the value {where} is {describe(value)}, "
                f"which has no member {token!r}"
            )
        walked += "/" + raw
    return value


def _check_header(header: list[str], delimiter: str) -> None:
    size = len(delimiter.join(header).encode("utf-8"))
    if size > CSV_HEADER_LIMIT:
        raise ItemFileError(
            f"the CSV header is {size} bytes; Step Functions supports CSV headers of up to "
            f"10 KiB ({CSV_HEADER_LIMIT} bytes)"
        )
    seen: dict[str, int] = {}
    for column, name in enumerate(header, start=1):
        if name in seen:
            raise ItemFileError(
                f"the CSV header names {name!r} twice (columns {seen[name]} and {column})"
            )
        seen[name] = column
