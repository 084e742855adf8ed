"""The processes on one database and the send rate they share (against a real database)."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg_pool import ConnectionPool

from runtime.processes import HEARTBEAT, LIVE_BEATS, Processes
from runtime.ratelimit import ChatRateLimiter, paced

TOTAL = 1000


def process(pool: ConnectionPool[Any]) -> tuple[Processes, ChatRateLimiter]:
    limiter = ChatRateLimiter()
    return Processes(pool, limiter, messages_per_second=TOTAL), limiter


def test_the_rate_is_split_among_the_live_processes(pool: ConnectionPool[Any]) -> None:
    (one, one_limiter), (two, two_limiter) = process(pool), process(pool)
    one.share(one.beat())
    assert one_limiter.overall_rate == pytest.approx(paced(TOTAL))  # alone: all of it
    two.share(two.beat())
    one.share(one.beat())
    assert one_limiter.overall_rate == pytest.approx(paced(TOTAL / 2))
    assert two_limiter.overall_rate == pytest.approx(paced(TOTAL / 2))
    two.leave()
    one.share(one.beat())
    assert one_limiter.overall_rate == pytest.approx(paced(TOTAL))


def test_a_process_no_longer_heard_of_stops_counting(pool: ConnectionPool[Any]) -> None:
    one, limiter = process(pool)
    with pool.connection() as conn:  # killed: its last heartbeat long ago, and one alive
        conn.execute("INSERT INTO processes VALUES ('killed', 'h', 1, now() - %s), "
                     "('alive', 'h', 2, now())", (HEARTBEAT * (LIVE_BEATS + 1),))
    one.share(one.beat())
    assert one.live == 2
    assert limiter.overall_rate == pytest.approx(paced(TOTAL / 2))
