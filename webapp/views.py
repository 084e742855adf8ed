"""What the Mini App's API answers, as plain JSON-ready dicts.

The globe's shapes (world-atlas) are keyed by ISO 3166 numeric codes, the bot by
alpha-2: the mapping is made here, once, from pycountry, so the page needs no
table of its own. Texts are returned as data; the page inserts them as text.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import pycountry

from digest.countries import Country, all_countries, by_code, lookup
from digest.models import Chat, Source
from digest.stories.editions import Edition
from digest.subscriptions import Coverage

JSON = dict[str, Any]
TOP_STORIES = 5
MAX_RESULTS = 5


@functools.cache
def numeric_codes() -> dict[str, str]:
    """alpha-2 -> ISO 3166 numeric ("BR" -> "076"), as world-atlas names its shapes."""
    return {c.alpha_2: c.numeric for c in pycountry.countries}


def country_entry(country: Country, coverage: Coverage) -> JSON:
    return {"code": country.code, "id": numeric_codes().get(country.code, ""),
            "name": country.name, "flag": country.flag,
            "outlets": coverage.outlets.get(country.code, 0)}


def countries_payload(chat: Chat, coverage: Coverage) -> JSON:
    """Every country the globe can show, with its outlet count, and the user's countries."""
    return {"countries": [country_entry(c, coverage) for c in all_countries()],
            "mine": list(chat.countries)}


def country_payload(country: Country, chat: Chat, coverage: Coverage,
                    sources: list[Source], edition: Edition, now: datetime) -> JSON:
    """The panel of one country: its outlets and its top stories of the current edition."""
    stories = []
    if coverage.covers(country):
        for story, item in edition.top(country.code, TOP_STORIES):
            stories.append({
                "title": item.lead.title, "url": item.lead.url, "outlet": item.lead.source,
                "published": item.lead.published.isoformat(),
                "other_countries": len(story.countries - {country.code}),
                "not_in_us_media": item.not_in_us_media,
            })
    return {**country_entry(country, coverage),
            "outlet_names": sorted({s.name for s in sources if s.country == country.code}),
            "subscribed": country.code in chat.countries,
            "now": now.isoformat(), "stories": stories}


def search_payload(text: str, coverage: Coverage) -> JSON:
    """Countries for a typed name, matched as /subscribe matches them ("Brasil", "JP",
    typos): the country meant, else the close guesses."""
    found = lookup(text[:100])
    matches = [found.country] if found.country else list(found.suggestions)
    return {"results": [country_entry(c, coverage) for c in matches[:MAX_RESULTS]]}


def country_by_code(code: str) -> Country | None:
    return by_code(code) if len(code) == 2 and code.isalpha() else None
