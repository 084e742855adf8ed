"""The store backend the end-to-end suite runs on: TinyDB by default, PostgreSQL with
NEWSBOT_E2E_STORE=postgres (a fresh database per test, from the `postgres_url` fixture).

Tests never name a backend: they take `storage(folder)` for a config, `storage_toml(folder)`
for a config file of a `bot.py` process, and `open_store(storage)` to look into (or seed)
the store. Tests of what only TinyDB has (its files, the writer lock) are `tinydb_only`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digest.config import StorageConfig
from digest.store import Store, TinyStore

E2E_STORE_ENV = "NEWSBOT_E2E_STORE"
BACKEND = os.environ.get(E2E_STORE_ENV, "tinydb")

tinydb_only = pytest.mark.skipif(
    BACKEND == "postgres", reason="about the TinyDB store's own files (damaged files, the "
    f"writer lock, storage.path); {E2E_STORE_ENV}=postgres runs the suite on PostgreSQL")


class Database:
    """The current test's database (set by the e2e conftest's autouse fixture)."""

    url = ""


def storage(folder: Path) -> StorageConfig:
    """The store of a test whose files live in `folder`."""
    path = str(folder / "store.json")
    if BACKEND == "postgres":
        assert Database.url, "no database for this test"
        return StorageConfig(backend="postgres", path=path, dsn=Database.url)
    return StorageConfig(path=path)


def storage_toml(folder: Path) -> str:
    """The [storage] section of a config file for `storage(folder)`."""
    config = storage(folder)
    lines = [f'[storage]\npath = "{config.path}"\n']
    if config.backend == "postgres":
        lines.append(f'backend = "postgres"\ndsn = "{config.dsn}"\n')
    return "".join(lines)


def open_store(config: StorageConfig, *, read_only: bool = False) -> Store:
    """The test's store, opened as the bot opens it."""
    if config.backend == "postgres":
        from digest.store.postgres import PostgresStore

        folder = Path(config.path + ".d")
        folder.mkdir(parents=True, exist_ok=True)
        return PostgresStore(config.dsn, folder=folder, read_only=read_only)
    return TinyStore(config.path, read_only=read_only)
