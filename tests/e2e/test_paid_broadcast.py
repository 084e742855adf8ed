"""[delivery] paid_broadcast: digest messages ask Telegram for paid broadcasting; other
messages, and digests without the setting, do not."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.config import DeliveryConfig
from tests.e2e.conftest import RunningBot
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.e2e.news import NEWS, NOON, seed
from tests.feed_server import FeedServer

CHAT = 5005


@pytest.mark.parametrize("paid", [True, False])
async def test_digests_are_paid_broadcasts_when_configured(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer, paid: bool
) -> None:
    bot = RunningBot(bot_api, tmp_path, feed_server)
    bot.config = replace(bot.config, delivery=DeliveryConfig(
        paid_broadcast=paid, messages_per_second=1000 if paid else 30))
    bot.clock.now = NOON
    seed(bot.config.storage, NEWS)
    await bot.start()
    try:
        answer = await bot.say(CHAT, "/subscribe Japan")
        bot.clock.now = datetime(2026, 11, 25, 7, 31, tzinfo=UTC).replace(day=26)
        digest = await bot_api.wait_for_async(
            "sendMessage", lambda c: c.ok and c.result["text"].startswith("Your news digest"),
            timeout=10)
    finally:
        await bot.stop()
    assert digest.params.get("allow_paid_broadcast") is (True if paid else None)
    assert "allow_paid_broadcast" not in answer.params  # answers are not broadcasts
