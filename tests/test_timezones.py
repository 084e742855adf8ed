from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest.timezones import is_zone_name, resolve_timezone

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Asia/Tokyo", "Asia/Tokyo"), ("asia/tokyo", "Asia/Tokyo"), ("Tokyo", "Asia/Tokyo"),
     ("new york", "America/New_York"), ("Japan", "Asia/Tokyo"), ("UTC", "UTC"),
     ("UTC+9", "UTC+09:00"), ("+09:00", "UTC+09:00"), ("GMT-3", "UTC-03:00"),
     ("UTC+5:30", "UTC+05:30"), ("UTC+20", None), ("Atlantis", None), ("", None),
     ("x" * 5000, None), ("EST", "America/New_York"), ("Estonia", "Europe/Tallinn"),
     ("EE", "Europe/Tallinn"), ("cst6cdt", "CST6CDT"), ("Poland", "Europe/Warsaw"),
     ("Factory", None)],
)
def test_one_zone(text: str, expected: str | None) -> None:
    answer = resolve_timezone(text, NOW)
    assert (answer.zone, answer.choices) == (expected, ())


@pytest.mark.parametrize(("text", "zones"), [
    ("CST", ["America/Chicago", "Asia/Shanghai", "America/Havana"]),
    ("China", ["Asia/Shanghai", "Asia/Urumqi"]),
    ("Spain", ["Europe/Madrid", "Atlantic/Canary"]),
])
def test_choices(text: str, zones: list[str]) -> None:
    answer = resolve_timezone(text, NOW)
    assert answer.zone is None
    assert [c.zone for c in answer.choices] == zones


def test_a_countrys_zones_are_one_per_local_time_and_never_a_research_station() -> None:
    us = [c.label for c in resolve_timezone("United States", NOW).choices]
    assert us == ["New York", "Chicago", "Denver", "Phoenix", "Los Angeles", "Anchorage",
                  "Adak", "Honolulu"]
    australia = [c.zone for c in resolve_timezone("Australia", NOW).choices]
    assert "Australia/Sydney" in australia
    assert not any(zone.startswith("Antarctica/") for zone in australia)


@pytest.mark.parametrize(("name", "known"), [("Asia/Tokyo", True), ("UTC+05:30", True),
                                             ("EST5EDT", True), ("Mars/Base", False),
                                             ("localtime", False), ("", False)])
def test_is_zone_name(name: str, known: bool) -> None:
    assert is_zone_name(name) is known
