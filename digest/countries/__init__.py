"""The project's one country lookup: names, codes, aliases, flags, typos, and labels.

tables (hand-written exceptions) -> dataset (pycountry + tzdata) -> match (user text).
"""

from __future__ import annotations

from digest.countries.dataset import (
    Country,
    all_countries,
    by_code,
    flag_prefix,
    label_of,
)
from digest.countries.match import Found, Lookup, Unknown, find_countries, lookup
from digest.countries.tables import REGIONS

__all__ = [
    "REGIONS",
    "Country",
    "Found",
    "Lookup",
    "Unknown",
    "all_countries",
    "by_code",
    "find_countries",
    "flag_prefix",
    "label_of",
    "lookup",
]
