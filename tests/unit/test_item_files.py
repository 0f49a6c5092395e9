"""The Distributed Map ItemReader's files: JSON, JSON Lines, CSV and S3 listings.

The rules are the developer guide's ("ItemReader (Map)" and "How Step Functions parses
input CSV files"); each test's docstring names the rule it holds the reader to.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from steplane.asl.item_files import (
    CSV_HEADER_LIMIT,
    CsvFormat,
    ItemFileError,
    csv_items,
    json_items,
    jsonl_items,
    listing_item,
)

FIRST_ROW = CsvFormat("FIRST_ROW")

# JSON files ------------------------------------------------------------------------------


def test_each_element_of_the_json_array_is_an_item() -> None:
    """Rule: a JSON file holds an array, and each element is an item."""
    body = b'[{"id": 1}, "two", 3, null, [4]]'
    assert json_items(body, pointer=None, max_items=None) == [{"id": 1}, "two", 3, None, [4]]


def test_items_pointer_selects_the_nested_array() -> None:
    """Rule: ItemsPointer is a JSON Pointer selecting the nested array (the guide's example)."""
    body = json.dumps(
        {"inventory": {"products": {"featured": [{"sku": "a"}, {"sku": "b"}], "other": [9]}}}
    ).encode()
    items = json_items(body, pointer="/inventory/products/featured", max_items=None)
    assert items == [{"sku": "a"}, {"sku": "b"}]


def test_items_pointer_unescapes_tilde_and_slash_and_indexes_arrays() -> None:
    """Rule: ItemsPointer is RFC 6901: "~1" is "/", "~0" is "~", digits index arrays."""
    body = json.dumps({"a/b": {"m~n": [["x"], ["y", "z"]], "m~1n": ["wrong"]}}).encode()
    assert json_items(body, pointer="/a~1b/m~0n/1", max_items=None) == ["y", "z"]
    # "~01" is "~1" (unescaped "~0" first would wrongly give "/")
    body = json.dumps({"~1": ["tilde-one"], "/": ["slash"]}).encode()
    assert json_items(body, pointer="/~01", max_items=None) == ["tilde-one"]


def test_items_pointer_that_does_not_resolve_names_the_step() -> None:
    """Rule: an ItemFileError says what is wrong and where (the pointer and its step)."""
    body = b'{"inventory": {"products": []}}'
    with pytest.raises(ItemFileError, match=r"'/inventory/missing'.*at '/inventory'.*'missing'"):
        json_items(body, pointer="/inventory/missing", max_items=None)
    with pytest.raises(ItemFileError, match=r"no element '01'"):
        json_items(b"[[1], [2]]", pointer="/01", max_items=None)
    with pytest.raises(ItemFileError, match=r"'~' must be followed by 0 or 1"):
        json_items(b'{"a~2": []}', pointer="/a~2", max_items=None)


def test_items_pointer_to_a_non_array_names_what_it_selects() -> None:
    """Rule: a pointed value that is not an array raises ItemFileError naming what it is."""
    body = b'{"inventory": {"count": 3}}'
    with pytest.raises(ItemFileError, match=r"'/inventory/count' selects a number, not an array"):
        json_items(body, pointer="/inventory/count", max_items=None)


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b'{"a": 1}', "an object"), (b'"s"', "a string"), (b"true", "a boolean"), (b"null", "null")],
)
def test_a_json_file_that_is_not_an_array_names_what_it_holds(body: bytes, kind: str) -> None:
    """Rule: a file that is not an array raises ItemFileError naming what it is."""
    with pytest.raises(ItemFileError, match=f"holds {kind}, not an array"):
        json_items(body, pointer=None, max_items=None)
    with pytest.raises(ItemFileError, match=f"holds {kind}, not an array"):
        json_items(body, pointer=None, max_items=5)


def test_invalid_json_names_line_and_column() -> None:
    """Rule: invalid JSON raises ItemFileError naming line and column."""
    body = b'[\n  {"a": 1},\n  {"b": }\n]'
    with pytest.raises(ItemFileError, match=r"line 3 column 9"):
        json_items(body, pointer=None, max_items=None)
    with pytest.raises(ItemFileError, match=r"line 3 column 9"):
        json_items(body, pointer=None, max_items=10)


