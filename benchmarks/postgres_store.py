"""The PostgreSQL store at a million chats, beside the TinyDB store at 100,000.

    python -m benchmarks.postgres_store [--chats N] [--tinydb-chats N] [--url URL]
                                        [--sample N]

Without `--url` a throwaway cluster with PostgreSQL's durable defaults is started in a
temporary folder (`.ci/postgres start DIR --durable`) and stopped at the end; with it,
the database at URL must be empty (it is filled and left as it is).

Both stores get the same shape of data: N chats following Japan, Brazil and Germany, all
due at the same minute, each with 3 days x 20 keys of send history (as
`benchmarks.morning_peak` builds it), and 30 days of articles, 500 a day. PostgreSQL is
loaded with COPY (`load_s`); TinyDB written as `morning_peak` does.

Each store is then measured in a fresh process (`--measure`), as the bot would start:
* `startup_s`: from starting the process (interpreter, imports) to the first answered read
  (`runtime.startup.open_store`, then `chat(id)`);
* `chats_s` and `due_index_s`: reading every chat and filing them by zone and time, what
  the bot does after it starts (`runtime.jobs`);
* `subscription_change_p95_ms`: `update_chat` on 200 random chats;
* `record_digest_first_ms` (the first of a day: it also drops the day that left the
  history) and `record_digest_ms` (the mean of the next 200, 29 keys each);
* `compose_per_digest_ms` and `compose_all_s`: `Newsroom.digest_for` (the chat and its
  history read from the store, the digest composed from the edition) for `--sample` due
  chats, extrapolated to every chat (marked so);
* `rss_peak_mb`: the measuring process's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.synthetic import CATALOG_COUNTRIES, catalog_articles
from digest.models import Article, Chat
from digest.store import Store
from digest.store.sent import SentLine

ROOT = Path(__file__).resolve().parents[1]
FIRST_CHAT = 1_000_000
COUNTRIES = CATALOG_COUNTRIES
HISTORY_DAYS, KEYS_PER_DAY, DIGEST_KEYS = 3, 20, 29
ARTICLE_DAYS, ARTICLES_PER_DAY = 30, 500
WRITES = 200
DUE = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def month_of_articles(now: datetime) -> list[Article]:
    return catalog_articles(ARTICLE_DAYS * ARTICLES_PER_DAY, now,
                            lambda n: timedelta(minutes=1 + n * 24 * 60 // ARTICLES_PER_DAY))


def chats(count: int) -> Iterator[Chat]:
    last = (DUE.date() - timedelta(days=1)).isoformat()
    for chat_id in range(FIRST_CHAT, FIRST_CHAT + count):
        yield Chat(chat_id, countries=COUNTRIES, digest_time=f"{DUE:%H:%M}", timezone="UTC",
                   last_digest=last)


def sent_lines(count: int) -> Iterator[SentLine]:
    days = [(DUE.date() - timedelta(days=n)).isoformat() for n in range(HISTORY_DAYS)]
    keys = {day: [f"{day}-story-{n:03d}" for n in range(200)] for day in days}
    rng = random.Random(1)
    for chat_id in range(FIRST_CHAT, FIRST_CHAT + count):
        for day in days:
            yield SentLine(day, chat_id, day, tuple(rng.sample(keys[day], KEYS_PER_DAY)))


def seed_postgres(url: str, count: int) -> float:
    from digest.store.postgres import bulk, schema
    from digest.store.postgres.connect import connect

    begun = time.perf_counter()
    with connect(url, autocommit=True) as conn:
        schema.migrate(conn)
        if any(bulk.counts(conn).values()):
            raise SystemExit("the database is not empty")
        bulk.load(conn, chats=chats(count), sent=sent_lines(count),
                  articles=month_of_articles(DUE))
        conn.execute("ANALYZE")
    return time.perf_counter() - begun


def seed_tinydb(folder: Path, count: int) -> tuple[Path, float]:
    from benchmarks.morning_peak import seed
    from digest.store import TinyStore

    begun = time.perf_counter()
    path = seed(folder, count, 0, DUE)  # the chats and their history, as morning_peak
    store = TinyStore(path)
    store.add_articles(month_of_articles(DUE))
    store.close()
    return path, time.perf_counter() - begun


# -- measuring, in a process of its own --------------------------------------------------

def measure(storage_args: list[str], count: int, sample: int) -> dict[str, object]:
    """Start a measuring process; its figures (start-up timed from here)."""
    begun = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.postgres_store", "--measure", *storage_args,
         "--chats", str(count), "--sample", str(sample)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    ready = process.stdout.readline()
    startup = time.perf_counter() - begun
    if ready.strip() != "ready":
        raise SystemExit(f"the measuring process failed: {ready}")
    figures: dict[str, object] = {"startup_s": round(startup, 2)}
    figures |= json.loads(process.stdout.read())
    if process.wait() != 0:
        raise SystemExit("the measuring process failed")
    return figures


def p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[-1], 2)


def measured(backend: str, target: str, count: int, sample: int) -> dict[str, object]:
    from digest.config import Config, StorageConfig
    from digest.schedule import DueIndex
    from runtime.startup import open_store

    if backend == "postgres":
        folder = Path(tempfile.mkdtemp(prefix="pg-bench-"))
        storage = StorageConfig(backend="postgres", path=str(folder / "store.json"),
                                dsn=target)
    else:
        storage = StorageConfig(path=target)
    store = open_store(Config(storage=storage))
    assert store.chat(FIRST_CHAT) is not None
    print("ready", flush=True)
    figures: dict[str, object] = {}
    begun = time.perf_counter()
    every = store.chats()
    figures["chats_s"] = round(time.perf_counter() - begun, 2)
    begun = time.perf_counter()
    DueIndex(every, default_time="07:00", default_zone="UTC")
    figures["due_index_s"] = round(time.perf_counter() - begun, 2)
    del every
    rng = random.Random(2)
    ids = [FIRST_CHAT + rng.randrange(count) for _ in range(WRITES + 1)]
    writes = []
    for n, chat_id in enumerate(ids[:WRITES]):
        begun = time.perf_counter()
        store.update_chat(chat_id, countries=COUNTRIES[: 1 + n % 3])
        writes.append((time.perf_counter() - begun) * 1000)
    figures["subscription_change_p95_ms"] = p95(writes)
    when = DUE + timedelta(days=1)
    local = when.date().isoformat()
    begun = time.perf_counter()
    store.record_digest(ids[-1], [f"peak-first-{k}" for k in range(DIGEST_KEYS)], when,
                        local_date=local)
    figures["record_digest_first_ms"] = round((time.perf_counter() - begun) * 1000, 1)
    begun = time.perf_counter()
    for n, chat_id in enumerate(ids[:WRITES]):
        store.record_digest(chat_id, [f"peak-{n}-{k}" for k in range(DIGEST_KEYS)], when,
                            local_date=local)
    figures["record_digest_ms"] = round((time.perf_counter() - begun) * 1000 / WRITES, 2)
    figures |= asyncio.run(compose(store, count, sample))
    figures["rss_peak_mb"] = rss_peak_mb()
    store.close()
    return figures


async def compose(store: Store, count: int, sample: int) -> dict[str, object]:
    from digest.config import Config
    from digest.ingestion.sources import load_catalog
    from digest.newsroom import Newsroom
    from tests.e2e.conftest import CATALOG

    with tempfile.TemporaryDirectory() as folder:
        catalog = Path(folder) / "catalog.toml"
        catalog.write_text(CATALOG.format(base="http://127.0.0.1:9"))  # never fetched
        sources = load_catalog(str(catalog))
    now = DUE + timedelta(days=1, minutes=1)
    newsroom = Newsroom(Config(), store, sources, clock=lambda: now)
    await newsroom.open()
    try:
        edition = await newsroom.edition()
        rng = random.Random(3)
        chosen = [FIRST_CHAT + rng.randrange(count) for _ in range(min(sample, count))]
        begun = time.perf_counter()
        for chat_id in chosen:
            newsroom.digest_for(chat_id, now, edition)
        per_digest = (time.perf_counter() - begun) / len(chosen)
    finally:
        await newsroom.close()
    every = per_digest * count
    return {"compose_per_digest_ms": round(per_digest * 1000, 3),
            "compose_all_s": f"{every:.0f} (extrapolated from {len(chosen)} digests)"
            if len(chosen) < count else round(every, 1)}


def rss_peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


# -- the run ------------------------------------------------------------------------------

def cluster(folder: Path) -> str:
    return subprocess.run([str(ROOT / ".ci" / "postgres"), "start", str(folder), "--durable"],
                          check=True, capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1_000_000)
    parser.add_argument("--tinydb-chats", type=int, default=100_000)
    parser.add_argument("--url", help="an empty database (default: a throwaway cluster)")
    parser.add_argument("--sample", type=int, default=20_000,
                        help="digests composed per store, extrapolated to every chat")
    parser.add_argument("--measure", nargs=2, metavar=("BACKEND", "TARGET"),
                        help=argparse.SUPPRESS)  # the measuring process
    args = parser.parse_args()
    if args.measure:
        backend, target = args.measure
        print(json.dumps(measured(backend, target, args.chats, args.sample)))
        return
    with tempfile.TemporaryDirectory(prefix="postgres-store-") as tmp:
        folder = Path(tmp)
        url = args.url
        if url is None:
            folder.chmod(0o755)  # as root the cluster runs as the postgres user
            (folder / "pg").mkdir()
            url = cluster(folder / "pg")
        try:
            print(f"# postgres: loading {args.chats} chats", flush=True)
            load = seed_postgres(url, args.chats)
            print(f"postgres_chats: {args.chats}\npostgres_load_s: {load:.1f}", flush=True)
            for name, value in measure(["postgres", url], args.chats, args.sample).items():
                print(f"postgres_{name}: {value}", flush=True)
            path, load = seed_tinydb(folder / "tiny", args.tinydb_chats)
            print(f"tinydb_chats: {args.tinydb_chats}\ntinydb_load_s: {load:.1f}", flush=True)
            for name, value in measure(["tinydb", str(path)], args.tinydb_chats,
                                       args.sample).items():
                print(f"tinydb_{name}: {value}", flush=True)
        finally:
            if args.url is None:
                subprocess.run([str(ROOT / ".ci" / "postgres"), "stop", str(folder / "pg")],
                               check=False)


if __name__ == "__main__":
    main()
