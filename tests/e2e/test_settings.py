"""Digest schedule settings over HTTP: /time, /timezone, /pause, /resume."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import RunningBot, button_labels

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


# The fake clock says 2026-11-25 12:00 UTC: 07:00 in New York, 04:00 in Los Angeles.
@pytest.mark.parametrize(("said", "zone", "local"), [
    ("EST", "America/New_York", "07:00"), ("edt", "America/New_York", "07:00"),
    ("Eastern", "America/New_York", "07:00"), ("PST", "America/Los_Angeles", "04:00"),
    ("Pacific", "America/Los_Angeles", "04:00"), ("CET", "Europe/Paris", "13:00"),
    ("BST", "Europe/London", "12:00"), ("EST5EDT", "EST5EDT", "07:00"),
    ("Germany", "Europe/Berlin", "13:00"), ("IN", "Asia/Kolkata", "17:30"),
    ("Israel", "Asia/Jerusalem", "14:00"),
])
async def test_timezone_abbreviations_and_countries_mean_what_people_mean(
        bot: RunningBot, said: str, zone: str, local: str) -> None:
    reply = await bot.say(CHAT, f"/timezone {said}")
    assert f"({zone}; it is {local} there now)" in reply.result["text"]
    assert bot.store.chat(CHAT).timezone == zone


async def test_ist_asks_which_one_with_buttons_showing_the_time(bot: RunningBot) -> None:
    question = await bot.say(CHAT, "/timezone IST")
    assert "“IST” can mean several time zones" in question.result["text"]
    assert button_labels(question.params) == [
        "🇮🇳 India · 17:30", "🇮🇪 Ireland · 12:00", "🇮🇱 Israel · 14:00"]
    assert bot.store.chat(CHAT) is None  # nothing set until a button is pressed
    done = await bot.tap(CHAT, question.result["message_id"], "🇮🇱 Israel · 14:00")
    assert "Time zone set" in done.params["text"]
    assert "(Asia/Jerusalem; it is 14:00 there now)" in done.params["text"]
    assert bot.store.chat(CHAT).timezone == "Asia/Jerusalem"


@pytest.mark.parametrize(("said", "tap", "zone"), [
    ("United States", "Los Angeles · 04:00", "America/Los_Angeles"),
    ("US", "New York · 07:00", "America/New_York"),
    ("Russia", "Vladivostok · 22:00", "Asia/Vladivostok"),
    ("Brazil", "Sao Paulo · 09:00", "America/Sao_Paulo"),
    ("Australia", "Sydney · 23:00", "Australia/Sydney"),
])
async def test_a_country_with_several_zones_offers_them_as_buttons(
        bot: RunningBot, said: str, tap: str, zone: str) -> None:
    question = await bot.say(CHAT, f"/timezone {said}")
    assert "has several time zones" in question.result["text"]
    labels = button_labels(question.params)
    assert 3 <= len(labels) <= 12  # one per distinct local time, not zone.tab's 29 for the US
    done = await bot.tap(CHAT, question.result["message_id"], tap)
    assert f"({zone}; it is {tap[-5:]} there now)" in done.params["text"]
    assert bot.store.chat(CHAT).timezone == zone


async def test_a_forged_zone_button_changes_nothing(bot: RunningBot) -> None:
    question = await bot.say(CHAT, "/timezone IST")
    bot.api.push_callback(CHAT, question.result["message_id"], "tz:Mars/Olympus_Mons",
                          check_button=False)
    answered = await bot.api.wait_for_async("answerCallbackQuery")
    assert answered.params["text"] == "That time zone is unknown."
    assert bot.store.chat(CHAT) is None
