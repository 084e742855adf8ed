"""Digests as a user gets them: /digest now, and the morning digest on schedule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.config import DigestConfig
from digest.models import Chat, Delivery
from digest.stories.compose import MAX_MESSAGE
from runtime import delivery
from tests.e2e.conftest import CHECK_EVERY, RunningBot, button_labels
from tests.e2e.fake_bot_api import Call, FakeBotAPI
from tests.e2e.news import NEWS, NOON, article, seed
from tests.e2e.stores import open_store
from tests.feed_server import FeedServer

CHAT = 5005


async def settle(api: FakeBotAPI, checks: int = 10) -> None:
    """Let the digest check run a few times; for asserting that nothing more is sent."""
    await asyncio.sleep(CHECK_EVERY.total_seconds() * checks)


async def delivered(bot: RunningBot, chat_id: int = CHAT) -> None:
    """Wait until a digest to the chat went out whole: it is remembered as sent then."""
    async with asyncio.timeout(10):
        # The store has no change notification to wait on; polling memory is cheap.
        while not bot.store.sent_keys(chat_id):  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def refused(api: FakeBotAPI, chat_id: int = CHAT) -> list[Call]:
    return [c for c in api.calls("sendMessage") if c.params["chat_id"] == chat_id and not c.ok]


def is_digest(call: Call) -> bool:
    return call.ok and call.result["text"].startswith("Your news digest")


def digests(api: FakeBotAPI, chat_id: int = CHAT) -> list[str]:
    return [t for t in api.sent_texts(chat_id) if t.startswith("Your news digest")]


async def test_digest_now_shows_stories_with_other_takes_and_never_repeats(
    news_bot: RunningBot,
) -> None:
    await news_bot.say(CHAT, "/subscribe Japan")
    reply = await news_bot.say(CHAT, "/digest")
    text = reply.result["text"]
    assert text.startswith("Your news digest — Wednesday 25 November")
    assert "🇯🇵 Japan" in text
    # The rare earths story leads with the first Japanese report; the Brazilian take, then
    # the other Japanese outlet's, follow with their headlines.
    assert "1. Japan raises rare earth export quotas for allies\nJapan Daily\n" in text
    assert "Tokyo will let more rare earth metals go to partner countries." in text
    assert (f"🇧🇷 Folha: {NEWS[2].title}\n🇯🇵 Tokyo Wire: {NEWS[1].title}\n\n2. ") in text
    assert "Typhoon <Kong-rey> nears Okinawa & closes schools" in text  # escaped, shown as is
    assert "Bundestag" not in text
    links = [e["url"] for e in reply.result["entities"] if e["type"] == "text_link"]
    assert links[:3] == [NEWS[0].url, NEWS[2].url, NEWS[1].url]
    assert reply.params["link_preview_options"] == {"is_disabled": True}  # no picture

    again = await news_bot.say(CHAT, "/digest")
    assert "Nothing new from 🇯🇵 Japan since your last digest." in again.result["text"]


async def test_digest_without_countries_gives_a_hint(news_bot: RunningBot) -> None:
    reply = await news_bot.say(CHAT, "/digest")
    assert "no countries yet" in reply.result["text"]
    assert "/subscribe" in reply.result["text"]


async def test_long_digest_is_split_between_stories(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer
) -> None:
    running = RunningBot(bot_api, tmp_path, feed_server,
                         digest=DigestConfig(stories_per_country=40))
    running.clock.now = NOON
    distinct = ("volcano", "election", "harbour", "festival", "railway", "tariff", "museum",
                "drought", "satellite", "orchestra", "glacier", "vaccine", "bridge", "league",
                "crypto", "forest", "robot", "opera", "airline", "salmon", "quake", "budget",
                "strike", "comet", "theatre", "reactor", "summit", "parade", "mine", "tunnel")
    # Words of their own, so that no two of them are taken for the same story.
    seed(running.config.storage, [
        article(f"{word.title()} {word}s {word}ed", "Japan Daily", "JP", n / 10 + 1,
                " ".join(f"Experts on the {word} question spoke at length about every {word} "
                         f"detail for the {i} time." for i in range(3)))
        for n, word in enumerate(distinct)
    ])
    await running.start()
    try:
        await running.say(CHAT, "/subscribe Japan")
        bot_api.push_message(CHAT, "/digest")
        await delivered(running)
        chunks = [c.result["text"] for c in bot_api.sent_messages(CHAT)][1:]
        assert len(chunks) >= 2
        assert all(len(c.encode("utf-16-le")) // 2 <= MAX_MESSAGE for c in chunks)
        assert chunks[1].startswith("🇯🇵 Japan (continued)")
        numbers = [int(line.split(".")[0]) for c in chunks for line in c.splitlines()
                   if line[:1].isdigit() and ". " in line]
        assert numbers == list(range(1, len(distinct) + 1))  # every story once, in order
    finally:
        await running.stop()


async def test_scheduled_digest_comes_at_the_chat_local_time_once_a_day(
    news_bot: RunningBot,
) -> None:
    await news_bot.say(CHAT, "/subscribe Japan")
    await news_bot.say(CHAT, "/timezone Asia/Tokyo")
    await news_bot.say(CHAT, "/time 21:30")  # 12:30 UTC
    news_bot.clock.now = datetime(2026, 11, 25, 12, 29, tzinfo=UTC)
    await settle(news_bot.api)
    assert digests(news_bot.api) == []

    news_bot.clock.now = datetime(2026, 11, 25, 12, 31, tzinfo=UTC)
    call = await news_bot.api.wait_for_async(
        "sendMessage", lambda c: c.params["chat_id"] == CHAT
        and is_digest(c))
    assert "Wednesday 25 November" in call.result["text"]
    assert "rare earth" in call.result["text"]
    await settle(news_bot.api)
    assert len(digests(news_bot.api)) == 1
    assert news_bot.store.chat(CHAT).last_digest == "2026-11-25"

    news_bot.clock.now = datetime(2026, 11, 26, 12, 31, tzinfo=UTC)
    call = await news_bot.api.wait_for_async(
        "sendMessage", lambda c: is_digest(c) and "Thursday 26 November" in c.result["text"])
    # Nothing was published since, and nothing is sent twice.
    assert "Nothing new from 🇯🇵 Japan" in call.result["text"]
    await settle(news_bot.api)
    assert len(digests(news_bot.api)) == 2


@pytest.mark.parametrize(
    ("start", "expected_utc_hour"),
    [
        # Autumn: 02:30 happens twice in Berlin (CEST, then CET); one digest, at the first.
        (datetime(2026, 10, 24, 23, 0, tzinfo=UTC), 0),
        # Spring: 02:30 does not exist; the digest comes an hour later on the clock, once.
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), 1),
    ],
    ids=["autumn-repeated-hour", "spring-missing-hour"],
)
async def test_dst_changes_give_exactly_one_digest(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer, start: datetime,
    expected_utc_hour: int,
) -> None:
    running = RunningBot(bot_api, tmp_path, feed_server)
    running.clock.now = start
    seed(running.config.storage,
         [article("Bundestag passes the budget", "Tagesschau", "DE", 2, now=start)],
         [Chat(CHAT, countries=("DE",), digest_time="02:30", timezone="Europe/Berlin")])
    await running.start()
    try:
        await running.application.bot_data.newsroom.edition()  # clustered: digests go at once
        sent_at: list[datetime] = []
        for _ in range(4 * 3):  # four hours in twenty-minute steps
            running.clock.advance(timedelta(minutes=20))
            await settle(bot_api, checks=3)
            if len(digests(bot_api)) > len(sent_at):
                sent_at.append(running.clock.now)
        await settle(bot_api)
        assert len(digests(bot_api)) == 1
        assert sent_at[0].hour == expected_utc_hour
    finally:
        await running.stop()


async def test_rate_limited_digest_is_retried_and_arrives_once(news_bot: RunningBot) -> None:
    await news_bot.say(CHAT, "/subscribe Japan")
    news_bot.api.fail_next("sendMessage", code=429, retry_after=1, chat_id=CHAT)
    news_bot.clock.now = datetime(2026, 11, 25, 7, 31, tzinfo=UTC)  # default 07:30 UTC
    await news_bot.api.wait_for_async(
        "sendMessage", lambda c: is_digest(c),
        timeout=10)
    await settle(news_bot.api)
    assert len(refused(news_bot.api)) == 1
    assert len(digests(news_bot.api)) == 1


async def test_blocked_chat_is_marked_inactive_and_start_brings_it_back(
    news_bot: RunningBot,
) -> None:
    await news_bot.say(CHAT, "/subscribe Japan")
    news_bot.api.block_chat(CHAT)
    news_bot.clock.now = datetime(2026, 11, 25, 7, 31, tzinfo=UTC)
    await news_bot.api.wait_for_async("sendMessage", lambda c: not c.ok)
    await settle(news_bot.api)
    chat = news_bot.store.chat(CHAT)
    assert not chat.active
    assert chat.countries == ("JP",)  # kept for when the user comes back
    assert len(refused(news_bot.api)) == 1  # no retries

    news_bot.api.unblock_chat(CHAT)
    await news_bot.say(CHAT, "/start")
    assert news_bot.store.chat(CHAT).active
    news_bot.clock.now = datetime(2026, 11, 25, 7, 40, tzinfo=UTC)
    await news_bot.api.wait_for_async(
        "sendMessage", lambda c: is_digest(c))


async def test_restart_in_the_grace_period_sends_once(news_bot: RunningBot) -> None:
    await news_bot.say(CHAT, "/subscribe Japan")
    await news_bot.stop()  # down at 07:30 UTC, the chat's digest time
    news_bot.clock.now = datetime(2026, 11, 25, 9, 45, tzinfo=UTC)
    await news_bot.start()
    await news_bot.api.wait_for_async(
        "sendMessage", lambda c: is_digest(c))

    await news_bot.restart()
    news_bot.clock.advance(timedelta(minutes=5))
    await settle(news_bot.api)
    assert len(digests(news_bot.api)) == 1


async def test_digest_missed_beyond_the_grace_period_is_not_sent_late(
    news_bot: RunningBot,
) -> None:
    await news_bot.say(CHAT, "/subscribe Japan")
    await news_bot.stop()
    news_bot.clock.now = datetime(2026, 11, 25, 10, 31, tzinfo=UTC)  # 3 h 1 min late
    await news_bot.start()
    await settle(news_bot.api)
    assert digests(news_bot.api) == []


async def test_a_digest_that_fell_due_is_retried_past_the_grace_period_until_delivered(
    news_bot: RunningBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """Once due while the bot runs, a digest stays queued: the grace period is for
    downtime, not for the bot's own queue (it was given up here after 3 hours)."""
    monkeypatch.setattr(delivery, "RETRY_PAUSE", 0.01)
    await news_bot.say(CHAT, "/subscribe Japan")
    news_bot.api.drop_next("sendMessage", times=delivery.NETWORK_RETRIES + 1)  # network down
    news_bot.clock.now = datetime(2026, 11, 25, 7, 31, tzinfo=UTC)
    # One delivery's tries (paced by the per-chat limit after the first three).
    await news_bot.api.wait_for_all_async(
        "sendMessage", count=delivery.NETWORK_RETRIES + 1, timeout=10)
    assert news_bot.store.chat(CHAT).last_digest == ""  # not marked as sent

    news_bot.clock.now = datetime(2026, 11, 25, 10, 31, tzinfo=UTC)  # past the grace period
    await delivered(news_bot)
    assert len(digests(news_bot.api)) == 1
    assert news_bot.store.chat(CHAT).last_digest == "2026-11-25"
    assert not any("given up" in r.getMessage() for r in caplog.records)


