"""Whole tables in and out at once, with COPY: migrations between backends and benchmarks.

Row by row, 100,000 chats take a minute of round trips; COPY streams them in a second.
Loading is meant for an empty database that no bot uses yet: it sends no notifications.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def _copy(conn: psycopg.Connection[Any], table: str, columns: str, types: list[str],
          rows: Iterable[tuple[Any, ...]]) -> None:
    """Binary COPY with the column types given: the driver's C dumpers, three times
    quicker than text rows (whose arrays are formatted in Python)."""
    with conn.cursor() as cursor, cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _copy_sent(conn: psycopg.Connection[Any], sent: Iterable[SentLine]) -> None:
    """The sent rows (three per chat, twenty keys each) as COPY text written here: the
    driver dumps arrays in Python, five times slower."""
    with conn.cursor() as cursor, cursor.copy(
            "COPY sent (chat_id, sent_at, local_date, keys) FROM STDIN") as copy:
        lines = []
        for line in sent:
            keys = ",".join(f'"{_in_array(key)}"' for key in line.keys)
            lines.append(f"{line.chat_id}\t{line.day} 00:00:00+00\t"
                         f"{_in_copy(line.local_date)}\t{_in_copy('{' + keys + '}')}\n")
            if len(lines) >= 10_000:
                copy.write("".join(lines))
                lines.clear()
        copy.write("".join(lines))


def _in_array(text: str) -> str:
    """A quoted array element's text: backslash and double quote escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _in_copy(text: str) -> str:
    """A COPY text field: backslash and the separators escaped."""
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def load(conn: psycopg.Connection[Any], *, chats: Iterable[Chat] = (),
         sent: Iterable[SentLine] = (), articles: Iterable[Article] = (),
         feeds: dict[str, FeedState] | None = None,
         deliveries: Iterable[Delivery] = ()) -> None:
    """COPY everything given into the store's tables, in one transaction."""
    with conn.transaction():
        _copy(conn, "chats", CHAT_COLUMNS,
              ["bigint", "text[]", "text", "text", "boolean", "boolean", "text"],
              map(chat_row, chats))
        _copy_sent(conn, sent)
        _copy(conn, "articles", "url, source, title_key, published, day, article",
              ["text", "text", "text", "timestamptz", "date", "jsonb"],
              map(article_row, articles))
        _copy(conn, "feed_states", "feed, state", ["text", "jsonb"],
              ((feed, Jsonb(feed_state_to_doc(feed, state)))
               for feed, state in (feeds or {}).items()))
        _copy(conn, "deliveries", "chat_id, local_date, delivery", ["bigint", "text", "jsonb"],
              ((d.chat_id, d.local_date, Jsonb(delivery_to_doc(d))) for d in deliveries))


def sent_lines(conn: psycopg.Connection[Any]) -> list[SentLine]:
    """Every digest recorded over the days kept, by its UTC day of sending (oldest first)."""
    rows = conn.execute("SELECT (sent_at AT TIME ZONE 'UTC')::date, chat_id, local_date, keys"
                        f" FROM sent WHERE sent_at >= {SENT_KEPT_FROM}"
                        " ORDER BY sent_at, id").fetchall()
    return [SentLine(day.isoformat(), chat_id, local_date, tuple(keys))
            for day, chat_id, local_date, keys in rows]
