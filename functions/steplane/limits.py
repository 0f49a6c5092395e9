"""Limits that Step Functions documents and steplane keeps, in one place."""

from __future__ import annotations

# "The maximum input or output size for a task, state, or execution is 256 KiB of data
# as a UTF-8 encoded string."
MAX_PAYLOAD_BYTES = 256 * 1024

# The largest Wait ``Seconds`` / Retry ``IntervalSeconds`` ASL allows; longer computed
# waits (a SecondsPath value, a long backoff) are held to it.
MAX_WAIT_SECONDS = 99_999_999


def whole_seconds(value: object, *, minimum: int) -> int | None:
    """``value`` as a whole number of seconds from ``minimum`` to MAX_WAIT_SECONDS (``1.0``
    counts, ``true`` does not), or None. Compared as it is: an integer of 400 digits does
    not fit a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    whole = isinstance(value, int) or value.is_integer()
    return int(value) if whole and minimum <= value <= MAX_WAIT_SECONDS else None


def utf8_size(json_text: str) -> int:
    """Size in bytes of JSON text as Step Functions counts it: UTF-8, not ``\\u`` escapes."""
    return len(json_text.encode("utf-8"))


# SQS caps DelaySeconds at 900; longer delays travel as re-armed wake-ups.
MAX_QUEUE_DELAY_SECONDS = 900
