"""`PostgresStore`: the `Store` protocol on PostgreSQL, for several processes on one database.

Unlike the TinyDB store it keeps nothing in memory that another process may change: each
read is a query (`chat(id)` a primary-key lookup), each write one transaction, committed
before the method returns. Several processes (`bot.py run`, `bot.py worker`) share the
database, so:

* Articles are deduplicated by the database's unique constraints (URL; outlet and title
  key) with `ON CONFLICT DO NOTHING`, never by a read before the write: two processes
  adding the same article store it once.
* Chat changes reach every process's watchers: each chat write notifies (`listen`) in
  its transaction. The writing store calls its own watchers itself, right after the
  commit; a listener thread calls them for the changes other stores committed. Each
  change is thus heard exactly once by each store.
* What was sent is one row per digest (`sent`), kept `SENT_DAYS` days like the TinyDB
  store: counted back from the latest day of sending, pruned once a day by each writer.

Connections come from a psycopg pool (the bot writes from threads, `asyncio.to_thread`);
the schema is migrated at open (`schema.migrate`). `folder` is a local folder for files
that neighbours keep beside the store (derived from `storage.path`).
"""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from digest.models import Article, Chat, Delivery, FeedState
from digest.store.files import StoreError
from digest.store.postgres import schema
from digest.store.postgres.connect import CONNECT_TIMEOUT, connect, failure
from digest.store.postgres.listen import CHANNEL, ChatListener, payload
from digest.store.records import (
    article_from_doc,
    article_to_doc,
    delivery_from_doc,
    delivery_to_doc,
    feed_state_from_doc,
    feed_state_to_doc,
)
from digest.text import title_key

log = logging.getLogger(__name__)

SENT_DAYS = 3  # as the TinyDB store: see digest.store.tinystore.SENT_DAYS
POOL_SIZE = 8

T = TypeVar("T")

CHAT_COLUMNS = "chat_id, countries, digest_time, timezone, paused, active, last_digest"
# Read with the countries as one string: parsed (and shared) here, 3 times quicker than
# the driver's array parsing at a million chats.
CHAT_SELECT = ("chat_id, array_to_string(countries, ' '), digest_time, timezone, paused,"
               " active, last_digest")
# The first instant of the days kept: `SENT_DAYS` days counted back from the latest day
# of sending (as the TinyDB store counts), whoever recorded it and whether or not the
# older rows were deleted yet.
SENT_KEPT_FROM = ("(date_trunc('day', (SELECT max(sent_at) FROM sent) AT TIME ZONE 'UTC')"
                  f" - interval '{SENT_DAYS - 1} days') AT TIME ZONE 'UTC'")


