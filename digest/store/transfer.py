"""Copying a whole store between backends: TinyDB files to PostgreSQL and back (backups).

The target must be empty, so a copy never mixes two stores; afterwards both are counted
(chats, digests sent over the days kept, articles, feed states, digests being sent) and
a difference is an error. The bot must be stopped meanwhile: the source is read as it is
at the start (read-only), the target written in bulk (COPY into PostgreSQL, one write per
file into TinyDB).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from pathlib import Path

import psycopg

from digest.store.files import StoreError, data_files
from digest.store.postgres import bulk, schema
from digest.store.postgres.connect import connect, failure, where
from digest.store.postgres.store import PostgresStore
from digest.store.tinystore import TinyStore


@dataclass(frozen=True)
class Counts:
    """What a store holds, as the migration verifies it."""

    chats: int
    sent: int  # digests recorded over the days kept
    articles: int
    feed_states: int
    deliveries: int

    def lines(self) -> list[str]:
        return [f"{field.name.replace('_', ' ')}: {value}"
                for field, value in zip(fields(self), astuple(self), strict=True)]


def _tiny_counts(store: TinyStore, sent: int | None = None) -> Counts:
    return Counts(len(store.chats()), len(store.sent_lines()) if sent is None else sent,
                  len(store.articles()), len(store.feed_states()), len(store.deliveries()))


def _verified(source: Counts, target: Counts) -> Counts:
    if source != target:
        raise StoreError(f"the copy differs from the source: source {source}, copy {target}")
    return target


def to_postgres(path: Path, dsn: str) -> Counts:
    """Copy the TinyDB store at `path` into the empty database at `dsn`; the counts."""
    if not path.exists():
        raise StoreError(f"{path}: no TinyDB store to migrate")
    source = TinyStore(path, read_only=True)
    try:
        sent = source.sent_lines()
        before = _tiny_counts(source, len(sent))
        with connect(dsn, autocommit=True) as conn:
            try:
                schema.migrate(conn)
                _refuse_non_empty(conn, dsn)
                bulk.load(conn, chats=source.chats(), sent=sent,
                          articles=source.articles(), feeds=source.feed_states(),
                          deliveries=source.deliveries().values())
                after = bulk.counts(conn)
            except psycopg.OperationalError as exc:
                raise failure(dsn, exc) from None
            except psycopg.Error as exc:
                raise StoreError(f"copying into {where(dsn)} failed: "
                                 f"{' '.join(str(exc).split())}") from None
    finally:
        source.close()
    return _verified(before, Counts(*(after[table] for table in bulk.TABLES)))


def _refuse_non_empty(conn: psycopg.Connection[object], dsn: str) -> None:
    held = {table: n for table, n in bulk.counts(conn).items() if n}
    if held:
        what = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in held.items())
        raise StoreError(f"the database at {where(dsn)} is not empty ({what}); "
                         "migrate into an empty database")


def to_tinydb(dsn: str, path: Path) -> Counts:
    """Copy the PostgreSQL store at `dsn` into a new TinyDB store at `path`; the counts."""
    folder = path.with_name(path.name + ".d")
    if path.exists() or data_files(folder):
        raise StoreError(f"{path} already holds a TinyDB store; give a new storage.path "
                         "(or move the old one away)")
    source = PostgresStore(dsn, folder=folder, read_only=True)
    try:
        with connect(dsn, autocommit=True) as conn:
            sent = bulk.sent_lines(conn)
            held = bulk.counts(conn)
        chats, articles = source.chats(), source.articles()
        feeds, deliveries = source.feed_states(), source.deliveries()
    finally:
        source.close()
    held["sent"] = len(sent)  # rows past the days kept may still wait for their deletion
    before = Counts(*(held[table] for table in bulk.TABLES))
    path.parent.mkdir(parents=True, exist_ok=True)
    target = TinyStore(path)
    try:
        target.save_chats(chats)
        target.add_sent_lines(sent)
        target.add_articles(articles)
        target.save_feed_states(feeds)
        for delivery in deliveries.values():
            target.save_delivery(delivery)
    finally:
        target.close()
    copy = TinyStore(path, read_only=True)
    try:
        return _verified(before, _tiny_counts(copy))
    finally:
        copy.close()
