"""Failures on our side and on Telegram's: the user hears about ours, the bot keeps going,
and the token stays out of every log record."""

from __future__ import annotations

import logging

import pytest

from digest.models import Chat
from handlers.errors import APOLOGY
from tests.e2e.conftest import TOKEN, RunningBot

CHAT = 4004
OTHER = 4005


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record of every logger, from DEBUG up (httpx, httpcore and PTB included)."""
    caplog.set_level(logging.DEBUG)
    return caplog


def token_leaks(caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    """Logger name -> the first of its records whose full text (traceback too) has TOKEN.

    The app's redacting formatter is installed by bot.py's main only, so this looks at the
    raw records, formatted by a plain Formatter (message, exc_text and stack).
    """
    assert any(r.name == "telegram.ext.ExtBot" and r.levelno == logging.DEBUG
               for r in caplog.records), "DEBUG records were not captured"
    leaks: dict[str, str] = {}
    for record in caplog.records:
        text = logging.Formatter().format(record)
        if TOKEN in text:
            leaks.setdefault(record.name, text)
    return leaks


def assert_token_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    """No logger, httpx included (its request lines are masked), logs the token."""
    leaks = token_leaks(caplog)
    assert not leaks, f"the token is in log records: {leaks}"


async def test_a_crash_in_a_handler_gets_an_apology_and_the_bot_goes_on(
    bot: RunningBot, debug_log: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_save(chat: Chat) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.store, "save_chat", broken_save)
    reply = await bot.say(CHAT, "/subscribe Japan")
    assert reply.ok
    assert reply.result["text"] == APOLOGY

    following = await bot.say(CHAT, "/mysubs")
    assert following.result["text"].startswith("You have no countries yet")
    assert bot.api.sent_texts(CHAT) == [APOLOGY, following.result["text"]]

    logged = [r for r in debug_log.records if r.name == "handlers.errors"]
    assert len(logged) == 1
    assert logged[0].levelno == logging.ERROR
    assert logged[0].exc_info is not None
    assert isinstance(logged[0].exc_info[1], RuntimeError)
    assert_token_not_logged(debug_log)


async def test_a_crash_behind_a_button_gets_an_apology(
    bot: RunningBot, debug_log: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    picker = await bot.say(CHAT, "/subscribe")
    await bot.tap(CHAT, picker.result["message_id"], "Asia (1)")

    def broken_save(chat: Chat) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.store, "save_chat", broken_save)
    bot.api.push_button(CHAT, picker.result["message_id"], "🇯🇵 Japan")
    apology = await bot.api.wait_for_async("sendMessage", timeout=3)
    assert apology.result["text"] == APOLOGY
    assert bot.api.calls("answerCallbackQuery")[-1].ok  # the spinner stopped anyway
    assert bot.store.chat(CHAT) is None
    assert_token_not_logged(debug_log)


async def test_a_429_is_retried_after_retry_after(
    bot: RunningBot, debug_log: pytest.LogCaptureFixture
) -> None:
    api = bot.api
    api.fail_next("sendMessage", code=429, retry_after=1)
    api.push_message(CHAT, "/help")
    reply = await api.wait_for_async("sendMessage", lambda c: c.ok, timeout=5)
    assert reply.result["text"].startswith("Commands")
    first, second = api.calls("sendMessage")
    assert first.response is not None
    assert first.response["error_code"] == 429
    assert first.params["text"] == second.params["text"]
    assert second.time - first.time >= 1.0
    assert api.sent_texts(CHAT) == [reply.result["text"]]  # no apology: it was not our fault
    assert_token_not_logged(debug_log)


async def test_a_chat_that_blocked_the_bot_does_not_stop_it(
    bot: RunningBot, debug_log: pytest.LogCaptureFixture
) -> None:
    api = bot.api
    await bot.say(CHAT, "/subscribe Japan")
    api.block_chat(CHAT)
    api.push_message(CHAT, "/help")
    refused = await api.wait_for_async("sendMessage", timeout=3)
    assert refused.response is not None
    assert refused.response["error_code"] == 403

    reply = await bot.say(OTHER, "/help")  # updates are handled in order: CHAT's is done
    assert reply.ok
    assert reply.result["text"].startswith("Commands")
    to_blocked = [c for c in api.calls("sendMessage") if c.params["chat_id"] == CHAT]
    assert len(to_blocked) == 2  # the /subscribe reply, then no apology into a blocked chat
    assert not bot.store.chat(CHAT).active  # marked inactive, settings kept
    assert bot.store.chat(CHAT).countries == ("JP",)
    assert not any(r.levelno >= logging.ERROR for r in debug_log.records
                   if r.name == "handlers.errors")
    assert_token_not_logged(debug_log)

    api.unblock_chat(CHAT)
    welcome = await bot.say(CHAT, "/start")
    assert "Your countries: 🇯🇵 Japan" in welcome.result["text"]
    assert bot.store.chat(CHAT).active


async def test_polling_recovers_from_a_dropped_connection(
    bot: RunningBot, debug_log: pytest.LogCaptureFixture
) -> None:
    api = bot.api
    api.mark()
    api.drop_next("getUpdates")
    await api.wait_for_async("getUpdates", lambda c: c.response is None, timeout=3)
    reply = await bot.say(CHAT, "/help")  # PTB waits 1 s after a network error
    assert reply.ok
    assert reply.result["text"].startswith("Commands")
    assert any(r.name == "telegram.ext.Updater" and r.levelno == logging.ERROR
               for r in debug_log.records)  # the drop did hit the polling loop
    assert_token_not_logged(debug_log)


async def test_httpx_request_lines_do_not_carry_the_token(
    bot: RunningBot, debug_log: pytest.LogCaptureFixture
) -> None:
    await bot.say(CHAT, "/help")
    assert "httpx" not in token_leaks(debug_log)
