"""Who may change what, and which updates the bot leaves alone: group settings are for the
group's administrators; edits, channel posts and buttons of inline messages do nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from handlers.gate import ADMINS_ONLY
from tests.e2e.conftest import RunningBot

CHAT = 6006
GROUP = -600
SUPERGROUP = -1006000
OWNER, MEMBER, ADMIN = 1, 2, 3  # user 1 created every group of the fake Bot API


@pytest.mark.parametrize(("group", "kind"), [(GROUP, "group"), (SUPERGROUP, "supergroup")])
async def test_only_administrators_change_a_groups_settings(
    bot: RunningBot, group: int, kind: str
) -> None:
    bot.api.set_chat_admins(group, OWNER, ADMIN)
    for command in ("/subscribe Japan", "/unsubscribe Japan", "/time 11pm", "/timezone Tokyo",
                    "/pause", "/resume", "/forget", "/subscribe"):
        refused = await bot.say(group, command, user_id=MEMBER, chat_type=kind)
        assert refused.result["text"] == ADMINS_ONLY, command
    assert bot.store.chat(group) is None

    added = await bot.say(group, "/subscribe Japan", user_id=OWNER, chat_type=kind)
    assert "Added: 🇯🇵 Japan" in added.result["text"]
    # 23:00: not due yet at the fake clock's noon, so no digest comes in between
    timed = await bot.say(group, "/time 11pm", user_id=ADMIN, chat_type=kind)
    assert "23:00" in timed.result["text"]
    # Reading stays open to everyone.
    mine = await bot.say(group, "/mysubs", user_id=MEMBER, chat_type=kind)
    assert mine.result["text"].startswith("Your countries:\n🇯🇵 Japan")


async def test_a_member_cannot_press_an_administrators_buttons(bot: RunningBot) -> None:
    await bot.say(GROUP, "/subscribe Japan", user_id=OWNER)
    picker = await bot.say(GROUP, "/subscribe", user_id=OWNER)
    zones = await bot.say(GROUP, "/timezone IST", user_id=OWNER)
    ask = await bot.say(GROUP, "/forget", user_id=OWNER)
    for message, label in ((picker, "Asia (1/1)"), (zones, "🇮🇳 India · 17:30"),
                           (ask, "Yes, forget this chat")):
        before = bot.api.message(GROUP, message.result["message_id"])
        bot.api.push_button(GROUP, message.result["message_id"], label, user_id=MEMBER)
        alert = await bot.api.wait_for_async("answerCallbackQuery")
        assert alert.params["text"] == ADMINS_ONLY
        assert alert.params["show_alert"] is True
        assert bot.api.message(GROUP, message.result["message_id"]) == before
    assert bot.store.chat(GROUP).countries == ("JP",)
    assert bot.store.chat(GROUP).timezone == ""

    await bot.tap(GROUP, ask.result["message_id"], "Yes, forget this chat")  # the owner may
    assert bot.store.chat(GROUP) is None


async def test_administrators_are_asked_of_telegram_once_in_a_while(bot: RunningBot) -> None:
    for _ in range(3):
        await bot.say(GROUP, "/pause", user_id=OWNER)
    await bot.say(GROUP, "/pause", user_id=MEMBER)
    asked = [(c.params["chat_id"], c.params["user_id"]) for c in bot.api.calls("getChatMember")]
    assert asked == [(GROUP, OWNER), (GROUP, MEMBER)]

    await bot.say(CHAT, "/pause")  # a private chat is its user's own
    assert len(bot.api.calls("getChatMember")) == 2


async def test_an_anonymous_administrator_may_change_settings(bot: RunningBot) -> None:
    bot.api.push_raw({"message": {
        "message_id": 1, "date": 0, "chat": {"id": GROUP, "type": "group", "title": "G"},
        "from": {"id": 1087968824, "is_bot": True, "first_name": "Group",
                 "username": "GroupAnonymousBot"},
        "sender_chat": {"id": GROUP, "type": "group", "title": "G"},
        "text": "/subscribe Japan", "entities": [{"type": "bot_command", "offset": 0,
                                                  "length": 10}]}})
    reply = await bot.api.wait_for_async("sendMessage")
    assert "Added: 🇯🇵 Japan" in reply.result["text"]
    assert bot.api.calls("getChatMember") == []


async def test_an_edited_message_does_not_run_its_command_again(bot: RunningBot) -> None:
    await bot.say(CHAT, "/subscribe Japan")
    await bot.say(CHAT, "/unsubscribe Japan")
    first = bot.api.message(CHAT, 1)  # the user's "/subscribe Japan"
    bot.api.push_raw({"edited_message": {**first, "edit_date": first["date"] + 60}})
    reply = await bot.say(CHAT, "/mysubs")  # handled after the edit
    assert reply.result["text"].startswith("You have no countries yet")
    assert len(bot.api.sent_messages(CHAT)) == 3


async def test_channel_posts_are_left_alone(bot: RunningBot) -> None:
    channel: dict[str, Any] = {"id": -1007000, "type": "channel", "title": "News channel"}
    for text in ("/help", "/subscribe Japan", "rare earths"):
        bot.api.push_raw({"channel_post": {
            "message_id": 5, "date": 0, "chat": channel, "sender_chat": channel, "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
            if text.startswith("/") else []}})
    reply = await bot.say(CHAT, "/help")  # handled after the posts
    assert reply.params["chat_id"] == CHAT
    assert [c.params["chat_id"] for c in bot.api.calls("sendMessage")] == [CHAT]
    assert bot.store.chat(channel["id"]) is None


async def test_a_button_of_an_inline_message_is_answered_and_ignored(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    for data in ("page:1", "tog:JP:Asia:0", "forget:yes", "topic:tariffs"):
        query_id = bot.api.push_inline_button(CHAT, data)
        answered = await bot.api.wait_for_async("answerCallbackQuery")
        assert answered.params["callback_query_id"] == query_id
        assert answered.ok
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert bot.api.calls("sendMessage") == []
