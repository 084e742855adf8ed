"""The one place where handlers are attached to the application, in order."""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    InvalidCallbackData,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import admin, basics, buttons, digests, privacy, queries, settings, subscriptions
from handlers.errors import on_error
from handlers.gate import admins_only, drop_unserved
from handlers.globe import globe_command
from handlers.replies import string_button


def register(application: Application, *, globe: bool = False) -> None:
    """Attach the handlers; /globe only when the Mini App is on (`globe`)."""
    # Before everything, in a group of its own: updates no handler should act on.
    application.add_handler(TypeHandler(Update, drop_unserved), group=-1)
    # Commands first; the catch-all for unknown commands must come after all of them.
    # Settings (admins_only) change a group for everyone: its administrators only.
    if globe:
        application.add_handler(CommandHandler("globe", globe_command))
    for name, callback in (
        ("start", basics.start_command),
        ("help", basics.help_command),
        ("subscribe", admins_only(subscriptions.subscribe_command)),
        ("unsubscribe", admins_only(subscriptions.unsubscribe_command)),
        ("mysubs", subscriptions.mysubs_command),
        ("countries", subscriptions.countries_command),
        ("digest", digests.digest_command),
        ("latest", queries.latest_command),
        ("time", admins_only(settings.time_command)),
        ("timezone", admins_only(settings.timezone_command)),
        ("pause", admins_only(settings.pause_command)),
        ("resume", admins_only(settings.resume_command)),
        ("forget", admins_only(privacy.forget_command)),
        ("stats", admin.stats_command),  # in admin.ADMIN_COMMANDS: not in the command menu
    ):
        application.add_handler(CommandHandler(name, callback))
    # Buttons: PTB keeps their data (bot.py's arbitrary_callback_data); string data also
    # matches as sent in keyboards from before that. Data PTB lost comes last.
    for pattern, callback in (
        (r"^(reg|tog|done)\b", admins_only(subscriptions.picker_button)),
        (r"^add:", admins_only(subscriptions.suggestion_button)),
        (r"^forget:", admins_only(privacy.forget_button)),
        (r"^tz:", admins_only(settings.timezone_button)),
        (r"^more:", digests.more_button),
        (r"^topic:", queries.topic_button),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=string_button(pattern)))
    application.add_handler(CallbackQueryHandler(queries.page_button, pattern=queries.Page))
    application.add_handler(
        CallbackQueryHandler(buttons.expired_button, pattern=InvalidCallbackData))
    application.add_handler(InlineQueryHandler(queries.inline_query))
    application.add_handler(MessageHandler(filters.COMMAND, basics.unknown_command))
    application.add_handler(
        MessageHandler(filters.TEXT & filters.ChatType.PRIVATE, queries.question))
    application.add_error_handler(on_error)


def bot_commands(*, globe: bool = False) -> list[BotCommand]:
    """The command menu shown by Telegram clients; /globe only when the Mini App is on."""
    return [BotCommand(name, about) for name, about in basics.commands(globe=globe)]
