"""Digests delivered by several real processes on one PostgreSQL database: `bot.py run` and
`bot.py worker` share the digest queue, each digest goes out once, and when one of them is
killed mid-delivery the other finishes its digests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from digest.config import DeliveryConfig, StorageConfig
from digest.models import Chat, Delivery
from digest.store.postgres import PostgresStore
from tests.e2e.conftest import RunningBot, write_config
from tests.e2e.fake_bot_api import Call, FakeBotAPI
from tests.e2e.news import NEWS, NOON
from tests.feed_server import FeedServer

ROOT = Path(__file__).resolve().parents[2]
CHATS = range(1001, 1041)  # 40 chats
LEASE_SECONDS = 2
CONCURRENCY = 8  # runtime.delivery.CONCURRENCY: digests in flight per process


@pytest.fixture
def setup(postgres_url: str, bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path
          ) -> Path:
    """A config for processes on the database, and 40 chats whose digest is due."""
    for path in ("/jp.xml", "/jp2.xml", "/br.xml", "/de.xml"):  # read by a pass at start
        feed_server.serve(path, b'<rss version="2.0"><channel><title>News</title></channel></rss>')
    config = write_config(
        tmp_path, bot_api, feed_server, level="INFO",
        storage=f'[storage]\nbackend = "postgres"\ndsn = "{postgres_url}"\n'
                f'path = "{tmp_path / "store"}"\n',
        # Due at 00:00 UTC with a day's grace: due whenever the test runs.
        sections=f'[digest]\ntime = "00:00"\ngrace_hours = 24\n'
                 f"[delivery]\nlease_seconds = {LEASE_SECONDS}\n")
    now = datetime.now(UTC)
    store = PostgresStore(postgres_url, folder=tmp_path)
    # The news as of now: the processes' first digest check finds it and sends at once.
    store.add_articles([replace(a, published=now - (NOON - a.published)) for a in NEWS])
    store.save_chats(Chat(chat_id, countries=("JP",)) for chat_id in CHATS)
    store.close()
    return config


@pytest.fixture
def processes() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """The processes a test starts, by name; stopped with SIGTERM at the end (killed if
    they do not stop)."""
    started: dict[str, subprocess.Popen[str]] = {}
    yield started
    for process in started.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started.values():
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            crash(process)


def start(processes: dict[str, subprocess.Popen[str]], config: Path, command: str) -> None:
    """`bot.py COMMAND`, its log in COMMAND.log (a pipe nobody reads would fill and block
    it)."""
    with open(config.parent / f"{command}.log", "w") as log:
        processes[command] = subprocess.Popen(
            [sys.executable, str(ROOT / "bot.py"), "--config", str(config), command],
            cwd=config.parent, stdout=log, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)  # its own process group, killed whole


def crash(process: subprocess.Popen[str]) -> None:
    """kill -9 the process and its children (the newsroom's parser), as a service manager
    would find them after a crash."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def stopped(process: subprocess.Popen[str]) -> int:
    """The exit code of a process stopped as a service manager stops it."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=20)


def is_digest(call: Call) -> bool:
    return call.ok and call.result["text"].startswith("Your news digest")


def digests_per_chat(api: FakeBotAPI) -> Counter[int]:
    return Counter(c.params["chat_id"] for c in api.calls("sendMessage") if is_digest(c))


def wait_for_every_digest(api: FakeBotAPI, timeout: float = 60) -> None:
    api.wait_for_all("sendMessage", is_digest, count=len(CHATS), timeout=timeout, since=0)
    time.sleep(2 * LEASE_SECONDS)  # anything sent twice would be sent by now


def test_a_run_and_a_worker_send_each_due_digest_once(
    setup: Path, bot_api: FakeBotAPI, processes: dict[str, subprocess.Popen[str]]
) -> None:
    bot_api.hold(lambda params: "Your news digest" in params["text"])
    start(processes, setup, "run")
    start(processes, setup, "worker")
    # Both deliver: each has its fill of digests in flight, none of them the same chat.
    bot_api.wait_held(2 * CONCURRENCY, timeout=60)
    bot_api.release()
    wait_for_every_digest(bot_api)
    assert digests_per_chat(bot_api) == Counter(CHATS)
    assert [stopped(process) for process in processes.values()] == [0, 0]


@pytest.mark.parametrize("killed", ["worker", "run"])
def test_a_process_killed_mid_delivery_leaves_its_digests_to_the_other(
    setup: Path, bot_api: FakeBotAPI, processes: dict[str, subprocess.Popen[str]], killed: str
) -> None:
    bot_api.hold(lambda params: "Your news digest" in params["text"])
    start(processes, setup, "run")
    start(processes, setup, "worker")
    bot_api.wait_held(2 * CONCURRENCY, timeout=60)
    crash(processes[killed])  # its 8 digests in flight never reach Telegram
    bot_api.release()
    wait_for_every_digest(bot_api)
    assert digests_per_chat(bot_api) == Counter(CHATS)
    lost = [c for c in bot_api.calls("sendMessage") if c.response is None]
    assert len(lost) == CONCURRENCY  # cut off with the killed process, sent again by the other
    [survivor] = [p for name, p in processes.items() if name != killed]
    assert stopped(survivor) == 0


async def test_a_digest_left_by_a_killed_process_goes_on_from_its_next_message(
    postgres_url: str, bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path
) -> None:
    """The killed process had sent the first of two messages: after its lease, this one
    sends the second only."""
    bot = RunningBot(bot_api, tmp_path, feed_server)
    bot.config = replace(bot.config, storage=StorageConfig(
        backend="postgres", path=str(tmp_path / "store"), dsn=postgres_url),
        delivery=DeliveryConfig(lease_seconds=1))
    bot.clock.now = NOON
    chat = 1001
    store = PostgresStore(postgres_url, folder=tmp_path)
    store.add_articles(NEWS)
    store.save_chat(Chat(chat, countries=("JP",), digest_time="11:30"))
    store.save_delivery(Delivery(chat, "2026-11-25", ("Part one", "Part two"), ("k",),
                                 delivered=1))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO digest_queue VALUES (%s, '2026-11-25', %s, 'killed', "
                     "now() + interval '1 second')", (chat, NOON))
    store.close()
    await bot.start()
    try:
        await bot_api.wait_for_async("sendMessage", timeout=10, since=0)
        await asyncio.sleep(0.5)  # a second message would be on its way by now
        assert bot_api.sent_texts(chat) == ["Part two"]
        assert bot.store.chat(chat).last_digest == "2026-11-25"
        assert bot.store.delivery(chat) is None
    finally:
        await bot.stop()
