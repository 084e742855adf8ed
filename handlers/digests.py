"""The digest on demand: /digest now, and "More from 🇯🇵 Japan" under a digest."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardMarkup, Update

from digest.countries import by_code, lookup
from handlers.replies import STILL_GATHERING, button_data
from handlers.subscriptions import current_chat
from runtime.context import NewsContext
from runtime.delivery import MORE_PREFIX, lead_preview
from runtime.jobs import composer

MORE_LABEL = "More from "  # as `more_keyboard` writes it


async def digest_command(update: Update, context: NewsContext) -> None:
    """/digest sends the digest now (stories sent in it are not repeated in the next one)."""
    data = context.bot_data
    chat_id = update.effective_chat.id
    if not current_chat(context, chat_id).countries:
        await update.effective_message.reply_text(
            "You have no countries yet: send /subscribe Japan, Brazil (any countries you "
            "like), then /digest.")
        return
    if not data.courier.claim(chat_id):
        await update.effective_message.reply_text("Your digest is on its way.")
        return
    try:
        edition = await data.newsroom.edition()
    except BaseException:
        data.courier.release(chat_id)
        raise
    if not edition.gathered:
        data.courier.release(chat_id)
        await update.effective_message.reply_text(STILL_GATHERING)
        return
    await data.courier.deliver(context.bot, chat_id, composer(data, edition, chat_id,
                                                              data.clock()), None)


async def more_button(update: Update, context: NewsContext) -> None:
    """"More from 🇯🇵 Japan" shows the country's next stories in the same message; they are
    remembered as sent, so the next digest does not repeat them."""
    button = update.callback_query
    await show_more(update, context, button_data(button).removeprefix(MORE_PREFIX),
                    button.message.reply_markup)


def more_code(label: str) -> str | None:
    """The country of a `more_keyboard` label, "More from 🇯🇵 Japan": its flag (or its
    code, for a country without one) says which."""
    if not label.startswith(MORE_LABEL):
        return None
    found = lookup(label.removeprefix(MORE_LABEL).split(" ")[0], typos=False).country
    return found.code if found else None


async def show_more(update: Update, context: NewsContext, code: str,
                    keyboard: InlineKeyboardMarkup | None) -> None:
    """The country's next stories in place of the tapped message, under `keyboard`."""
    button = update.callback_query
    data = context.bot_data
    chat_id = update.effective_chat.id
    edition = await data.newsroom.edition()
    more = edition.more(code, data.store.sent_keys(chat_id),
                        per_country=data.config.digest.stories_per_country)
    if more is None:
        country = by_code(code)
        await button.answer(f"Nothing more from {country.name if country else code} for now.",
                            show_alert=True)
        return
    await button.answer()
    await button.edit_message_text(
        more.chunks[0],
        link_preview_options=lead_preview(more.preview), reply_markup=keyboard)
    await asyncio.to_thread(data.store.record_digest, chat_id, more.keys, data.clock())
