"""Digest schedule settings: /time, /timezone, /pause, /resume."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from digest.schedule import parse_time_of_day, parse_timezone, zone_of
from handlers.context import NewsContext
from handlers.replies import clip, esc
from handlers.subscriptions import current_chat


def schedule_line(context: NewsContext, chat_id: int) -> str:
    """'07:30 (Asia/Tokyo), now 15:02 there': times are shown in the chat's own zone."""
    defaults = context.bot_data.config.digest
    chat = current_chat(context, chat_id)
    zone = chat.timezone or defaults.timezone
    now = context.bot_data.clock().astimezone(zone_of(zone)).strftime("%H:%M")
    return f"{chat.digest_time or defaults.time} ({esc(zone)}; it is {now} there now)"


async def time_command(update: Update, context: NewsContext) -> None:
    """/time 07:30 or /time 7am sets the daily digest time."""
    chat_id = update.effective_chat.id
    text = " ".join(context.args or ())
    parsed = parse_time_of_day(text) if text else None
    if parsed is None:
        said = f"“{esc(clip(text))}” is not a time I understand. " if text else ""
        await update.effective_message.reply_text(
            f"{said}Send for example /time 07:30 or /time 7am.\n"
            f"Your digest comes at {schedule_line(context, chat_id)}.",
            parse_mode=ParseMode.HTML)
        return
    context.bot_data.store.update_chat(chat_id, digest_time=parsed)
    await update.effective_message.reply_text(
        f"Your digest will come every day at {schedule_line(context, chat_id)}.",
        parse_mode=ParseMode.HTML)


async def timezone_command(update: Update, context: NewsContext) -> None:
    """/timezone Asia/Tokyo (or Tokyo, UTC+9, +09:00) sets the chat's zone."""
    chat_id = update.effective_chat.id
    text = " ".join(context.args or ())
    zone = parse_timezone(text) if text else None
    if zone is None:
        said = f"I don't know the time zone “{esc(clip(text))}”. " if text else ""
        await update.effective_message.reply_text(
            f"{said}Send for example /timezone Asia/Tokyo, /timezone Tokyo or "
            f"/timezone UTC+9.\nYour digest comes at {schedule_line(context, chat_id)}.",
            parse_mode=ParseMode.HTML)
        return
    context.bot_data.store.update_chat(chat_id, timezone=zone)
    await update.effective_message.reply_text(
        f"Time zone set. Your digest will come every day at {schedule_line(context, chat_id)}.",
        parse_mode=ParseMode.HTML)


async def pause_command(update: Update, context: NewsContext) -> None:
    """/pause stops the daily digest (subscriptions are kept)."""
    context.bot_data.store.update_chat(update.effective_chat.id, paused=True)
    await update.effective_message.reply_text(
        "Daily digests paused. Your countries are kept; /resume starts them again.")


async def resume_command(update: Update, context: NewsContext) -> None:
    """/resume restarts the daily digest."""
    chat_id = update.effective_chat.id
    context.bot_data.store.update_chat(chat_id, paused=False)
    await update.effective_message.reply_text(
        f"Daily digests resumed: every day at {schedule_line(context, chat_id)}.",
        parse_mode=ParseMode.HTML)
