"""Several processes on one database: one ingestion pass at a time, and word of its end.

A pass runs while its process holds a session advisory lock (`pg_try_advisory_lock`) on a
connection opened for the pass and closed after it. A process that does not get the lock
skips that pass; a holder that dies (kill -9, a lost network) loses its connection and
PostgreSQL releases the lock with it, so there is never a stale lock to clear. Whoever holds
the lock also skips when a pass started less than `min_gap` ago (the table
`ingestion_pass`): N processes whose timers run at different moments read the feeds about
as often as one.

At the end of a pass the holder sends `NOTIFY newsbot_ingested` with a small JSON summary;
every other process LISTENs on a connection of its own (`Listener`) and reloads its search
index and edition from the database. A listening connection that drops is opened again
with growing pauses, and the listener reports a reconnection as a change, since a
notification sent while it was away is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from digest.store.postgres.connect import CONNECT_TIMEOUT, failure, mask

log = logging.getLogger(__name__)

# pg_try_advisory_lock's key for the ingestion pass (migrations use "news" 1).
PASS_LOCK = 0x6E657773_0003  # "news" 3
CHANNEL = "newsbot_ingested"
FIRST_PAUSE = 1.0  # seconds before listening again after a dropped connection; doubles
MAX_PAUSE = 60.0
PING_EVERY = 30.0  # seconds without a notification after which the connection is checked

Summary = dict[str, Any]


def origin() -> str:
    """This process, as passes and notifications name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Turn:
    """A process's turn at an ingestion pass: `pass_id` when it is ours to run, else
    `skipped` says why not."""

    pass_id: int | None
    skipped: str = ""
    _conn: psycopg.AsyncConnection[Any] | None = None

    @property
    def ours(self) -> bool:
        return self.pass_id is not None

    async def announce(self, summary: Summary) -> None:
        """Tell the other processes the pass ended (`summary` plus the pass and its
        process), while still holding the lock."""
        if self._conn is None or self.pass_id is None:
            return
        payload = json.dumps({**summary, "pass": self.pass_id, "origin": origin()})
        try:
            await self._conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
        except psycopg.OperationalError as exc:  # the lock went with the connection
            log.warning("ingestion pass %d: the connection holding its lock was lost (%s); "
                        "the other processes hear of its articles after the next pass",
                        self.pass_id, mask(" ".join(str(exc).split())))


@asynccontextmanager
async def pass_turn(dsn: str, now: datetime, min_gap: timedelta, *, force: bool = False
                    ) -> AsyncIterator[Turn]:
    """The turn at an ingestion pass starting `now`, the lock held until the block ends.
    `force` (an operator's `bot.py ingest`) ignores a recent pass, never the lock. A
    database out of reach skips the pass too, saying why."""
    try:
        conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True,
                                                     connect_timeout=CONNECT_TIMEOUT)
    except psycopg.OperationalError as exc:
        yield Turn(None, str(failure(dsn, exc)))
        return
    async with conn:
        row = await (await conn.execute("SELECT pg_try_advisory_lock(%s)", (PASS_LOCK,))
                     ).fetchone()
        if not (row and row[0]):
            yield Turn(None, "another process is running an ingestion pass")
            return
        last = await (await conn.execute(
            "SELECT pass, started, origin FROM ingestion_pass")).fetchone()
        if last is not None and not force and now - last[1] < min_gap:
            yield Turn(None, f"pass {last[0]} started at {last[1]:%H:%M:%S} UTC "
                             f"by {last[2]}, less than {min_gap} ago")
            return
        started = await (await conn.execute(
            "INSERT INTO ingestion_pass (pass, started, origin) VALUES (1, %s, %s)"
            " ON CONFLICT (only_row) DO UPDATE SET pass = ingestion_pass.pass + 1,"
            " started = excluded.started, origin = excluded.origin RETURNING pass",
            (now, origin()))).fetchone()
        assert started is not None
        yield Turn(int(started[0]), _conn=conn)
    # Closing the connection released the lock.


Heard = Callable[[Summary | None], Awaitable[None]]


class Listener:
    """Hears of the passes other processes end: `heard(summary)` for each, and
    `heard(None)` after a reconnection (something may have been missed)."""

    def __init__(self, dsn: str, heard: Heard, *, first_pause: float = FIRST_PAUSE,
                 max_pause: float = MAX_PAUSE, ping_every: float = PING_EVERY,
                 me: str = "") -> None:
        self._dsn = dsn
        self._heard = heard
        self._first_pause = first_pause
        self._max_pause = max_pause
        self._ping_every = ping_every
        self._me = me or origin()  # its own passes are not news to a process
        self.listening = asyncio.Event()  # set while LISTEN is in effect (tests wait on it)

    async def run(self) -> None:
        """Listen until cancelled, reconnecting with growing pauses."""
        pause, connected = self._first_pause, False
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        self._dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    if connected:
                        log.info("listening again for other processes' ingestion passes")
                        await self._tell(None)
                    connected, pause = True, self._first_pause
                    await self._listen(conn)
            except psycopg.OperationalError as exc:
                self.listening.clear()
                log.warning("listening for other processes' ingestion passes: %s; again in "
                            "%g s", failure(self._dsn, exc), pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, self._max_pause)

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while True:
            async for note in conn.notifies(timeout=self._ping_every):
                summary = _summary(note.payload)
                if summary.get("origin") != self._me:
                    await self._tell(summary)
            await conn.execute("SELECT 1")  # a dead connection says so here

    async def _tell(self, summary: Summary | None) -> None:
        """Pass it on; a failure to act on it (the database busy, say) is logged and the
        listening goes on: the next pass brings the news again."""
        try:
            await self._heard(summary)
        except Exception:
            log.exception("acting on another process's ingestion pass failed")


def _summary(payload: str) -> Summary:
    try:
        summary = json.loads(payload)
    except ValueError:
        summary = None
    return summary if isinstance(summary, dict) else {"payload": payload}
