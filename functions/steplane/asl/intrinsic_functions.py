"""The intrinsic functions of the Amazon States Language, as the Step Functions guide
defines them (Intrinsic functions for JSONPath states).

Each function takes its evaluated arguments and returns a JSON value, or raises
:class:`InvalidArguments`. Step Functions fails such a state with ``States.Runtime``
("Invalid arguments in States.MathAdd"), which no Retry or Catch handles, and checks the
number of arguments when it evaluates the call, not when the definition is created.

Where the guide says a number "will round it off to the nearest integer", Step Functions
rounds half up (``1.5 + 1.51`` adds 2 and 2) in MathAdd and MathRandom, and truncates
indexes, sizes and range bounds (ArrayPartition, ArrayRange, ArrayGetItem).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from steplane.asl.intrinsic_syntax import ESCAPED_CLOSE, ESCAPED_OPEN
from steplane.asl.scope import Scope
from steplane.jsontypes import Json

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
MAX_RANGE_ITEMS = 1000
MAX_ENCODED_CHARACTERS = 10_000
HASH_ALGORITHMS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


class InvalidArguments(Exception):  # noqa: N818 - AWS's own wording
    """The arguments do not fit the function; the message says how."""


@dataclass(frozen=True)
class Invocation:
    """One evaluation of a call: its arguments, the scope, and a salt for randomness.

    ``format_text`` is the first argument's text with escaped braces marked, when that
    argument is a string literal (only ``States.Format`` reads it).
    """

    name: str
    args: list[Json]
    scope: Scope
    salt: str
    format_text: str | None = None


Function = Callable[[Invocation], Json]


def _arity(call: Invocation, low: int, high: int | None = None) -> None:
    """Require ``low`` to ``high`` arguments (exactly ``low`` without ``high``; -1: no limit)."""
    high = low if high is None else high
    count = len(call.args)
    if count >= low and (high < 0 or count <= high):
        return
    if high < 0:
        expected = f"at least {low}"
    elif low == high:
        expected = str(low)
    else:
        expected = f"{low} to {high}"
    plural = "" if expected == "1" else "s"
    raise InvalidArguments(f"{call.name} takes {expected} argument{plural}, got {count}")


def _is_number(value: Json) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _array(call: Invocation, index: int) -> list[Json]:
    value = call.args[index]
    if not isinstance(value, list):
        raise InvalidArguments(f"argument {index + 1} of {call.name} must be an array")
    return value


def _string(call: Invocation, index: int) -> str:
    value = call.args[index]
    if not isinstance(value, str):
        raise InvalidArguments(f"argument {index + 1} of {call.name} must be a string")
    return value


def _number(call: Invocation, index: int) -> int | float:
    value = call.args[index]
    finite = isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    if not _is_number(value) or not finite:
        raise InvalidArguments(f"argument {index + 1} of {call.name} must be a number")
    number: int | float = value
    return number


def _truncated(call: Invocation, index: int) -> int:
    return math.trunc(_number(call, index))


def _rounded(call: Invocation, index: int) -> int:
    """Round half up, as Java's Math.round does (Python's round() rounds half to even)."""
    number = _number(call, index)
    return number if isinstance(number, int) else math.floor(number + 0.5)


def _short(call: Invocation, index: int) -> str:
    text = _string(call, index)
    if len(text) > MAX_ENCODED_CHARACTERS:
        raise InvalidArguments(
            f"argument {index + 1} of {call.name} has {len(text)} characters; "
            f"at most {MAX_ENCODED_CHARACTERS} are allowed"
        )
    return text


# -- generic ----------------------------------------------------------------------------


def format_value(value: Json) -> str:
    """A value as States.Format writes it: strings as they are, other values as Step
    Functions prints them (``true``, ``null``, ``1.5``, objects as ``{a=1, b=[2]}``)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return json.dumps(value)


def states_format(call: Invocation) -> Json:
    """``States.Format(template, args...)``: each ``{}`` replaced by the next argument."""
    _arity(call, 1, -1)
    template = call.format_text if call.format_text is not None else _string(call, 0)
    pieces = template.split("{}")
    for piece in pieces:
        if "{" in piece or "}" in piece:
            raise InvalidArguments(
                f"Invalid template in {call.name}: a '{{' or '}}' that is not part of a "
                "'{}' placeholder (escape it as \\{ or \\})"
            )
    values = call.args[1:]
    if len(values) != len(pieces) - 1:
        raise InvalidArguments(
            f"{call.name} has {len(pieces) - 1} placeholder(s) but {len(values)} value(s)"
        )
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out.append(format_value(value))
        out.append(piece)
    return "".join(out).replace(ESCAPED_OPEN, "{").replace(ESCAPED_CLOSE, "}")


