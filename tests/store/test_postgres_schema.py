"""Numbered migrations of the PostgreSQL store, against a real server."""

from __future__ import annotations

import psycopg
import pytest

from digest.store import StoreError
from digest.store.postgres.schema import latest_version, migrate, migrations


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    assert [version for version, _ in migrations()] == list(range(1, latest_version() + 1))


def test_a_database_is_migrated_once_to_the_latest_version(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        assert migrate(conn) == latest_version()
        assert migrate(conn) == latest_version()  # a second start changes nothing
        rows = conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert [version for (version,) in rows] == list(range(1, latest_version() + 1))


def test_a_database_from_a_newer_release_is_refused(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        migrate(conn)
        conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (latest_version() + 1,))
        conn.commit()
        with pytest.raises(StoreError, match=r"schema version \d+, newer than this release"):
            migrate(conn)
