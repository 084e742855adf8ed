"""Reply building shared by the handlers: escaping, country lists, limits.

Every message is HTML (`MESSAGE_DEFAULTS`), so everything outside text passes through
`esc` before it is sent.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from telegram import LinkPreviewOptions
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import Defaults

from digest.countries import Country

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
# Said once for every message the bot sends or edits (inline results too): HTML, and no
# link previews; a message that shows a story's picture passes its own preview options.
MESSAGE_DEFAULTS = Defaults(parse_mode=ParseMode.HTML,
                            link_preview_options=LinkPreviewOptions(is_disabled=True))
STILL_GATHERING = (
    "I am still gathering the news: the first reading of all the outlets' feeds is under "
    "way. Please try again in a few minutes.")


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def country_list(countries: Iterable[Country]) -> str:
    return ", ".join(f"{c.flag} {esc(c.name)}" for c in countries)


def clip(text: str, limit: int = 60) -> str:
    """User words quoted back in a reply are shortened, never echoed at length."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
