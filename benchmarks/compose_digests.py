"""Composing 100,000 chats' digests from one edition: time, memory and sharing.

    python -m benchmarks.compose_digests [--history-hours H]

The requirement: digests for 100,000 users, each subscribed to 1 to 5 of 50 countries,
from 15,000 articles, in under 5 s and under 500 MB peak memory, sharing the work between
users with the same countries.

Data (benchmarks/synthetic.py, seeded): 15,000 articles about news events from 3 outlets
in each of 50 countries, published over the 48 h of the clustering window
(`synthetic.news`); 100,000 chats with 1 to 5 countries and one of four zones
(`synthetic.chats`). A third of the chats got yesterday's digest: their sent keys are
those of the digest composed for their countries from the edition of 24 h earlier (the
articles published by then), interned as the store keeps them. With --history-hours 6
that digest went out 6 h before instead (a /digest the same morning): its stories are
still near the top, so the chats' histories change what they get, and share less.

Measured, one after the other in this process:

1. Clustering once: in_story_order and group_positions (the bot runs these in its worker
   process), then stories_of and the Edition.
2. Composing all 100,000 digests from that fresh edition, with the history each chat
   has and the moment in its zone, each digest consumed at once (messages and characters
   counted) and dropped, as delivery does. Then again from the same edition, now warm
   (every country ranked, every section rendered): the difference is the rendering.
3. Memory: the process's peak RSS after each step (it includes the clustering, which the
   bot does in another process), and tracemalloc's peak over one more compose run from a
   fresh edition, which is what composing adds. Tracing slows Python down several times,
   so that run is not timed.
4. Sharing: the story blocks that run rendered, against the sections the digests hold,
   and how many of them show other reports' headlines (the takes).
   The edition's caches are private; a benchmark reads them to count the sharing only.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from benchmarks import synthetic
from digest.config import DigestConfig
from digest.models import Article, Chat
from digest.stories.cluster import Story, group_positions, in_story_order, stories_of
from digest.stories.editions import WATCHED_MEDIA, Edition

ARTICLES = 15_000
CHATS = 100_000
TARGET_SECONDS = 5.0
TARGET_MB = 500
HISTORY_SHARE = 1 / 3
PER_COUNTRY = DigestConfig().stories_per_country
NOTHING_SENT: frozenset[str] = frozenset()


@dataclass
class Totals:
    digests: int = 0
    messages: int = 0
    characters: int = 0
    keys: int = 0
    sections: int = 0  # sections in the digests, one per country of each


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def compose_all(edition: Edition, chats: Sequence[Chat], sent: Mapping[int, frozenset[str]],
                zones: Mapping[str, ZoneInfo]) -> Totals:
    """Every chat's digest, counted and dropped at once."""
    totals = Totals()
    for chat in chats:
        digest = edition.compose(chat.countries, sent.get(chat.chat_id, NOTHING_SENT),
                                 when=synthetic.NOW.astimezone(zones[chat.timezone]),
                                 per_country=PER_COUNTRY)
        totals.digests += 1
        totals.messages += len(digest.chunks)
        totals.characters += sum(map(len, digest.chunks))
        totals.keys += len(digest.keys)
        totals.sections += len(chat.countries)
    return totals


def previous_keys(articles: Sequence[Article], chats: Sequence[Chat],
                  zones: Mapping[str, ZoneInfo], hours: float, seed: int = 4
                  ) -> dict[int, frozenset[str]]:
    """Sent keys for a third of the chats: the digest for their countries from an edition
    built `hours` ago of the articles published by then."""
    built = synthetic.NOW - timedelta(hours=hours)
    ordered = in_story_order(a for a in articles if a.published <= built)
    previous = Edition(stories_of(ordered, group_positions(ordered)), built=built,
                        watched=WATCHED_MEDIA)
    rng = random.Random(seed)
    by_countries: dict[tuple[str, ...], frozenset[str]] = {}
    sent = {}
    for chat in chats:
        if rng.random() >= HISTORY_SHARE:
            continue
        keys = by_countries.get(chat.countries)
        if keys is None:
            digest = previous.compose(chat.countries, NOTHING_SENT, per_country=PER_COUNTRY,
                                       when=built.astimezone(zones[chat.timezone]))
            keys = by_countries[chat.countries] = frozenset(map(sys.intern, digest.keys))
        sent[chat.chat_id] = keys
    return sent


