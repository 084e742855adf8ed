"""Welcome, help, the command menu and answers to anything odd a user may send."""

from __future__ import annotations

import pytest
from telegram.ext import CommandHandler

from handlers.admin import ADMIN_COMMANDS
from tests.e2e.conftest import RunningBot, button_labels

CHAT = 2002
HOSTILE = "<b>html</b> & <script>alert(1)</script> &amp; &lt;"
# Right-to-left override and Arabic, zero-width space/joiner/BOM, a ZWJ emoji family,
# a flag, combining marks, C0 controls and a private-use character.
ODD_UNICODE = ("\u202eJapan\u202c مرحبا \u200bBra\u200dzil\ufeff 👨‍👩‍👧 🇩🇪 "
               "e\u0301\u0301\u0301 \x00\x01\x7f \ue000 ﷽")


async def test_start_welcomes_a_new_chat(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/start")
    text = reply.result["text"]
    assert text.startswith("👋 I bring you each country's own news")
    assert "Pick countries to start, or send /subscribe Japan, Brazil." in text
    assert button_labels(reply.result) == ["Pick countries"]


async def test_every_reply_is_html_without_link_previews(bot: RunningBot) -> None:
    """Said once, as the bot's defaults: plain replies and edits carry them too."""
    start = await bot.say(CHAT, "/start")
    unknown = await bot.say(CHAT, "/nosuchcommand")
    edit = await bot.tap(CHAT, start.result["message_id"], "Pick countries")
    for call in (start, unknown, edit):
        assert call.params["parse_mode"] == "HTML"
        assert call.params["link_preview_options"] == {"is_disabled": True}


async def test_start_lists_the_chat_subscriptions(bot: RunningBot) -> None:
    await bot.say(CHAT, "/subscribe Japan, Brazil")
    reply = await bot.say(CHAT, "/start")
    assert "Your countries: 🇯🇵 Japan, 🇧🇷 Brazil." in reply.result["text"]
    assert "Pick countries to start" not in reply.result["text"]


async def test_start_button_opens_the_region_keyboard_in_place(bot: RunningBot) -> None:
    api = bot.api
    reply = await bot.say(CHAT, "/start")
    message_id = reply.result["message_id"]
    edit = await bot.tap(CHAT, message_id, "Pick countries")
    assert edit.method == "editMessageText"
    assert edit.ok
    assert edit.params["message_id"] == message_id
    shown = api.message(CHAT, message_id)
    assert shown["text"].startswith("Pick a region")
    assert button_labels(shown) == ["Americas (1)", "Asia (1)", "Europe (1)", "Done"]
    assert len(api.sent_messages(CHAT)) == 1


async def test_help_lists_every_command(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/help")
    text = reply.result["text"]
    registered = registered_commands(bot)
    assert registered  # the set below is not vacuous
    for command in registered:
        assert f"/{command} — " in text
    # The digest's marker, explained once here; not the search icon of topic answers.
    assert "🔦 marks a story other countries reported but no US outlet did" in text
    assert "🔎" not in text


async def test_command_menu_is_set_at_start(bot: RunningBot) -> None:
    menu = bot.api.commands()
    assert menu
    assert {entry["command"] for entry in menu} == registered_commands(bot)
    assert all(entry["description"] for entry in menu)


def registered_commands(bot: RunningBot) -> set[str]:
    """Every command a CommandHandler of the running application answers, but the admins'
    (they are not advertised)."""
    assert bot.application is not None
    return {
        command
        for handlers in bot.application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    } - set(ADMIN_COMMANDS)


async def test_unknown_command_is_named_in_the_answer(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/foo")
    assert reply.result["text"] == (
        "I don't know the command /foo. See /help for what I can do.")


async def test_unknown_command_is_escaped(bot: RunningBot) -> None:
    # A client marks "/foo" as the command and the rest of the word follows directly.
    bot.api.push_raw({"message": {
        "message_id": 1, "date": 0, "chat": {"id": CHAT, "type": "private", "first_name": "Ann"},
        "from": {"id": CHAT, "is_bot": False, "first_name": "Ann"},
        "text": "/foo<script>&amp;", "entities": [{"type": "bot_command", "offset": 0,
                                                  "length": 4}]}})
    reply = await bot.api.wait_for_async("sendMessage", timeout=3)
    assert reply.ok
    assert "<script>" not in reply.params["text"]
    assert reply.result["text"].startswith("I don't know the command /foo<script>&amp;.")
    assert "entities" not in reply.result


@pytest.mark.parametrize(
    "text",
    [
        "x" * 4096,
        ("Japan " * 700)[:4096],
        HOSTILE,
        ODD_UNICODE,
    ],
    ids=["4096-chars", "4096-chars-of-countries", "html", "odd-unicode"],
)
async def test_odd_plain_text_is_answered_as_a_question(bot: RunningBot, text: str) -> None:
    reply = await bot.say(CHAT, text)
    assert reply.ok
    # No article is stored: before or after the first ingestion pass, as timing has it.
    assert reply.result["text"].startswith(
        ("I found nothing", "Ask me about a topic", "I am still gathering the news"))


@pytest.mark.parametrize(
    "text",
    [
        "/subscribe " + "y" * 4085,
        # 100 different long non-words: each one would get a line of its own.
        "/subscribe " + " ".join(f"{n:03d}" + "qzxv" * 9 for n in range(200))[:4085],
        "/subscribe " + HOSTILE,
        "/subscribe " + ODD_UNICODE,
        "/subscribe " + "<i>Japan</i> &lt;Brazil&gt; <script>Germany",
    ],
    ids=["4096-chars", "many-unknown-words", "html", "odd-unicode", "tags-around-names"],
)
async def test_odd_subscribe_arguments_get_a_valid_answer(bot: RunningBot, text: str) -> None:
    assert len(text) <= 4096
    reply = await bot.say(CHAT, text)
    assert reply.ok, reply.description  # the fake parses HTML: a 400 means bad escaping
    assert len(reply.result["text"]) <= 4096
    assert "<script>" not in reply.params["text"]
    assert all(e["type"] == "bold" for e in reply.result.get("entities", []))
    assert not bot.api.calls("sendMessage")[1:]  # one answer, no apology after it


async def test_names_inside_odd_text_are_still_found(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/subscribe " + ODD_UNICODE)
    assert reply.ok
    assert "🇩🇪 Germany" in reply.result["text"]
    assert "DE" in bot.store.chat(CHAT).countries
