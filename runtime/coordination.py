"""Several bot processes on one database: whose turn an ingestion pass is, and hearing of
the passes the others ran.

With TinyDB there is one process (the store's writer lock sees to it): every pass is its
own and there is no one to hear. On PostgreSQL (digest.store.postgres.passes) a pass is
run by the process holding the database's pass lock, at most one pass per half ingestion
interval whoever runs it, and its end is announced; every other process reloads its search
index and edition from the database when it hears of it (Newsroom.reload), so `/latest`
and the digests of each process show the news whichever process fetched it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol

from digest.config import Config
from digest.ingestion.ingest import IngestReport
from digest.newsroom import Newsroom

log = logging.getLogger(__name__)


class Turn(Protocol):
    """A process's turn at an ingestion pass: `ours`, else `skipped` says why."""

    @property
    def ours(self) -> bool: ...

    @property
    def skipped(self) -> str: ...

    async def announce(self, summary: dict[str, Any]) -> None:
        """Tell the other processes the pass ended."""


class _Alone:
    """The turn of the only process: always its own, and no one to tell."""

    ours = True
    skipped = ""

    async def announce(self, summary: dict[str, Any]) -> None:
        pass


class Coordination:
    """One process on its own store (TinyDB): every pass is its own."""

    def turn(self, now: datetime, *, force: bool = False
             ) -> AbstractAsyncContextManager[Turn]:
        """The turn at a pass starting `now`, held while the block runs; `force` (an
        operator's `bot.py ingest`) runs even if another pass ran moments ago."""
        return _alone()

    async def start(self, newsroom: Newsroom) -> None:
        """Keep `newsroom` current with the passes other processes run."""

    async def stop(self) -> None:
        pass


@asynccontextmanager
async def _alone() -> AsyncIterator[Turn]:
    yield _Alone()


class DatabaseCoordination(Coordination):
    """Processes sharing a PostgreSQL database: see the module docstring."""

    def __init__(self, dsn: str, min_gap: timedelta) -> None:
        self._dsn = dsn
        self._min_gap = min_gap
        self._listening: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()  # set while the others' passes can be heard

    def turn(self, now: datetime, *, force: bool = False
             ) -> AbstractAsyncContextManager[Turn]:
        from digest.store.postgres.passes import pass_turn

        return pass_turn(self._dsn, now, self._min_gap, force=force)

    async def start(self, newsroom: Newsroom) -> None:
        from digest.store.postgres.passes import Listener, Summary

        async def heard(summary: Summary | None) -> None:
            if summary is None:  # listening again: a pass may have ended meanwhile
                await newsroom.reload()
                return
            changed = any(summary.get(key) for key in ("new", "pruned", "translated"))
            await newsroom.reload(articles_changed=changed)
            log.info("ingestion pass %s of %s heard: %d new articles; index and edition "
                     "reloaded", summary.get("pass"), summary.get("origin"),
                     summary.get("new", 0))

        listener = Listener(self._dsn, heard)
        self.listening = listener.listening
        self._listening = asyncio.create_task(listener.run(), name="ingestion-listener")

    async def stop(self) -> None:
        task, self._listening = self._listening, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def coordination_for(config: Config) -> Coordination:
    """The coordination the configured store needs."""
    if config.storage.backend == "postgres":
        minutes = config.ingest.interval_minutes / 2
        return DatabaseCoordination(config.storage.database_url, timedelta(minutes=minutes))
    return Coordination()


def summary_of(report: IngestReport) -> dict[str, Any]:
    """What the others are told of a pass: enough to know whether to rebuild the index."""
    return {"new": len(report.new_articles), "pruned": report.pruned,
            "translated": report.translated}
