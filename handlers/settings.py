"""Digest schedule settings: /time, /timezone, /pause, /resume."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from digest.schedule import parse_time_of_day, parse_timezone
from handlers.context import NewsContext
from handlers.replies import clip, esc
from handlers.subscriptions import current_chat


def schedule_line(context: NewsContext, chat_id: int) -> str:
    """'07:30 (Asia/Tokyo), now 15:02 there': times are shown in the chat's own zone."""
    data = context.bot_data
    chat = current_chat(context, chat_id)
    now = data.clock().astimezone(data.zone(chat_id)).strftime("%H:%M")
    return (f"{chat.digest_time or data.config.digest.time} ({esc(data.zone_name(chat_id))}; "
            f"it is {now} there now)")


async def _set_schedule(update: Update, context: NewsContext, value: str | None,
                        changes: dict[str, str], problem: str, usage: str, done: str) -> None:
    """Store a parsed setting and confirm it, or explain what was not understood."""
    chat_id = update.effective_chat.id
    text = " ".join(context.args or ())
    if value is None:
        said = problem.format(esc(clip(text))) if text else ""
        await update.effective_message.reply_text(
            f"{said}{usage}\nYour digest comes at {schedule_line(context, chat_id)}.",
            parse_mode=ParseMode.HTML)
        return
    context.bot_data.store.update_chat(chat_id, **changes)
    await update.effective_message.reply_text(
        f"{done} every day at {schedule_line(context, chat_id)}.", parse_mode=ParseMode.HTML)


async def time_command(update: Update, context: NewsContext) -> None:
    """/time 07:30 or /time 7am sets the daily digest time."""
    value = parse_time_of_day(" ".join(context.args or ()))
    await _set_schedule(
        update, context, value, {"digest_time": value or ""},
        problem="“{}” is not a time I understand. ",
        usage="Send for example /time 07:30 or /time 7am.",
        done="Your digest will come")


async def timezone_command(update: Update, context: NewsContext) -> None:
    """/timezone Asia/Tokyo (or Tokyo, UTC+9, +09:00) sets the chat's zone."""
    value = parse_timezone(" ".join(context.args or ()))
    await _set_schedule(
        update, context, value, {"timezone": value or ""},
        problem="I don't know the time zone “{}”. ",
        usage="Send for example /timezone Asia/Tokyo, /timezone Tokyo or /timezone UTC+9.",
        done="Time zone set. Your digest will come")


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
