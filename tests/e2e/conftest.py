"""Fixtures for end-to-end tests: the real bot talks HTTP to a fake Bot API server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application, BaseUpdateProcessor

from bot import build_application
from digest.config import (
    Config,
    DigestConfig,
    SourcesConfig,
    TelegramConfig,
    TranslateConfig,
    WebAppConfig,
)
from digest.ingestion.sources import load_catalog
from digest.store import Store
from tests.e2e.fake_bot_api import Call, FakeBotAPI
from tests.e2e.news import NEWS, NOON, seed
from tests.e2e.stores import BACKEND, Database, open_store, storage, storage_toml
from tests.feed_server import FeedServer

TOKEN = "123456:TEST-token-that-must-never-be-seen1"  # the shape of a real one
ADMIN = 4242
# The bot checks for due digests this often in tests (every minute in production), so
# moving the fake clock past a digest time shows its effect within a fraction of a second.
CHECK_EVERY = timedelta(seconds=0.05)


@dataclass
class FakeClock:
    """The bot's notion of now; tests set or advance it instead of waiting."""

    now: datetime = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta time periods.

    Without it, constructing ``telegram.error.RetryAfter`` (any 429) emits a
    PTBDeprecationWarning, which our warnings-as-errors config turns into the exception the
    bot sees instead of RetryAfter.
    """
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture(autouse=True)
def _e2e_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """On PostgreSQL (NEWSBOT_E2E_STORE=postgres) each test gets a fresh database."""
    if BACKEND != "postgres":
        yield
        return
    Database.url = request.getfixturevalue("postgres_url")
    yield
    Database.url = ""


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    """A started fake Bot API; fails the test if the fake itself hit a bug while serving."""
    with FakeBotAPI() as api:
        yield api
    assert not api.server_errors, "fake Bot API crashed:\n" + "\n".join(api.server_errors)


JAPAN_CATALOG = """
[[source]]
name = "Japan Daily"
country = "JP"
feed = "{base}/jp.xml"
language = "en"

[[source]]
name = "Tokyo Wire"
country = "JP"
feed = "{base}/jp2.xml"
language = "en"
"""

CATALOG = JAPAN_CATALOG + """
[[source]]
name = "Folha"
country = "BR"
feed = "{base}/br.xml"
language = "pt"

[[source]]
name = "Tagesschau"
country = "DE"
feed = "{base}/de.xml"
language = "de"
"""

# More than one keyboard page (10 buttons) of European countries, and Japan for a second region.
PAGED_CODES = ("AT", "BE", "CH", "CZ", "DE", "DK", "ES", "FI", "FR", "GB", "GR", "IE", "IT", "NL",
               "JP")
PAGED_CATALOG = "".join(
    f'[[source]]\nname = "Outlet {code}"\ncountry = "{code}"\n'
    f'feed = "{{base}}/{code.lower()}.xml"\nlanguage = "en"\n\n'
    for code in PAGED_CODES
)


ROOT = Path(__file__).resolve().parents[2]  # where bot.py is


def write_config(folder: Path, api: FakeBotAPI, feeds: FeedServer, telegram: str = "",
                 sections: str = "", storage: str = "", level: str = "DEBUG") -> Path:
    """A config file for a real `bot.py` process against the fake Bot API and the feed
    server's catalog: the test's store unless `storage` gives a [storage] section, plus
    extra [telegram] lines and whole `sections`."""
    catalog = folder / "catalog.toml"
    catalog.write_text(CATALOG.format(base=feeds.base))
    config = folder / "bot.toml"
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{api.base_url}"\n{telegram}'
        f'{storage or storage_toml(folder)}'
        f'[sources]\ncatalog = "{catalog}"\n'
        f'[logging]\nlevel = "{level}"\n'
        f"{sections}"
    )
    return config


def free_port() -> int:
    """A port free on localhost now, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def button_labels(message: dict) -> list[str]:
    """The texts of a message's inline buttons, row by row; [] when it has no keyboard."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


class RunningBot:
    """The real Application, long-polling the fake Bot API; restartable on the same store."""

    def __init__(self, api: FakeBotAPI, folder: Path, feeds: FeedServer,
                 catalog_text: str = CATALOG, digest: DigestConfig | None = None,
                 translate: TranslateConfig | None = None,
                 webapp: WebAppConfig | None = None,
                 updates: BaseUpdateProcessor | None = None) -> None:
        self.api = api
        self.updates = updates
        self.folder = folder
        self.clock = FakeClock()
        catalog = folder / "catalog.toml"
        catalog.write_text(catalog_text.format(base=feeds.base))
        self.config = Config(
            telegram=TelegramConfig(token=TOKEN, base_url=api.base_url, admins=(ADMIN,)),
            storage=storage(folder),
            sources=SourcesConfig(catalog=str(catalog)),
            digest=digest or DigestConfig(),
            translate=translate or TranslateConfig(),
            webapp=webapp or WebAppConfig(),
        )
        self.application: Application | None = None

    @property
    def store(self) -> Store:
        assert self.application is not None
        return self.application.bot_data.store

    async def start(self) -> None:
        store = open_store(self.config.storage)
        sources = load_catalog(self.config.sources.catalog)
        self.application = build_application(self.config, store, sources, clock=self.clock,
                                             check_every=CHECK_EVERY, updates=self.updates)
        await self.application.initialize()
        if self.application.post_init:
            await self.application.post_init(self.application)
        await self.application.start()
        await self.application.updater.start_polling(timeout=1, poll_interval=0)

    async def stop(self) -> None:
        application, self.application = self.application, None
        if application is None:
            return
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def say(self, chat_id: int, text: str, **kwargs: Any) -> Call:
        """Send `text` as the user and return the bot's first reply to that chat."""
        self.api.push_message(chat_id, text, **kwargs)
        return await self.api.wait_for_async(
            "sendMessage", lambda c: c.params["chat_id"] == chat_id)

    async def tap(self, chat_id: int, message_id: int, label: str) -> Call:
        """Press a button by its label and return the bot's edit or reply to that chat.

        Handlers answer the callback query first, so waiting for answerCallbackQuery alone
        would return before the visible effect.
        """
        self.api.push_button(chat_id, message_id, label)
        return await self.api.wait_for_async(
            None, lambda c: c.method in ("editMessageText", "sendMessage")
            and c.params.get("chat_id") == chat_id, timeout=5.0)


def webapp_bot(api: FakeBotAPI, folder: Path, feeds: FeedServer) -> RunningBot:
    """The bot (not started yet) with its Mini App on a free local port."""
    port = free_port()
    return RunningBot(api, folder, feeds,
                      webapp=WebAppConfig(url=f"http://127.0.0.1:{port}/", port=port))


@pytest.fixture
async def bot(bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer
              ) -> AsyncIterator[RunningBot]:
    running = RunningBot(bot_api, tmp_path, feed_server)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def paged_bot(bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer
                    ) -> AsyncIterator[RunningBot]:
    """The bot with PAGED_CATALOG: Europe needs two keyboard pages."""
    running = RunningBot(bot_api, tmp_path, feed_server, PAGED_CATALOG)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def news_bot(bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer
                   ) -> AsyncIterator[RunningBot]:
    running = RunningBot(bot_api, tmp_path, feed_server)
    running.clock.now = NOON
    seed(running.config.storage, NEWS)
    await running.start()
    yield running
    await running.stop()
