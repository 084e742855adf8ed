"""The processes serving one bot from one PostgreSQL database, and its send rate shared.

Telegram's limit on messages a second is the bot's, whatever number of processes send for
it. Each process writes its row in `processes` (migration 0002: id, host, pid, last seen)
every few seconds, counts the live ones (seen within a few heartbeats) and paces its own
sending at its share: `[delivery] messages_per_second` divided by that count. A process
that starts or stops changes every share within a heartbeat or two; one killed stops
counting once its heartbeats are old. Until then the others send a little under the
limit, never over it, and a 429 on the way is waited out (runtime.ratelimit).

The process id is also the name a process's digest claims carry (runtime.shared_queue).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Any

from psycopg_pool import ConnectionPool
from telegram.ext import CallbackContext, JobQueue

from digest.config import Config
from digest.store.postgres.connect import CONNECT_TIMEOUT
from runtime.ratelimit import ChatRateLimiter, paced
from runtime.shared_queue import SharedDigestQueue

log = logging.getLogger(__name__)

HEARTBEAT = timedelta(seconds=3)
LIVE_BEATS = 3  # a process unseen for this many heartbeats no longer counts
FORGOTTEN = timedelta(days=1)  # rows of processes gone this long are deleted
POOL_SIZE = 12  # the queue's workers finishing digests, claims, renewals, heartbeats


class Processes:
    """This process's heartbeat and its share of the send rate; see the module docstring."""

    def __init__(self, pool: ConnectionPool[Any], limiter: ChatRateLimiter, *,
                 messages_per_second: float, heartbeat: timedelta = HEARTBEAT) -> None:
        self.id = uuid.uuid4().hex
        self._pool = pool
        self._limiter = limiter
        self._total = messages_per_second
        self.heartbeat = heartbeat
        self.live = 0

    def beat(self) -> int:
        """Say this process is alive; the number of live processes (in a thread)."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO processes (process_id, host, pid, last_seen) "
                "VALUES (%s, %s, %s, now()) ON CONFLICT (process_id) "
                "DO UPDATE SET last_seen = now()", (self.id, socket.gethostname(), os.getpid()))
            conn.execute("DELETE FROM processes WHERE last_seen < now() - %s", (FORGOTTEN,))
            row = conn.execute("SELECT count(*) FROM processes WHERE last_seen > now() - %s",
                               (self.heartbeat * LIVE_BEATS,)).fetchone()
        return max(1, int(row[0]) if row else 1)

    def share(self, live: int) -> None:
        """Pace this process at its share of the bot's rate."""
        if live != self.live:  # a change is news; the first count, at start, is not
            log.log(logging.INFO if self.live else logging.DEBUG,
                    "%d processes send for the bot: %.1f messages/s each", live,
                    self._total / live)
        self.live = live
        self._limiter.set_overall_rate(paced(self._total / live))

    def leave(self) -> None:
        """The process stops: the others' shares grow at their next heartbeat."""
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM processes WHERE process_id = %s", (self.id,))


class SharedDelivery:
    """What a process needs to deliver digests with others on one database: a connection
    pool, its heartbeat and rate share, the queue in the database."""

    def __init__(self, config: Config, limiter: ChatRateLimiter) -> None:
        self._pool: ConnectionPool[Any] = ConnectionPool(
            config.storage.database_url, min_size=1, max_size=POOL_SIZE, open=True,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT}, name="delivery")
        self.processes = Processes(self._pool, limiter,
                                   messages_per_second=config.delivery.messages_per_second)
        self.queue = SharedDigestQueue(
            self._pool, self.processes.id,
            lease=timedelta(seconds=config.delivery.lease_seconds))

    async def join(self, job_queue: JobQueue[Any]) -> None:
        """Count this process in and take its share before the first digest goes out;
        then a heartbeat every few seconds."""
        await self._beat(None)
        every = self.processes.heartbeat
        job_queue.run_repeating(self._beat, interval=every, first=every, name="heartbeat")

    async def _beat(self, _context: CallbackContext[Any, Any, Any, Any] | None) -> None:
        """A database away for a moment keeps the last share."""
        try:
            self.processes.share(await asyncio.to_thread(self.processes.beat))
        except Exception:
            log.exception("the heartbeat in the database failed")

    def leave(self) -> None:
        """Put back the digests claimed and not sent, leave the count, close the pool."""
        try:
            self.queue.close()
            self.processes.leave()
        finally:
            self._pool.close()
