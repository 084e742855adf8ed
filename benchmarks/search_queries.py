"""Topic search on 15,000 articles: index cost, query latency, and a plain TinyDB scan.

    python -m benchmarks.search_queries [--queries N] [--plain-samples N]

1. Build: one `SearchIndex.add` of 15,000 synthetic news articles (48 h of news from
   150 outlets, `synthetic.news`), then one ingestion pass done the way the bot does
   it: add 500 new articles (a prune, a day at a time, builds a new index).
2. Memory: what the index allocates (tracemalloc), the articles themselves excluded:
   they exist anyway, in the store.
3. Queries: a few hundred varied questions, as users type them (names of people and
   places, subject words, both, with "in <country>", question phrasing, a country
   alone, words no article has) and three words picked from a summary, the slow case:
   the generator puts words such as "year" and "said" in almost every summary. Each is
   `parse_query` + `search(limit=20)`; p50 / p95.
4. Plain TinyDB, side by side: the same articles in one TinyDB file (one
   `insert_multiple`), each question answered by `table.search` testing that every
   topic word occurs in the title or the summary (and the country), newest first. Each
   search reads and parses the whole file, so only a sample of the questions is timed.
   It answers a simpler question (no stemming, no relevance gate); only its cost is
   compared.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import asdict, replace
from datetime import timedelta
from pathlib import Path

from tinydb import TinyDB, where

from benchmarks import synthetic
from digest.countries import by_code
from digest.search.index import SearchIndex
from digest.search.query import Query, parse_query

ARTICLES = 15_000
PASS = 500
LIMIT = 20
P95_TARGET_MS = 10.0
BUILD_TARGET_S = 2.0  # the index is built once at start-up, from the store
MEMORY_TARGET_MB = 50.0  # "comfortably": well under what the store itself holds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def questions(articles: list, count: int, seed: int = 7) -> list[str]:
    """Questions about what is in the articles, phrased in the ways users phrase them."""
    rng = random.Random(seed)
    phrasings = ("{}", "/latest {}", "what's the latest on {}?", "news about {}",
                 "any news on {} please", "tell me about {}")
    subjects = ("tariffs", "election", "court ruling", "drought", "oil", "vaccine", "strike",
                "rare earths", "central bank rates", "wildfire", "border talks", "budget")
    found: list[str] = []
    while len(found) < count:
        a = rng.choice(articles)
        names = [w for w in a.title.replace(":", "").split() if w[:1].isupper()]
        kind = rng.randrange(7)
        if kind == 0:
            topic = rng.choice(names)
        elif kind == 1:
            topic = f"{rng.choice(names)} {rng.choice(a.summary.split()[1:6])}"
        elif kind == 2:
            topic = rng.choice(subjects)
        elif kind == 3:
            topic = " ".join(rng.sample(a.summary.rstrip(".").split(), 3))
        elif kind == 4:
            topic = f"{rng.choice(subjects)} in {_name(a.country)}"
        elif kind == 5:
            found.append(f"latest from {_name(a.country)}")
            continue
        else:
            topic = rng.choice(("Zorblax", "quantum llama", "Kazakhstan rare earths"))
        found.append(rng.choice(phrasings).format(topic))
    return found


def _name(code: str) -> str:
    country = by_code(code)
    assert country is not None, code
    return country.name


def plain_search(table, query: Query) -> list[dict]:
    """What a plain TinyDB scan answers: every word in the title or summary, newest first."""
    words = [w.casefold() for w in query.topic.split()]

    def has_words(value: object) -> bool:
        text = str(value).casefold()
        return all(w in text for w in words)

    test = where("title").test(has_words) | where("summary").test(has_words)
    if query.country:
        test = test & (where("country") == query.country)
    docs = table.search(test) if words or query.country else []
    return sorted(docs, key=lambda d: d["published"], reverse=True)[:LIMIT]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--plain-samples", type=int, default=40,
                        help="questions answered by the TinyDB scan (each reads the file)")
    args = parser.parse_args()
    articles = synthetic.news(ARTICLES)
    newest = max(a.published for a in articles)
    fresh = [replace(a, url=f"{a.url}/next", published=a.published + timedelta(hours=48))
             for a in articles[:PASS]]
    asked = questions(articles, args.queries)

    gc.collect()
    started = time.perf_counter()
    index = SearchIndex()
    index.add(articles)
    build = time.perf_counter() - started

    gc.collect()
    tracemalloc.start()
    traced = SearchIndex()
    traced.add(articles)
    gc.collect()
    memory = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    del traced

    grown = SearchIndex.of(articles)
    started = time.perf_counter()
    grown.add(fresh)  # pruning (a day at a time) rebuilds the index instead
    ingest = time.perf_counter() - started
    del grown

    times, answered = [], 0
    for text in asked:
        started = time.perf_counter()
        found = index.search(parse_query(text), limit=LIMIT)
        times.append(time.perf_counter() - started)
        answered += bool(found)
    started = time.perf_counter()
    trending = index.trending(5)
    trending_ms = (time.perf_counter() - started) * 1000

    sample = asked[:: max(1, len(asked) // args.plain_samples)][: args.plain_samples]
    with tempfile.TemporaryDirectory() as folder:
        db = TinyDB(Path(folder) / "articles.json")
        table = db.table("articles")
        table.insert_multiple(
            asdict(a) | {"published": a.published.isoformat()} for a in articles)
        size_mb = (Path(folder) / "articles.json").stat().st_size / 1e6
        plain_times, ours_times = [], []
        for text in sample:
            query = parse_query(text)
            started = time.perf_counter()
            plain_search(table, query)
            plain_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            index.search(query, limit=LIMIT)
            ours_times.append(time.perf_counter() - started)
        db.close()

    p50, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(f"topic search over {len(index):,} articles (synthetic news, 48 h, "
          f"newest {newest:%Y-%m-%d %H:%M} UTC)")
    print(f"  build, one add of {ARTICLES:,}: {build:.2f} s "
          f"(target < {BUILD_TARGET_S:.0f} s: {verdict(build < BUILD_TARGET_S)})")
    print(f"  ingestion pass, add {PASS}: {ingest * 1000:.0f} ms")
    print(f"  index memory (tracemalloc): {memory:.1f} MB "
          f"(target < {MEMORY_TARGET_MB:.0f} MB: {verdict(memory < MEMORY_TARGET_MB)})")
    print(f"  {len(asked)} questions, parse + search (limit {LIMIT}): p50 {p50:.2f} ms, "
          f"p95 {p95:.2f} ms, max {max(times) * 1000:.1f} ms "
          f"(target p95 < {P95_TARGET_MS:.0f} ms: {verdict(p95 < P95_TARGET_MS)}); "
          f"{answered} found something")
    print(f"  trending(5): {trending_ms:.0f} ms -> {trending}")
    plain_p50 = statistics.median(plain_times) * 1000
    plain_p95 = percentile(plain_times, 0.95) * 1000
    ours_p95 = percentile(ours_times, 0.95) * 1000
    print(f"  plain TinyDB scan ({len(sample)} of the questions, file {size_mb:.0f} MB): "
          f"p50 {plain_p50:.0f} ms, p95 {plain_p95:.0f} ms; index on the same questions "
          f"p95 {ours_p95:.2f} ms; p95 ratio {plain_p95 / ours_p95:,.0f}x")


if __name__ == "__main__":
    main()
