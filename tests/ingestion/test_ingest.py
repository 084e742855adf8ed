"""One ingestion pass over a local feed server: every failure mode becomes feed state."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from digest.ingestion.fetch import FeedFetcher, make_client
from digest.ingestion.ingest import Ingestor, next_attempt
from digest.ingestion.worker import WorkerProcess
from digest.models import FeedState, Source
from digest.store import Store, TinyStore
from tests.conftest import shared_data
from tests.feed_server import FeedServer

FIXTURES = Path(__file__).parents[1] / "fixtures"


NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def source(name: str, url: str) -> Source:
    return Source(name=name, country="JP", feed=url, language="en")


async def run_pass(store: Store, sources: list[Source], clock: Clock, *,
                   max_bytes: int = 100_000, max_entries: int | None = None,
                   parse_timeout: float | None = None):
    async with make_client(timeout=0.5) as client:
        fetcher = FeedFetcher(client, concurrency=8, per_host=4, max_bytes=max_bytes,
                              deadline=1.0)
        worker = WorkerProcess()
        ingestor = Ingestor(store, sources, fetcher, retention_days=30,
                            interval=timedelta(minutes=30), worker=worker,
                            max_entries=max_entries, parse_timeout=parse_timeout, clock=clock)
        try:
            return await ingestor.run_pass()
        finally:
            worker.close()


async def test_bad_feeds_become_errors_and_good_ones_still_land(
    feed_server: FeedServer, tmp_path: Path, clock: Clock
) -> None:
    rss1 = shared_data("miniflux-testdata", "parser", "rdf_UTF8.xml").read_bytes()
    cyrillic = shared_data("miniflux-testdata", "parser", "encoding_WINDOWS-1251.xml").read_bytes()
    s = feed_server
    sources = [
        source("RSS 2.0", s.serve("/rss2", (FIXTURES / "rss2.xml").read_bytes())),
        source("Atom", s.serve("/atom", (FIXTURES / "atom.xml").read_bytes(),
                               content_type="application/atom+xml")),
        source("RSS 1.0", s.serve("/rss1", rss1)),
        source("Windows-1251", s.serve("/cp1251", cyrillic, content_type="text/xml")),
        source("Malformed", s.serve("/malformed", b"<rss><channel><item><title>x</ti")),
        source("HTML page", s.serve("/html", b"<!doctype html><html><body>hi</body></html>",
                                    content_type="text/html")),
        source("Empty", s.serve("/empty", b"")),
        source("Missing", s.url("/missing")),
        source("Broken", s.serve("/broken", b"oops", status=500)),
        source("Loop", s.serve("/loop", status=302, headers={"Location": "/loop"})),
        source("Stalled", s.serve("/stall", b"<rss/>", stall=3.0)),
        source("Huge", s.serve("/huge", b"<rss>" + b" " * 200_000 + b"</rss>")),
        source("Huge, undeclared", s.serve("/huge2", b"<rss>" + b" " * 200_000 + b"</rss>",
                                           declare_length=False)),
        source("Dead", "http://127.0.0.1:9/rss"),
    ]
    store = TinyStore(tmp_path / "store.json")
    report = await run_pass(store, sources, clock)

    errors = {src.name: store.feed_state(src.key).last_error for src in sources}
    assert errors["RSS 2.0"] == errors["Atom"] == errors["RSS 1.0"] == ""
    assert errors["Windows-1251"] == ""
    assert errors["Malformed"].startswith("not a feed") or errors["Malformed"] == ""
    assert errors["HTML page"] == "not a feed (an HTML page)"
    assert errors["Empty"] == "empty body"
    assert errors["Missing"] == "HTTP 404"
    assert errors["Broken"] == "HTTP 500"
    assert errors["Loop"] == "too many redirects"
    assert "timed out" in errors["Stalled"]
    assert errors["Huge"] == errors["Huge, undeclared"] == "body over 0.0953674 MB"
    assert errors["Dead"] == "connection failed"
    assert report.ok >= 4
    assert report.failed >= 9
    # The Windows-1251 fixture's entries are years old: read fine, then pruned by retention.
    landed = {a.source for a in store.articles()}
    assert {"RSS 2.0", "Atom", "RSS 1.0"} <= landed
    assert len(report.new_articles) - report.pruned == len(store.articles()) > 10


async def test_conditional_get_and_deduplication(
    feed_server: FeedServer, tmp_path: Path, clock: Clock
) -> None:
    body = (FIXTURES / "rss2.xml").read_bytes()
    tagged = source("Tagged", feed_server.serve("/tagged", body, etag='"v1"'))
    untagged = source("Untagged", feed_server.serve("/untagged", body))
    store = TinyStore(tmp_path / "store.json")
    first = await run_pass(store, [tagged, untagged], clock)
    # Both outlets carry the same URLs: stored once.
    assert first.ok == 2
    assert len(first.new_articles) == 3

    second = await run_pass(store, [tagged, untagged], clock)
    assert (second.ok, second.not_modified, len(second.new_articles)) == (1, 1, 0)
    conditional = [h for path, h in feed_server.requests if path == "/tagged"][-1]
    assert conditional.get("If-None-Match") == '"v1"'
    assert "newsbot" in conditional.get("User-Agent", "")
    assert store.feed_state(tagged.key).etag == '"v1"'


async def test_failing_feed_backs_off_then_recovers(
    feed_server: FeedServer, tmp_path: Path, clock: Clock
) -> None:
    flaky = source("Flaky", feed_server.serve("/flaky", b"", status=503))
    store = TinyStore(tmp_path / "store.json")
    await run_pass(store, [flaky], clock)
    await run_pass(store, [flaky], clock)
    assert store.feed_state(flaky.key).failures == 1  # the second pass left it alone

    clock.now += timedelta(minutes=31)
    await run_pass(store, [flaky], clock)
    assert store.feed_state(flaky.key).failures == 2

    feed_server.serve("/flaky", (FIXTURES / "rss2.xml").read_bytes())
    clock.now += timedelta(minutes=61)
    report = await run_pass(store, [flaky], clock)
    state = store.feed_state(flaky.key)
    assert (report.ok, state.failures, state.last_error) == (1, 0, "")
    assert state.last_success == clock.now


def test_backoff_doubles_up_to_a_day() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    interval = timedelta(minutes=30)
    assert next_attempt(FeedState(), interval) is None
    attempts = [next_attempt(FeedState(failures=n, last_attempt=start), interval)
                for n in (1, 2, 3, 10)]
    delays = [attempt - start for attempt in attempts if attempt is not None]
    assert delays == [interval, 2 * interval, 4 * interval, timedelta(hours=24)]


async def test_old_articles_are_pruned_by_retention(
    feed_server: FeedServer, tmp_path: Path, clock: Clock
) -> None:
    feed = source("RSS", feed_server.serve("/rss2", (FIXTURES / "rss2.xml").read_bytes()))
    store = TinyStore(tmp_path / "store.json")
    await run_pass(store, [feed], clock)
    assert len(store.articles()) == 3
    clock.now += timedelta(days=40)
    report = await run_pass(store, [feed], clock)
    # The dated entry (24 Nov) is gone; the undated ones were re-stamped as new fetches.
    assert report.pruned == 3
    assert len(store.articles()) == 0 or all(
        a.published >= clock.now - timedelta(days=30) for a in store.articles())


def test_client_limits_redirects() -> None:
    client = make_client(timeout=1)
    assert client.max_redirects == 5
    assert isinstance(client.timeout, httpx.Timeout)


def long_feed(count: int, *, bad_bytes: bool = False) -> bytes:
    """An RSS feed of `count` items, newest first, ten minutes apart; with `bad_bytes`, each
    title has a byte that is not UTF-8, which sends every entry to the slow, tolerant parser."""
    title = "Story {} caf\xe9" if bad_bytes else "Story {}"
    items = "".join(
        f"<item><title>{title.format(i)}</title><link>https://news.example/{i}</link>"
        f"<pubDate>{format_datetime(NOW - timedelta(minutes=10 * i))}</pubDate></item>"
        for i in range(count))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Long</title>{items}</channel></rss>").encode("latin-1")


async def test_only_the_newest_entries_of_a_feed_are_kept(
    feed_server: FeedServer, tmp_path: Path, clock: Clock
) -> None:
    body = long_feed(1000)
    shuffled = body.replace(b"<item>", b"\n<item>").split(b"\n")  # oldest first, as some feeds
    body = shuffled[0] + b"".join(reversed(shuffled[1:])).replace(b"</channel></rss>", b"")
    body += b"</channel></rss>"
    feed = source("Long", feed_server.serve("/long", body))
    store = TinyStore(tmp_path / "store.json")
    report = await run_pass(store, [feed], clock, max_bytes=1_000_000, max_entries=50)
    assert len(report.new_articles) == 50
    assert {a.title for a in report.new_articles} == {f"Story {i}" for i in range(50)}


async def test_a_parse_past_the_time_limit_fails_that_feed_and_the_pass_goes_on(
    feed_server: FeedServer, tmp_path: Path, clock: Clock
) -> None:
    slow = source("Slow", feed_server.serve("/slow", long_feed(20_000, bad_bytes=True)))
    good = source("Good", feed_server.serve("/good", long_feed(3)))
    store = TinyStore(tmp_path / "store.json")
    # The slow feed takes seconds to parse on any machine; the limit is a tenth of that.
    report = await run_pass(store, [slow, good], clock, max_bytes=5_000_000,
                            parse_timeout=0.3)
    assert (report.ok, report.failed) == (1, 1)
    assert {a.title for a in report.new_articles} == {"Story 0", "Story 1", "Story 2"}
    state = store.feed_state(slow.key)
    assert state.failures == 1
    assert state.last_error == "parse took over 0.3 s; abandoned"


async def test_a_stop_cancels_the_fetches_and_keeps_what_finished_feeds_gave(
    feed_server: FeedServer, tmp_path: Path, clock: Clock
) -> None:
    quick = source("Quick", feed_server.serve("/quick", long_feed(2)))
    stalled = source("Stalled", feed_server.serve("/stalled", long_feed(2), stall=30.0))
    store = TinyStore(tmp_path / "store.json")
    async with make_client(timeout=60) as client:
        fetcher = FeedFetcher(client, concurrency=8, per_host=4, max_bytes=100_000,
                              deadline=60.0)
        worker = WorkerProcess()
        ingestor = Ingestor(store, [quick, stalled], fetcher, retention_days=30,
                            interval=timedelta(minutes=30), worker=worker, clock=clock)

        def stop_after_the_first(done: int, total: int, feed: Source, outcome: str) -> None:
            ingestor.stop()

        try:
            report = await asyncio.wait_for(ingestor.run_pass(stop_after_the_first), 10)
        finally:
            worker.close()
    assert report.stopped
    assert {a.title for a in report.new_articles} == {"Story 0", "Story 1"}
    assert store.feed_state(quick.key).last_success == NOW
    assert store.feed_state(stalled.key).last_attempt is None  # fetched again next time
    assert len(store.articles()) == 2
