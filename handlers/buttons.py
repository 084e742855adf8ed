"""Taps on buttons whose data PTB no longer has.

PTB keeps every inline button's data (`arbitrary_callback_data`: the newest
`KEPT_KEYBOARDS` keyboards, in memory only) and gives Telegram a key in its place.
After a restart, or once a keyboard is among the oldest, a tap brings only the key,
as `InvalidCallbackData`. A digest's "More from 🇯🇵 Japan" buttons stay useful for
days, so they are read from their labels (`digests.more_code`) and keep working;
any other old button asks to start again.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import InvalidCallbackData

from handlers.digests import more_code, show_more
from runtime.context import NewsContext
from runtime.delivery import more_keyboard

# Keyboards whose buttons work (a few hundred bytes each): the newest answers, pickers
# and digests; older ones get the answer below, except "More from" buttons.
KEPT_KEYBOARDS = 4096
EXPIRED = "This button is too old to use; please ask again."


async def expired_button(update: Update, context: NewsContext) -> None:
    """An old button: "More from 🇯🇵 Japan" still shows more, any other says to ask again."""
    button = update.callback_query
    message, tapped = button.message, _key(button.data)
    if tapped and isinstance(message, Message) and message.reply_markup is not None:
        buttons = [b for row in message.reply_markup.inline_keyboard for b in row]
        codes = [code for b in buttons if (code := more_code(b.text))]
        pressed = [more_code(b.text) for b in buttons if _key(b.callback_data) == tapped]
        if pressed and pressed[0] and len(codes) == len(buttons):
            await show_more(update, context, pressed[0], more_keyboard(tuple(codes)))
            return
    await button.answer(EXPIRED, show_alert=True)


def _key(data: object) -> str | None:
    """The key Telegram carried for a button PTB could not resolve."""
    return data.callback_data if isinstance(data, InvalidCallbackData) else None
