"""What the PostgreSQL store owes beyond the contract: several stores (processes) on one
database, and failures as one line that never shows the password."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from digest.models import Article, Chat
from digest.store import StoreError
from digest.store.postgres import PostgresStore
from digest.store.postgres.connect import mask
from digest.store.postgres.schema import latest_version

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
Opener = Callable[..., PostgresStore]


@pytest.fixture
def open_store(postgres_url: str, tmp_path: Path) -> Iterator[Opener]:
    opened: list[PostgresStore] = []

    def opener(*, read_only: bool = False) -> PostgresStore:
        store = PostgresStore(postgres_url, folder=tmp_path / "newsbot.d", read_only=read_only)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


def article(n: int, *, title: str = "") -> Article:
    return Article(url=f"https://news.example/{n}", title=title or f"Headline {n}",
                   summary="", published=NOW - timedelta(minutes=n), source="NHK",
                   country="JP", language="en")


def test_two_stores_adding_the_same_articles_at_once_store_each_once(
        open_store: Opener) -> None:
    first, second = open_store(), open_store()
    batch = [article(n) for n in range(200)] + [article(1000 + n, title=f"Headline {n}")
                                               for n in range(200)]  # same outlet and title
    new: dict[str, list[Article]] = {}
    start = threading.Barrier(2)

    def add(name: str, store: PostgresStore) -> None:
        start.wait()
        new[name] = store.add_articles(batch)

    threads = [threading.Thread(target=add, args=(name, store))
               for name, store in (("first", first), ("second", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = first.articles()
    assert len(stored) == 200
    assert sorted(a.url for a in new["first"] + new["second"]) == sorted(a.url for a in stored)


def test_concurrent_changes_of_one_chat_from_two_stores_both_take_effect(
        open_store: Opener) -> None:
    first, second = open_store(), open_store()
    first.update_chat(1, countries=("JP",))
    threads = [threading.Thread(target=lambda: first.update_chat(1, paused=True)),
               threading.Thread(target=lambda: second.update_chat(1, timezone="Asia/Tokyo"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert first.chat(1) == Chat(1, countries=("JP",), timezone="Asia/Tokyo", paused=True)


def test_watchers_hear_of_changes_made_by_another_store_once_each(open_store: Opener) -> None:
    watching, writer = open_store(), open_store()
    heard: list[int] = []
    arrived = threading.Event()

    def watcher(chat_id: int) -> None:
        heard.append(chat_id)
        if chat_id == 99:
            arrived.set()

    watching.watch_chats(watcher)
    watching.update_chat(1, paused=True)  # its own change: heard from the write, once
    writer.update_chat(2, countries=("JP",))
    writer.save_chats([Chat(3), Chat(4)])
    writer.delete_chat(2)
    writer.record_digest(5, ["a"], NOW)  # a new chat
    writer.record_digest(5, ["b"], NOW)  # not a change of its settings
    writer.save_chat(Chat(99))  # the last one: all before it were heard by then
    assert arrived.wait(10), f"the other store's changes never arrived: {heard}"
    assert heard == [1, 2, 3, 4, 2, 5, 99]


def test_a_read_only_store_is_read_only_in_the_server_too(open_store: Opener,
                                                           postgres_url: str) -> None:
    open_store().update_chat(1, countries=("JP",))
    reader = open_store(read_only=True)
    with reader._pool.connection() as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("DELETE FROM chats")
    assert reader.chat(1) == Chat(1, countries=("JP",))


def test_a_database_of_a_newer_release_is_refused_at_open_with_one_line(
        open_store: Opener, postgres_url: str) -> None:
    open_store().close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (latest_version() + 1,))
    with pytest.raises(StoreError) as refused:
        open_store()
    line = str(refused.value)
    assert "newer than this release" in line
    assert "\n" not in line


def test_a_failed_connection_is_one_line_without_the_password(postgres_url: str,
                                                              tmp_path: Path) -> None:
    parts = conninfo_to_dict(postgres_url)
    wrong = make_conninfo(postgres_url, dbname="no_such_database", password="s3cret-pw")
    with pytest.raises(StoreError) as refused:
        PostgresStore(wrong, folder=tmp_path)
    line = str(refused.value)
    assert "no_such_database" in line
    assert "s3cret-pw" not in line
    assert "\n" not in line
    assert str(parts["host"]) in line  # where it tried


@pytest.mark.parametrize("dsn", [
    "postgresql://bot:s3cret-pw@db.example:5432/news",
    "host=db.example password=s3cret-pw dbname=news",
    "host=db.example password='s3cret pw' dbname=news",
])
def test_passwords_are_masked_in_messages(dsn: str) -> None:
    assert "s3cret" not in mask(f"could not parse {dsn}", dsn)
    assert "db.example" in mask(f"could not parse {dsn}", dsn)


def test_a_malformed_dsn_is_one_line_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as refused:
        PostgresStore("host=db.example password=s3cret-pw dbname", folder=tmp_path)
    assert "s3cret" not in str(refused.value)
    assert "\n" not in str(refused.value)


def test_start_up_opens_the_configured_backend_with_its_local_folder(
        postgres_url: str, tmp_path: Path) -> None:
    from digest.config import Config, StorageConfig
    from runtime.startup import open_store

    storage = StorageConfig(backend="postgres", path=str(tmp_path / "data" / "newsbot.json"),
                            dsn=postgres_url)
    store = open_store(Config(storage=storage))
    try:
        assert isinstance(store, PostgresStore)
        assert store.folder == tmp_path / "data" / "newsbot.json.d"
        assert store.folder.is_dir()
        second = open_store(Config(storage=storage))  # no writer lock: several processes
        second.update_chat(1, countries=("JP",))
        second.close()
        assert store.chat(1) == Chat(1, countries=("JP",))
    finally:
        store.close()


def test_digests_past_the_days_kept_are_deleted_in_the_background(
        open_store: Opener, postgres_url: str) -> None:
    store = open_store()
    store.record_digest(1, ["old"], NOW - timedelta(days=7))
    store.record_digest(1, ["new"], NOW)
    assert store.sent_keys(1) == {"new"}  # at once, deleted or not
    deadline = time.monotonic() + 10
    with psycopg.connect(postgres_url) as conn:
        while conn.execute("SELECT count(*) FROM sent").fetchone() != (1,):
            assert time.monotonic() < deadline, "the old digest was never deleted"
            time.sleep(0.05)


def test_bulk_loading_keeps_any_text_in_the_keys_sent(postgres_url: str) -> None:
    from digest.store.postgres import bulk, schema
    from digest.store.sent import SentLine

    odd = ('quote " here', "back\\slash", "tab\tand\nnewline", "{braces},comma", "NULL",
           "日本", "")
    lines = [SentLine("2026-11-25", 7, "2026-11-25", odd), SentLine("2026-11-25", 8, "", ())]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        schema.migrate(conn)
        bulk.load(conn, chats=[Chat(7), Chat(8)], sent=lines)
        assert bulk.sent_lines(conn) == lines
