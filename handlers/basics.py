"""Welcome, help, and answers for anything the bot does not understand."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from digest.stories.compose import NOT_IN_US_MEDIA
from digest.subscriptions import subscribed
from handlers.globe import with_globe
from handlers.replies import clip, country_list, esc
from handlers.subscriptions import current_chat
from runtime.context import NewsContext

# (command, one-line description): the command menu and /help come from this list.
COMMANDS = [
    ("start", "What this bot does and your countries"),
    ("subscribe", "Add countries: /subscribe Japan, Brazil"),
    ("unsubscribe", "Remove countries: /unsubscribe Japan, or all"),
    ("mysubs", "Your countries and digest time"),
    ("countries", "Countries covered, by region"),
    ("digest", "Your digest now"),
    ("latest", "Newest story on a topic: /latest rare earths"),
    ("time", "Digest time: /time 07:30, /time 7am or /time noon"),
    ("timezone", "Your time zone: /timezone Tokyo, EST or UTC+9"),
    ("pause", "Pause the daily digest"),
    ("resume", "Resume the daily digest"),
    ("forget", "Delete everything stored about this chat"),
    ("help", "How to use the bot"),
]
GLOBE_COMMAND = ("globe", "Pick countries on a globe")  # only with the Mini App on


def commands(*, globe: bool) -> list[tuple[str, str]]:
    """The commands to advertise, in order; /globe after /countries when the app is on."""
    if not globe:
        return COMMANDS
    at = next(i for i, (name, _) in enumerate(COMMANDS) if name == "countries") + 1
    return [*COMMANDS[:at], GLOBE_COMMAND, *COMMANDS[at:]]

PICK_BUTTON = InlineKeyboardMarkup([[InlineKeyboardButton("Pick countries", callback_data="reg")]])


async def start_command(update: Update, context: NewsContext) -> None:
    """/start welcomes the chat (and brings a chat that had blocked the bot back)."""
    store = context.bot_data.store
    chat = current_chat(context, update.effective_chat.id)
    if not chat.active:
        chat = store.update_chat(chat.chat_id, active=True)
    mine = subscribed(chat)
    status = (f"Your countries: {country_list(mine)}." if mine
              else "Pick countries to start, or send /subscribe Japan, Brazil.")
    await update.effective_message.reply_text(
        "👋 I bring you each country's own news: every morning, at your local time, a "
        "digest of what its national outlets reported, with how other outlets and "
        f"other countries told the same stories.\n\n{status}\n\nSee /help for everything "
        "I can do.",
        reply_markup=with_globe(PICK_BUTTON, update, context),
    )


def help_text(*, globe: bool = False) -> str:
    lines = [f"/{name} — {esc(about)}" for name, about in commands(globe=globe)]
    return ("<b>Commands</b>\n" + "\n".join(lines)
            + "\n\nCountries can be names, codes or flags: Japan, JP, 🇯🇵, Brasil."
            + f"\n\nIn digests, {NOT_IN_US_MEDIA.split()[0]} marks a story other "
            "countries reported but no US outlet did; under each story, tap the other "
            "reports to see how other outlets and countries told it.")


async def help_command(update: Update, context: NewsContext) -> None:
    """/help lists the commands."""
    globe = bool(context.bot_data.config.webapp.url)
    await update.effective_message.reply_text(help_text(globe=globe))


async def unknown_command(update: Update, context: NewsContext) -> None:
    """Any command not handled above."""
    word = (update.effective_message.text or "").split()[0]
    _, _, addressee = word.partition("@")
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return  # "/cmd@other_bot" in a group is for another bot
    await update.effective_message.reply_text(
        f"I don't know the command {esc(clip(word, 40))}. See /help for what I can do.")
