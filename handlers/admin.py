"""Commands for the bot's operators, listed in [telegram] admins."""

from __future__ import annotations

from telegram import Update

from digest.countries import flag_prefix
from digest.stats import collect_stats
from handlers.basics import unknown_command
from handlers.replies import esc
from runtime.context import NewsContext

ADMIN_COMMANDS = ("stats",)  # answered for admins only, so left out of /help and the menu
TOP_COUNTRIES = 15
FAILING_SHOWN = 10


def is_admin(update: Update, context: NewsContext) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.bot_data.config.telegram.admins


async def stats_command(update: Update, context: NewsContext) -> None:
    """/stats: users, subscriptions, articles and feed health; others get the answer any
    unknown command gets, so the command is not advertised."""
    if not is_admin(update, context):
        await unknown_command(update, context)
        return
    data = context.bot_data
    stats = collect_stats(data.store, data.newsroom.sources, data.clock())
    follows = ", ".join(
        f"{flag_prefix(code)}{code} {count}" for code, count in stats.subscriptions[:TOP_COUNTRIES])
    days = ", ".join(f"{day:%d %b} {count}" for day, count in stats.articles_per_day)
    failing = ", ".join(esc(f"{s.country} {s.name}") for s in stats.failing_feeds[:FAILING_SHOWN])
    more = len(stats.failing_feeds) - FAILING_SHOWN
    lines = [
        "<b>Stats</b>",
        f"Chats: {stats.chats} ({stats.receiving} get digests, {stats.paused} paused, "
        f"{stats.blocked} blocked the bot)",
        f"Most followed: {follows or 'none yet'}",
        f"Articles per day: {days}",
        f"Feeds: {stats.feeds}, {len(stats.failing_feeds)} failing"
        + (f": {failing}" if failing else "") + (f" and {more} more" if more > 0 else ""),
    ]
    lines.append(f"Digest queue: {data.digest_queue.backlog(data.clock()).summary()}")
    await update.effective_message.reply_text("\n".join(lines))