def test_invalid_utf8_names_line_and_column() -> None:
    """Rule: invalid UTF-8 raises ItemFileError naming line and column."""
    body = b'[\n"ok",\n"\xc3\xa9\xff"\n]'
    with pytest.raises(ItemFileError, match=r"not UTF-8: byte 0xff at line 3 column 3"):
        json_items(body, pointer=None, max_items=None)


def test_nan_and_infinity_are_not_json() -> None:
    """Rule: the file holds JSON, and RFC 8259 JSON has no NaN or Infinity."""
    with pytest.raises(ItemFileError, match="NaN is not a JSON value"):
        json_items(b"[1, NaN]", pointer=None, max_items=None)


def test_json_max_items_stops_reading_after_the_limit() -> None:
    """Rule: MaxItems stops after that many items, reading no further."""
    # Broken after the second element: the reader must stop before it.
    body = b'[{"n": 1}, {"n": 2}, {"n": oops'
    assert json_items(body, pointer=None, max_items=2) == [{"n": 1}, {"n": 2}]
    assert json_items(b"[1, 2, 3]", pointer=None, max_items=5) == [1, 2, 3]
    assert json_items(b"[]", pointer=None, max_items=1) == []
    body = b'{"a": [1, 2, 3]}'
    assert json_items(body, pointer="/a", max_items=2) == [1, 2]


def test_json_max_items_still_checks_a_short_file_to_its_end() -> None:
    """Rule: invalid JSON raises ItemFileError, even when MaxItems is not reached."""
    with pytest.raises(ItemFileError, match=r"Extra data at line 1 column 5"):
        json_items(b"[1] x", pointer=None, max_items=5)
    with pytest.raises(ItemFileError, match=r"Expecting ',' delimiter at line 1 column 4"):
        json_items(b"[1 2]", pointer=None, max_items=5)


def test_a_json_file_may_start_with_a_byte_order_mark() -> None:
    """Rule: the object's bytes are UTF-8; a UTF-8 BOM is not part of the JSON."""
    assert json_items(b"\xef\xbb\xbf[1]", pointer=None, max_items=None) == [1]


# JSON Lines ------------------------------------------------------------------------------


def test_each_jsonl_line_is_an_item_and_blank_lines_are_skipped() -> None:
    """Rule: JSONL holds one JSON value per line; blank lines (and a trailing newline) skip."""
    body = b'{"a": 1}\n\n  \n[2]\r\n"three"\n'
    assert jsonl_items(body, max_items=None) == [{"a": 1}, [2], "three"]


def test_a_bad_jsonl_line_names_its_line_number() -> None:
    """Rule: a bad line raises ItemFileError naming its line number (blank lines count)."""
    body = b'{"a": 1}\n\n{"b": 2} {"c": 3}\n'
    with pytest.raises(ItemFileError, match=r"line 3 of the JSONL file.*Extra data"):
        jsonl_items(body, max_items=None)


def test_jsonl_max_items_stops_reading_after_the_limit() -> None:
    """Rule: MaxItems stops after that many items; the lines after go unparsed."""
    body = b"1\n2\nnot json\n"
    assert jsonl_items(body, max_items=2) == [1, 2]
    with pytest.raises(ItemFileError, match="line 3"):
        jsonl_items(body, max_items=3)


# CSV -------------------------------------------------------------------------------------


def test_first_row_is_the_header_and_fields_are_strings() -> None:
    """Rule: FIRST_ROW's first line is the header, not an item; "Fields are treated as strings"."""
    body = b"userId,movieId,rating\n1,307,3.5\n1,481,true\n"
    assert csv_items(body, FIRST_ROW, max_items=None) == [
        {"userId": "1", "movieId": "307", "rating": "3.5"},
        {"userId": "1", "movieId": "481", "rating": "true"},
    ]


def test_given_headers_key_every_row() -> None:
    """Rule: with GIVEN, CSVHeaders names the columns and every line is an item."""
    fmt = CsvFormat("GIVEN", headers=("userId", "movieId"))
    assert csv_items(b"1,307\n2,481", fmt, max_items=None) == [
        {"userId": "1", "movieId": "307"},
        {"userId": "2", "movieId": "481"},
    ]


