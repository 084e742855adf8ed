"""Digest schedule settings over HTTP: /time, /timezone, /pause, /resume."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import RunningBot

CHAT = 3003


@pytest.mark.parametrize(("said", "stored"), [("7am", "07:00"), ("19:45", "19:45"),
                                              ("7.30 pm", "19:30"), ("noon", "12:00"),
                                              ("midnight", "00:00")])
async def test_time_is_understood_and_stored(bot: RunningBot, said: str, stored: str) -> None:
    reply = await bot.say(CHAT, f"/time {said}")
    assert f"every day at {stored} (UTC;" in reply.result["text"]
    assert bot.store.chat(CHAT).digest_time == stored


@pytest.mark.parametrize("said", ["/time", "/time teatime", "/time <b>25:99</b>"])
async def test_bad_or_missing_time_explains_and_changes_nothing(bot: RunningBot, said: str
                                                                ) -> None:
    reply = await bot.say(CHAT, said)
    assert "/time 07:30" in reply.result["text"]
    assert "07:30 (UTC" in reply.result["text"]  # the current schedule, unchanged
    assert bot.store.chat(CHAT) is None


@pytest.mark.parametrize(("said", "zone"), [("Asia/Tokyo", "Asia/Tokyo"), ("Tokyo", "Asia/Tokyo"),
                                            ("UTC+9", "UTC+09:00"), ("+05:30", "UTC+05:30")])
async def test_timezone_forms(bot: RunningBot, said: str, zone: str) -> None:
    reply = await bot.say(CHAT, f"/timezone {said}")
    assert f"({zone}; it is" in reply.result["text"]
    assert bot.store.chat(CHAT).timezone == zone


async def test_unknown_timezone(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/timezone Atlantis")
    assert "I don't know the time zone “Atlantis”" in reply.result["text"]
    assert bot.store.chat(CHAT) is None


async def test_settings_show_in_mysubs_and_survive_restart(bot: RunningBot) -> None:
    await bot.say(CHAT, "/subscribe Japan")
    await bot.say(CHAT, "/time 6:15")
    await bot.say(CHAT, "/timezone Asia/Tokyo")
    paused = await bot.say(CHAT, "/pause")
    assert "paused" in paused.result["text"]
    await bot.restart()
    summary = await bot.say(CHAT, "/mysubs")
    assert "Digest every day at 06:15 (Asia/Tokyo) (paused)." in summary.result["text"]
    resumed = await bot.say(CHAT, "/resume")
    assert "resumed: every day at 06:15 (Asia/Tokyo" in resumed.result["text"]
    assert not bot.store.chat(CHAT).paused
