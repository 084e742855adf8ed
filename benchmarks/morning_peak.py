"""The morning peak: N chats due in the same minute, each with 3 days of send history.

    python -m benchmarks.morning_peak [--chats N] [--window SECONDS] [--articles N]
                                      [--keep FOLDER]

A temporary store gets N chats (100,000 by default) following Japan, Brazil and Germany,
all due at the next whole minute (UTC), each with 3 days x 20 keys of send history, and
15,000 articles. It is written as the previous version's files (schema 3) and opened once
with the code under test, so the same script measures the code before and after a change
(older versions take the history in the chat records, newer ones move it out).

Then a real `bot.py` process (through `benchmarks.loop_probe`, which measures its event
loop stalls) long-polls the fake Bot API of the end-to-end tests, which answers beyond 30
messages in any rolling second with 429, as Telegram does. Meanwhile a user outside the
peak sends /mysubs every 3 s and the wait for each answer is timed.

`gc_pause_max_ms`, `loop_stall_at_s` (after the loop began) and `loop_stall_stack` tell
where the longest stall came from (see `benchmarks.loop_probe`).

`startup_s` runs from starting the process to its answer to a /mysubs sent just before
(the first getUpdates returns it at once).

Time: at 30 messages/s the whole peak takes N x messages per digest / 30 seconds (2.8 h
for 100,000 chats). With `--window S` (default 180) the run stops S seconds after the first
digest went out, and `last_digest_after_s` is extrapolated from the rate reached in the
window (marked so); delivered, twice and skipped are then counts so far. `--window 0` runs
until every chat has its digest. Nothing is sped up: both clocks are real.

After the bot stopped, the same store measures a subscription change (`chat_write_p95_ms`,
200 changes) and recording a sent digest of 29 keys (`record_digest_ms`, mean of 200),
beside stdlib `sqlite3` (WAL, synchronous=FULL, one transaction per change) holding the
same chats and history (`sqlite_chat_write_p95_ms`).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.synthetic import CATALOG_COUNTRIES, catalog_articles
from digest.models import Chat
from digest.store import TinyStore
from tests.e2e.conftest import write_config
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.feed_server import FeedServer

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 30
FIRST_CHAT = 1_000_000
USER = 7
COUNTRIES = CATALOG_COUNTRIES
HISTORY_DAYS, KEYS_PER_DAY, DIGEST_KEYS = 3, 20, 29
DIGEST_PREFIX = "Your news digest"
WRITES = 200


def seed(folder: Path, chats: int, articles: int, due: datetime) -> Path:
    """A schema 3 store: chats sharded with their send history, then opened once."""
    path = folder / "store.json"
    shards = folder / "store.json.d"
    shards.mkdir(parents=True)
    path.write_text(json.dumps({"meta": {"1": {"schema": 3}}, "feeds": {}}))
    days = [(due.date() - timedelta(days=n)).isoformat() for n in range(HISTORY_DAYS)]
    keys = {day: [f"{day}-story-{n:03d}" for n in range(200)] for day in days}
    rng = random.Random(1)
    by_shard: dict[int, dict[str, dict]] = {}
    for chat_id in range(FIRST_CHAT, FIRST_CHAT + chats):
        by_shard.setdefault(chat_id % 128, {})[str(2 * chat_id)] = {
            "chat_id": chat_id, "countries": list(COUNTRIES),
            "digest_time": f"{due:%H:%M}", "timezone": "UTC", "paused": False,
            "active": True, "last_digest": days[1],
            "sent": {day: rng.sample(keys[day], KEYS_PER_DAY) for day in days}}
    for shard, docs in by_shard.items():
        (shards / f"chats-{shard:03d}.json").write_text(json.dumps({"chats": docs}))
    (shards / "manifest.json").write_text(json.dumps(
        {"files": sorted(f"chats-{s:03d}.json" for s in by_shard)}))
    store = TinyStore(path)  # migrates with the code under test
    store.add_articles(catalog_articles(
        articles, due, lambda n: timedelta(minutes=1 + (n * 47) % 2800)))
    store.close()
    return path


def rss_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Replies:
    """A user sending /mysubs every few seconds; the waits for the answers."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api
        self.waits_ms: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            mark = self.api.mark()
            sent = time.perf_counter()
            self.api.push_message(USER, "/mysubs")
            try:
                self.api.wait_for("sendMessage", lambda c: c.params.get("chat_id") == USER,
                                  since=mark, timeout=120)
                self.waits_ms.append((time.perf_counter() - sent) * 1000)
            except AssertionError:
                self.waits_ms.append(120_000)
            self.stop.wait(3)


