"""The queue of due digests in PostgreSQL, delivered by every process on the database.

Each process's digest check inserts what fell due into `digest_queue` (migration 0002)
with `ON CONFLICT DO NOTHING`: several processes computing the same due chats insert each
digest once, so no leader is needed. Delivering processes claim rows in due order (oldest
first, then by chat) with `FOR UPDATE SKIP LOCKED`, so no two claim the same row, and
each claim is a lease: renewed while the process holds it, it lapses when the process
dies, and another process claims the digest and the Courier (runtime.delivery) goes on
from the progress kept in `deliveries`, sending only the messages not yet delivered.

A delivered digest's row is deleted after the Courier recorded it (the chat's
`last_digest`), in a transaction of its own: a crash in between leaves a row that the next
claim recognises as delivered, like any row of a chat that had its digest, became
inactive or was forgotten meanwhile, and drops. A digest that failed (network, or a
/digest in progress for the chat) is put back unclaimed: the process's next digest check
makes it claimable again (as the file queue retries at the next check), or, should that
process die, any process a lease later. A process that stops puts back what it held.

The backlog (waiting, oldest wait) is counted in the database by each digest check and
lease renewal, and answered from that count by `backlog`, for the log, /stats and
/healthz.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from psycopg_pool import ConnectionPool

from digest.schedule import Due
from runtime.digest_queue import Backlog, Queued, Send, Spawn

log = logging.getLogger(__name__)

# A row whose digest is no longer to send: delivered, chat inactive or forgotten.
_DELIVERED = """
NOT EXISTS (SELECT 1 FROM chats c WHERE c.chat_id = digest_queue.chat_id AND c.active
            AND c.last_digest < digest_queue.local_date)"""
_CLAIM = f"""
WITH next AS (
    SELECT chat_id, local_date FROM digest_queue
    WHERE lease_until IS NULL OR lease_until < now()
    ORDER BY due_at, chat_id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED)
UPDATE digest_queue SET claimed_by = %(me)s, lease_until = now() + %(lease)s
FROM next
WHERE digest_queue.chat_id = next.chat_id AND digest_queue.local_date = next.local_date
RETURNING digest_queue.chat_id, digest_queue.local_date,
    extract(epoch FROM digest_queue.due_at)::float8, {_DELIVERED}
