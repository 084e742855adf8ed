"""Delivering one morning's digests with 1, 2 and 4 `bot.py worker` processes on PostgreSQL,
as paid broadcasts at 1,000 messages a second.

    NEWSBOT_TEST_DATABASE_URL=postgresql://... \\
        python -m benchmarks.delivery_scale [--chats N] [--processes 1 2 4] [--timeout S]

For each number of processes a fresh database holds N chats (20,000 by default), all due
(digest time 00:00 UTC, a day's grace) with one-message digests, and a few articles. That
many real `bot.py worker` processes start on it (nothing polls for updates) with
`[delivery] paid_broadcast = true` and `messages_per_second = 1000`: they share the digest
queue in the database and split the rate among themselves. A fast fake Bot API
(benchmarks/fast_bot_api.py, asyncio in a process of its own) answers sendMessage with 429
beyond 1,000 messages in any rolling second, as Telegram does for paid broadcasts.

Reported per number of processes:

1. Rate: digests / time from the first to the last successful one, as a fraction of
   1,000/s; the 429 answers the fake gave.
2. Exactly once: chats with exactly one digest, with two or more, with none.
3. Elapsed: from starting the processes to the last digest (start-up included).
4. The fake's CPU time over the delivery, as a share of one core: well under 100 %, it
   was not what held the workers back.

The fake, the workers and PostgreSQL share the machine's cores. So first, the fake's own
ceiling: how fast it answers a plain HTTP client (this process, 16 requests at a time,
no bot, no database, no rate limit) sending the same messages, and the CPU time it spent
on them (the client, Python too, may be the slower end of the two).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from benchmarks.fast_bot_api import BotAPIProcess
from digest.models import Chat
from digest.store.postgres import PostgresStore
from tests.e2e.conftest import TOKEN
from tests.e2e.news import article
from tests.feed_server import FeedServer

LIMIT = 1000  # messages per rolling second with paid broadcasts
DIGEST_PREFIX = "Your news digest"
SETTLE = 3.0  # seconds to wait after the last digest, to see any duplicate
ROOT = Path(__file__).resolve().parents[1]
CATALOG = '[[source]]\nname = "Japan Daily"\ncountry = "JP"\nfeed = "{base}/jp.xml"\n' \
          'language = "en"\n'


@dataclass
class Result:
    processes: int
    first: float
    last: float
    started: float
    too_many: int
    once: int
    twice: int
    none: int
    fake_cpu: float  # the fake's CPU seconds from the first to the last digest

    def line(self, chats: int) -> str:
        span = max(self.last - self.first, 1e-9)
        rate = self.once / span
        return (f"{self.processes} process{'es' if self.processes > 1 else ''}: "
                f"{rate:.0f} messages/s ({rate / LIMIT:.2f} of {LIMIT}/s), "
                f"{self.too_many} 429s, chats with one digest {self.once}/{chats}, "
                f"two or more {self.twice}, none {self.none}, "
                f"elapsed {self.last - self.started:.1f} s, "
                f"fake busy {self.fake_cpu / span:.0%} of a core")


def fresh_database(server: str, name: str) -> str:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_conninfo(server, dbname=name)


def seed(url: str, folder: Path, chats: int) -> None:
    now = datetime.now(UTC)
    store = PostgresStore(url, folder=folder)
    store.add_articles([
        article("Japan raises rare earth export quotas", "Japan Daily", "JP", 5, now=now),
        article("Typhoon nears Okinawa and closes schools", "Japan Daily", "JP", 3, now=now),
    ])
    store.save_chats(Chat(100_001 + n, countries=("JP",)) for n in range(chats))
    store.close()


def write_config(folder: Path, api: BotAPIProcess, feeds: FeedServer, url: str) -> Path:
    catalog = folder / "catalog.toml"
    catalog.write_text(CATALOG.format(base=feeds.base))
    config = folder / "bot.toml"
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{api.base_url}"\n'
        f'[storage]\nbackend = "postgres"\ndsn = "{url}"\npath = "{folder / "store"}"\n'
        f'[sources]\ncatalog = "{catalog}"\n'
        '[digest]\ntime = "00:00"\ngrace_hours = 24\n'
        f"[delivery]\npaid_broadcast = true\nmessages_per_second = {LIMIT}\n"
        '[logging]\nlevel = "WARNING"\n')
    return config


def run(server: str, chats: int, count: int, timeout: float) -> Result:
    with tempfile.TemporaryDirectory() as tmp, BotAPIProcess(per_second=LIMIT) as api:
        folder = Path(tmp)
        feeds = FeedServer().start()
        feeds.serve("/jp.xml", b'<rss version="2.0"><channel><title>N</title></channel></rss>')
        url = fresh_database(server, "newsbot_delivery_scale")
        seed(url, folder, chats)
        config = write_config(folder, api, feeds, url)
        started = time.time()
        workers = []
        for n in range(count):
            with open(folder / f"worker{n}.log", "w") as log:
                workers.append(subprocess.Popen(
                    [sys.executable, str(ROOT / "bot.py"), "--config", str(config), "worker"],
                    cwd=folder, stdout=log, stderr=subprocess.STDOUT))
        try:
            deadline = time.monotonic() + timeout
            while api.stats()["messages"] < chats and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(SETTLE)
            stats = api.stats()
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=30)
            feeds.stop()
        errors = [line for n in range(count)
                  for line in (folder / f"worker{n}.log").read_text().splitlines()
                  if "ERROR" in line or "Traceback" in line]
        for line in errors[:5]:
            print(f"  worker log: {line[:200]}", file=sys.stderr)
        if stats["unknown_methods"]:
            print(f"  the fake did not know: {stats['unknown_methods']}", file=sys.stderr)
        received = {int(n): chats for n, chats in stats["chats_by_messages"].items()}
        return Result(count, stats["first"], stats["last"], started, stats["too_many"],
                      received.get(1, 0), sum(c for n, c in received.items() if n > 1),
                      chats - sum(received.values()), stats["cpu"])


CEILING_REQUESTS = 5000
CEILING_CONCURRENCY = 16


async def ceiling(base_url: str) -> float:
    """Requests a second the fake answers to a plain client sending digest-like messages."""
    limits = httpx.Limits(max_connections=CEILING_CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        slots = asyncio.Semaphore(CEILING_CONCURRENCY)

        async def send(n: int) -> None:
            async with slots:
                answer = await client.post(f"{base_url}{TOKEN}/sendMessage", data={
                    "chat_id": 100_001 + n, "text": f"{DIGEST_PREFIX} <b>{n}</b>",
                    "parse_mode": "HTML"})
                answer.raise_for_status()

        start = time.monotonic()
        await asyncio.gather(*(send(n) for n in range(CEILING_REQUESTS)))
        return CEILING_REQUESTS / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=20_000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    server = os.environ.get("NEWSBOT_TEST_DATABASE_URL", "")
    if not server:
        sys.exit("set NEWSBOT_TEST_DATABASE_URL to a PostgreSQL server "
                 "(.ci/postgres start DIR prints one)")
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    print(f"{args.chats} chats due, one-message digests, paid broadcast at {LIMIT}/s; "
          f"{os.cpu_count()} cores", flush=True)
    with BotAPIProcess(per_second=None) as api:
        rate, busy = asyncio.run(ceiling(api.base_url)), api.stats()["cpu"]
    print(f"the fake Bot API answers a plain client at {rate:.0f} requests/s, using "
          f"{busy:.2f} s of CPU for {CEILING_REQUESTS}: its own ceiling is about "
          f"{CEILING_REQUESTS / busy:.0f} requests/s on one core", flush=True)
    for count in args.processes:
        print(run(server, args.chats, count, args.timeout).line(args.chats), flush=True)


if __name__ == "__main__":
    main()
