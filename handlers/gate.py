"""What reaches the handlers: updates the bot does not serve are dropped before any
handler sees them, and a group's settings are for the group's administrators.

Dropped: an edited message (editing an old "/subscribe Japan" must not subscribe
again), channel posts (the bot serves private chats and groups), and a button under
a message sent through inline mode, which has no chat to act in (it is answered,
so the client's spinner stops).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from runtime.context import NewsContext

Callback = Callable[[Update, NewsContext], Coroutine[Any, Any, None]]

ADMINS_ONLY = "Only this group's administrators can change its settings."


async def drop_unserved(update: Update, context: NewsContext) -> None:
    """Stop updates no handler should act on (registered first, in a group of its own)."""
    if update.edited_message or update.channel_post or update.edited_channel_post:
        raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None and query.message is None:
        await query.answer()
        raise ApplicationHandlerStop


def admins_only(callback: Callback) -> Callback:
    """`callback` for private chats and group administrators; other members of a group
    get one short line (as an alert under a button) and nothing changes."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: NewsContext) -> None:
        if await may_change_settings(update, context):
            await callback(update, context)
        elif update.callback_query is not None:
            await update.callback_query.answer(ADMINS_ONLY, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(ADMINS_ONLY)

    return guarded


async def may_change_settings(update: Update, context: NewsContext) -> bool:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return True
    message = update.message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id  # an anonymous administrator posts as the group
    if user is None:
        return False
    return await context.bot_data.chat_admins.is_admin(context.bot, chat.id, user.id)
