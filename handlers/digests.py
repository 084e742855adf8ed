"""The digest on demand: /digest sends this chat's digest now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from telegram import Update

from digest.editions import Digest, Edition
from handlers.context import BotData, NewsContext
from handlers.subscriptions import current_chat


def composer(data: BotData, edition: Edition, chat_id: int, now: datetime
             ) -> Callable[[], Digest]:
    """The chat's digest, composed when called: a digest waiting for its turn to be sent
    reflects the countries and history the chat has then."""
    settings = data.config.digest

    def compose() -> Digest:
        chat = data.store.chat(chat_id)
        return edition.compose(chat.countries if chat else (), data.store.sent_keys(chat_id),
                               when=now.astimezone(data.zone(chat_id)),
                               per_country=settings.stories_per_country)

    return compose


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
        edition = await data.editions.current()
    except BaseException:
        data.courier.release(chat_id)
        raise
    await data.courier.deliver(context.bot, chat_id, composer(data, edition, chat_id,
                                                              data.clock()), None)
