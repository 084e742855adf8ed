"""Store write and start-up costs, side by side with plain TinyDB on the same data.

    python -m benchmarks.store_writes [--plain-samples N]

1. Ingest: a store holding 15,000 articles (30 days x 500) takes one day's 500 new
   articles. Ours: one `add_articles` call. Plain TinyDB: `insert` per article into
   one file (sampled, then scaled to 500, because the full run takes about a minute).
2. Chat writes: with 100,000 chats and 15,000 articles stored, change one chat's
   subscriptions durably 200 times; p50/p95. Plain TinyDB: `update` of the chat
   in one file holding everything (sampled).
3. Start-up: a fresh process opens the store (100,000 chats, 15,500 articles):
   time and that process's peak memory.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

from tinydb import Query, TinyDB

from benchmarks import synthetic
from digest.store import TinyStore

STARTUP = """
import resource, sys, time
started = time.perf_counter()
from digest.store import TinyStore
store = TinyStore(sys.argv[1])
took = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"loaded {len(store.chats()):,} chats and {len(store.articles()):,} articles in "
      f"{took:.2f} s; peak RSS {peak:.0f} MB")
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def article_doc(article) -> dict:
    return asdict(article) | {"published": article.published.isoformat()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plain-samples", type=int, default=20,
                        help="plain TinyDB writes to time (each rewrites the whole file)")
    args = parser.parse_args()
    old = synthetic.articles(days=30, per_day=500, seed=1)
    today = [replace(a, url=a.url + "/new", title=a.title + " new")
             for a in synthetic.articles(days=1, per_day=500, seed=9)]
    chats = synthetic.chats(100_000)

    with tempfile.TemporaryDirectory() as folder:
        ours = TinyStore(Path(folder) / "ours.json")
        ours.add_articles(old)
        ours.save_chats(chats)
        started = time.perf_counter()
        ours.add_articles(today)
        ingest_ours = time.perf_counter() - started

        target = chats[1234]
        chat_times = []
        for n in range(200):
            countries = synthetic.COUNTRIES[n % 50: n % 50 + 3]
            started = time.perf_counter()
            ours.update_chat(target.chat_id, countries=tuple(countries))
            chat_times.append(time.perf_counter() - started)
        ours.close()

        startup_report = subprocess.run(
            [sys.executable, "-c", STARTUP, str(Path(folder) / "ours.json")],
            capture_output=True, text=True, check=True,
        ).stdout.strip()

        plain = TinyDB(Path(folder) / "plain.json")
        plain.table("articles").insert_multiple(article_doc(a) for a in old)
        plain.table("chats").insert_multiple(asdict(c) for c in chats)
        size_mb = (Path(folder) / "plain.json").stat().st_size / 1e6
        started = time.perf_counter()
        for article in today[: args.plain_samples]:
            plain.table("articles").insert(article_doc(article))
        per_insert = (time.perf_counter() - started) / args.plain_samples
        plain_chat_times = []
        chat = Query()
        for n in range(args.plain_samples):
            started = time.perf_counter()
            plain.table("chats").update({"countries": synthetic.COUNTRIES[n: n + 3]},
                                        chat.chat_id == target.chat_id)
            plain_chat_times.append(time.perf_counter() - started)
        plain.close()

    p95_ours, p95_plain = percentile(chat_times, 0.95), percentile(plain_chat_times, 0.95)
    print(f"ingest 500 articles into 15,000: ours {ingest_ours * 1000:.0f} ms (one batch); "
          f"plain TinyDB {per_insert * 500:.1f} s ({per_insert * 1000:.0f} ms per insert x 500, "
          f"{args.plain_samples} sampled; file {size_mb:.0f} MB)")
    print(f"chat write (100,000 chats, 15,500 articles), 200 durable updates: ours "
          f"p50 {statistics.median(chat_times) * 1000:.1f} ms, p95 {p95_ours * 1000:.1f} ms; "
          f"plain TinyDB p50 {statistics.median(plain_chat_times) * 1000:.0f} ms, "
          f"p95 {p95_plain * 1000:.0f} ms ({args.plain_samples} sampled); "
          f"p95 ratio {p95_plain / p95_ours:.0f}x")
    print(f"start-up (fresh process): {startup_report}")


if __name__ == "__main__":
    main()
