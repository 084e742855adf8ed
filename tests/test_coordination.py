"""Whose turn an ingestion pass is, and what a process does when it hears of another's."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from digest.config import Config, IngestConfig, StorageConfig
from digest.store.postgres.passes import pass_turn
from digest.store.postgres.schema import migrate
from runtime.cli import ingest_once
from runtime.coordination import Coordination, DatabaseCoordination, coordination_for

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def test_with_tinydb_every_pass_is_the_processs_own() -> None:
    coordination = coordination_for(Config())
    assert type(coordination) is Coordination
    async with coordination.turn(NOW) as first, coordination.turn(NOW) as second:
        assert first.ours
        assert second.ours
        await first.announce({"new": 1})  # no one to tell


def test_with_postgres_no_pass_starts_within_half_an_interval() -> None:
    config = Config(storage=StorageConfig(backend="postgres", dsn="postgresql:///x"),
                    ingest=IngestConfig(interval_minutes=30))
    coordination = coordination_for(config)
    assert isinstance(coordination, DatabaseCoordination)
    assert coordination._min_gap == timedelta(minutes=15)


class Reloads:
    """Stands for the newsroom: what reload() was asked."""

    def __init__(self) -> None:
        self.calls: asyncio.Queue[bool] = asyncio.Queue()

    async def reload(self, *, articles_changed: bool = True) -> None:
        await self.calls.put(articles_changed)


@pytest.fixture
def database(postgres_url: str) -> str:
    with psycopg.connect(postgres_url) as conn:
        migrate(conn)
    return postgres_url


async def test_another_processs_pass_reloads_the_index_only_when_articles_changed(
        database: str) -> None:
    coordination = DatabaseCoordination(database, timedelta(minutes=15))
    reloads = Reloads()
    newsroom: Any = reloads
    await coordination.start(newsroom)
    try:
        await asyncio.wait_for(coordination.listening.wait(), 10)
        with psycopg.connect(database, autocommit=True) as conn:
            for summary, changed in (('{"new": 0, "pruned": 0, "origin": "b:1"}', False),
                                     ('{"new": 2, "pruned": 0, "origin": "b:1"}', True),
                                     ('{"new": 0, "pruned": 3, "origin": "b:1"}', True)):
                conn.execute("SELECT pg_notify('newsbot_ingested', %s)", (summary,))
                assert await asyncio.wait_for(reloads.calls.get(), 10) is changed
    finally:
        await coordination.stop()


async def test_bot_py_ingest_waits_for_no_one_and_runs_beside_no_pass(
        database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = Config(storage=StorageConfig(backend="postgres", dsn=database,
                                          path=str(tmp_path / "store.json")))
    store: Any = None  # never reached: the pass is not its turn
    async with pass_turn(database, NOW, timedelta(0)) as held:
        assert held.ours
        assert await ingest_once(config, store, []) == 1
    assert capsys.readouterr().err == ("error: another process is running an ingestion "
                                       "pass; try again when it ends\n")
