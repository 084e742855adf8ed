"""Numbered migrations: `sql/NNNN_what.sql`, applied in order at start, each once.

The version reached is kept in the database (`schema_version`), so every process started
on it knows what it holds. Processes starting together migrate one at a time (a
transaction-scoped advisory lock), and a database migrated by a newer release is refused
with one line rather than written by code that does not know its tables.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import psycopg

from digest.store.files import StoreError

# pg_advisory_xact_lock's key for migrations: any constant the bot uses for nothing else.
MIGRATION_LOCK = 0x6E657773_0001  # "news" 1

_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) of every migration shipped, in order."""
    found = []
    for entry in resources.files(__package__).joinpath("sql").iterdir():
        if match := _NAME.fullmatch(entry.name):
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return max((version for version, _ in migrations()), default=0)


def migrate(conn: psycopg.Connection[Any]) -> int:
    """Bring the database to the latest schema; the version it is at. A database newer
    than this code raises StoreError."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                     " version integer PRIMARY KEY,"
                     " applied timestamptz NOT NULL DEFAULT now())")
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        current = int(row[0]) if row else 0
        known = latest_version()
        if current > known:
            raise StoreError(
                f"the database is at schema version {current}, newer than this release "
                f"knows ({known}); run the release that migrated it")
        for version, sql in migrations():
            if version > current:
                conn.execute(sql.encode())  # several statements: no parameters
                conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
                current = version
    return current