"""


class SharedDigestQueue:
    """See the module docstring. `process` names this process in its claims."""

    def __init__(self, pool: ConnectionPool[Any], process: str, *, lease: timedelta) -> None:
        self._pool = pool
        self._me = process
        self._lease = lease
        self._claiming = asyncio.Lock()
        self._ready: deque[Queued] = deque()  # claimed, not being sent yet
        self._workers: set[asyncio.Task[None]] = set()
        self._keeper: asyncio.Task[None] | None = None
        self._watching = False  # a worker waits for a lease held elsewhere to lapse
        self._failed: set[tuple[int, str]] = set()  # put back after a failure
        self._waiting = 0  # the backlog as last counted
        self._oldest: float | None = None  # POSIX time the oldest digest waiting fell due

    # -- what the digest check does -------------------------------------------------------

    def load(self) -> None:
        """Drop the rows of digests delivered meanwhile (the others stay for any process)."""
        with self._pool.connection() as conn:
            conn.execute(f"DELETE FROM digest_queue WHERE claimed_by IS NULL AND {_DELIVERED}")
        self._count()

    def add(self, due: Iterable[Due]) -> list[Queued]:
        """Every digest given: the database leaves out those queued already."""
        return [Queued(d.at.timestamp(), d.chat.chat_id, d.local_date.isoformat())
                for d in due]

    def persist(self, items: list[Queued]) -> None:
        """Insert the digests not queued yet (one statement), then count the backlog."""
        if items:
            with self._pool.connection() as conn:
                conn.execute(
                    "INSERT INTO digest_queue (chat_id, local_date, due_at) "
                    "SELECT c, l, to_timestamp(t) FROM unnest(%s::bigint[], %s::text[], "
                    "%s::float8[]) AS d(c, l, t) ON CONFLICT DO NOTHING",
                    ([i.chat_id for i in items], [i.local_date for i in items],
                     [i.due_at for i in items]))
        self._count()

    def retry_failed(self) -> None:
        """Make the digests that failed here claimable at once (a write, rare)."""
        failed, self._failed = self._failed, set()
        if failed:
            with self._pool.connection() as conn:
                conn.execute(
                    "UPDATE digest_queue SET lease_until = NULL WHERE claimed_by IS NULL "
                    "AND (chat_id, local_date) IN "
                    "(SELECT * FROM unnest(%s::bigint[], %s::text[]))",
                    ([c for c, _ in failed], [d for _, d in failed]))

    def _count(self) -> None:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT count(*), extract(epoch FROM min(due_at))::float8 "
                               "FROM digest_queue").fetchone()
        self._waiting, self._oldest = (int(row[0]), row[1]) if row else (0, None)

    def backlog(self, now: datetime) -> Backlog:
        """As counted by the last check or lease renewal, waited until `now`."""
        wait = max(0.0, now.timestamp() - self._oldest) if self._oldest is not None else 0.0
        return Backlog(self._waiting, wait)

    def __contains__(self, chat_id: object) -> bool:
        """A digest of the chat is queued or being sent, by any process (in a thread)."""
        with self._pool.connection() as conn:
            return conn.execute("SELECT 1 FROM digest_queue WHERE chat_id = %s LIMIT 1",
                                (chat_id,)).fetchone() is not None

    # -- delivering -----------------------------------------------------------------------

    def start(self, send: Send, workers: int, running: Callable[[], bool],
              spawn: Spawn) -> None:
        """Have up to `workers` tasks claim and deliver digests while any can be claimed,
        and the leases of what this process holds renewed meanwhile."""
        self._watching = False  # a worker waiting for a lease: claim now instead
        while len(self._workers) < min(workers, self._waiting):
            task = spawn(self._work(send, running))
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)
        if self._workers and self._keeper is None:
            self._keeper = spawn(self._keep_leases(running))

    async def _work(self, send: Send, running: Callable[[], bool]) -> None:
        while running() and (item := await self._next(running)) is not None:
            delivered = False
            try:
                delivered = await send(item)
            except Exception:
                log.exception("digest for chat %s failed; it will be retried", item.chat_id)
            finally:
                if await asyncio.to_thread(self._finish, item, delivered):
                    self._failed.add((item.chat_id, item.local_date))

    async def _next(self, running: Callable[[], bool]) -> Queued | None:
        """The next digest claimed for this process. While none can be claimed but others
        hold some (their leases may lapse: a process killed), one worker waits for the
        first lease to end; the others stop."""
        pause: float | None = None
        while running():
            async with self._claiming:
                if not self._ready:
                    claimed, pause = await asyncio.to_thread(self._claim, len(self._workers))
                    self._ready.extend(claimed)
                if self._ready:
                    return self._ready.popleft()
            if pause is None or self._watching:
                return None
            self._watching = True
            try:  # woken early by a check that queued or put back digests
                await nap(pause, lambda: running() and self._watching)
            finally:
                self._watching = False
        return None

    def _claim(self, limit: int) -> tuple[list[Queued], float | None]:
        """Up to `limit` digests, in due order, claimed with a lease; rows of digests no
        longer to send are dropped. With none to claim: the seconds until a lease held
        elsewhere lapses, or None when the queue is empty."""
        lease = self._lease
        with self._pool.connection() as conn, conn.transaction():
            rows = conn.execute(_CLAIM, {"limit": max(1, limit), "me": self._me,
                                         "lease": lease}).fetchall()
            done = [(chat_id, day) for chat_id, day, _, delivered in rows if delivered]
            if done:
                conn.execute("DELETE FROM digest_queue WHERE (chat_id, local_date) IN "
                             "(SELECT * FROM unnest(%s::bigint[], %s::text[]))",
                             ([c for c, _ in done], [d for _, d in done]))
            claimed = sorted(Queued(due_at, chat_id, day)
                             for chat_id, day, due_at, delivered in rows if not delivered)
            if rows:
                return claimed, 0.0
            row = conn.execute("SELECT extract(epoch FROM min(lease_until) - now())::float8 "
                               "FROM digest_queue").fetchone()
        if row is None or row[0] is None:
            return [], None
        return [], min(max(row[0], 0.05), lease.total_seconds())

    def _finish(self, item: Queued, delivered: bool) -> bool:
        """Delete the row of a digest delivered, or no longer to send (the chat blocked the
        bot meanwhile); put back one that failed, claimable again at this process's next
        check (`retry_failed`), or a lease later by any process; True when put back (in a
        thread)."""
        key = (item.chat_id, item.local_date)
        with self._pool.connection() as conn:
            if delivered:
                conn.execute("DELETE FROM digest_queue WHERE chat_id = %s "
                             "AND local_date = %s", key)
                return False
            if conn.execute(f"DELETE FROM digest_queue WHERE chat_id = %s "
                            f"AND local_date = %s AND {_DELIVERED}", key).rowcount:
                return False
            put_back = conn.execute(
                "UPDATE digest_queue SET claimed_by = NULL, lease_until = now() + %s "
                "WHERE chat_id = %s AND local_date = %s AND claimed_by = %s",
                (self._lease, *key, self._me)).rowcount
        if not put_back:
            log.warning("the claim of chat %s's digest had lapsed; another process "
                        "may have sent it too", item.chat_id)
        return bool(put_back)

    async def _keep_leases(self, running: Callable[[], bool]) -> None:
        """Renew this process's claims a few times per lease while it delivers."""
        try:
            while running() and self._workers:
                await nap(self._lease.total_seconds() / 3, running)
                try:
                    await asyncio.to_thread(self._renew)
                except Exception:  # the database away for a moment: the next try may do
                    log.exception("renewing the digest queue's claims failed")
        finally:
            self._keeper = None

    def _renew(self) -> None:
        with self._pool.connection() as conn:
            conn.execute("UPDATE digest_queue SET lease_until = now() + %s "
                         "WHERE claimed_by = %s", (self._lease, self._me))
        self._count()

    def close(self) -> None:
        """Put back what this process claimed and has not delivered."""
        with self._pool.connection() as conn:
            conn.execute("UPDATE digest_queue SET claimed_by = NULL, lease_until = NULL "
                         "WHERE claimed_by = %s", (self._me,))
        self._ready.clear()


async def nap(seconds: float, running: Callable[[], bool]) -> None:
    """Sleep, waking early once `running()` is false (a stop waits for these tasks)."""
    steps = max(1, math.ceil(seconds / 0.2))
    for _ in range(steps):
        if not running():
            return
        await asyncio.sleep(seconds / steps)
