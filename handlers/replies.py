"""Reply building shared by the handlers: escaping, country lists, limits.

Everything outside text passes through `esc` before it is sent as HTML.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from telegram.constants import MessageLimit

from digest.countries import Country

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
STILL_GATHERING = (
    "I am still gathering the news: the first reading of all the outlets' feeds is under "
    "way. Please try again in a few minutes.")


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def country_list(countries: Iterable[Country]) -> str:
    return ", ".join(esc(c.label) for c in countries)


def clip(text: str, limit: int = 60) -> str:
    """User words quoted back in a reply are shortened, never echoed at length."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
