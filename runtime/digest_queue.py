"""The queue of digests that fell due: durable, delivered in due order, never expired.

At a morning peak more digests fall due in one minute than Telegram's 30 messages a second
can carry in hours (100,000 digests of 3 messages take about 3 h). A digest that fell due
while the bot runs therefore waits here until it is delivered, however long the queue; the
grace period only limits what is caught up after the bot was down (`digest.schedule`).

Each digest that falls due is appended to `queue.log` in the store's folder (one write and
one fsync per check) as `chat_id local_date due_timestamp`. Nothing is written when one is
delivered: the chat's last digest date (recorded with what was sent) says so. At start the
log is read again, digests already delivered are left out and the rest written back in
order, so a restart in the middle of a backlog resumes it where it was.

Delivery is in due order (oldest first, then by chat id), one digest per chat at a time,
by a few workers: a chat never waits behind a long digest of another.

`DueQueue` is what the digest check (runtime.jobs) asks of a queue; this file queue is the
one for a TinyDB store (one process). With PostgreSQL the queue lives in the database and
several processes deliver it (runtime.shared_queue).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from digest.models import Chat
from digest.schedule import Due
from digest.store.files import atomic_write, fsync_dir

log = logging.getLogger(__name__)

QUEUE_FILE = "queue.log"


@dataclass(frozen=True, slots=True, order=True)
class Queued:
    due_at: float  # POSIX timestamp: the queue's order
    chat_id: int
    local_date: str

    def line(self) -> str:
        return f"{self.chat_id} {self.local_date} {self.due_at:.0f}\n"


@dataclass(frozen=True, slots=True)
class Backlog:
    waiting: int  # digests due and not yet delivered, those being sent among them
    oldest_wait_s: float  # how long the oldest of them has waited

    def summary(self) -> str:
        return f"{self.waiting} digests waiting, the oldest for {self.oldest_wait_s:.0f} s"


Send = Callable[[Queued], Awaitable[bool]]  # delivers one digest; True once delivered
Spawn = Callable[[Coroutine[None, None, None]], "asyncio.Task[None]"]


class DueQueue(Protocol):
    """The queue of due digests as the digest check uses it: digests are added and made
    durable (`persist`, in a thread), delivered by workers (`start`), and those that failed
    come back for another try (`retry_failed`, at each check)."""

    def load(self) -> None:
        """Take back what a restart left waiting (in a thread, before the first check)."""

    def add(self, due: Iterable[Due]) -> list[Queued]:
        """The digests to queue; `persist` makes them durable."""

    def persist(self, items: list[Queued]) -> None:
        """Make queued digests durable (in a thread)."""

    def retry_failed(self) -> None:
        """Queue again the digests whose sending failed."""

    def backlog(self, now: datetime) -> Backlog:
        """What is waiting, for the log, /stats and /healthz."""

    def start(self, send: Send, workers: int, running: Callable[[], bool],
              spawn: Spawn) -> None:
        """Have up to `workers` tasks deliver the queue."""

    def __contains__(self, chat_id: object) -> bool:
        """A digest of the chat is queued or being sent."""

    def close(self) -> None:
        """Let go of what the queue holds (at shutdown)."""


class DigestQueue:
    """See the module docstring. Not thread-safe: used from the event loop."""

    def __init__(self, path: Path, current: Callable[[int], Chat | None]) -> None:
        self.path = path
        self._current = current
        # Plain tuples (due_at, chat_id, local_date), in Queued's order: the collector stops
        # tracking a tuple of numbers and strings, while 100,000 Queued objects waiting at a
        # peak made each of its full passes (held the GIL, so the event loop) 0.1 s longer.
        self._heap: list[tuple[float, int, str]] = []
        self._members: set[tuple[int, str]] = set()  # (chat, local date) queued or sending
        self._chats: Counter[int] = Counter()  # the chats of the members
        self._sending: dict[tuple[int, str], Queued] = {}
        self._retry: list[Queued] = []
        self._workers: set[asyncio.Task[None]] = set()

    def load(self) -> None:
        """Take back what a restart left waiting (at start, before the first check; it
        reads and rewrites the log, so it runs in a thread)."""
        for item in self._read():
            self._push(item)
        self._rewrite()

    def _read(self) -> Iterable[Queued]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        for line in text.splitlines():
            parts = line.split()
            try:
                item = Queued(float(parts[2]), int(parts[0]), parts[1])
            except (IndexError, ValueError):
                log.warning("%s: line %r left out (a write cut short, or a hand edit)",
                            self.path, line)
                continue
            if not self._delivered(item):
                yield item

    def _delivered(self, item: Queued) -> bool:
        chat = self._current(item.chat_id)
        return chat is None or chat.last_digest >= item.local_date or not chat.active

    def _rewrite(self) -> None:
        """The log holds exactly what is waiting (at start, and once the queue is empty)."""
        atomic_write(self.path, "".join(Queued(*entry).line() for entry in sorted(self._heap)))

    def _push(self, item: Queued) -> bool:
        key = (item.chat_id, item.local_date)
        if key in self._members:
            return False
        self._members.add(key)
        self._chats[item.chat_id] += 1
        heapq.heappush(self._heap, (item.due_at, item.chat_id, item.local_date))
        return True

    def add(self, due: Iterable[Due]) -> list[Queued]:
        """Queue the digests not queued yet; returns the new ones, which `persist` must
        then write (off the event loop when there are many)."""
        return [item for d in due if self._push(item := Queued(
            d.at.timestamp(), d.chat.chat_id, d.local_date.isoformat()))]

    def retry_failed(self) -> None:
        """Digests whose sending failed (network) go back in the queue (they are on disk)."""
        retried, self._retry = self._retry, []
        for item in retried:
            self._forget(item)
            self._push(item)

    def persist(self, items: list[Queued]) -> None:
        """Append queued digests to the log: one write, one fsync. Thread-safe."""
        if not items:
            return
        created = not self.path.exists()
        with open(self.path, "a", encoding="utf-8") as file:
            file.write("".join(item.line() for item in items))
            file.flush()
            os.fsync(file.fileno())
        if created:
            fsync_dir(self.path.parent)

    def _forget(self, item: Queued) -> None:
        key = (item.chat_id, item.local_date)
        if key in self._members:
            self._members.discard(key)
            self._chats[item.chat_id] -= 1
            if not self._chats[item.chat_id]:
                del self._chats[item.chat_id]

    def __contains__(self, chat_id: object) -> bool:
        """A digest of the chat is queued or being sent."""
        return chat_id in self._chats

    def backlog(self, now: datetime) -> Backlog:
        oldest = min([entry[0] for entry in self._heap[:1]]
                     + [item.due_at for item in self._sending.values()], default=None)
        wait = max(0.0, now.timestamp() - oldest) if oldest is not None else 0.0
        return Backlog(len(self._members), wait)

    def _pop(self) -> Queued | None:
        while self._heap:
            item = Queued(*heapq.heappop(self._heap))
            if self._delivered(item):  # e.g. forgotten or blocked the bot meanwhile
                self._forget(item)
                continue
            self._sending[(item.chat_id, item.local_date)] = item
            return item
        return None

    def _finish(self, item: Queued, delivered: bool) -> None:
        key = (item.chat_id, item.local_date)
        self._sending.pop(key, None)
        if not delivered and not self._delivered(item):
            self._retry.append(item)  # stays a member: not queued twice meanwhile
            return
        self._forget(item)
        if not self._members:
            self._rewrite()  # nothing waits: the log starts afresh

    def start(self, send: Send, workers: int, running: Callable[[], bool],
              spawn: Spawn) -> None:
        """Have up to `workers` tasks deliver the queue with `send` (True once delivered);
        `spawn` makes a task of a worker (the application's, so shutdown waits for it)."""
        while len(self._workers) < workers and len(self._workers) < len(self._heap):
            task = spawn(self._work(send, running))
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)

    async def _work(self, send: Send, running: Callable[[], bool]) -> None:
        while running() and (item := self._pop()) is not None:
            delivered = False
            try:
                delivered = await send(item)
            except Exception:
                log.exception("digest for chat %s failed; it will be retried", item.chat_id)
            finally:
                self._finish(item, delivered)

    def close(self) -> None:
        """Nothing to let go: the log is written as the queue changes."""
