"""Reply building shared by the handlers: escaping, country lists, limits.

Every message is HTML (`MESSAGE_DEFAULTS`), so everything outside text passes through
`esc` before it is sent.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from telegram import CallbackQuery, LinkPreviewOptions
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import Defaults, InvalidCallbackData

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
    return ", ".join(esc(c.label) for c in countries)


def clip(text: str, limit: int = 60) -> str:
    """User words quoted back in a reply are shortened, never echoed at length."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def button_data(query: CallbackQuery | None) -> str:
    """A string button's data, whether PTB's button cache resolved it or it came as sent.

    Keyboards sent before the bot kept button state (and forged taps) carry their plain
    string, which PTB hands over as `InvalidCallbackData`: it is read the same way, and the
    handler checks it as it checks any tap. `query` is optional as PTB types it; a
    CallbackQueryHandler's update always has one.
    """
    assert query is not None
    data = query.data
    if isinstance(data, InvalidCallbackData):
        return data.callback_data or ""
    return data if isinstance(data, str) else ""


def string_button(pattern: str) -> Callable[[object], bool]:
    """A `CallbackQueryHandler` pattern for string data, cached or plain (`button_data`).

    A cache key PTB no longer knows never matches: it is 64 hexadecimal digits, and every
    string button starts with a word and a colon."""
    regex = re.compile(pattern)

    def matches(data: object) -> bool:
        if isinstance(data, InvalidCallbackData):
            data = data.callback_data
        return isinstance(data, str) and regex.match(data) is not None

    return matches