def test_quoted_fields_hold_delimiters_newlines_and_doubled_quotes() -> None:
    """Rule: quoted strings "can contain commas and newlines"; doubled quotes are kept."""
    body = b'a,b,c\nabc,"x, y","line one\nline two ""quoted"""\n'
    assert csv_items(body, FIRST_ROW, max_items=None) == [
        {"a": "abc", "b": "x, y", "c": 'line one\nline two "quoted"'}
    ]


def test_backslashes_escape_the_next_character() -> None:
    """Rule: backslashes escape "other backslashes, double quotation marks, and the" separator."""
    body = b"path,note\nC:\\\\Program Files\\\\App.exe,a\\,b\n"
    assert csv_items(body, FIRST_ROW, max_items=None) == [
        {"path": "C:\\Program Files\\App.exe", "note": "a,b"}
    ]


@pytest.mark.parametrize(
    ("fmt", "sep"),
    [
        (CsvFormat("FIRST_ROW", delimiter="TAB"), "\t"),
        (CsvFormat("FIRST_ROW", delimiter="PIPE"), "|"),
        (CsvFormat("FIRST_ROW", delimiter="SEMICOLON"), ";"),
        (CsvFormat("FIRST_ROW", delimiter="SPACE"), " "),
    ],
)
def test_csv_delimiter_separates_the_fields(fmt: CsvFormat, sep: str) -> None:
    """Rule: CSVDelimiter (COMMA, PIPE, SEMICOLON, SPACE, TAB) separates the fields."""
    body = f'k{sep}v\n"a{sep}b"{sep}c,d\n'.encode()
    assert csv_items(body, fmt, max_items=None) == [{"k": f"a{sep}b", "v": "c,d"}]


def test_a_byte_order_mark_is_not_part_of_the_first_header() -> None:
    """Rule: handle a UTF-8 BOM (else the first column's name would start with U+FEFF)."""
    body = b"\xef\xbb\xbfid,name\n1,x\n"
    assert csv_items(body, FIRST_ROW, max_items=None) == [{"id": "1", "name": "x"}]


def test_crlf_line_endings_end_records_and_stay_inside_quotes() -> None:
    """Rule: handle CRLF line endings; "Newlines are a delimiter that separates records"."""
    body = b'id,name\r\n1,"two\r\nlines"\r\n2,y\r\n'
    assert csv_items(body, FIRST_ROW, max_items=None) == [
        {"id": "1", "name": "two\r\nlines"},
        {"id": "2", "name": "y"},
    ]


def test_short_rows_get_empty_strings_and_long_rows_lose_extra_fields() -> None:
    """Rule: fewer fields get "empty strings for the missing values"; more, "skips" them."""
    body = b"a,b,c\n1\n1,2,3,4,5\n"
    assert csv_items(body, FIRST_ROW, max_items=None) == [
        {"a": "1", "b": "", "c": ""},
        {"a": "1", "b": "2", "c": "3"},
    ]


def test_fully_empty_lines_are_skipped() -> None:
    """Rule: skip fully empty lines (a line of delimiters is a row of empty fields)."""
    body = b"\na,b\n\n1,2\r\n\r\n,\n\n"
    assert csv_items(body, FIRST_ROW, max_items=None) == [
        {"a": "1", "b": "2"},
        {"a": "", "b": ""},
    ]


def test_csv_max_items_counts_data_rows_and_stops_reading() -> None:
    """Rule: MaxItems counts data rows, not the header, and stops reading early."""
    # The third data row holds a field over the field limit: reading it would fail.
    body = b"h\n1\n2\n" + b"x" * 300_000 + b"\n"
    assert csv_items(body, FIRST_ROW, max_items=2) == [{"h": "1"}, {"h": "2"}]
    fmt = CsvFormat("GIVEN", headers=("h",))
    assert csv_items(body, fmt, max_items=2) == [{"h": "h"}, {"h": "1"}]
    with pytest.raises(ItemFileError, match=r"CSV line 4: field larger than field limit"):
        csv_items(body, FIRST_ROW, max_items=None)