@lru_cache(maxsize=4096)
def _countries(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def chat_of(row: tuple[Any, ...]) -> Chat:
    """A row of CHAT_SELECT as a Chat; the few distinct texts are shared between chats."""
    chat_id, countries, digest_time, timezone, paused, active, last_digest = row
    return Chat(chat_id, _countries(countries), sys.intern(digest_time), sys.intern(timezone),
                paused, active, sys.intern(last_digest))


def chat_row(chat: Chat) -> tuple[Any, ...]:
    return (chat.chat_id, list(chat.countries), chat.digest_time, chat.timezone, chat.paused,
            chat.active, chat.last_digest)


def article_row(article: Article) -> tuple[Any, ...]:
    """An `articles` row: url, source, title_key, published, day, article."""
    published = article.published.astimezone(UTC)
    return (article.url, article.source, title_key(article.published_title), published,
            published.date(), Jsonb(article_to_doc(article)))


UPSERT_CHAT = (
    f"INSERT INTO chats ({CHAT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (chat_id) DO UPDATE SET countries = EXCLUDED.countries, "
    "digest_time = EXCLUDED.digest_time, timezone = EXCLUDED.timezone, "
    "paused = EXCLUDED.paused, active = EXCLUDED.active, last_digest = EXCLUDED.last_digest")
NOTIFY = "SELECT pg_notify(%s, %s)"


class PostgresStore:
    """The store on a PostgreSQL database; see the module docstring."""

    def __init__(self, dsn: str, *, folder: Path, read_only: bool = False,
                 pool_size: int = POOL_SIZE) -> None:
        self.folder = folder
        self.read_only = read_only
        self._dsn = dsn
        self._origin = uuid.uuid4().hex[:12]  # this instance, in its notifications
        self._lock = threading.Lock()  # watchers are called one change at a time
        self._watchers: list[Callable[[int], None]] = []
        self._listener: ChatListener | None = None
        self._pruned_before = ""
        with connect(dsn, autocommit=True) as conn:
            try:
                schema.migrate(conn)
            except psycopg.Error as exc:
                raise failure(dsn, exc) from None
        self._pool = ConnectionPool(
            dsn, min_size=1, max_size=pool_size, open=False, name="newsbot",
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
            configure=self._configure if read_only else None)
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except PoolTimeout as exc:
            self._pool.close()
            raise failure(dsn, exc) from None

    @staticmethod
    def _configure(conn: psycopg.Connection[Any]) -> None:
        """A read-only store's connections refuse writes in the server too."""
        conn.execute("SET default_transaction_read_only = on")

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError("the PostgreSQL store was opened read-only")

    def _query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        try:
            with self._pool.connection() as conn:
                return conn.execute(sql, params).fetchall()
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise failure(self._dsn, exc) from None

    def _write(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """`work(conn)` in one transaction; committed when this returns."""
        self._writable()
        try:
            with self._pool.connection() as conn, conn.transaction():
                return work(conn)
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise failure(self._dsn, exc) from None

    # -- chats ----------------------------------------------------------------------------

    def watch_chats(self, watcher: Callable[[int], None]) -> None:
        """Call `watcher(chat_id)` after each change of a chat's settings: this store's own
        (from the writing thread) and other stores' (from the listener thread); one at a
        time, so it must be quick."""
        self._watchers.append(watcher)
        if self._listener is None:
            self._listener = ChatListener(self._dsn, self._origin, self._notify)
            self._listener.start()

    def _notify(self, chat_id: int) -> None:
        with self._lock:
            for watcher in self._watchers:
                try:
                    watcher(chat_id)
                except Exception:
                    log.exception("a watcher of chat %s failed", chat_id)

    def _announce(self, conn: psycopg.Connection[Any], chat_ids: Iterable[int]) -> None:
        with conn.cursor() as cursor:
            cursor.executemany(NOTIFY, [(CHANNEL, payload(chat_id, self._origin))
                                        for chat_id in chat_ids])

    def chat(self, chat_id: int) -> Chat | None:
        rows = self._query(f"SELECT {CHAT_SELECT} FROM chats WHERE chat_id = %s", (chat_id,))
        return chat_of(rows[0]) if rows else None

    def chats(self) -> list[Chat]:
        return list(map(chat_of, self._query(f"SELECT {CHAT_SELECT} FROM chats")))

    def save_chat(self, chat: Chat) -> None:
        self.save_chats([chat])

    def save_chats(self, chats: Iterable[Chat]) -> None:
        batch = list(chats)

        def work(conn: psycopg.Connection[Any]) -> None:
            with conn.cursor() as cursor:
                cursor.executemany(UPSERT_CHAT, [chat_row(chat) for chat in batch])
            self._announce(conn, (chat.chat_id for chat in batch))

        self._write(work)
        for chat in batch:
            self._notify(chat.chat_id)

    def update_chat(self, chat_id: int, **changes: Any) -> Chat:
        """The chat (created if new) with `changes` applied: read under a row lock and
        written in one transaction, so changes from two processes both take effect."""
        def work(conn: psycopg.Connection[Any]) -> Chat:
            conn.execute("INSERT INTO chats (chat_id) VALUES (%s) ON CONFLICT DO NOTHING",
                         (chat_id,))
            row = conn.execute(f"SELECT {CHAT_SELECT} FROM chats WHERE chat_id = %s "
                               "FOR UPDATE", (chat_id,)).fetchone()
            assert row is not None
            chat = replace(chat_of(row), **changes)
            conn.execute(UPSERT_CHAT, chat_row(chat))
            self._announce(conn, [chat_id])
            return chat

        chat = self._write(work)
        self._notify(chat_id)
        return chat

    def delete_chat(self, chat_id: int) -> bool:
        def work(conn: psycopg.Connection[Any]) -> bool:
            gone = conn.execute("DELETE FROM chats WHERE chat_id = %s", (chat_id,)).rowcount
            conn.execute("DELETE FROM sent WHERE chat_id = %s", (chat_id,))
            if gone:
                self._announce(conn, [chat_id])
            return bool(gone)

        deleted = self._write(work)
        if deleted:
            self._notify(chat_id)
        return deleted

    def sent_keys(self, chat_id: int) -> frozenset[str]:
        rows = self._query(f"SELECT keys FROM sent WHERE chat_id = %s"
                           f" AND sent_at >= {SENT_KEPT_FROM}", (chat_id,))
        return frozenset(key for (keys,) in rows for key in keys)

    def record_digest(self, chat_id: int, keys: Iterable[str], when: datetime, *,
                      local_date: str | None = None) -> Chat:
        """One `sent` row; `local_date` becomes the chat's `last_digest` (the chat is
        created if new, and only then are watchers told, as the TinyDB store does). Rows
        from before `when`'s UTC day and the `SENT_DAYS - 1` before it are no longer read;
        each writer deletes them once a day, in a thread of its own (a third of the rows:
        seconds at a million chats, which no digest waits for)."""
        if local_date is not None:
            date.fromisoformat(local_date)  # a malformed date would break scheduling
        self._writable()
        day = when.astimezone(UTC).date()
        oldest = day - timedelta(days=SENT_DAYS - 1)
        if self._pruned_before != oldest.isoformat():
            self._pruned_before = oldest.isoformat()
            threading.Thread(target=self._prune_sent, name="sent-prune", daemon=True,
                             args=(datetime.combine(oldest, time(), UTC),)).start()

        def work(conn: psycopg.Connection[Any]) -> tuple[Chat, bool]:
            row = conn.execute(
                f"INSERT INTO chats (chat_id, last_digest) VALUES (%(id)s, coalesce(%(day)s, ''))"
                " ON CONFLICT (chat_id) DO UPDATE"
                " SET last_digest = coalesce(%(day)s, chats.last_digest)"
                f" RETURNING {CHAT_SELECT}, xmax = 0",
                {"id": chat_id, "day": local_date}).fetchone()
            assert row is not None
            conn.execute("INSERT INTO sent (chat_id, sent_at, local_date, keys)"
                         " VALUES (%s, %s, %s, %s)",
                         (chat_id, when, local_date or "", list(keys)))
            created = bool(row[-1])
            if created:
                self._announce(conn, [chat_id])
            return chat_of(row[:-1]), created

        chat, created = self._write(work)
        if created:
            self._notify(chat_id)
        return chat

    def _prune_sent(self, before: datetime) -> None:
        try:
            self._write(lambda conn: conn.execute("DELETE FROM sent WHERE sent_at < %s",
                                                  (before,)))
        except Exception as exc:  # the pool closed meanwhile, the database went away
            log.warning("dropping digests sent before %s: %s", before.date(), exc)

    # -- articles -------------------------------------------------------------------------

    def add_articles(self, articles: Iterable[Article]) -> list[Article]:
        """Store the articles not seen before, in one statement: the unique constraints
        (URL; outlet and title key) skip the known ones, also those another process adds
        at the same moment. Returns the new ones, in the order given."""
        first: dict[str, Article] = {}
        for article in articles:
            first.setdefault(article.url, article)
        batch = list(first.values())
        if not batch:
            self._writable()
            return []
        rows = [article_row(a) for a in batch]

        def work(conn: psycopg.Connection[Any]) -> set[str]:
            inserted = conn.execute(
                "INSERT INTO articles (url, source, title_key, published, day, article)"
                " SELECT url, source, title_key, published, day, article FROM unnest("
                "%s::text[], %s::text[], %s::text[],"
                " %s::timestamptz[], %s::date[], %s::jsonb[]) WITH ORDINALITY"
                " AS a(url, source, title_key, published, day, article, n) ORDER BY n"
                " ON CONFLICT DO NOTHING RETURNING url",
                [list(column) for column in zip(*rows, strict=True)]).fetchall()
            return {url for (url,) in inserted}

        new = self._write(work)
        return [a for a in batch if a.url in new]

    def replace_articles(self, articles: Iterable[Article]) -> list[Article]:
        """New versions of known articles (same URL); those no longer stored are skipped."""
        batch = list(articles)
        self._writable()
        if not batch:
            return []

        def work(conn: psycopg.Connection[Any]) -> set[str]:
            replaced = conn.execute(
                "UPDATE articles SET article = v.article FROM unnest(%s::text[], %s::jsonb[])"
                " AS v(url, article) WHERE articles.url = v.url RETURNING articles.url",
                ([a.url for a in batch], [Jsonb(article_to_doc(a)) for a in batch])).fetchall()
            return {url for (url,) in replaced}

        done = self._write(work)
        return [a for a in batch if a.url in done]

    def articles(self, since: datetime | None = None) -> list[Article]:
        if since is None:
            rows = self._query("SELECT article FROM articles ORDER BY published DESC, url")
        else:
            rows = self._query("SELECT article FROM articles WHERE published >= %s"
                               " ORDER BY published DESC, url", (since,))
        return [article_from_doc(doc) for (doc,) in rows]

    def prune_articles(self, older_than: datetime) -> int:
        cutoff = older_than.astimezone(UTC).date()
        return self._write(lambda conn: conn.execute(
            "DELETE FROM articles WHERE day < %s", (cutoff,)).rowcount)

    # -- feeds ----------------------------------------------------------------------------

    def feed_state(self, feed: str) -> FeedState:
        rows = self._query("SELECT state FROM feed_states WHERE feed = %s", (feed,))
        return feed_state_from_doc(rows[0][0])[1] if rows else FeedState()

    def feed_states(self) -> dict[str, FeedState]:
        return dict(feed_state_from_doc(doc)
                    for (doc,) in self._query("SELECT state FROM feed_states"))

    def save_feed_states(self, states: Mapping[str, FeedState]) -> None:
        rows = [(feed, Jsonb(feed_state_to_doc(feed, state))) for feed, state in states.items()]

        def work(conn: psycopg.Connection[Any]) -> None:
            with conn.cursor() as cursor:
                cursor.executemany("INSERT INTO feed_states (feed, state) VALUES (%s, %s)"
                                   " ON CONFLICT (feed) DO UPDATE SET state = EXCLUDED.state",
                                   rows)

        self._write(work)

    # -- digests being sent ---------------------------------------------------------------

    def deliveries(self) -> dict[int, Delivery]:
        return {chat_id: delivery_from_doc(doc) for chat_id, doc in
                self._query("SELECT chat_id, delivery FROM deliveries")}

    def delivery(self, chat_id: int) -> Delivery | None:
        rows = self._query("SELECT delivery FROM deliveries WHERE chat_id = %s", (chat_id,))
        return delivery_from_doc(rows[0][0]) if rows else None

    def save_delivery(self, delivery: Delivery) -> None:
        self._write(lambda conn: conn.execute(
            "INSERT INTO deliveries (chat_id, local_date, delivery) VALUES (%s, %s, %s)"
            " ON CONFLICT (chat_id) DO UPDATE SET local_date = EXCLUDED.local_date,"
            " delivery = EXCLUDED.delivery",
            (delivery.chat_id, delivery.local_date, Jsonb(delivery_to_doc(delivery)))))

    def drop_delivery(self, chat_id: int) -> None:
        self._write(lambda conn: conn.execute("DELETE FROM deliveries WHERE chat_id = %s",
                                              (chat_id,)))

    def close(self) -> None:
        """Stop listening and close the pool's connections; closing twice is harmless."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
        self._pool.close()
