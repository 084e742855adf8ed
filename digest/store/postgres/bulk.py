"""Whole tables in and out at once, with COPY: migrations between backends and benchmarks.

Row by row, 100,000 chats take a minute of round trips; COPY streams them in a second.
Loading is meant for an empty database that no bot uses yet: it sends no notifications.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from digest.models import Article, Chat, Delivery, FeedState
from digest.store.postgres.store import CHAT_COLUMNS, SENT_KEPT_FROM, article_row, chat_row
from digest.store.records import delivery_to_doc, feed_state_to_doc
from digest.store.sent import SentLine

TABLES = ("chats", "sent", "articles", "feed_states", "deliveries")


def counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Rows per table of the store."""
    found = {}
    for table in TABLES:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        found[table] = int(row[0]) if row else 0
    return found


def _copy(conn: psycopg.Connection[Any], table: str, columns: str,
          rows: Iterable[tuple[Any, ...]]) -> None:
    with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def sent_at(day: str) -> datetime:
    """The time a sent row gets for a digest known only by its UTC day of sending."""
    return datetime.combine(date.fromisoformat(day), time(), UTC)


def load(conn: psycopg.Connection[Any], *, chats: Iterable[Chat] = (),
         sent: Iterable[SentLine] = (), articles: Iterable[Article] = (),
         feeds: dict[str, FeedState] | None = None,
         deliveries: Iterable[Delivery] = ()) -> None:
    """COPY everything given into the store's tables, in one transaction."""
    with conn.transaction():
        _copy(conn, "chats", CHAT_COLUMNS, map(chat_row, chats))
        _copy(conn, "sent", "chat_id, sent_at, local_date, keys",
              ((line.chat_id, sent_at(line.day), line.local_date, list(line.keys))
               for line in sent))
        _copy(conn, "articles", "url, source, title_key, published, day, article",
              map(article_row, articles))
        _copy(conn, "feed_states", "feed, state",
              ((feed, Jsonb(feed_state_to_doc(feed, state)))
               for feed, state in (feeds or {}).items()))
        _copy(conn, "deliveries", "chat_id, local_date, delivery",
              ((d.chat_id, d.local_date, Jsonb(delivery_to_doc(d))) for d in deliveries))


def sent_lines(conn: psycopg.Connection[Any]) -> list[SentLine]:
    """Every digest recorded over the days kept, by its UTC day of sending (oldest first)."""
    rows = conn.execute("SELECT (sent_at AT TIME ZONE 'UTC')::date, chat_id, local_date, keys"
                        f" FROM sent WHERE sent_at >= {SENT_KEPT_FROM}"
                        " ORDER BY sent_at, id").fetchall()
    return [SentLine(day.isoformat(), chat_id, local_date, tuple(keys))
            for day, chat_id, local_date, keys in rows]