@pytest.mark.parametrize("body", [b"", b"\n\r\n\n"])
def test_first_row_header_of_an_empty_file_is_an_error(body: bytes) -> None:
    """Rule: an empty header (FIRST_ROW with no first row) raises ItemFileError."""
    with pytest.raises(ItemFileError, match="FIRST_ROW but the CSV file has no rows"):
        csv_items(body, FIRST_ROW, max_items=None)


def test_given_without_headers_is_an_error() -> None:
    """Rule: an empty header raises ItemFileError (GIVEN with no CSVHeaders)."""
    with pytest.raises(ItemFileError, match="GIVEN but CSVHeaders is empty"):
        csv_items(b"1,2\n", CsvFormat("GIVEN"), max_items=None)


def test_a_duplicate_header_name_is_an_error() -> None:
    """Rule: a duplicate header name raises ItemFileError naming it."""
    with pytest.raises(ItemFileError, match=r"names 'b' twice \(columns 2 and 3\)"):
        csv_items(b"a,b,b\n1,2,3\n", FIRST_ROW, max_items=None)
    with pytest.raises(ItemFileError, match="names 'x' twice"):
        csv_items(b"1,2\n", CsvFormat("GIVEN", headers=("x", "x")), max_items=None)


def test_a_header_over_10_kib_is_an_error() -> None:
    """Rule: "Step Functions supports CSV headers of up to 10 KiB"."""
    at_limit = "a" * (CSV_HEADER_LIMIT - 2) + ",b"
    assert csv_items(f"{at_limit}\n1,2\n".encode(), FIRST_ROW, max_items=None) == [
        {"a" * (CSV_HEADER_LIMIT - 2): "1", "b": "2"}
    ]
    over = "a" * (CSV_HEADER_LIMIT - 1) + ",b"
    with pytest.raises(ItemFileError, match=r"10 KiB"):
        csv_items(f"{over}\n1,2\n".encode(), FIRST_ROW, max_items=None)


# S3 listings and limits ------------------------------------------------------------------


def test_listing_item_has_the_shape_the_guide_shows() -> None:
    """Rule: an s3:listObjectsV2 item is Etag (quoted), Key, LastModified (epoch s), Size, class."""
    entry = {
        "Key": "processData/images/n02085620_1073.jpg",
        "LastModified": datetime(2022, 11, 17, 15, 44, 41, 500_000, tzinfo=UTC),
        "ETag": '"05704fbdccb224cb01c59005bebbad28"',
        "Size": 34910,
        "StorageClass": "STANDARD",
    }
    item = listing_item(entry)
    assert item == {
        "Etag": '"05704fbdccb224cb01c59005bebbad28"',
        "Key": "processData/images/n02085620_1073.jpg",
        "LastModified": 1668699881,
        "Size": 34910,
        "StorageClass": "STANDARD",
    }
    assert type(item["LastModified"]) is int


def test_listing_item_takes_a_naive_time_as_utc_and_names_missing_fields() -> None:
    """Rule: LastModified is epoch seconds (UTC); an ItemFileError says what is missing."""
    entry = {
        "Key": "k",
        "LastModified": datetime(2022, 11, 17, 15, 44, 41),
        "ETag": '"e"',
        "Size": 0,
    }
    assert listing_item(entry)["LastModified"] == 1668699881
    with pytest.raises(ItemFileError, match="no ETag, Size"):
        listing_item({"Key": "k", "LastModified": datetime(2022, 1, 1, tzinfo=UTC)})


@pytest.mark.parametrize("max_items", [0, -1])
def test_max_items_must_be_positive(max_items: int) -> None:
    """Rule: MaxItems is a positive int or None."""
    with pytest.raises(ValueError, match="positive"):
        jsonl_items(b"1\n", max_items=max_items)
    with pytest.raises(ValueError, match="positive"):
        json_items(b"[1]", pointer=None, max_items=max_items)
    with pytest.raises(ValueError, match="positive"):
        csv_items(b"a\n1\n", FIRST_ROW, max_items=max_items)


def test_a_csv_field_as_large_as_a_child_input_is_read() -> None:
    """A field up to 256 KiB (a child's whole input) is read, past the csv module's
    128 KiB default."""
    big = "x" * 200_000
    rows = csv_items(f"a\n{big}\n".encode(), CsvFormat("FIRST_ROW"), max_items=None)
    assert rows == [{"a": big}]
