"""How a digest reads and arrives: other countries' headlines, one notification, the lead
picture, honest empty states, "More from" buttons."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from digest.config import DigestConfig
from digest.stories.compose import MAX_ENTITIES, MAX_MESSAGE
from tests.e2e.conftest import RunningBot, button_labels
from tests.e2e.fake_bot_api import Call, FakeBotAPI
from tests.e2e.news import NEWS, NOON, article, seed
from tests.e2e.test_digests import delivered
from tests.feed_server import FeedServer

CHAT = 7007
JAPAN_DAILY, TOKYO_WIRE, FOLHA, TYPHOON = NEWS[0], NEWS[1], NEWS[2], NEWS[3]
SEOUL = article("Seoul weighs its options as Japan lifts rare earth export quotas",
                "Seoul Daily", "KR", 2.5)
PICTURE = "https://japandaily.example/img/quotas.jpg"


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def digest_messages(api: FakeBotAPI, chat_id: int = CHAT) -> list[Call]:
    """The digest's messages, from its dated header on."""
    sent = api.sent_messages(chat_id)
    first = next(i for i, c in enumerate(sent) if c.result["text"].startswith("Your news"))
    return sent[first:]


async def running_bot(api: FakeBotAPI, folder: Path, feeds: FeedServer, news: list,
                      **settings: Any) -> RunningBot:
    running = RunningBot(api, folder, feeds, digest=DigestConfig(**settings))
    running.clock.now = NOON
    seed(running.config.storage, news)
    await running.start()
    return running


async def test_a_story_told_in_three_countries_shows_the_others_headlines_in_a_blockquote(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
) -> None:
    running = await running_bot(bot_api, tmp_path, feed_server, [*NEWS, SEOUL])
    try:
        await running.say(CHAT, "/subscribe Japan")
        reply = await running.say(CHAT, "/digest")
        text = reply.result["text"]
        quote = next(e for e in reply.result["entities"] if e["type"] == "expandable_blockquote")
        units = text.encode("utf-16-le")[2 * quote["offset"]:
                                         2 * (quote["offset"] + quote["length"])]
        assert units.decode("utf-16-le").splitlines() == [
            f"🇧🇷 Folha: {FOLHA.title}",  # other countries first, in time order
            f"🇰🇷 Seoul Daily: {SEOUL.title}",
            f"🇯🇵 Tokyo Wire: {TOKYO_WIRE.title}",  # then the lead's own country
        ]
        links = [e["url"] for e in reply.result["entities"] if e["type"] == "text_link"]
        assert links[:4] == [JAPAN_DAILY.url, FOLHA.url, SEOUL.url, TOKYO_WIRE.url]
        # The typhoon was told only by Japanese outlets: said in a few words.
        assert f"{TYPHOON.title}\nTokyo Wire · reported only in 🇯🇵 Japan" in text
    finally:
        await running.stop()


WORDS = ("volcano", "election", "harbour", "festival", "railway", "tariff", "museum",
         "drought", "satellite", "orchestra", "glacier", "vaccine", "bridge", "league", "crypto",
         "forest", "robot", "opera", "airline", "salmon", "quake", "budget", "strike", "comet",
         "theatre")


def country_news(codes: str, per_country: int) -> list:
    """Distinct stories (words of their own, so that none are taken for the same story)
    with long summaries: a digest of them needs several messages."""
    return [
        article(f"{word.title()} {word}s {word}ed", f"Outlet {code}", code, n / 10 + 1,
                " ".join(f"The {word}s of {word} {i} were {word}ed by {word}ers {i} times over."
                         for i in range(6)))
        for c, code in enumerate(codes.split())
        for n, word in enumerate(WORDS[c * per_country:(c + 1) * per_country])
    ]


async def test_a_digest_of_several_countries_is_the_fewest_messages_and_buzzes_once(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
) -> None:
    running = await running_bot(bot_api, tmp_path, feed_server, country_news("JP BR DE", 8),
                                stories_per_country=8)
    try:
        await running.say(CHAT, "/subscribe Japan, Brazil, Germany")
        bot_api.push_message(CHAT, "/digest")
        await delivered(running, CHAT)
        messages = digest_messages(bot_api)
        texts = [m.result["text"] for m in messages]
        assert 1 < len(messages) < 4
        for left, right in pairwise(messages):  # no two neighbours would fit in one
            assert utf16(left.result["text"]) + utf16(right.result["text"]) + 2 > MAX_MESSAGE \
                or len(left.result["entities"]) + len(right.result["entities"]) > MAX_ENTITIES
        assert [m.params.get("disable_notification", False) for m in messages] == \
            [False] + [True] * (len(messages) - 1)
        joined = "\n\n".join(texts)
        for flag_and_name in ("🇯🇵 Japan", "🇧🇷 Brazil", "🇩🇪 Germany"):
            assert joined.count(f"{flag_and_name}\n\n1. ") == 1  # each section starts with it
        for text in texts[1:]:  # a message opens with a section, continued or not
            assert text.split(" ", 1)[0] in "🇯🇵🇧🇷🇩🇪"
        assert all(text.count("(continued)") <= 1 for text in texts)
    finally:
        await running.stop()