def traced_compose(stories: Sequence[Story], chats: Sequence[Chat],
                   sent: Mapping[int, frozenset[str]], zones: Mapping[str, ZoneInfo]
                   ) -> tuple[float, int]:
    """tracemalloc's peak (MB) over composing every digest from a fresh edition, and the
    story blocks rendered (counted as the edition's cache grows; a cache reset counts on)."""
    edition = Edition(stories, built=synthetic.NOW, watched=WATCHED_MEDIA)
    cache = edition._blocks
    rendered = last = 0
    tracemalloc.start()
    for chat in chats:
        edition.compose(chat.countries, sent.get(chat.chat_id, NOTHING_SENT),
                        when=synthetic.NOW.astimezone(zones[chat.timezone]),
                        per_country=PER_COUNTRY)
        size = len(cache)
        rendered += size - last if size >= last else size
        last = size
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20, rendered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history-hours", type=float, default=24,
                        help="how long before now the chats with a history got their last digest")
    args = parser.parse_args()
    started = time.perf_counter()
    articles = synthetic.news(ARTICLES)
    chats = synthetic.chats(CHATS)
    zones = {z: ZoneInfo(z) for z in {c.timezone for c in chats}}
    made = time.perf_counter() - started
    rss_data = peak_rss_mb()

    started = time.perf_counter()
    ordered = in_story_order(articles)
    groups = group_positions(ordered)
    clustered = time.perf_counter() - started
    started = time.perf_counter()
    stories = stories_of(ordered, groups)
    edition = Edition(stories, built=synthetic.NOW, watched=WATCHED_MEDIA)
    built = time.perf_counter() - started
    rss_clustered = peak_rss_mb()
    del ordered, groups

    sent = previous_keys(articles, chats, zones, args.history_hours)
    rss_history = peak_rss_mb()

    started = time.perf_counter()
    totals = compose_all(edition, chats, sent, zones)
    cold = time.perf_counter() - started
    rss_composed = peak_rss_mb()
    kept_blocks, ranked = len(edition._blocks), len(edition._ranked)
    with_takes = sum("<blockquote" in block.text for block in edition._blocks.values())
    started = time.perf_counter()
    compose_all(edition, chats, sent, zones)
    warm = time.perf_counter() - started
    del edition

    traced_mb, rendered = traced_compose(stories, chats, sent, zones)

    multi_outlet = sum(1 for s in stories if len(s.outlets) > 1)
    multi_country = sum(1 for s in stories if len(s.countries) > 1)
    selections = len({c.countries for c in chats})
    unordered = len({frozenset(c.countries) for c in chats})
    history_keys = sum(map(len, sent.values())) / len(sent)
    total = clustered + built + cold
    n = totals.digests

    def target(value: float, limit: float, unit: str) -> str:
        return f"target < {limit:g} {unit}{'' if value < limit else ', MISSED'}"

    print(f"data, made in {made:.1f} s:")
    print(f"    {len(articles):,} articles from {len({a.source for a in articles})} outlets in "
          f"{len({a.country for a in articles})} countries over 48 h")
    print(f"    {len(chats):,} chats with 1-5 countries ({selections:,} distinct selections, "
          f"{unordered:,} ignoring order), {len(zones)} zones, {PER_COUNTRY} stories per country")
    print(f"    {len(sent):,} chats were sent a digest {args.history_hours:g} h ago "
          f"({history_keys:.1f} sent keys each)")
    print(f"clustering once, in this process: {clustered:.2f} s; stories_of + Edition "
          f"{built:.2f} s")
    print(f"    {len(stories):,} stories, {multi_outlet:,} from 2+ outlets, {multi_country:,} "
          f"from 2+ countries, largest {max(len(s.articles) for s in stories)} articles")
    print(f"compose {n:,} digests from a fresh edition: {cold:.2f} s, {n / cold:,.0f} digests/s "
          f"({target(cold, TARGET_SECONDS, 's')})")
    print(f"    the same edition again, warm (ranked and rendered): {warm:.2f} s, "
          f"{n / warm:,.0f} digests/s: " + (
              f"rendering took ~{cold - warm:.2f} s of the fresh run" if rendered <= kept_blocks
              else "the edition's block cache started over, so this run rendered again"))
    print(f"    per digest on average: {totals.messages / n:.2f} messages, "
          f"{totals.characters / n:,.0f} characters, {totals.keys / n:.1f} keys to remember")
    print(f"clustering + edition + compose: {total:.2f} s ({target(total, TARGET_SECONDS, 's')})")
    print(f"sharing: {rendered:,} story blocks rendered (one per country, story and position) "
          f"for the {totals.sections:,} sections in the digests; {kept_blocks:,} kept by the "
          f"edition, {ranked} countries ranked; {with_takes:,} of the blocks carry other "
          f"reports' headlines")
    print(f"peak RSS of the process: {rss_composed:.0f} MB "
          f"({target(rss_composed, TARGET_MB, 'MB')}); {rss_data:.0f} MB after making the "
          f"data, {rss_clustered:.0f} MB after clustering, {rss_history:.0f} MB after the "
          f"histories")
    print(f"tracemalloc peak of composing alone (separate, untimed run from a fresh edition): "
          f"{traced_mb:.0f} MB")


if __name__ == "__main__":
    main()
