"""The country dataset: one `Country` per ISO 3166-1 code, with its flag, region and zones,
and the name keys the matcher looks names up by.

The data is not typed by hand: ISO 3166-1 names and codes come from pycountry,
each country's IANA zones from tzdata's `zone.tab`, and a display region is
derived from those zones (digest.countries.tables holds the exceptions).
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import unicodedata
from dataclasses import dataclass

import pycountry

from digest.countries.tables import ALIASES, NAMES, REGION_BY_ZONE_PREFIX, REGION_OVERRIDES

DROPPED = frozenset(".'’ʼ`")  # "U.S." is "us", "d'Ivoire" is "divoire"
_RI_A = 0x1F1E6  # REGIONAL INDICATOR SYMBOL LETTER A
_BLACK_FLAG = "\U0001f3f4"  # starts tag-sequence flags such as Scotland's
_TAG_CANCEL = "\U000e007f"
_TAG_OFFSET = 0xE0000  # TAG DIGIT ZERO is U+E0030, TAG LATIN SMALL LETTER Z is U+E007A
_TAG_0, _TAG_Z = _TAG_OFFSET + ord("0"), _TAG_OFFSET + ord("z")


@dataclass(frozen=True, slots=True)
class Country:
    """One ISO 3166-1 country as the bot shows and schedules it."""

    code: str  # alpha-2, upper case, e.g. "JP"
    alpha3: str
    name: str  # the short English name people use
    official_name: str
    flag: str
    region: str  # one of REGIONS
    zones: tuple[str, ...]  # IANA zones from zone.tab, principal zone first

    @property
    def label(self) -> str:
        """How a reader sees the country everywhere: "🇯🇵 Japan" (plain text: escape
        it for HTML)."""
        return f"{self.flag} {self.name}"


def label_of(code: str) -> str:
    """The label of the country with alpha-2 `code`, or the code in capitals when unknown."""
    country = by_code(code)
    return country.label if country else code.strip().upper()


def flag_prefix(code: str) -> str:
    """"🇯🇵 " before an outlet's or a count's name; nothing for a code the catalog lacks."""
    country = by_code(code)
    return f"{country.flag} " if country else ""


def by_code(code: str) -> Country | None:
    """The country with ISO alpha-2 `code`, in any case."""
    if not isinstance(code, str):
        return None
    return dataset().by_code.get(code.strip().upper())


def all_countries() -> tuple[Country, ...]:
    """Every country, sorted by name as a reader expects ("Åland" under A)."""
    return dataset().countries



@dataclass(frozen=True, slots=True)
class Dataset:
    countries: tuple[Country, ...]
    by_code: dict[str, Country]
    exact: dict[str, str]  # normalized name, alias or code -> alpha-2
    compact: dict[str, str]  # the same without spaces: "southkorea", "cotedivoire"
    choices: tuple[str, ...]  # names and aliases worth fuzzy matching
    choice_codes: tuple[str, ...]
    max_words: int


@functools.cache
def dataset() -> Dataset:
    """Built once on first use (about 250 countries, 1,000 keys, under 10 ms)."""
    zones = _zones()
    countries = []
    for record in pycountry.countries:
        code = record.alpha_2
        name = getattr(record, "common_name", None) or record.name
        countries.append(
            Country(
                code=code,
                alpha3=record.alpha_3,
                name=NAMES.get(code, name),
                official_name=getattr(record, "official_name", None) or record.name,
                flag=flag_of(code),
                region=_region(code, zones.get(code, ())),
                zones=zones.get(code, ()),
            )
        )
    countries.sort(key=lambda country: normalize(country.name))
    by_code = {country.code: country for country in countries}

    exact: dict[str, str] = {}
    choices: dict[str, str] = {}
    for record in pycountry.countries:
        code = record.alpha_2
        for value in (code, record.alpha_3):
            exact[value.casefold()] = code
        names = {
            record.name,
            by_code[code].name,
            getattr(record, "common_name", ""),
            getattr(record, "official_name", ""),
            *ALIASES.get(code, ()),
        }
        for name in filter(None, names):
            for key in _name_keys(name):
                exact.setdefault(key, code)
                if len(key) > 3:
                    choices.setdefault(key, code)
    # No two countries' keys differ only in spaces (tests check it), so squeezing is safe.
    compact = {key.replace(" ", ""): code for key, code in exact.items()}
    return Dataset(
        countries=tuple(countries),
        by_code=by_code,
        exact=exact,
        compact=compact,
        choices=tuple(choices),
        choice_codes=tuple(choices.values()),
        max_words=max(key.count(" ") + 1 for key in exact),
    )


def _zones() -> dict[str, tuple[str, ...]]:
    """Country code -> IANA zones, read from the zone.tab that the tzdata package ships."""
    text = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, _coordinates, zone, *_comment = line.split("\t")
        zones.setdefault(code, []).append(zone)
    return {code: tuple(names) for code, names in zones.items()}


def _region(code: str, zones: tuple[str, ...]) -> str:
    if code in REGION_OVERRIDES:
        return REGION_OVERRIDES[code]
    prefix = zones[0].split("/")[0] if zones else ""
    if prefix not in REGION_BY_ZONE_PREFIX:
        raise LookupError(f"no region for {code} (zone {zones[:1]}): add it to REGION_OVERRIDES")
    return REGION_BY_ZONE_PREFIX[prefix]


def flag_of(code: str) -> str:
    return "".join(chr(_RI_A + ord(letter) - ord("A")) for letter in code)


def _name_keys(name: str) -> set[str]:
    """The normalized spellings of one name that should all find it."""
    keys = {normalize(name), normalize(re.sub(r"['’]", " ", name))}  # "cote d ivoire"
    keys |= {"st " + key[6:] for key in keys if key.startswith("saint ")}
    return {key for key in keys if key}


# --- text -----------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: what a name key looks like.

    Invisible characters (zero-width, direction marks, variation selectors) are
    dropped; anything that is not a letter, digit or spacing mark separates words.
    """
    out = []
    for char in unicodedata.normalize("NFKD", text.casefold()):
        if char in DROPPED:
            continue
        category = unicodedata.category(char)
        if category in ("Mn", "Me", "Cf"):
            continue
        out.append(char if char.isalnum() or category == "Mc" else " ")
    return " ".join("".join(out).split())


def flag_code(text: str) -> str | None:
    """The alpha-2 code of `text` when it is exactly one flag emoji, valid or not."""
    if len(text) == 2 and all(is_indicator(char) for char in text):
        return "".join(chr(ord(char) - _RI_A + ord("A")) for char in text)
    if text.startswith(_BLACK_FLAG) and text.endswith(_TAG_CANCEL) and len(text) >= 4:
        tags = text[1:-1]
        if all(_TAG_0 <= ord(char) <= _TAG_Z for char in tags):
            # Subdivision flags: England, Scotland and Wales are "gbeng", "gbsct", "gbwls".
            return "".join(chr(ord(char) - _TAG_OFFSET) for char in tags[:2]).upper()
    return None


def is_indicator(char: str) -> bool:
    return _RI_A <= ord(char) <= _RI_A + 25


def flag_end(chunk: str, i: int) -> int:
    """End index of the flag starting at `i`, or 0 when none starts there."""
    if is_indicator(chunk[i]) and i + 1 < len(chunk) and is_indicator(chunk[i + 1]):
        return i + 2
    if chunk[i] == _BLACK_FLAG:
        end = chunk.find(_TAG_CANCEL, i + 1, i + 10)
        if end > i + 2 and flag_code(chunk[i : end + 1]):
            return end + 1
    return 0
