"""Asking for the latest on a topic: /latest, plain questions, paging, inline mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from handlers.queries import INLINE_PAGE
from tests.e2e.conftest import RunningBot, button_labels
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.e2e.news import NEWS, NOON, article, seed
from tests.feed_server import FeedServer

CHAT = 6006
FOLHA, TOKYO_WIRE, JAPAN_DAILY = NEWS[2], NEWS[1], NEWS[0]
TYPHOON = NEWS[3]
# Two more rare earth stories, older than the one on quotas, each an event of its own.
MINE = article("Brazil opens its first rare earth mine in Goias", "Folha", "BR", 6,
               "The mine in Goias will dig ore for magnets from 2027, the company said.")
RECYCLING = article("Bavarian plant starts recycling rare earth magnets", "Tagesschau", "DE", 8,
                    "Old motors from scrapyards feed the new recycling line near Munich.")


@pytest.fixture
async def news_bot(bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer
                   ) -> AsyncIterator[RunningBot]:
    """The bot with the common news and the two other rare earth stories."""
    running = RunningBot(bot_api, tmp_path, feed_server)
    running.clock.now = NOON
    seed(running.config.storage, [*NEWS, MINE, RECYCLING])
    await running.start()
    yield running
    await running.stop()


def headline(text: str) -> str:
    """The answer's story headline: the line after the blank line under the header."""
    return text.split("\n\n", 1)[1].splitlines()[0]


async def test_latest_gives_the_newest_relevant_story_not_the_newest_story(
    news_bot: RunningBot,
) -> None:
    reply = await news_bot.say(CHAT, "/latest rare earths")
    text = reply.result["text"]
    # The typhoon story is newer but not about rare earths; the quota story's three reports
    # are one story, led by its newest one, the others as its takes.
    assert text.startswith("🔎 Latest on rare earths · 1 of 3 stories")
    assert headline(text) == FOLHA.title
    assert "🇧🇷 Folha · 3 h ago" in text
    assert f"🇯🇵 Japan Daily: {JAPAN_DAILY.title}\n🇯🇵 Tokyo Wire: {TOKYO_WIRE.title}" in text
    assert button_labels(reply.result) == ["More ›"]


async def test_paging_gives_a_different_story_on_every_page(news_bot: RunningBot) -> None:
    reply = await news_bot.say(CHAT, "/latest rare earths")
    pages = [headline(reply.result["text"])]
    for position in (2, 3):
        edit = await news_bot.tap(CHAT, reply.result["message_id"], "More ›")
        assert f"· {position} of 3 stories" in edit.result["text"]
        pages.append(headline(edit.result["text"]))
    assert pages == [FOLHA.title, MINE.title, RECYCLING.title]
    assert button_labels(news_bot.api.message(CHAT, reply.result["message_id"])) == ["‹ Newer"]


async def test_a_plain_question_is_answered_like_latest(news_bot: RunningBot) -> None:
    reply = await news_bot.say(CHAT, "What's the latest on rare earths?")
    assert headline(reply.result["text"]) == FOLHA.title


async def test_in_country_filters_and_more_pages_through_older_stories(
    news_bot: RunningBot,
) -> None:
    reply = await news_bot.say(CHAT, "/latest rare earths in Brazil")
    text = reply.result["text"]
    assert text.startswith("🔎 Latest on rare earths in 🇧🇷 Brazil · 1 of 2 stories")
    assert headline(text) == FOLHA.title

    edit = await news_bot.tap(CHAT, reply.result["message_id"], "More ›")
    assert edit.method == "editMessageText"
    assert headline(edit.result["text"]) == MINE.title
    assert "2 of 2 stories" in edit.result["text"]
    assert button_labels(edit.result) == ["‹ Newer"]

    back = await news_bot.tap(CHAT, reply.result["message_id"], "‹ Newer")
    assert headline(back.result["text"]) == FOLHA.title


async def test_latest_from_a_country_gives_its_newest_story(news_bot: RunningBot) -> None:
    reply = await news_bot.say(CHAT, "/latest from Japan")
    assert reply.result["text"].startswith("🔎 Latest from 🇯🇵 Japan")
    assert headline(reply.result["text"]) == TYPHOON.title  # "<Kong-rey>" shown as text


async def test_no_match_offers_topics_in_the_news(news_bot: RunningBot) -> None:
    reply = await news_bot.say(CHAT, "/latest volcanic ash clouds")
    assert reply.result["text"].startswith("I found nothing about “volcanic ash clouds”")
    topics = button_labels(reply.result)
    assert topics

    answer = await news_bot.tap(CHAT, reply.result["message_id"], topics[0])
    assert answer.method == "sendMessage"
    assert answer.result["text"].startswith(f"🔎 Latest on {topics[0]}")


async def test_empty_and_huge_questions_get_answers(news_bot: RunningBot) -> None:
    empty = await news_bot.say(CHAT, "/latest")
    assert empty.result["text"].startswith("Ask me about a topic")
    huge = await news_bot.say(CHAT, "/latest " + "rare earths and more " * 200)
    assert huge.ok


async def test_old_buttons_after_a_restart_ask_to_ask_again(news_bot: RunningBot) -> None:
    reply = await news_bot.say(CHAT, "/latest rare earths")
    await news_bot.restart()
    news_bot.api.push_button(CHAT, reply.result["message_id"], "More ›")
    answer = await news_bot.api.wait_for_async("answerCallbackQuery")
    assert "ask again" in answer.params["text"]
    assert answer.params["show_alert"] is True


async def test_inline_query_lists_matching_stories(news_bot: RunningBot) -> None:
    news_bot.api.push_inline_query(CHAT, "rare earths")
    call = await news_bot.api.wait_for_async("answerInlineQuery")
    assert call.ok
    results = call.params["results"]
    assert [r["title"] for r in results] == [FOLHA.title, TOKYO_WIRE.title, JAPAN_DAILY.title,
                                             MINE.title, RECYCLING.title]
    assert results[0]["description"].startswith("🇧🇷 Folha · ")
    posted = results[0]["input_message_content"]
    assert posted["parse_mode"] == "HTML"
    assert FOLHA.url in posted["message_text"]
    assert call.params.get("next_offset", "") == ""
    assert call.params["is_personal"] is True  # times in the user's zone
    assert call.params["cache_time"] == 60


async def test_inline_results_come_in_pages(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
) -> None:
    running = RunningBot(bot_api, tmp_path, feed_server)
    running.clock.now = NOON
    seed(running.config.storage, [
        article(f"Rare earth report number {n}", "Japan Daily", "JP", n / 10 + 1)
        for n in range(INLINE_PAGE + 5)])
    await running.start()
    try:
        bot_api.push_inline_query(CHAT, "rare earths")
        first = await bot_api.wait_for_async("answerInlineQuery")
        assert len(first.params["results"]) == INLINE_PAGE
        assert first.params["next_offset"] == str(INLINE_PAGE)

        bot_api.push_inline_query(CHAT, "rare earths", offset=first.params["next_offset"])
        second = await bot_api.wait_for_async(
            "answerInlineQuery", lambda c: c.params["inline_query_id"]
            != first.params["inline_query_id"])
        assert len(second.params["results"]) == 5
        assert second.params.get("next_offset", "") == ""
        ids = [r["id"] for call in (first, second) for r in call.params["results"]]
        assert len(set(ids)) == INLINE_PAGE + 5  # no story twice across pages
    finally:
        await running.stop()
