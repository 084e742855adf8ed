"""Times of day, the one parser: "HH:MM" as stored and configured, and the ways people
write a time in /time ("7am", "19h", "noon").

The stored form is what the config check, the store's record check and the
schedule read back, so the lenient reader answers in it.
"""

from __future__ import annotations

import re

_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_AM_PM = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?\s*([ap])\.?\s*m\.?", re.IGNORECASE)
_H_SUFFIX = re.compile(r"(\d{1,2})(?:h(\d{2})?)?")
_NAMED_TIMES = {"noon": "12:00", "midday": "12:00", "12 noon": "12:00", "midnight": "00:00"}


def parse_clock(text: str) -> tuple[int, int] | None:
    """'7:30' or '07:30' as (hour, minute); None when it is not a time of day."""
    match = _CLOCK.fullmatch(text.strip())
    return (int(match[1]), int(match[2])) if match else None


def parse_time_of_day(text: str) -> str | None:
    """'07:30', '7:30', '7am', '7.30 pm', '19h', '7', 'noon' as 'HH:MM'; None if not a time."""
    text = text.strip()
    if named := _NAMED_TIMES.get(" ".join(text.lower().split())):
        return named
    clock = parse_clock(text)
    if clock is None and (match := _AM_PM.fullmatch(text)):
        hour, minute = int(match[1]), int(match[2] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        clock = (hour % 12 + (12 if match[3].lower() == "p" else 0), minute)
    if clock is None and (match := _H_SUFFIX.fullmatch(text.lower())):
        hour, minute = int(match[1]), int(match[2] or 0)
        clock = (hour, minute) if hour < 24 and minute < 60 else None
    return f"{clock[0]:02d}:{clock[1]:02d}" if clock else None
