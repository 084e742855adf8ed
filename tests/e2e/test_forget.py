"""/forget: deleting a chat's data after a confirmation, for good."""

from __future__ import annotations

from tests.e2e.conftest import RunningBot, button_labels

CHAT = 3003
OTHER = 3004


async def test_forget_asks_first_and_cancel_keeps_everything(bot: RunningBot) -> None:
    await bot.say(CHAT, "/subscribe Japan")
    ask = await bot.say(CHAT, "/forget")
    assert "Are you sure?" in ask.result["text"]
    assert button_labels(ask.result) == ["Yes, forget this chat", "Cancel"]
    assert bot.store.chat(CHAT) is not None  # nothing happens before the answer

    edit = await bot.tap(CHAT, ask.result["message_id"], "Cancel")
    assert edit.method == "editMessageText"
    shown = bot.api.message(CHAT, ask.result["message_id"])
    assert shown["text"] == "Nothing was deleted."
    assert "reply_markup" not in shown
    assert bot.store.chat(CHAT).countries == ("JP",)


async def test_forget_yes_deletes_the_chat_for_good(bot: RunningBot) -> None:
    await bot.say(CHAT, "/subscribe Japan, Brazil")
    await bot.say(OTHER, "/subscribe Germany")
    ask = await bot.say(CHAT, "/forget")

    edit = await bot.tap(CHAT, ask.result["message_id"], "Yes, forget this chat")
    assert edit.method == "editMessageText"
    shown = bot.api.message(CHAT, ask.result["message_id"])
    assert shown["text"].startswith("Done: I have forgotten everything about this chat.")
    assert "reply_markup" not in shown
    assert bot.store.chat(CHAT) is None
    assert bot.store.chat(OTHER).countries == ("DE",)  # only this chat is forgotten

    await bot.restart()
    assert bot.store.chat(CHAT) is None
    assert CHAT not in {chat.chat_id for chat in bot.store.chats()}
    assert bot.store.chat(OTHER).countries == ("DE",)
    reply = await bot.say(CHAT, "/mysubs")
    assert reply.result["text"].startswith("You have no countries yet")


async def test_forget_a_chat_with_nothing_stored(bot: RunningBot) -> None:
    ask = await bot.say(CHAT, "/forget")
    await bot.tap(CHAT, ask.result["message_id"], "Yes, forget this chat")
    shown = bot.api.message(CHAT, ask.result["message_id"])
    assert shown["text"].startswith("Done: I have forgotten everything")
    assert bot.store.chat(CHAT) is None
    assert not [c for c in bot.api.calls() if c.method != "getUpdates" and not c.ok]
