from __future__ import annotations

import pytest

from digest.times import parse_clock, parse_time_of_day


@pytest.mark.parametrize(
    ("text", "expected"),
    [("07:30", "07:30"), ("7:30", "07:30"), ("7am", "07:00"), ("7 AM", "07:00"),
     ("7.30pm", "19:30"), ("12am", "00:00"), ("12pm", "12:00"), ("19h", "19:00"),
     ("7", "07:00"), ("25:00", None), ("13pm", None), ("soon", None), ("", None),
     ("7:60", None), ("noon", "12:00"), ("Midday", "12:00"), ("12 noon", "12:00"),
     ("midnight", "00:00")],
)
def test_parse_time_of_day(text: str, expected: str | None) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("07:30", (7, 30)), ("7:30", (7, 30)), (" 23:59 ", (23, 59)), ("24:00", None),
     ("7am", None), ("7", None), ("", None)],
)
def test_parse_clock_reads_the_stored_form_only(text: str, expected: tuple[int, int] | None
                                                ) -> None:
    assert parse_clock(text) == expected