# -- JSON -------------------------------------------------------------------------------


def string_to_json(call: Invocation) -> Json:
    """``States.StringToJson(text)``: the JSON value the string holds."""
    _arity(call, 1)
    text = _string(call, 0)
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError) as error:
        raise InvalidArguments(f"{call.name}: the string is not JSON ({error})") from None


def _not_json(constant: str) -> Json:
    # NaN and Infinity are Python's extension, not JSON.
    raise ValueError(f"{constant} is not a JSON value")


def json_to_string(call: Invocation) -> Json:
    """``States.JsonToString(value)``: the value as compact JSON text."""
    _arity(call, 1)
    return json.dumps(call.args[0], separators=(",", ":"), ensure_ascii=False)


def json_merge(call: Invocation) -> Json:
    """``States.JsonMerge(a, b, false)``: a shallow merge, b's values winning.

    The guide: "Step Functions only supports the shallow merging mode; therefore, you
    must specify the boolean value as false."
    """
    _arity(call, 3)
    first, second = call.args[0], call.args[1]
    if not isinstance(first, dict) or not isinstance(second, dict):
        raise InvalidArguments(f"the first two arguments of {call.name} must be objects")
    if call.args[2] is not False:
        raise InvalidArguments(f"the third argument of {call.name} must be false (shallow merge)")
    return {**first, **second}


# -- arrays -----------------------------------------------------------------------------


def array(call: Invocation) -> Json:
    """``States.Array(values...)``: the values as an array, in order."""
    return list(call.args)


def array_partition(call: Invocation) -> Json:
    """``States.ArrayPartition(array, size)``: chunks of ``size`` (the last may be shorter)."""
    _arity(call, 2)
    items, size = _array(call, 0), _truncated(call, 1)
    if size <= 0:
        raise InvalidArguments(f"the chunk size of {call.name} must be a positive integer")
    return [items[start : start + size] for start in range(0, len(items), size)]


def array_contains(call: Invocation) -> Json:
    """``States.ArrayContains(array, value)``: whether an item equals the value."""
    _arity(call, 2)
    items, wanted = _array(call, 0), call.args[1]
    return any(_same(item, wanted) for item in items)


