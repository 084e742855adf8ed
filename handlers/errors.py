"""The error handler: one apology to the user, one traceback to the log (masked by
runtime.logs, which keeps the token out of every record)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden

from digest.store import DamagedRecord
from runtime.context import NewsContext

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


async def on_error(update: object, context: NewsContext) -> None:
    """Log the failure with its traceback and apologise to the user, if there is one.

    A 403 means the chat blocked or removed the bot: it is marked inactive (settings
    kept, so a later /start brings it back as it was), with no traceback and no reply.
    """
    chat = update.effective_chat if isinstance(update, Update) else None
    if isinstance(context.error, Forbidden):
        if chat is not None and context.bot_data.store.chat(chat.id) is not None:
            context.bot_data.store.update_chat(chat.id, active=False)
        log.info("chat %s is unreachable (%s); marked inactive",
                 chat.id if chat else "?", context.error.message)
        return
    if isinstance(context.error, DamagedRecord):
        # Logged with its field and value when the store loaded; no traceback per message.
        log.warning("update not handled: %s", context.error)
    else:
        log.error("error while handling an update", exc_info=context.error)
    if chat is None:
        return
    try:
        await context.bot.send_message(chat.id, APOLOGY)
    except Exception:  # the apology itself failing must not loop back here
        log.warning("could not send the apology to chat %s", chat.id)
