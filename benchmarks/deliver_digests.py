"""The morning digest for 2,000 chats against Telegram's overall flood limit.

    python -m benchmarks.deliver_digests [--chats N] [--timeout SECONDS]

The real Application (rate limiter, digest check job, Courier) long-polls the fake Bot API
of the end-to-end tests, which answers sendMessage with 429 beyond 30 messages in any
rolling second, as Telegram does. A temporary store holds a few short articles from two
countries and N chats (2,000 by default), all subscribed and due at the default 07:30 UTC;
each digest is one message. The bot's clock is set just after 07:30 and the digest check
runs every 0.05 s (as the end-to-end tests run the bot), then the fake's calls are
polled until every chat has its digest.

Reported:

1. Delivery: time from the first to the last successful digest, the achieved rate
   (digests / that time) as a fraction of 30/s (target at least 0.9), and the 429
   answers the fake gave (PTB's own limiter, a leaky bucket with a burst of 30, got 355
   of them and 0.83 of 30/s here; runtime/ratelimit.py says why and what it does instead).
2. Exactly once: chats with exactly one digest (all of them), with none, with more.
3. Answers to others during delivery: a user outside the digest run sends /mysubs a few
   times while digests go out; the longest wait for the bot's reply.
4. What the bot logged: pauses after 429 by the rate limiter, requests given up by it,
   and digests the Courier left for a later check.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from digest.models import Chat
from tests.e2e.conftest import RunningBot
from tests.e2e.fake_bot_api import Call, FakeBotAPI
from tests.e2e.news import article, seed
from tests.feed_server import FeedServer

LIMIT = 30  # messages per rolling second, Telegram's overall limit for a bot
TARGET = 0.9
NOW = datetime(2026, 11, 25, 7, 30, 5, tzinfo=UTC)  # just after the default 07:30 UTC
FIRST_CHAT = 100_001
USER = 7  # writes to the bot during delivery; not among the digest chats
PROBES = 6
PROBE_EVERY = 3.0  # seconds between /mysubs probes
SETTLE = 3.0  # seconds to wait after the last digest, to see any duplicate
DIGEST_PREFIX = "Your news digest"

ARTICLES = [
    article("Japan raises rare earth export quotas", "Japan Daily", "JP", 5, now=NOW),
    article("Typhoon nears Okinawa and closes schools", "Japan Daily", "JP", 3, now=NOW),
    article("Brazil central bank holds rates", "Folha", "BR", 4, now=NOW),
    article("Amazon fires fall for a third year", "Folha", "BR", 2, now=NOW),
]


def chats(count: int) -> list[Chat]:
    """Subscribed chats on the default schedule, half Japan, half Brazil."""
    return [Chat(FIRST_CHAT + n, countries=("JP",) if n % 2 else ("BR",))
            for n in range(count)]


def is_digest(call: Call) -> bool:
    return call.ok and call.result["text"].startswith(DIGEST_PREFIX)


class LogCounter(logging.Handler):
    """Counts the bot's log records by (logger, level, first words of the message)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.errors = 0

    def emit(self, record: logging.LogRecord) -> None:
        words = " ".join(str(record.msg).split()[:4])
        self.counts[(record.name, record.levelname, words)] += 1
        self.errors += record.levelno >= logging.ERROR

    def count(self, logger: str, starts: str) -> int:
        return sum(n for (name, _, words), n in self.counts.items()
                   if name.startswith(logger) and words.startswith(starts))


def digest_counts(api: FakeBotAPI) -> tuple[Counter[int], list[Call]]:
    digests = [c for c in api.calls("sendMessage") if is_digest(c)]
    return Counter(c.params["chat_id"] for c in digests), digests


async def probe_answers(api: FakeBotAPI, stop_probing: asyncio.Event) -> list[float]:
    """/mysubs from USER every PROBE_EVERY s while digests go out; seconds to each reply."""
    latencies = []
    for _ in range(PROBES):
        if stop_probing.is_set():
            break
        sent = time.monotonic()
        api.push_message(USER, "/mysubs")
        try:
            reply = await api.wait_for_async(
                "sendMessage", lambda c: c.params["chat_id"] == USER, timeout=30)
        except AssertionError:  # no reply in 30 s
            latencies.append(float("inf"))
        else:
            latencies.append(reply.time - sent)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_probing.wait(), PROBE_EVERY)
    return latencies