async def test_a_digest_long_as_html_but_short_as_text_is_one_message(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
) -> None:
    path = "/".join(["section"] * 110)  # link addresses of about 900 characters
    news = [replace(a, url=f"https://outlet.example/{path}/{n}")
            for n, a in enumerate(country_news("JP", 5))]
    running = await running_bot(bot_api, tmp_path, feed_server, news)
    try:
        await running.say(CHAT, "/subscribe Japan")
        bot_api.push_message(CHAT, "/digest")
        await delivered(running, CHAT)
        [message] = digest_messages(bot_api)
        assert utf16(message.params["text"]) > MAX_MESSAGE  # as sent: HTML with addresses
        assert utf16(message.result["text"]) <= MAX_MESSAGE  # as Telegram counts it
        assert message.result["text"].count("\n5. ") == 1
    finally:
        await running.stop()


async def test_the_lead_story_shows_its_picture_and_the_others_none(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
) -> None:
    news = [replace(JAPAN_DAILY, image=PICTURE), replace(TOKYO_WIRE, image=PICTURE),
            *NEWS[2:], *country_news("DE BR", 10)]
    running = await running_bot(bot_api, tmp_path, feed_server, news, stories_per_country=10)
    try:
        await running.say(CHAT, "/subscribe Japan, Germany, Brazil")
        bot_api.push_message(CHAT, "/digest")
        await delivered(running, CHAT)
        first, *rest = digest_messages(bot_api)
        assert first.params["link_preview_options"] == {
            "url": JAPAN_DAILY.url, "prefer_large_media": True, "show_above_text": True}
        assert rest
        assert all(m.params["link_preview_options"] == {"is_disabled": True} for m in rest)

        answer = await running.say(CHAT, "/latest quotas in Japan")
        assert answer.params["link_preview_options"] == {
            "url": TOKYO_WIRE.url, "prefer_large_media": True, "show_above_text": True}
        typhoon = await running.say(CHAT, "/latest typhoon")
        assert typhoon.params["link_preview_options"] == {"is_disabled": True}
    finally:
        await running.stop()


async def test_a_first_digest_never_speaks_of_a_last_one(news_bot: RunningBot) -> None:
    await news_bot.say(CHAT, "/subscribe Japan, Brazil")
    first = (await news_bot.say(CHAT, "/digest")).result["text"]
    # Brazil's only story is the Japanese rare earths story, shown under Japan.
    assert "No news from 🇧🇷 Brazil in the last two days." in first
    assert "last digest" not in first

    again = await news_bot.say(CHAT, "/digest")
    assert "Nothing new from 🇯🇵 Japan since your last digest." in again.result["text"]


async def test_before_the_first_ingestion_pass_the_news_is_still_being_gathered(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
) -> None:
    for feed in ("jp", "jp2", "br", "de"):  # the first pass takes a while
        feed_server.serve(f"/{feed}.xml", status=503, stall=1.5)
    running = RunningBot(bot_api, tmp_path, feed_server)
    await running.start()
    try:
        await running.say(CHAT, "/subscribe Japan")
        reply = await running.say(CHAT, "/digest")
        assert reply.result["text"].startswith("I am still gathering the news")
        answer = await running.say(CHAT, "/latest rare earths")
        assert answer.result["text"].startswith("I am still gathering the news")

        newsroom = running.application.bot_data.newsroom
        async with asyncio.timeout(10):
            # The edition has no change notification to wait on; polling memory is cheap.
            while not (await newsroom.edition()).gathered:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        after = await running.say(CHAT, "/digest")
        assert after.result["text"].endswith("No news from 🇯🇵 Japan in the last two days.")
    finally:
        await running.stop()


async def test_more_from_a_country_edits_the_message_and_is_not_repeated(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
) -> None:
    running = await running_bot(bot_api, tmp_path, feed_server, NEWS, stories_per_country=1)
    try:
        await running.say(CHAT, "/subscribe Japan")
        digest = await running.say(CHAT, "/digest")
        assert button_labels(digest.result) == ["More from 🇯🇵 Japan"]
        assert TYPHOON.title not in digest.result["text"]

        more = await running.tap(CHAT, digest.result["message_id"], "More from 🇯🇵 Japan")
        assert more.method == "editMessageText"
        assert more.params["message_id"] == digest.result["message_id"]
        assert f"1. {TYPHOON.title}" in more.result["text"]
        assert button_labels(more.result) == ["More from 🇯🇵 Japan"]

        bot_api.push_button(CHAT, digest.result["message_id"], "More from 🇯🇵 Japan")
        nothing = await bot_api.wait_for_async("answerCallbackQuery",
                                               lambda c: bool(c.params.get("text")))
        assert nothing.params["text"] == "Nothing more from Japan for now."

        again = await running.say(CHAT, "/digest")  # the typhoon was seen: not repeated
        assert "Nothing new from 🇯🇵 Japan since your last digest." in again.result["text"]
    finally:
        await running.stop()


async def test_more_from_a_country_works_after_a_restart(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
) -> None:
    """PTB's button cache is lost on a restart; a digest's More buttons still work."""
    running = await running_bot(bot_api, tmp_path, feed_server, NEWS, stories_per_country=1)
    try:
        await running.say(CHAT, "/subscribe Japan")
        digest = await running.say(CHAT, "/digest")
        await running.restart()
        more = await running.tap(CHAT, digest.result["message_id"], "More from 🇯🇵 Japan")
        assert more.method == "editMessageText"
        assert f"1. {TYPHOON.title}" in more.result["text"]
        assert button_labels(more.result) == ["More from 🇯🇵 Japan"]
    finally:
        await running.stop()
