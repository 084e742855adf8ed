"""Which time zone a user means by what they typed: "Tokyo", "EST", "India", "UTC+9".

People rarely type IANA names. They type the abbreviation they see on their
clock ("EST", "CET"), a region name ("Pacific"), their country, or an offset.
Several of those are traps when read literally: "EST" is also Estonia's ISO
alpha-3 code and tzdata's fixed UTC-5 zone (no daylight saving), "Pacific" is
the city part of the legacy `Canada/Pacific`, "IST" is India, Ireland and
Israel. So the abbreviations people use come first, from a short table of what
they mean in practice; an abbreviation or country that names several zones is
answered with choices, never with a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from digest.countries import Country, by_code, lookup

OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)

# What people mean by the abbreviations and region names they type, checked before
# anything else (case-insensitive, whole text only). Two-letter forms (ET, PT, MT)
# are left out: they are country codes (Ethiopia, Portugal, Malta).
_MEANT = {
    "America/New_York": ("EST", "EDT", "Eastern", "Eastern Time"),
    "America/Chicago": ("CDT", "Central", "Central Time"),
    "America/Denver": ("MST", "MDT", "Mountain", "Mountain Time"),
    "America/Los_Angeles": ("PST", "PDT", "Pacific", "Pacific Time"),
    "America/Anchorage": ("AKST", "AKDT", "Alaska"),
    "Pacific/Honolulu": ("HST", "Hawaii"),
    "America/Halifax": ("ADT", "Atlantic"),
    "America/St_Johns": ("NST", "NDT", "Newfoundland"),
    "Europe/London": ("BST",),
    "Europe/Lisbon": ("WET", "WEST"),
    "Europe/Paris": ("CET", "CEST", "MET", "MEST"),
    "Europe/Athens": ("EET", "EEST"),
    "Europe/Moscow": ("MSK",),
    "Asia/Tokyo": ("JST",),
    "Asia/Seoul": ("KST",),
    "Asia/Hong_Kong": ("HKT",),
    "Asia/Singapore": ("SGT",),
    "Asia/Karachi": ("PKT",),
    "Asia/Jakarta": ("WIB",),
    "Australia/Sydney": ("AEST", "AEDT"),
    "Australia/Adelaide": ("ACST", "ACDT"),
    "Australia/Perth": ("AWST",),
    "Pacific/Auckland": ("NZST", "NZDT"),
    "Africa/Johannesburg": ("SAST",),
    "Africa/Lagos": ("WAT",),
    "Africa/Nairobi": ("EAT",),
    "America/Sao_Paulo": ("BRT",),
}
_MEANT_KEYS = {name.lower(): zone for zone, names in _MEANT.items() for name in names}

# Abbreviations in wide use for more than one zone: the user picks.
_AMBIGUOUS = {
    "ist": (("IN", "Asia/Kolkata"), ("IE", "Europe/Dublin"), ("IL", "Asia/Jerusalem")),
    "cst": (("US", "America/Chicago"), ("CN", "Asia/Shanghai"), ("CU", "America/Havana")),
    "ast": (("CA", "America/Halifax"), ("SA", "Asia/Riyadh")),
}

# The zone a country's button stands for when zone.tab lists a smaller place first
# in a group of zones that keep the same time (Macquarie before Sydney, Belém before
# São Paulo).
_PREFERRED = frozenset(
    ("Australia/Sydney", "America/Sao_Paulo", "America/Manaus", "America/Rio_Branco")
)
# Legacy or technical names that are no place anyone lives in.
_NOT_OFFERED = frozenset(("Factory", "localtime"))


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """One button of a question: a label people recognise and the zone it sets."""

    label: str
    zone: str


@dataclass(frozen=True, slots=True)
class ZoneAnswer:
    """A zone, or choices to ask about (an abbreviation or a country with several
    zones), or neither when the text names no zone."""

    zone: str | None = None
    choices: tuple[ZoneChoice, ...] = ()
    country: Country | None = None  # set when the choices are a country's zones


def resolve_timezone(text: str, now: datetime) -> ZoneAnswer:
    """What `text` names: an abbreviation ('EST'), an IANA name ('Asia/Tokyo',
    'EST5EDT'), a city ('Tokyo'), a country ('Japan', 'US') or an offset ('UTC+9',
    '+09:00'). Offsets are stored as 'UTC±HH:MM'. `now` decides which of a country's
    zones keep the same time (and so need one button only)."""
    text = " ".join(text.split())[:64]
    if not text:
        return ZoneAnswer()
    key = text.replace("_", " ").lower()
    if key in ("utc", "gmt", "z"):
        return ZoneAnswer("UTC")
    if match := OFFSET.fullmatch(text):
        hours, minutes = int(match[2]), int(match[3] or 0)
        if hours > 14 or minutes not in (0, 15, 30, 45):
            return ZoneAnswer()
        return ZoneAnswer(f"UTC{match[1]}{hours:02d}:{minutes:02d}")
    if zone := _MEANT_KEYS.get(key):
        return ZoneAnswer(zone)
    if options := _AMBIGUOUS.get(key):
        return ZoneAnswer(choices=tuple(
            ZoneChoice(country.label, zone)
            for code, zone in options if (country := by_code(code))))
    keys = _zones_by_key()
    if zone := keys.get(key) or keys.get(text.lower()):
        return ZoneAnswer(zone)
    country = lookup(text).country
    if country is not None and country.zones:
        zones = _distinct_zones(country.zones, now)
        if len(zones) == 1:
            return ZoneAnswer(zones[0])
        return ZoneAnswer(choices=tuple(ZoneChoice(city_name(z), z) for z in zones),
                          country=country)
    return ZoneAnswer(_plain_names().get(text.lower()))


def is_zone_name(name: str) -> bool:
    """A name this module could have produced: IANA, 'UTC' or 'UTC±HH:MM'."""
    return name in _known_zones() or bool(OFFSET.fullmatch(name))


def city_name(zone: str) -> str:
    """'America/New_York' -> 'New York'."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones() - _NOT_OFFERED)


@cache
def _zones_by_key() -> dict[str, str]:
    """Lower-case IANA area names and their city parts ('tokyo', 'new york') -> IANA name."""
    keys: dict[str, str] = {}
    for name in sorted(_known_zones()):
        if name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or "/" not in name:
            continue
        keys.setdefault(name.lower(), name)
        keys.setdefault(city_name(name).lower(), name)
    return keys


@cache
def _plain_names() -> dict[str, str]:
    """IANA names without an area ('EST5EDT', 'Poland'), read after countries so that
    'Israel' means Asia/Jerusalem rather than the legacy alias."""
    return {name.lower(): name for name in _known_zones() if "/" not in name}


def _distinct_zones(zones: tuple[str, ...], now: datetime) -> list[str]:
    """One zone per group that keeps the same time this year (New York and Detroit are
    one button), in zone.tab's order; research stations are no one's home zone."""
    groups: dict[tuple[timedelta | None, ...], str] = {}
    for zone in zones:
        if zone.startswith("Antarctica/"):
            continue
        tz = ZoneInfo(zone)
        offsets = tuple(datetime(now.year, month, 15, 12, tzinfo=tz).utcoffset()
                        for month in (1, 7))
        if offsets not in groups or zone in _PREFERRED:
            groups[offsets] = zone
    return list(groups.values())