async def run(count: int, wait: float) -> None:
    logs = LogCounter()
    logging.getLogger().addHandler(logs)
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Without it, constructing RetryAfter (any 429) warns about a coming PTB change.
    os.environ.setdefault("PTB_TIMEDELTA", "true")

    feeds = FeedServer().start()  # no routes: the ingestion pass finds nothing new
    with tempfile.TemporaryDirectory() as folder, FakeBotAPI() as api:
        bot = RunningBot(api, Path(folder), feeds)  # as the end-to-end tests run it
        bot.clock.now = NOW
        seed(bot.config.storage, ARTICLES, chats(count))
        api.rate_limit(LIMIT)
        await bot.start()
        stop_probing = asyncio.Event()
        probes: asyncio.Task[list[float]] | None = None
        deadline = time.monotonic() + wait
        try:
            while True:
                per_chat, digests = digest_counts(api)
                if probes is None and digests:
                    probes = asyncio.create_task(probe_answers(api, stop_probing))
                if len(per_chat) >= count or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.25)
            stop_probing.set()
            await asyncio.sleep(SETTLE)
            latencies = await probes if probes else []
            per_chat, digests = digest_counts(api)
            sends = api.calls("sendMessage")
        finally:
            stop_probing.set()
            await bot.stop()
            feeds.stop()
        server_errors = api.server_errors

    expected = range(FIRST_CHAT, FIRST_CHAT + count)
    once = sum(per_chat[c] == 1 for c in expected)
    none = sum(per_chat[c] == 0 for c in expected)
    more = sum(per_chat[c] > 1 for c in expected)
    if not digests:
        print(f"no digest was delivered in {wait:.0f} s; 429 answers: {api.too_many_requests}")
        return
    span = digests[-1].time - digests[0].time
    rate = len(digests) / span if span > 0 else float("nan")
    refused = [c for c in sends if c.response and c.response.get("error_code") == 429]
    refused_digest_chats = len({c.params["chat_id"] for c in refused
                                if c.params["chat_id"] != USER})

    # The fake's count of accepted sendMessage in its busiest rolling second.
    accepted = sorted(c.time for c in sends if c.ok)
    busiest, j = 0, 0
    for i, t in enumerate(accepted):
        while accepted[j] <= t - 1.0:
            j += 1
        busiest = max(busiest, i - j + 1)

    print(f"delivery of {count:,} digests ({'all' if none == 0 else 'NOT all'} delivered"
          f"{'' if none == 0 else f', timed out after {wait:.0f} s'}): "
          f"first to last successful digest {span:.2f} s; achieved {rate:.1f} msg/s = "
          f"{rate / LIMIT:.3f} of {LIMIT}/s (target >= {TARGET}: "
          f"{'met' if rate / LIMIT >= TARGET else 'NOT met'})")
    print(f"429 answers: {api.too_many_requests} (to {refused_digest_chats} digest chats); "
          f"sendMessage calls {len(sends):,}, accepted {len(accepted):,}; busiest rolling "
          f"second {busiest} accepted")
    print(f"exactly once: {once:,} chats with one digest, {none:,} with none, "
          f"{more:,} with more than one")
    if latencies:
        print(f"answers during delivery: {len(latencies)} /mysubs from another chat, reply "
              f"latency max {max(latencies) * 1000:.0f} ms, "
              f"median {sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms")
    print(f"bot log: {logs.count('runtime.ratelimit', 'rate limit hit;')} pauses after 429, "
          f"{logs.count('runtime.ratelimit', 'rate limit hit after')} requests given up "
          f"by the limiter, {logs.count('runtime.delivery', 'digest for chat')} digests "
          f"left for a later check, {logs.errors} error records")
    if server_errors:
        print(f"fake Bot API errors: {len(server_errors)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=2_000, help="subscribed chats")
    parser.add_argument("--timeout", type=float, default=200.0,
                        help="seconds to wait for every chat's digest")
    args = parser.parse_args()
    asyncio.run(run(args.chats, args.timeout))


if __name__ == "__main__":
    main()
