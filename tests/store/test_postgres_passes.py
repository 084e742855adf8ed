"""One ingestion pass at a time across processes, and word of its end (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from digest.store.postgres.passes import Listener, Summary, pass_turn
from digest.store.postgres.schema import migrate

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
GAP = timedelta(minutes=15)


@pytest.fixture
def database(postgres_url: str) -> str:
    with psycopg.connect(postgres_url) as conn:
        migrate(conn)
    return postgres_url


async def test_one_pass_at_a_time(database: str) -> None:
    async with pass_turn(database, NOW, GAP) as first:
        assert first.ours
        async with pass_turn(database, NOW, GAP) as second:
            assert not second.ours
            assert second.skipped == "another process is running an ingestion pass"
    async with pass_turn(database, NOW + GAP, GAP) as third:
        assert third.pass_id == (first.pass_id or 0) + 1


async def test_a_pass_started_less_than_the_gap_ago_is_not_repeated(database: str) -> None:
    async with pass_turn(database, NOW, GAP) as first:
        assert first.pass_id == 1
    async with pass_turn(database, NOW + GAP - timedelta(seconds=1), GAP) as soon:
        assert not soon.ours
        assert soon.skipped.startswith("pass 1 started at 12:00:00 UTC by ")
    async with pass_turn(database, NOW + timedelta(minutes=1), GAP, force=True) as forced:
        assert forced.pass_id == 2  # an operator's `bot.py ingest`
    async with pass_turn(database, NOW + timedelta(minutes=1) + GAP, GAP) as later:
        assert later.pass_id == 3


HOLDER = """
import asyncio, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from digest.store.postgres.passes import pass_turn

async def hold():
    async with pass_turn(sys.argv[1], datetime.now(UTC), timedelta(0)) as turn:
        print("held" if turn.ours else "refused", flush=True)
        await asyncio.sleep(60)

asyncio.run(hold())
"""


async def test_a_database_out_of_reach_skips_the_pass_saying_why(tmp_path: Path) -> None:
    nowhere = f"postgresql://newsbot:secret@/newsbot?host={tmp_path}"
    async with pass_turn(nowhere, NOW, GAP) as turn:
        assert not turn.ours
        assert turn.skipped.startswith("cannot use PostgreSQL at postgresql://newsbot@")
        assert "secret" not in turn.skipped


async def test_a_killed_holder_leaves_no_lock_behind(database: str) -> None:
    holder = await asyncio.create_subprocess_exec(sys.executable, "-c", HOLDER, database,
                                                  stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None
        assert (await asyncio.wait_for(holder.stdout.readline(), 10)).strip() == b"held"
        async with pass_turn(database, NOW, GAP, force=True) as refused:
            assert refused.skipped == "another process is running an ingestion pass"
        holder.kill()  # SIGKILL: no unlock, no goodbye to the server
        await holder.wait()
        deadline = time.monotonic() + 10
        while True:  # the server notices the closed socket and releases its locks
            async with pass_turn(database, NOW, GAP, force=True) as turn:
                if turn.ours:
                    break
            assert time.monotonic() < deadline, "the killed holder's lock was never released"
            await asyncio.sleep(0.05)
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()


class Heard:
    """What a listener heard, waited for by the tests."""

    def __init__(self) -> None:
        self.items: asyncio.Queue[Summary | None] = asyncio.Queue()

    async def __call__(self, summary: Summary | None) -> None:
        await self.items.put(summary)

    async def next(self) -> Summary | None:
        return await asyncio.wait_for(self.items.get(), 10)


@pytest.fixture
async def heard(database: str) -> AsyncIterator[tuple[Heard, Listener]]:
    heard = Heard()
    listener = Listener(database, heard, me="another process", first_pause=0.05)
    task = asyncio.create_task(listener.run())
    await asyncio.wait_for(listener.listening.wait(), 10)
    yield heard, listener
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_end_of_a_pass_is_heard_by_the_others(
        database: str, heard: tuple[Heard, Listener]) -> None:
    heard_items, _ = heard
    async with pass_turn(database, NOW, GAP) as turn:
        await turn.announce({"new": 3})
    summary = await heard_items.next()
    assert summary is not None
    assert summary["new"] == 3
    assert summary["pass"] == turn.pass_id
    assert summary["origin"]


async def test_a_process_does_not_hear_its_own_passes(database: str) -> None:
    heard = Heard()
    listener = Listener(database, heard)  # this process
    task = asyncio.create_task(listener.run())
    try:
        await asyncio.wait_for(listener.listening.wait(), 10)
        async with pass_turn(database, NOW, GAP) as turn:
            await turn.announce({"new": 1})
        with psycopg.connect(database, autocommit=True) as conn:  # someone else's word
            conn.execute("SELECT pg_notify('newsbot_ingested', '{\"origin\": \"x\"}')")
        assert await heard.next() == {"origin": "x"}
    finally:
        task.cancel()


async def test_a_dropped_listener_reconnects_and_reports_a_possible_miss(
        database: str, heard: tuple[Heard, Listener], caplog: pytest.LogCaptureFixture
        ) -> None:
    heard_items, listener = heard
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE datname = current_database() AND pid <> pg_backend_pid()")
    assert await heard_items.next() is None  # reconnected: something may have been missed
    assert "listening for other processes' ingestion passes: cannot use PostgreSQL" \
        in caplog.text
    async with pass_turn(database, NOW, GAP) as turn:
        await turn.announce({"new": 2})
    summary = await heard_items.next()
    assert summary is not None
    assert summary["new"] == 2
    assert listener.listening.is_set()