async def test_a_digest_cut_short_by_a_crash_goes_on_where_it_stopped(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
) -> None:
    """The store says: of a three-message digest for today, one went out before the crash."""
    running = RunningBot(bot_api, tmp_path, feed_server)
    running.clock.now = datetime(2026, 11, 25, 7, 40, tzinfo=UTC)
    seed(running.config.storage, NEWS, [Chat(CHAT, countries=("JP",))])
    store = open_store(running.config.storage)
    store.save_delivery(Delivery(CHAT, "2026-11-25", ("<b>one</b>", "<b>two</b>",
                                                      "<b>three</b>"), ("story-key",), 1,
                                 preview=NEWS[0].url, more=("JP",)))
    store.close()
    await running.start()
    try:
        await delivered(running)
        await settle(bot_api)
        assert bot_api.sent_texts(CHAT) == ["two", "three"]  # not "one" again, nor a new one
        # Sent as the digest would have been: silently after the first, no preview (the
        # first message had it), the "More from" buttons under the last.
        two, three = bot_api.sent_messages(CHAT)
        assert two.params["disable_notification"] is True
        assert three.params["disable_notification"] is True
        assert two.params["link_preview_options"] == {"is_disabled": True}
        assert button_labels(three.result) == ["More from 🇯🇵 Japan"]
        assert button_labels(two.result) == []
        assert running.store.chat(CHAT).last_digest == "2026-11-25"
        assert running.store.sent_keys(CHAT) == {"story-key"}
        assert running.store.deliveries() == {}
    finally:
        await running.stop()


async def test_deliver_early_starts_a_digest_that_many_minutes_before_its_time(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
) -> None:
    running = RunningBot(bot_api, tmp_path, feed_server,
                         digest=DigestConfig(deliver_early_minutes=10))
    running.clock.now = datetime(2026, 11, 25, 8, 45, tzinfo=UTC)
    seed(running.config.storage, NEWS, [Chat(CHAT, countries=("JP",), digest_time="09:00")])
    await running.start()
    try:
        await settle(bot_api)
        assert digests(bot_api) == []  # 15 minutes before: not yet
        running.clock.now = datetime(2026, 11, 25, 8, 50, 30, tzinfo=UTC)
        await delivered(running)
        assert running.store.chat(CHAT).last_digest == "2026-11-25"
    finally:
        await running.stop()
