"""/globe and the Mini App's button beside other keyboards.

Telegram opens a `web_app` inline button only in private chats, so groups are told
where to find the globe instead.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.constants import ChatType

from runtime.context import NewsContext

GLOBE_LABEL = "🌍 Open the globe"


def globe_button(update: Update, context: NewsContext) -> InlineKeyboardButton | None:
    """The button that opens the app; None when the app is off or the chat is no private one."""
    url = context.bot_data.config.webapp.url
    if not url or update.effective_chat.type != ChatType.PRIVATE:
        return None
    return InlineKeyboardButton(GLOBE_LABEL, web_app=WebAppInfo(url))


def with_globe(markup: InlineKeyboardMarkup, update: Update, context: NewsContext
               ) -> InlineKeyboardMarkup:
    """`markup` with a last row that opens the globe, when there is one to open."""
    button = globe_button(update, context)
    if button is None:
        return markup
    return InlineKeyboardMarkup([*markup.inline_keyboard, [button]])


async def globe_command(update: Update, context: NewsContext) -> None:
    """/globe offers the Mini App: spin a globe, tap a country, subscribe."""
    button = globe_button(update, context)
    if button is None:
        await update.effective_message.reply_text(
            "The globe opens in a private chat with me: send me /globe there.")
        return
    await update.effective_message.reply_text(
        "Spin the globe, tap a country to see its top stories, and subscribe from there.",
        reply_markup=InlineKeyboardMarkup([[button]]))
