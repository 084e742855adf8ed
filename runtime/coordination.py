"""Several bot processes on one database: whose turn an ingestion pass is, and hearing of
the passes the others ran.

With TinyDB there is one process (the store's writer lock sees to it): every pass is its
own and there is no one to hear. On PostgreSQL (digest.store.postgres.passes) a pass is
run by the process holding the database's pass lock, at most one pass per half ingestion
interval whoever runs it, and its end is announced; every other process reloads its search
index and edition from the database when it hears of it (Newsroom.reload), so `/latest`
and the digests of each process show the news whichever process fetched it. The database
also sees to it that one process at most long-polls, and never beside processes in
webhook mode (digest.store.postgres.receivers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from digest.config import Config
from digest.ingestion.ingest import IngestReport
from digest.newsroom import Newsroom
from runtime.polling import FIX
from runtime.startup import EXIT_USAGE, StartupError

if TYPE_CHECKING:  # psycopg is installed with the postgres extra only
    from psycopg import AsyncConnection

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

    async def receive_updates(self, *, polling: bool) -> None:
        """This process starts receiving updates (by long polling, or by webhook); a
        StartupError when the processes already running exclude it."""

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
        self._receiving: AsyncConnection[Any] | None = None  # holds the receivers' lock

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
            log.info("ingestion pass %s of %s heard: %s new articles; %s", summary.get("pass"),
                     summary.get("origin"), summary.get("new", 0),
                     "index and edition reloaded" if changed else "edition rebuilt")

        listener = Listener(self._dsn, heard)
        self.listening = listener.listening
        self._listening = asyncio.create_task(listener.run(), name="ingestion-listener")

    async def receive_updates(self, *, polling: bool) -> None:
        """See digest.store.postgres.receivers: one poller, or any number of processes in
        webhook mode, never both."""
        from digest.store.postgres.receivers import hold

        self._receiving = await hold(self._dsn, polling=polling)
        if self._receiving is not None:
            return
        if polling:
            raise StartupError(
                "error: another process on this database receives the bot's updates (by "
                f"long polling or by webhook). {FIX}.", EXIT_USAGE)
        raise StartupError(
            "error: a process on this database receives the bot's updates by long "
            "polling; stop it before starting processes in webhook mode (registering the "
            "webhook would end its polling)", EXIT_USAGE)

    async def stop(self) -> None:
        receiving, self._receiving = self._receiving, None
        if receiving is not None:
            await receiving.close()
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
