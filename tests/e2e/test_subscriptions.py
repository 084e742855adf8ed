"""Subscribing to countries, driven over HTTP as a Telegram client would."""

from __future__ import annotations

from tests.e2e.conftest import RunningBot

CHAT = 1001


async def test_subscribe_by_names_codes_and_flags(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/subscribe Japan, Brasil 🇩🇪")
    text = reply.params["text"]
    assert "Added: 🇯🇵 Japan, 🇧🇷 Brazil, 🇩🇪 Germany" in text
    assert bot.store.chat(CHAT).countries == ("JP", "BR", "DE")

    again = await bot.say(CHAT, "/subscribe jp france")
    assert "Already subscribed: 🇯🇵 Japan" in again.params["text"]
    assert "No outlets yet for: 🇫🇷 France" in again.params["text"]


async def test_unknown_words_get_did_you_mean_buttons(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/subscribe Japn Germny xyzzy")
    text = reply.params["text"]
    assert "xyzzy" in text
    assert "🇯🇵 Japan" in text  # a confident fuzzy hit is simply added
    assert bot.store.chat(CHAT).countries[0] == "JP"
