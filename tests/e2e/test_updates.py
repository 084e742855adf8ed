"""Updates of different chats are handled at once, one chat's in order, floods cut off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from runtime.updates import SLOW_DOWN, PerChatUpdateProcessor
from tests.e2e.conftest import RunningBot
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.feed_server import FeedServer

FLOODER, OTHER = 501, 502
FLOOD_LIMIT = 5


@pytest.fixture
async def flood_bot(bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer
                    ) -> AsyncIterator[RunningBot]:
    """The bot with a small flood limit, so that a flood is answered within seconds."""
    running = RunningBot(bot_api, tmp_path, feed_server,
                         updates=PerChatUpdateProcessor(flood_limit=FLOOD_LIMIT))
    await running.start()
    yield running
    await running.stop()


async def test_a_flooding_chat_holds_up_no_other_and_is_told_to_slow_down_once(
    flood_bot: RunningBot,
) -> None:
    api = flood_bot.api
    for _ in range(3 * FLOOD_LIMIT):
        api.push_message(FLOODER, "/help")
    # Handled one at a time, this waited for all the flooder's paced replies (a second each).
    reply = await flood_bot.say(OTHER, "/help")
    assert "/subscribe" in reply.params["text"]

    help_replies = await api.wait_for_all_async(
        "sendMessage", lambda c: c.params["chat_id"] == FLOODER and c.params["text"] != SLOW_DOWN,
        count=FLOOD_LIMIT, since=0, timeout=15)
    assert reply.time < help_replies[-1].time
    notices = [t for t in api.sent_texts(FLOODER) if t == SLOW_DOWN]
    assert len(notices) == 1
    assert flood_bot.application.update_processor.dropped == 2 * FLOOD_LIMIT
    assert len(api.sent_messages(FLOODER)) == FLOOD_LIMIT + 1  # the excess was dropped


async def test_in_a_group_only_the_flooding_member_is_cut_off(flood_bot: RunningBot) -> None:
    api, group = flood_bot.api, -700
    for _ in range(3 * FLOOD_LIMIT):
        api.push_message(group, "/help", user_id=FLOODER)
    api.push_message(group, "/help", user_id=OTHER)
    answers = await api.wait_for_all_async(
        "sendMessage", lambda c: c.params["chat_id"] == group and c.params["text"] != SLOW_DOWN,
        count=FLOOD_LIMIT + 1, since=0, timeout=15)
    assert all("/subscribe" in call.params["text"] for call in answers)
    assert flood_bot.application.update_processor.dropped == 2 * FLOOD_LIMIT
    assert api.sent_texts(group).count(SLOW_DOWN) == 1


async def test_one_chat_is_answered_in_the_order_it_wrote(news_bot: RunningBot) -> None:
    # /digest waits for the first clustering in the worker process; the quick commands
    # after it must not overtake it.
    for text in ("/subscribe Japan", "/digest", "/unsubscribe Japan", "/mysubs"):
        news_bot.api.push_message(OTHER, text)
    replies = await news_bot.api.wait_for_all_async(
        "sendMessage", lambda c: c.params["chat_id"] == OTHER, count=4, since=0, timeout=30)
    texts = [call.result["text"] for call in replies]
    assert texts[0].startswith("Added")
    assert "rare earth" in texts[1]
    assert texts[2].startswith("Removed")
    assert "Japan" not in texts[3]
