"""Several `bot.py run` processes on one PostgreSQL database, in webhook mode behind a
(pretend) load balancer: updates posted to either process, one ingestion pass at a time,
and the news one process fetched found by the others."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
import psycopg
import pytest

from digest.config import StorageConfig
from digest.models import Chat
from tests.e2e.conftest import TOKEN, free_port
from tests.e2e.fake_bot_api import Call, FakeBotAPI
from tests.e2e.news import NEWS, NOON, seed
from tests.feed_server import FeedServer

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret"
CATALOG = """
[[source]]
name = "Japan Daily"
country = "JP"
feed = "{base}/jp.xml"
language = "en"
"""
EMPTY_FEED = b'<rss version="2.0"><channel><title>Japan Daily</title></channel></rss>'


def rss(*titles: str) -> bytes:
    """A feed of stories published now (the processes run on the real clock)."""
    date = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>{title}</title><link>https://news.example.jp/{n}</link>"
        f"<description>{title}. Officials said more talks would follow next week.</description>"
        f"<pubDate>{date}</pubDate></item>" for n, title in enumerate(titles))
    return (f'<rss version="2.0"><channel><title>Japan Daily</title>{items}'
            "</channel></rss>").encode()


class BotProcess:
    """`bot.py run` in webhook mode (or long polling) on its own port, its log read as it
    comes."""

    def __init__(self, name: str, folder: Path, api: FakeBotAPI, feeds: FeedServer,
                 database: str, *, polling: bool = False) -> None:
        self.name = name
        self.port = free_port()
        home = folder / name
        home.mkdir()
        catalog = home / "catalog.toml"
        catalog.write_text(CATALOG.format(base=feeds.base))
        self.config = home / "bot.toml"
        webhook = ("" if polling else 'webhook_url = "https://bot.example.org/telegram/hook"\n'
                   f'webhook_secret = "{SECRET}"\n')
        self.config.write_text(
            f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{api.base_url}"\n{webhook}'
            f'[webapp]\nport = {self.port}\n'
            f'[storage]\nbackend = "postgres"\ndsn = "{database}"\n'
            f'path = "{home / "store.json"}"\n'
            f'[sources]\ncatalog = "{catalog}"\n'
            '[logging]\nlevel = "INFO"\n')
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bot.py"), "--config", str(self.config), "run"],
            cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._seen:
                self.lines.append(line)
                self._seen.notify_all()

    def wait_for_line(self, text: str, timeout: float = 30) -> str:
        """The first log line holding `text`, waited for."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                found = [line for line in self.lines if text in line]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                tail = "".join(self.lines[-30:])
                assert left > 0, f"{self.name}: no line with {text!r}:\n{tail}"
                assert self.process.poll() is None, f"{self.name} ended:\n{tail}"
                self._seen.wait(min(left, 0.2))

    def post(self, update: dict[str, Any]) -> None:
        """Deliver an update as Telegram would, through the load balancer to this process."""
        url = f"http://127.0.0.1:{self.port}/telegram/hook"
        for _ in range(200):  # the web server listens just after setWebhook
            try:
                answer = httpx.post(url, json=update,
                                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        assert answer.status_code == 200

    def stop(self) -> str:
        """SIGTERM; the whole log. A process that did not stop cleanly fails the test."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        log = "".join(self.lines)
        assert self.process.returncode == 0, f"{self.name} exited with " \
            f"{self.process.returncode}:\n{log[-3000:]}"
        assert TOKEN not in log
        return log


class Chats:
    """Writes users' messages as Telegram's updates, numbered as Telegram numbers them."""

    def __init__(self) -> None:
        self.update_id = 0

    def message(self, chat_id: int, text: str) -> dict[str, Any]:
        self.update_id += 1
        command = text.split()[0]
        entities = ([{"type": "bot_command", "offset": 0, "length": len(command)}]
                    if text.startswith("/") else [])
        return {"update_id": self.update_id, "message": {
            "message_id": self.update_id, "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ann"},
            "text": text, "entities": entities}}


def reply(api: FakeBotAPI, chat_id: int, mark: int) -> Call:
    """The bot's first message to the chat since `mark` (a count of sent messages)."""
    return api.wait_for("sendMessage", lambda c: c.params["chat_id"] == chat_id,
                        count=mark + 1, timeout=20)


class Start(Protocol):
    def __call__(self, name: str, *, polling: bool = False) -> BotProcess: ...


@pytest.fixture
def start(tmp_path: Path, bot_api: FakeBotAPI, feed_server: FeedServer,
          postgres_url: str) -> Iterator[Start]:
    """Starts `bot.py run` processes on one database; each still running is stopped
    (cleanly) after."""
    started: list[BotProcess] = []

    def start(name: str, *, polling: bool = False) -> BotProcess:
        started.append(BotProcess(name, tmp_path, bot_api, feed_server, postgres_url,
                                  polling=polling))
        return started[-1]

    yield start
    for process in started:
        if process.process.returncode is None:
            process.stop()


def test_a_pass_by_one_process_is_found_by_the_other(
        start: Start, bot_api: FakeBotAPI, feed_server: FeedServer, postgres_url: str
        ) -> None:
    feed_server.serve("/jp.xml", EMPTY_FEED)
    first = start("first")
    first.wait_for_line("ingestion: feeds ok 1")
    chats = Chats()
    first.post(chats.message(5, "/latest rare earths"))
    assert "Rare earth exports" not in reply(bot_api, 5, 0).params["text"]
    # The news arrives; the next pass is due (an hour later, as far as the database
    # knows) and run by a process started now. The first hears of it and finds its story.
    feed_server.serve("/jp.xml", rss("Rare earth exports resume as prices fall"))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE ingestion_pass SET started = started - interval '1 hour'")
    second = start("second")
    second.wait_for_line("new articles 1")
    first.wait_for_line("index and edition reloaded")
    first.post(chats.message(5, "/latest rare earths"))
    assert "Rare earth exports resume" in reply(bot_api, 5, 1).params["text"]
    assert sum("ingestion: feeds ok" in line for line in first.lines) == 1  # fetched nothing


def test_updates_reach_either_process_and_only_one_reads_the_feeds(
        start: Start, bot_api: FakeBotAPI, feed_server: FeedServer) -> None:
    feed_server.serve("/jp.xml", rss("Tokyo opens a new tram line"))
    first = start("first")
    first.wait_for_line("ingestion: feeds ok 1")
    second = start("second")
    # Started within half an interval of the first's pass: it does not read the feeds.
    skipped = second.wait_for_line("ingestion: not this process's turn")
    assert "pass 1 started at" in skipped
    chats = Chats()
    first.post(chats.message(7, "/subscribe Japan"))
    assert "Added: 🇯🇵 Japan" in reply(bot_api, 7, 0).params["text"]
    second.post(chats.message(7, "/mysubs"))
    assert "Japan" in reply(bot_api, 7, 1).params["text"]
    second.post(chats.message(7, "/latest tram"))
    assert "Tokyo opens a new tram line" in reply(bot_api, 7, 2).params["text"]
    assert len(feed_server.requests) == 1


def due_chats(count: int, now: datetime) -> list[Chat]:
    """Chats whose digest fell due two minutes ago: in a zone where it is about noon, so
    the test means the same at any hour."""
    hours = 12 - now.hour
    zone = f"UTC{'+' if hours >= 0 else '-'}{abs(hours):02d}:00"
    local = now + timedelta(hours=hours) - timedelta(minutes=2)
    return [Chat(9000 + n, countries=("JP",), digest_time=f"{local:%H:%M}", timezone=zone)
            for n in range(count)]


def test_forty_chats_due_each_get_one_digest_from_two_processes(
        start: Start, bot_api: FakeBotAPI, feed_server: FeedServer, postgres_url: str,
        tmp_path: Path) -> None:
    now = datetime.now(UTC)
    chats = due_chats(40, now)
    fresh = [replace(item, published=item.published - NOON + now) for item in NEWS]
    seed(StorageConfig(backend="postgres", dsn=postgres_url, path=str(tmp_path / "seed")),
         fresh, chats)
    feed_server.serve("/jp.xml", EMPTY_FEED)
    processes = [start("first"), start("second")]

    def digests() -> dict[int, int]:
        counts: dict[int, int] = {}
        for call in bot_api.sent_messages():
            if call.ok and call.result["text"].startswith("Your news digest"):
                chat_id = int(call.params["chat_id"])
                counts[chat_id] = counts.get(chat_id, 0) + 1
        return counts

    deadline = time.monotonic() + 60
    while len(digests()) < len(chats):
        assert time.monotonic() < deadline, (
            f"digests to {len(digests())} of {len(chats)}:\n"
            + "\n".join("".join(process.lines[-15:]) for process in processes))
        time.sleep(0.1)
    time.sleep(2)  # both processes checked again meanwhile: nothing more goes out
    assert digests() == {chat.chat_id: 1 for chat in chats}


def test_a_poller_is_refused_beside_webhook_processes_before_it_asks_telegram(
        start: Start, bot_api: FakeBotAPI, feed_server: FeedServer) -> None:
    feed_server.serve("/jp.xml", EMPTY_FEED)
    webhook = start("webhook")
    webhook.wait_for_line("web server on")
    poller = start("poller", polling=True)
    assert poller.process.wait(timeout=60) == 2
    [line] = [line for line in poller.lines if line.startswith("error:")]
    assert line.startswith("error: another process on this database receives the bot's "
                           "updates (by long polling or by webhook). Only one process may "
                           "long-poll")
    assert "Traceback" not in "".join(poller.lines)
    assert bot_api.calls("deleteWebhook") == []  # the webhook processes keep their updates
    assert bot_api.calls("getUpdates") == []
    assert bot_api.webhook["url"] == "https://bot.example.org/telegram/hook"
