"""`bot.py migrate`: a TinyDB store copied into PostgreSQL and back by the real command,
the round trip equal to the original, and targets that already hold a store refused."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg

from digest.models import Chat, Delivery, FeedState
from digest.store import Store, TinyStore
from tests.e2e.conftest import ROOT
from tests.e2e.news import NEWS, NOON


def migrate(folder: Path, store: str, dsn: str, to: str) -> subprocess.CompletedProcess[str]:
    config = folder / f"config-{to}.toml"
    config.write_text(f'[storage]\npath = "{store}"\n', encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(config), "migrate", "--to", to],
        cwd=folder, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "NEWSBOT_DATABASE_URL": dsn})


def contents(store: Store) -> dict[str, object]:
    chats = sorted(store.chats(), key=lambda chat: chat.chat_id)
    return {"chats": chats, "sent": {chat.chat_id: store.sent_keys(chat.chat_id)
                                     for chat in chats},
            "articles": store.articles(), "feeds": store.feed_states(),
            "deliveries": store.deliveries()}


def test_a_store_goes_to_postgres_and_back_unchanged(tmp_path: Path, postgres_url: str) -> None:
    original = tmp_path / "data" / "newsbot.json"
    store = TinyStore(original)
    store.save_chats([Chat(n, countries=("JP",), timezone="Asia/Tokyo") for n in range(1, 300)])
    store.save_chat(Chat(-100200, countries=("DE", "BR"), digest_time="06:30", paused=True))
    store.record_digest(1, ["story-a", "story-b"], NOON - timedelta(days=1),
                        local_date="2026-11-24")
    store.record_digest(1, ["story-c"], NOON)
    store.record_digest(-100200, ["story-a"], NOON, local_date="2026-11-25")
    store.add_articles(NEWS)
    store.save_feed_states({"https://feeds.example/jp": FeedState(etag='"v2"', failures=1,
                                                                  last_attempt=NOON)})
    store.save_delivery(Delivery(5, "2026-11-25", chunks=("one", "two"), keys=("k",),
                                 delivered=1))
    before = contents(store)
    store.close()

    there = migrate(tmp_path, str(original), postgres_url, "postgres")
    assert there.returncode == 0, there.stderr
    assert there.stdout.splitlines()[1:] == [
        "  chats: 300", "  sent: 3", f"  articles: {len(NEWS)}", "  feed states: 1",
        "  deliveries: 1"]
    again = migrate(tmp_path, str(original), postgres_url, "postgres")
    assert again.returncode == 2
    [line] = again.stderr.splitlines()
    assert line.startswith("error: the database at postgresql://")
    assert line.endswith(" is not empty (300 chats, 3 sent, 5 articles, 1 feed states, "
                         "1 deliveries); migrate into an empty database")

    copy = tmp_path / "backup" / "newsbot.json"
    back = migrate(tmp_path, str(copy), postgres_url, "tinydb")
    assert back.returncode == 0, back.stderr
    assert back.stdout == there.stdout.replace("to postgres", "to tinydb")
    restored = TinyStore(copy, read_only=True)
    assert contents(restored) == before
    restored.close()
    refused = migrate(tmp_path, str(copy), postgres_url, "tinydb")
    assert refused.returncode == 2
    assert "already holds a TinyDB store" in refused.stderr
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute("SELECT count(*) FROM chats WHERE last_digest <> ''").fetchone()
    assert row == (2,)
