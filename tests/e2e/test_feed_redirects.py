"""Redirects into the private network: a feed may not lead the bot to an internal page.

The configured feed URL may be local (tests, intranets); a redirect from it to another
host (another host name, or another port: another service) that resolves to a loopback,
private, link-local or unspecified address is refused, and the feed is marked failing
with that reason. A redirect within the feed's own host is followed as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import JAPAN_CATALOG, RunningBot
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.e2e.news import NOON
from tests.feed_server import FeedServer

CHAT = 9009


def rss(title: str, link: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x'
            f"</title><link>{link}</link><description>x</description><item><title>{title}"
            f"</title><link>{link}</link><description>{title}.</description>"
            f"<pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>").encode()


SECRET = "Internal admin console lists every staff password"
MOVED = "Typhoon season ends early across Okinawa islands"


@pytest.fixture
def internal() -> Iterator[FeedServer]:
    """An internal service on this machine, on another port than the feeds."""
    server = FeedServer().start()
    server.serve("/internal-admin", rss(SECRET, "https://intranet.example/admin"))
    yield server
    server.stop()


def redirect(to: str) -> dict[str, Any]:
    return {"status": 302, "headers": {"Location": to}}


@pytest.fixture(params=["other port", "other host name"])
async def redirected_bot(request: pytest.FixtureRequest, bot_api: FakeBotAPI, tmp_path: Path,
                         feed_server: FeedServer, internal: FeedServer
                         ) -> AsyncIterator[tuple[RunningBot, str]]:
    """The bot, its first feed redirecting to an internal page, and that page's host."""
    port = feed_server.base.rsplit(":", 1)[1]
    target = (internal.url("/internal-admin") if request.param == "other port"
              else f"http://localhost:{port}/internal-admin")
    feed_server.serve("/internal-admin", rss(SECRET, "https://intranet.example/admin"))
    feed_server.serve("/jp.xml", **redirect(target))
    feed_server.serve("/jp2.xml", **redirect("/jp2-moved.xml"))  # same host: followed
    feed_server.serve("/jp2-moved.xml", rss(MOVED, "https://tokyowire.example/typhoon"))
    running = RunningBot(bot_api, tmp_path, feed_server, JAPAN_CATALOG)
    running.clock.now = NOON
    await running.start()
    yield running, httpx.URL(target).host
    await running.stop()


async def first_pass(bot: RunningBot) -> None:
    feeds = [s.key for s in bot.application.bot_data.newsroom.sources]
    async with asyncio.timeout(20):
        # The pass has no completion event to wait on; feed state is what it leaves behind.
        while not all(bot.store.feed_state(f).last_attempt for f in feeds):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # the edition rebuilt after the pass


async def test_a_redirect_into_the_private_network_is_refused(
        redirected_bot: tuple[RunningBot, str], feed_server: FeedServer) -> None:
    bot, host = redirected_bot
    await first_pass(bot)
    state = bot.store.feed_state(feed_server.url("/jp.xml"))
    assert state.failures == 1
    assert state.last_error == f"redirect to {host} refused: its address is loopback"
    assert [a.title for a in bot.store.articles()] == [MOVED]

    await bot.say(CHAT, "/subscribe Japan")
    digest = (await bot.say(CHAT, "/digest")).result["text"]
    assert MOVED in digest
    assert "password" not in digest
    found = (await bot.say(CHAT, "/latest staff password")).result["text"]
    assert "Internal admin" not in found