def array_range(call: Invocation) -> Json:
    """``States.ArrayRange(first, last, step)``: from first to last inclusive."""
    _arity(call, 3)
    first, last, step = (_truncated(call, i) for i in range(3))
    if step == 0:
        raise InvalidArguments(f"the step of {call.name} must not be 0")
    count = max(0, (last - first) // step + 1)
    if count > MAX_RANGE_ITEMS:
        raise InvalidArguments(
            f"{call.name} would make {count} items; at most {MAX_RANGE_ITEMS} are allowed"
        )
    return list(range(first, last + (1 if step > 0 else -1), step))


def array_get_item(call: Invocation) -> Json:
    """``States.ArrayGetItem(array, index)``: the item at a 0-based index."""
    _arity(call, 2)
    items, index = _array(call, 0), _truncated(call, 1)
    if not 0 <= index < len(items):
        raise InvalidArguments(
            f"index {index} is out of bounds for {call.name} (the array has {len(items)} items)"
        )
    return items[index]


def array_length(call: Invocation) -> Json:
    """``States.ArrayLength(array)``: how many items."""
    _arity(call, 1)
    return len(_array(call, 0))


def array_unique(call: Invocation) -> Json:
    """``States.ArrayUnique(array)``: the first occurrence of each value, in order."""
    _arity(call, 1)
    unique: list[Json] = []
    seen: set[str] = set()
    for item in _array(call, 0):
        key = _canonical(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _canonical(value: Json) -> str:
    # 1 and 1.0 are one JSON number; True is not 1 (no float() of a huge integer).
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _same(left: Json, right: Json) -> bool:
    return _canonical(left) == _canonical(right)


# -- encoding and hashing ---------------------------------------------------------------


def base64_encode(call: Invocation) -> Json:
    """``States.Base64Encode(text)``: the UTF-8 bytes of the text in Base64."""
    _arity(call, 1)
    return base64.b64encode(_short(call, 0).encode()).decode("ascii")


def base64_decode(call: Invocation) -> Json:
    """``States.Base64Decode(text)``: the string the Base64 text encodes (UTF-8)."""
    _arity(call, 1)
    text = _short(call, 0)
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise InvalidArguments(f"{call.name}: not valid Base64 text of UTF-8 ({error})") from None


def states_hash(call: Invocation) -> Json:
    """``States.Hash(data, algorithm)``: the lowercase hex digest of the data's UTF-8 bytes."""
    _arity(call, 2)
    data, algorithm = call.args[0], _string(call, 1)
    if algorithm not in HASH_ALGORITHMS:
        raise InvalidArguments(
            f"{algorithm!r} is not an algorithm of {call.name}; use one of "
            + ", ".join(HASH_ALGORITHMS)
        )
    text = data if isinstance(data, str) else format_value(data)
    if len(text) > MAX_ENCODED_CHARACTERS:
        raise InvalidArguments(
            f"the data of {call.name} has {len(text)} characters; "
            f"at most {MAX_ENCODED_CHARACTERS} are allowed"
        )
    return hashlib.new(HASH_ALGORITHMS[algorithm], text.encode()).hexdigest()


# -- math -------------------------------------------------------------------------------


def _int32(call: Invocation, value: int, what: str) -> int:
    if not INT32_MIN <= value <= INT32_MAX:
        shown = str(value) if len(str(value)) <= 20 else f"{str(value)[:17]}..."
        raise InvalidArguments(
            f"{what} of {call.name} is {shown}, outside {INT32_MIN} to {INT32_MAX}"
        )
    return value


def math_add(call: Invocation) -> Json:
    """``States.MathAdd(a, b)``: the sum of two 32-bit integers."""
    _arity(call, 2)
    left = _int32(call, _rounded(call, 0), "argument 1")
    right = _int32(call, _rounded(call, 1), "argument 2")
    return _int32(call, left + right, "the sum")


def math_random(call: Invocation) -> Json:
    """``States.MathRandom(start, end[, seed])``: an integer, start <= n < end.

    With a seed "it will return identical numbers"; without one the number comes from
    the state visit (the same decision derived again gives the same number).
    """
    _arity(call, 2, 3)
    start, end = _rounded(call, 0), _rounded(call, 1)
    if start >= end:
        raise InvalidArguments(f"the start of {call.name} must be below its end")
    if len(call.args) == 3:
        # The guide: the numbers are "not cryptographically secure"; a seed repeats them.
        generator = random.Random(_rounded(call, 2))
    else:
        generator = random.Random(call.scope.random_bytes(call.salt))
    return generator.randrange(start, end)


# -- strings and ids --------------------------------------------------------------------


def string_split(call: Invocation) -> Json:
    """``States.StringSplit(text, delimiters)``: split at any of the delimiter characters,
    dropping empty strings (the guide's ``"This.is+a,test=string"`` split by ``".+,="``)."""
    _arity(call, 2)
    text, delimiters = _string(call, 0), _string(call, 1)
    if not delimiters:
        return [text] if text else []
    tokens: list[str] = []
    current: list[str] = []
    for char in text:
        if char in delimiters:
            tokens.append("".join(current))
            current = []
        else:
            current.append(char)
    tokens.append("".join(current))
    return [token for token in tokens if token]


def states_uuid(call: Invocation) -> Json:
    """``States.UUID()``: a version 4 UUID, drawn from the state visit (see MathRandom)."""
    _arity(call, 0)
    return str(uuid.UUID(bytes=call.scope.random_bytes(call.salt)[:16], version=4))


FUNCTIONS: dict[str, Function] = {
    "States.Format": states_format,
    "States.StringToJson": string_to_json,
    "States.JsonToString": json_to_string,
    "States.Array": array,
    "States.ArrayPartition": array_partition,
    "States.ArrayContains": array_contains,
    "States.ArrayRange": array_range,
    "States.ArrayGetItem": array_get_item,
    "States.ArrayLength": array_length,
    "States.ArrayUnique": array_unique,
    "States.Base64Encode": base64_encode,
    "States.Base64Decode": base64_decode,
    "States.Hash": states_hash,
    "States.JsonMerge": json_merge,
    "States.MathRandom": math_random,
    "States.MathAdd": math_add,
    "States.StringSplit": string_split,
    "States.UUID": states_uuid,
}
"""Every intrinsic function, by the name a definition calls it."""