def digest_counts(api: FakeBotAPI) -> tuple[Counter[int], int]:
    """Digests begun per chat, and messages sent to the peak's chats."""
    starts: Counter[int] = Counter()
    messages = 0
    for call in api.calls("sendMessage"):
        chat_id = call.params.get("chat_id")
        if not call.ok or not isinstance(chat_id, int) or chat_id < FIRST_CHAT:
            continue
        messages += 1
        if call.result["text"].startswith(DIGEST_PREFIX):
            starts[chat_id] += 1
    return starts, messages


def run_bot(folder: Path, store: Path, chats: int, window: float, due: datetime
            ) -> dict[str, float | str]:
    figures: dict[str, float | str] = {}
    feeds = FeedServer().start()
    with FakeBotAPI() as api:
        api.rate_limit(LIMIT)
        config = write_config(folder, api, feeds, storage=f'[storage]\npath = "{store}"\n',
                              level="INFO")
        config.chmod(0o600)  # it holds the token
        probe = folder / "probe.json"
        log = (folder / "bot.log").open("w")
        api.push_message(USER, "/mysubs")  # answered once the bot is up: start-up ends
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.loop_probe", str(probe),
             str(Path.cwd() / "bot.py"), "--config", str(config)],
            cwd=Path.cwd(), stdout=log, stderr=subprocess.STDOUT)
        try:
            api.wait_for("sendMessage", lambda c: c.params.get("chat_id") == USER, timeout=600)
            figures["startup_s"] = round(time.perf_counter() - started, 2)
            replies = Replies(api)
            replies.thread.start()
            first: float | None = None
            first_wall = due
            while True:
                time.sleep(2)
                starts, messages = digest_counts(api)
                if first is None and messages:
                    first = time.perf_counter()
                    first_wall = datetime.now(UTC)
                if len(starts) >= chats or (window and first
                                             and time.perf_counter() - first > window):
                    break
                if process.poll() is not None:
                    raise SystemExit(f"the bot stopped; see {folder / 'bot.log'}")
            elapsed = time.perf_counter() - (first or started)
            replies.stop.set()
            replies.thread.join()
            figures["rss_peak_mb"] = round(rss_peak_mb(process.pid), 1)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
            feeds.stop()
        starts, messages = digest_counts(api)
    per_digest = messages / max(1, sum(starts.values()))
    waits = sorted(replies.waits_ms)
    complete = len(starts) >= chats
    probed = json.loads(probe.read_text())
    rate = messages / elapsed if elapsed else 0.0
    wait_s = (first_wall - due).total_seconds() if first else 0.0
    figures |= {
        "loop_stall_max_ms": probed["loop_stall_max_ms"],
        "gc_pause_max_ms": f"{probed['gc_pause_max_ms']} (generation {probed['gc_generation']})",
        "loop_stall_at_s": probed["stall_at_s"],
        "loop_stall_stack": " > ".join(probed["stall_stack"][-6:]) or "none (under 50 ms)",
        "reply_p95_ms": round(waits[int(0.95 * (len(waits) - 1))], 1) if waits else "none",
        "reply_max_ms": round(waits[-1], 1) if waits else "none",
        "replies": len(waits),
        "digests_delivered": len(starts),
        "digests_twice": sum(1 for n in starts.values() if n > 1),
        "digests_skipped": (chats - len(starts)) if complete else "n/a (window: not all due yet)",
        "messages_per_digest": round(per_digest, 2),
        "rate_msgs_per_s": round(rate, 2),
        "last_digest_after_s": round(wait_s + elapsed, 1) if complete
        else f"{wait_s + chats * per_digest / rate:.0f} (extrapolated from {elapsed:.0f} s)"
        if rate else "none",
        "ideal_last_digest_s": round(chats * per_digest / LIMIT, 1),
    }
    return figures


