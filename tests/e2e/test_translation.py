"""A Spanish outlet read in English: ingestion, translation over HTTP, digest and search."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from digest.config import TranslateConfig
from tests.e2e.conftest import RunningBot
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.e2e.news import NOON
from tests.feed_server import FeedServer
from tests.translation_servers import PREFIX, TranslationServer

CHAT = 7007
CATALOG = """
[[source]]
name = "El Diario"
country = "ES"
feed = "{base}/es.xml"
language = "es"
"""
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>El Diario</title><link>https://eldiario.example/</link>
<description>Noticias</description>
<item><title>El Gobierno aprueba la subida del salario mínimo para el próximo año</title>
<link>https://eldiario.example/salario</link>
<description>El Consejo de Ministros ha aprobado este martes la subida del salario mínimo
interprofesional, que beneficiará a más de dos millones de trabajadores en toda España.
</description><pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"""


@pytest.fixture
def translator() -> Iterator[TranslationServer]:
    running = TranslationServer().start()
    yield running
    running.stop()


@pytest.fixture
async def spanish_bot(bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
                      translator: TranslationServer) -> AsyncIterator[RunningBot]:
    feed_server.serve("/es.xml", FEED.encode())
    running = RunningBot(bot_api, tmp_path, feed_server, CATALOG, translate=TranslateConfig(
        backend="openai", url=f"{translator.base}/v1", api_key="sk-test", timeout_seconds=5))
    running.clock.now = NOON
    await running.start()
    yield running
    await running.stop()


async def translated(bot: RunningBot) -> None:
    """Wait for the first ingestion pass, its translation and the edition rebuilt after it
    (digests are composed from editions)."""
    newsroom = bot.application.bot_data.newsroom
    async with asyncio.timeout(20):
        # Editions have no change notification to wait on; polling memory is cheap.
        while not any(a.translated for story in (await newsroom.edition()).stories  # noqa: ASYNC110
                      for a in story.articles):
            await asyncio.sleep(0.05)


async def test_a_spanish_story_reaches_the_digest_translated_and_marked(
    spanish_bot: RunningBot, translator: TranslationServer,
) -> None:
    await translated(spanish_bot)
    [request] = translator.requests
    assert request.path == "/v1/chat/completions"
    assert "Spanish" in request.body["messages"][0]["content"]

    await spanish_bot.say(CHAT, "/subscribe Spain")
    digest = (await spanish_bot.say(CHAT, "/digest")).result["text"]
    assert f"{PREFIX}El Gobierno aprueba la subida del salario mínimo" in digest
    assert "El Diario · translated from Spanish" in digest

    # Found by the outlet's own words as well as by the translation.
    reply = await spanish_bot.say(CHAT, "/latest salario mínimo")
    assert reply.result["text"].startswith("🔎 Latest on salario mínimo · 1 of 1")


async def test_without_a_working_translator_the_story_comes_marked_in_spanish(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
    translator: TranslationServer,
) -> None:
    translator.status = 503
    feed_server.serve("/es.xml", FEED.encode())
    running = RunningBot(bot_api, tmp_path, feed_server, CATALOG, translate=TranslateConfig(
        backend="libretranslate", url=translator.base, timeout_seconds=5))
    running.clock.now = NOON
    await running.start()
    try:
        async with asyncio.timeout(20):
            while not translator.requests:  # noqa: ASYNC110 - the pass tried and failed
                await asyncio.sleep(0.05)
        await running.say(CHAT, "/subscribe Spain")
        digest = (await running.say(CHAT, "/digest")).result["text"]
        assert "El Gobierno aprueba la subida del salario mínimo" in digest
        assert "El Diario · in Spanish" in digest
        assert len(running.store.articles()) == 1  # stored, waiting for the next pass
    finally:
        await running.stop()
