"""The queue of due digests, driven by a fake clock: a backlog outlives the grace period,
and a restart in the middle of one resumes it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.models import Chat
from digest.schedule import DueIndex
from runtime.digest_queue import DigestQueue, Queued

GRACE = timedelta(hours=3)
SEVEN = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


class FakeChats:
    """The store as the queue sees it: chats, and what a delivery records."""

    def __init__(self, count: int) -> None:
        self.chats = {n: Chat(n, countries=("JP",), digest_time="07:00")
                      for n in range(1, count + 1)}

    def get(self, chat_id: int) -> Chat | None:
        return self.chats.get(chat_id)

    def record(self, item: Queued) -> None:
        self.chats[item.chat_id] = replace(self.chats[item.chat_id],
                                           last_digest=item.local_date)


class SlowTelegram:
    """Each digest takes an hour of the fake clock, so five take longer than the grace."""

    def __init__(self, chats: FakeChats, clock: list[datetime], stop_after: int) -> None:
        self.chats, self.clock, self.stop_after = chats, clock, stop_after
        self.delivered: list[int] = []

    async def send(self, item: Queued) -> bool:
        self.clock[0] += timedelta(hours=1)
        self.chats.record(item)
        self.delivered.append(item.chat_id)
        return True

    def running(self) -> bool:
        return len(self.delivered) < self.stop_after


async def run_checks(index: DueIndex, queue: DigestQueue, chats: FakeChats,
                     telegram: SlowTelegram, clock: list[datetime], checks: int) -> None:
    """The digest check as the job runs it, `checks` times, letting the workers run."""
    for _ in range(checks):
        queue.retry_failed()
        queue.persist(queue.add(index.due(clock[0], GRACE, chats.get)))
        queue.start(telegram.send, 1, telegram.running, asyncio.ensure_future)
        for _ in range(20):
            await asyncio.sleep(0)


def index_of(chats: FakeChats) -> DueIndex:
    return DueIndex(chats.chats.values(), default_time="07:30", default_zone="UTC")


async def test_a_backlog_longer_than_the_grace_period_is_still_delivered(
    tmp_path: Path,
) -> None:
    chats = FakeChats(5)
    clock = [SEVEN]
    telegram = SlowTelegram(chats, clock, stop_after=5)
    queue = loaded(DigestQueue(tmp_path / "queue.log", chats.get))
    await run_checks(index_of(chats), queue, chats, telegram, clock, checks=3)
    assert telegram.delivered == [1, 2, 3, 4, 5]  # in due order, then by chat
    assert clock[0] - SEVEN > GRACE
    assert queue.backlog(clock[0]).waiting == 0
    assert (tmp_path / "queue.log").read_text() == ""  # emptied once nothing waits


async def test_a_restart_in_the_middle_of_a_backlog_resumes_it(tmp_path: Path) -> None:
    chats = FakeChats(5)
    clock = [SEVEN]
    before = SlowTelegram(chats, clock, stop_after=2)  # the bot stops after two
    queue = loaded(DigestQueue(tmp_path / "queue.log", chats.get))
    await run_checks(index_of(chats), queue, chats, before, clock, checks=1)
    assert before.delivered == [1, 2]
    assert queue.backlog(clock[0]).waiting == 3

    clock[0] = SEVEN + GRACE + timedelta(hours=1)  # down past the grace period
    after = SlowTelegram(chats, clock, stop_after=3)
    restarted = loaded(DigestQueue(tmp_path / "queue.log", chats.get))
    backlog = restarted.backlog(clock[0])
    assert backlog.waiting == 3
    assert backlog.oldest_wait_s == (clock[0] - SEVEN).total_seconds()
    await run_checks(index_of(chats), restarted, chats, after, clock, checks=2)
    assert after.delivered == [3, 4, 5]  # none twice, none skipped


async def test_a_failed_digest_is_retried_at_the_next_check(tmp_path: Path) -> None:
    chats = FakeChats(1)
    clock = [SEVEN]
    outcomes = [False, True]
    tried: list[int] = []

    async def send(item: Queued) -> bool:
        tried.append(item.chat_id)
        if outcomes.pop(0):
            chats.record(item)
            return True
        return False

    queue = loaded(DigestQueue(tmp_path / "queue.log", chats.get))
    index = index_of(chats)
    for _ in range(3):
        queue.retry_failed()
        queue.persist(queue.add(index.due(clock[0], GRACE, chats.get)))
        queue.start(send, 1, lambda: True, asyncio.ensure_future)
        for _ in range(20):
            await asyncio.sleep(0)
    assert tried == [1, 1]
    assert chats.get(1).last_digest == "2026-11-25"


def loaded(queue: DigestQueue) -> DigestQueue:
    queue.load()
    return queue
