"""Digest schedule settings: /time, /timezone, /pause, /resume."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from digest.schedule import zone_of
from digest.times import parse_time_of_day
from digest.timezones import ZoneAnswer, is_zone_name, resolve_timezone
from handlers.replies import button_data, clip, esc
from handlers.subscriptions import current_chat
from runtime.context import NewsContext


def schedule_line(context: NewsContext, chat_id: int) -> str:
    """'07:30 (Asia/Tokyo), now 15:02 there': times are shown in the chat's own zone."""
    data = context.bot_data
    chat = current_chat(context, chat_id)
    now = data.clock().astimezone(data.newsroom.zone(chat_id)).strftime("%H:%M")
    zone = esc(data.newsroom.zone_name(chat_id))
    return f"{chat.digest_time or data.config.digest.time} ({zone}; it is {now} there now)"


async def _set_schedule(update: Update, context: NewsContext, value: str | None,
                        changes: dict[str, str], problem: str, usage: str, done: str) -> None:
    """Store a parsed setting and confirm it, or explain what was not understood."""
    chat_id = update.effective_chat.id
    text = " ".join(context.args or ())
    if value is None:
        said = problem.format(esc(clip(text))) if text else ""
        await update.effective_message.reply_text(
            f"{said}{usage}\nYour digest comes at {schedule_line(context, chat_id)}.")
        return
    context.bot_data.store.update_chat(chat_id, **changes)
    await update.effective_message.reply_text(
        f"{done} every day at {schedule_line(context, chat_id)}.")


async def time_command(update: Update, context: NewsContext) -> None:
    """/time 07:30 or /time 7am sets the daily digest time."""
    value = parse_time_of_day(" ".join(context.args or ()))
    await _set_schedule(
        update, context, value, {"digest_time": value or ""},
        problem="“{}” is not a time I understand. ",
        usage="Send for example /time 07:30 or /time 7am.",
        done="Your digest will come")


async def timezone_command(update: Update, context: NewsContext) -> None:
    """/timezone Tokyo (or Asia/Tokyo, EST, India, UTC+9) sets the chat's zone; an
    ambiguous answer ("IST", "United States") gets one button per zone."""
    text = " ".join(context.args or ())
    answer = resolve_timezone(text, context.bot_data.clock())
    if answer.choices:
        await update.effective_message.reply_text(
            _question(answer, text), reply_markup=_zone_keyboard(answer, context))
        return
    await _set_schedule(
        update, context, answer.zone, {"timezone": answer.zone or ""},
        problem="I don't know the time zone “{}”. ",
        usage="Send for example /timezone Asia/Tokyo, /timezone Tokyo, /timezone EST, "
              "/timezone India or /timezone UTC+9.",
        done="Time zone set. Your digest will come")


async def timezone_button(update: Update, context: NewsContext) -> None:
    """A zone button of /timezone: set it and show the digest time in it."""
    query = update.callback_query
    zone = button_data(query).removeprefix("tz:")
    if not is_zone_name(zone):
        await query.answer("That time zone is unknown.")
        return
    await query.answer()
    chat_id = update.effective_chat.id
    context.bot_data.store.update_chat(chat_id, timezone=zone)
    await query.edit_message_text(
        f"Time zone set. Your digest will come every day at {schedule_line(context, chat_id)}.")


def _question(answer: ZoneAnswer, text: str) -> str:
    country = answer.country
    several = (f"{esc(country.label)} has several time zones" if country
               else f"“{esc(clip(text))}” can mean several time zones")
    return f"{several}. Which one is yours? (Each shows its time now.)"


def _zone_keyboard(answer: ZoneAnswer, context: NewsContext) -> InlineKeyboardMarkup:
    """Two buttons a row, each with the local time now, so the right one is plain to see."""
    now = context.bot_data.clock()
    buttons = [
        InlineKeyboardButton(f"{choice.label} · {now.astimezone(zone_of(choice.zone)):%H:%M}",
                             callback_data=f"tz:{choice.zone}")
        for choice in answer.choices
    ]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])


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
        f"Daily digests resumed: every day at {schedule_line(context, chat_id)}.")