def p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[-1], 2)


def store_writes(store_path: Path, chats: int, when: datetime) -> dict[str, float]:
    """Our store's and SQLite's writes taken in turns, so that both meet the same disk."""
    store = TinyStore(store_path)
    side = sqlite_store(store_path.parent, chats)
    rng = random.Random(2)
    ids = [FIRST_CHAT + rng.randrange(chats) for _ in range(WRITES)]
    writes, side_writes = [], []
    for n, chat_id in enumerate(ids):
        countries = COUNTRIES[: 1 + n % 3]
        begun = time.perf_counter()
        store.update_chat(chat_id, countries=countries)
        writes.append((time.perf_counter() - begun) * 1000)
        begun = time.perf_counter()
        side.execute("BEGIN")
        side.execute("UPDATE chats SET doc = ? WHERE chat_id = ?",
                     (json.dumps({"chat_id": chat_id, "countries": list(countries)}), chat_id))
        side.execute("COMMIT")
        side_writes.append((time.perf_counter() - begun) * 1000)
    side.close()
    begun = time.perf_counter()
    for n, chat_id in enumerate(ids):
        store.record_digest(chat_id, [f"peak-{n}-{k}" for k in range(DIGEST_KEYS)], when,
                            local_date=when.date().isoformat())
    record_ms = (time.perf_counter() - begun) * 1000 / WRITES
    store.close()
    return {"chat_write_p95_ms": p95(writes), "record_digest_ms": round(record_ms, 2),
            "sqlite_chat_write_p95_ms": p95(side_writes)}


def sqlite_store(folder: Path, chats: int) -> sqlite3.Connection:
    """The same chats and history in SQLite (WAL, synchronous=FULL), for the same changes,
    one transaction each."""
    db = sqlite3.connect(folder / "side.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE chats (chat_id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
    db.execute("CREATE TABLE sent (chat_id INTEGER, day TEXT, keys TEXT)")
    doc = Chat(0, countries=COUNTRIES, digest_time="07:00", timezone="UTC")
    keys = json.dumps([f"2026-11-25-story-{n:03d}" for n in range(KEYS_PER_DAY)])
    db.execute("BEGIN")
    db.executemany("INSERT INTO chats VALUES (?, ?)",
                   ((c, json.dumps({"chat_id": c, "countries": list(doc.countries)}))
                    for c in range(FIRST_CHAT, FIRST_CHAT + chats)))
    db.executemany("INSERT INTO sent VALUES (?, ?, ?)",
                   ((c, f"2026-11-2{d}", keys) for c in range(FIRST_CHAT, FIRST_CHAT + chats)
                    for d in range(HISTORY_DAYS)))
    db.execute("COMMIT")
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=15_000)
    parser.add_argument("--window", type=float, default=180.0,
                        help="seconds of delivery to measure; 0: until every digest is out")
    parser.add_argument("--keep", type=Path, metavar="FOLDER",
                        help="copy the bot's log and the loop probe's findings there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="morning-peak-") as tmp:
        folder = Path(tmp)
        now = datetime.now(UTC)
        # Due at the next whole minute that leaves time to seed and start.
        due = (now + timedelta(minutes=2 + args.chats // 50_000)).replace(second=0,
                                                                          microsecond=0)
        begun = time.perf_counter()
        store = seed(folder, args.chats, args.articles, due)
        print(f"# seeded {args.chats} chats in {time.perf_counter() - begun:.1f} s; "
              f"due at {due:%H:%M} UTC", flush=True)
        figures = run_bot(folder, store, args.chats, args.window, due)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in ("bot.log", "probe.json"):
                shutil.copy(folder / name, args.keep / name)
        figures |= store_writes(store, args.chats, due + timedelta(days=1))
        for name, value in figures.items():
            print(f"{name}: {value}")


if __name__ == "__main__":
    main()
