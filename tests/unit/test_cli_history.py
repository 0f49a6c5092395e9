"""The text lines of ``steplane run``: a failure's error and cause, cut to one short line."""

from __future__ import annotations

import json

from steplane.cli.history import CAUSE_WIDTH, cause_text, failure_note


def test_a_failure_note_is_the_error_and_the_first_line_of_the_cause() -> None:
    assert failure_note("Boom", "first line\nsecond line") == "Boom: first line"


def test_a_long_cause_is_cut_to_the_width_with_an_ellipsis() -> None:
    note = failure_note("Boom", "y" * 500)
    assert note == f"Boom: {'y' * (CAUSE_WIDTH - 3)}..."


def test_a_failure_without_a_cause_is_its_error_alone() -> None:
    assert failure_note("States.Timeout", None) == "States.Timeout"
    assert failure_note("States.Timeout", "") == "States.Timeout"


def test_a_lambda_error_document_is_summarised_by_its_message() -> None:
    cause = json.dumps(
        {
            "errorMessage": "card declined",
            "errorType": "ValueError",
            "stackTrace": ['  File "w.py", line 2, in handler\n    raise ValueError()\n'],
        }
    )
    assert failure_note("ValueError", cause) == "ValueError: card declined"
    assert cause_text(cause) == (
        "card declined\n"
        "stack trace (most recent call last):\n"
        '  File "w.py", line 2, in handler\n'
        "    raise ValueError()"
    )


def test_a_cause_that_only_looks_like_json_is_shown_as_it_is() -> None:
    assert failure_note("E", '{"not": "a lambda error"}') == 'E: {"not": "a lambda error"}'
    assert cause_text("{broken") == "{broken"
