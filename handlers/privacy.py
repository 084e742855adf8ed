"""/forget: delete everything stored about a chat, after a confirmation."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.replies import button_data
from runtime.context import NewsContext

CONFIRM = InlineKeyboardMarkup([[
    InlineKeyboardButton("Yes, forget this chat", callback_data="forget:yes"),
    InlineKeyboardButton("Cancel", callback_data="forget:no"),
]])


async def forget_command(update: Update, context: NewsContext) -> None:
    """/forget asks for confirmation first: the deletion cannot be undone."""
    await update.effective_message.reply_text(
        "This deletes your countries, settings and digest history here. Are you sure?",
        reply_markup=CONFIRM,
    )


async def forget_button(update: Update, context: NewsContext) -> None:
    """The answer to the /forget confirmation."""
    query = update.callback_query
    await query.answer()
    if button_data(query) == "forget:yes":
        # Off the event loop: the chat's lines leave the logs of what was sent, files that
        # hold every chat's digests of a day.
        await asyncio.to_thread(context.bot_data.store.delete_chat, update.effective_chat.id)
        await query.edit_message_text("Done: I have forgotten everything about this chat. "
                                      "Send /start to begin again.")
    else:
        await query.edit_message_text("Nothing was deleted.")
