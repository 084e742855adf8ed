"""The digest queue in PostgreSQL: claims are exclusive, a lapsed lease is claimed again,
a delivered digest never is. Against a real database (skipped without one)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from psycopg_pool import ConnectionPool

from digest.models import Chat
from digest.schedule import Due
from runtime.digest_queue import Queued
from runtime.shared_queue import SharedDigestQueue

SEVEN = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
DAY = "2026-11-25"
LEASE = timedelta(seconds=1)


def add_chats(pool: ConnectionPool[Any], count: int) -> list[Due]:
    """`count` chats due at seven, and their due digests."""
    with pool.connection() as conn:
        conn.execute("INSERT INTO chats (chat_id, countries) "
                     "SELECT n, '{JP}' FROM generate_series(1, %s) AS n", (count,))
    return [Due(Chat(n, countries=("JP",)), date(2026, 11, 25), SEVEN + timedelta(seconds=n))
            for n in range(1, count + 1)]


def queue(pool: ConnectionPool[Any], name: str, lease: timedelta = LEASE
          ) -> SharedDigestQueue:
    return SharedDigestQueue(pool, name, lease=lease)


class Telegram:
    """Records who sent what, and records it as the Courier does (the chat's last digest)."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self.pool = pool
        self.sent: list[tuple[str, int]] = []
        self.lock = threading.Lock()

    def sender(self, process: str, fail: set[int] | None = None):  # type: ignore[no-untyped-def]
        """A send as the queue's workers call it; chats in `fail` fail once."""
        async def send(item: Queued) -> bool:
            await asyncio.sleep(0.001)
            if fail and item.chat_id in fail:
                fail.discard(item.chat_id)
                return False
            await asyncio.to_thread(self.record, process, item)
            return True
        return send

    def record(self, process: str, item: Queued) -> None:
        with self.pool.connection() as conn:
            conn.execute("UPDATE chats SET last_digest = %s WHERE chat_id = %s",
                         (item.local_date, item.chat_id))
        with self.lock:
            self.sent.append((process, item.chat_id))


async def deliver(*queues: tuple[SharedDigestQueue, Any], until: float = 10.0) -> None:
    """Start each queue's workers and wait until all of them stopped."""
    tasks: list[asyncio.Task[None]] = []

    def spawn(work: Any) -> asyncio.Task[None]:
        tasks.append(task := asyncio.ensure_future(work))
        return task

    for shared, send in queues:
        shared.start(send, 8, lambda: True, spawn)
    await asyncio.wait_for(asyncio.gather(*tasks), until)


def rows(pool: ConnectionPool[Any]) -> list[tuple[Any, ...]]:
    with pool.connection() as conn:
        return conn.execute("SELECT chat_id, claimed_by FROM digest_queue "
                            "ORDER BY chat_id").fetchall()


async def test_two_processes_never_claim_the_same_digest(pool: ConnectionPool[Any]) -> None:
    due = add_chats(pool, 200)
    one, two = queue(pool, "one"), queue(pool, "two")
    for shared in (one, two):  # both checks found the same chats due: queued once
        shared.persist(shared.add(due))
    assert one.backlog(SEVEN + timedelta(minutes=1)).waiting == 200
    telegram = Telegram(pool)
    await deliver((one, telegram.sender("one")), (two, telegram.sender("two")))
    per_chat = Counter(chat_id for _, chat_id in telegram.sent)
    assert per_chat == Counter(range(1, 201))  # each exactly once
    assert {process for process, _ in telegram.sent} == {"one", "two"}  # both delivered
    assert rows(pool) == []


def test_claims_in_parallel_are_disjoint_and_in_due_order(pool: ConnectionPool[Any]) -> None:
    due = add_chats(pool, 60)
    one, two = queue(pool, "one"), queue(pool, "two")
    one.persist(one.add(due))
    results: dict[str, list[Queued]] = {}

    def claim(shared: SharedDigestQueue, name: str) -> None:
        results[name] = shared._claim(25)[0]

    threads = [threading.Thread(target=claim, args=(q, n)) for q, n in ((one, "a"), (two, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [item.chat_id for name in "ab" for item in results[name]]
    assert len(claimed) == len(set(claimed)) == 50
    assert sorted(claimed) == list(range(1, 51))  # the oldest 50
    assert [item.chat_id for item in one._claim(25)[0]] == list(range(51, 61))


async def test_a_lapsed_lease_is_claimed_by_another_process(pool: ConnectionPool[Any]) -> None:
    due = add_chats(pool, 5)
    dead = queue(pool, "dead")
    dead.persist(dead.add(due))
    assert len(dead._claim(5)[0]) == 5  # then killed: never renews, never finishes
    alive = queue(pool, "alive")
    claimed, pause = alive._claim(5)
    assert claimed == []
    assert pause is not None
    assert 0 < pause <= LEASE.total_seconds()
    alive.persist([])  # its next check counts the backlog, and it starts delivering
    telegram = Telegram(pool)
    await deliver((alive, telegram.sender("alive")))  # waits out the lease, then claims
    assert sorted(chat_id for _, chat_id in telegram.sent) == [1, 2, 3, 4, 5]
    assert {process for process, _ in telegram.sent} == {"alive"}


async def test_a_held_lease_is_renewed_while_sending(pool: ConnectionPool[Any]) -> None:
    due = add_chats(pool, 1)
    slow, other = queue(pool, "slow"), queue(pool, "other")
    slow.persist(slow.add(due))
    telegram = Telegram(pool)

    async def send_slowly(item: Queued) -> bool:
        await asyncio.sleep(3 * LEASE.total_seconds())  # longer than a lease
        return await telegram.sender("slow")(item)

    sending = asyncio.create_task(deliver((slow, send_slowly)))
    await asyncio.sleep(2 * LEASE.total_seconds())
    assert other._claim(1)[0] == []  # still held: renewed
    await sending
    assert telegram.sent == [("slow", 1)]


async def test_a_delivered_digest_is_never_claimed_again(pool: ConnectionPool[Any]) -> None:
    due = add_chats(pool, 3)
    first = queue(pool, "first")
    first.persist(first.add(due))
    telegram = Telegram(pool)
    await deliver((first, telegram.sender("first")))
    late = queue(pool, "late")  # a process whose check found them due later
    late.persist(late.add(due))
    assert len(rows(pool)) == 3
    assert late._claim(10) == ([], 0.0)  # claimed, found delivered, dropped
    assert rows(pool) == []
    assert late._claim(10) == ([], None)
    assert sorted(chat_id for _, chat_id in telegram.sent) == [1, 2, 3]


def test_rows_of_forgotten_or_inactive_chats_are_dropped(pool: ConnectionPool[Any]) -> None:
    due = add_chats(pool, 3)
    shared = queue(pool, "one")
    shared.persist(shared.add(due))
    with pool.connection() as conn:
        conn.execute("DELETE FROM chats WHERE chat_id = 1")
        conn.execute("UPDATE chats SET active = false WHERE chat_id = 2")
    shared.load()
    assert rows(pool) == [(3, None)]
    assert [item.chat_id for item in shared._claim(10)[0]] == [3]


async def test_a_failed_digest_is_put_back_and_tried_a_lease_later(
    pool: ConnectionPool[Any],
) -> None:
    due = add_chats(pool, 2)
    one = queue(pool, "one")
    one.persist(one.add(due))
    telegram = Telegram(pool)
    sending = asyncio.create_task(deliver((one, telegram.sender("one", fail={2}))))
    await asyncio.sleep(LEASE.total_seconds() / 2)
    assert telegram.sent == [("one", 1)]
    assert rows(pool) == [(2, None)]  # put back unclaimed, claimable a lease later
    assert 2 in one
    assert 1 not in one
    await sending
    assert telegram.sent == [("one", 1), ("one", 2)]


def test_a_stopping_process_puts_back_what_it_claimed(pool: ConnectionPool[Any]) -> None:
    due = add_chats(pool, 4)
    one = queue(pool, "one", lease=timedelta(minutes=5))
    one.persist(one.add(due))
    assert len(one._claim(4)[0]) == 4
    one.close()
    assert [item.chat_id for item in queue(pool, "two")._claim(4)[0]] == [1, 2, 3, 4]


def test_the_backlog_counts_what_waits_and_the_oldest_wait(pool: ConnectionPool[Any]) -> None:
    due = add_chats(pool, 3)
    shared = queue(pool, "one")
    assert shared.backlog(SEVEN).waiting == 0
    shared.persist(shared.add(due))
    backlog = shared.backlog(SEVEN + timedelta(minutes=10))
    assert backlog.waiting == 3
    assert backlog.oldest_wait_s == pytest.approx(599)


def test_a_failed_digest_is_claimable_again_at_the_next_check(
    pool: ConnectionPool[Any],
) -> None:
    due = add_chats(pool, 2)
    one, two = queue(pool, "one", lease=timedelta(minutes=5)), queue(pool, "two")
    one.persist(one.add(due))
    first, second = one._claim(2)[0]
    assert one._finish(first, delivered=False)  # the network failed: put back
    with pool.connection() as conn:  # the chat blocked the bot: nothing to try again
        conn.execute("UPDATE chats SET active = false WHERE chat_id = %s", (second.chat_id,))
    assert not one._finish(second, delivered=False)
    assert rows(pool) == [(first.chat_id, None)]
    assert two._claim(2)[0] == []  # not before the lease...
    one._failed.add((first.chat_id, first.local_date))
    one.retry_failed()  # ...unless the process that failed checks again
    assert two._claim(2)[0] == [first]
