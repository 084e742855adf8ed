"""The newsroom over a local feed server: refresh() feeds the index and the edition, and a
chat's zone and digest come from the domain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.config import Config, DigestConfig
from digest.models import Chat, Source
from digest.newsroom import Newsroom
from digest.search.query import parse_query
from digest.store import TinyStore
from tests.feed_server import FeedServer

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
RSS = (Path(__file__).parent / "fixtures" / "rss2.xml").read_bytes()


@pytest.fixture
async def newsroom(feed_server: FeedServer, tmp_path: Path) -> AsyncIterator[Newsroom]:
    feed_server.serve("/jp.xml", RSS)
    sources = [Source(name="Sample Daily", country="JP", feed=f"{feed_server.base}/jp.xml",
                      language="en")]
    config = Config(digest=DigestConfig(timezone="Asia/Tokyo"))
    store = TinyStore(str(tmp_path / "store.json"))
    room = Newsroom(config, store, sources, clock=lambda: NOW)
    await room.open()
    yield room
    await room.close()
    store.close()


async def test_refresh_indexes_the_new_articles_and_builds_an_edition(
    newsroom: Newsroom,
) -> None:
    assert not (await newsroom.edition()).gathered
    report = await newsroom.refresh()
    assert report.new_articles
    [found] = await newsroom.search(parse_query("rare earth exports"), limit=5)
    assert found.country == "JP"
    assert (await newsroom.edition()).gathered


async def test_a_chats_zone_and_digest_come_from_the_domain(newsroom: Newsroom) -> None:
    await newsroom.refresh()
    assert newsroom.zone_name(1) == "Asia/Tokyo"  # no such chat yet: the default
    newsroom.store.save_chat(replace(Chat(chat_id=1, countries=("JP",)), timezone="UTC+05:30"))
    assert newsroom.zone_name(1) == "UTC+05:30"
    assert NOW.astimezone(newsroom.zone(1)).hour == 11
    digest = newsroom.digest_for(1, NOW, await newsroom.edition())
    assert "Rare earth exports" in digest.chunks[0]


async def test_refresh_before_open_is_an_error(tmp_path: Path) -> None:
    store = TinyStore(str(tmp_path / "store.json"))
    room = Newsroom(Config(), store, [])
    try:
        with pytest.raises(RuntimeError, match="not open"):
            await room.refresh()
    finally:
        await room.close()
        store.close()


async def test_reload_shows_what_another_process_stored(newsroom: Newsroom) -> None:
    """A second newsroom on the same store stands for another process on one database:
    its pass is seen after reload(), without fetching."""
    assert not (await newsroom.edition()).gathered
    other = Newsroom(newsroom.config, newsroom.store, newsroom.sources, clock=lambda: NOW)
    await other.open()
    try:
        await other.refresh()
    finally:
        await other.close()
    question = parse_query("rare earth exports")
    assert await newsroom.search(question, limit=5) == []
    assert not (await newsroom.edition()).gathered
    await newsroom.reload()
    [found] = await newsroom.search(question, limit=5)
    assert found.country == "JP"
    assert (await newsroom.edition()).gathered


async def test_a_search_right_after_opening_waits_for_the_index_of_stored_articles(
    newsroom: Newsroom
) -> None:
    await newsroom.refresh()
    reopened = Newsroom(newsroom.config, newsroom.store, newsroom.sources, clock=lambda: NOW)
    await reopened.open()  # returns before the index is built
    try:
        [found] = await reopened.search(parse_query("rare earth exports"), limit=5)
        assert found.country == "JP"
    finally:
        await reopened.close()
