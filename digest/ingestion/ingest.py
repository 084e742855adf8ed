"""One ingestion pass: fetch every due feed, parse off the event loop, store once.

The pass is built so that it never stalls the chat running on the same loop:
HTTP is async, parsing (CPU work) runs in a worker process (see digest.ingestion.worker),
and the articles of the whole pass are written in one batch from a thread.
Feed state is saved after the articles, so a crash in between only means a feed is fetched again
(its articles then deduplicate), never that articles are lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from digest.ingestion.fetch import FeedFetcher, Fetched, FetchError, NotModified
from digest.ingestion.parse import NotAFeed, parse_feed
from digest.ingestion.worker import WorkerProcess, WorkerTimeout
from digest.models import Article, FeedState, Source
from digest.store import Store

MAX_BACKOFF = timedelta(hours=24)
MAX_ERROR_LENGTH = 120

Clock = Callable[[], datetime]
Progress = Callable[[int, int, Source, str], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class IngestReport:
    """What a pass did, for the command line summary and the logs."""

    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    backing_off: int = 0
    new_articles: list[Article] = field(default_factory=list)
    pruned: int = 0
    translated: int = 0  # after the pass (digest.newsroom): stored articles changed too
    seconds: float = 0.0
    stopped: bool = False  # cut short by stop(): feeds not yet done are fetched next time

    def summary(self) -> str:
        return (
            f"feeds ok {self.ok}, not modified {self.not_modified}, failed {self.failed}, "
            f"backing off {self.backing_off}; new articles {len(self.new_articles)}, "
            f"pruned {self.pruned}; {self.seconds:.1f} s" + ("; stopped" if self.stopped else "")
        )


def next_attempt(state: FeedState, interval: timedelta) -> datetime | None:
    """When a failing feed may be tried again: the interval doubles per consecutive
    failure, up to a day. None when the feed is not failing."""
    if not state.failures or state.last_attempt is None:
        return None
    delay = min(interval * (1 << (state.failures - 1)), MAX_BACKOFF)
    return state.last_attempt + delay


class Ingestor:
    """Runs ingestion passes over a catalog into a store."""

    def __init__(
        self,
        store: Store,
        sources: list[Source],
        fetcher: FeedFetcher,
        *,
        retention_days: int,
        interval: timedelta,
        worker: WorkerProcess,
        max_entries: int | None = None,
        parse_timeout: float | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._sources = sources
        self._fetcher = fetcher
        self._retention = timedelta(days=retention_days)
        self._interval = interval
        self._clock = clock
        self._worker = worker
        self._max_entries = max_entries
        self._parse_timeout = parse_timeout
        self._running = asyncio.Lock()
        self._fetching: asyncio.Future[Any] | None = None
        self._stopping = False

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        """Cancel the fetches of a pass under way (the bot is stopping): the pass stores
        what the feeds already done gave and ends; no later pass starts."""
        self._stopping = True
        if self._fetching is not None:
            self._fetching.cancel()

    async def run_pass(self, progress: Progress | None = None, *,
                       force: bool = False) -> IngestReport:
        """Fetch due feeds (with `force`, failing ones in back-off too), store new articles,
        prune old ones. Passes never overlap."""
        async with self._running:
            return await self._run_pass(progress, force)

    async def _run_pass(self, progress: Progress | None, force: bool) -> IngestReport:
        started = time.monotonic()
        report = IngestReport()
        now = self._clock()
        due = []
        for source in self._sources:
            retry_at = next_attempt(self._store.feed_state(source.key), self._interval)
            if not force and retry_at is not None and retry_at > now:
                report.backing_off += 1
            else:
                due.append(source)
        states: dict[str, FeedState] = {}
        articles: list[Article] = []
        done = 0

        async def one(source: Source) -> None:
            nonlocal done
            outcome, found = await self._ingest_feed(source, states)
            articles.extend(found)
            if outcome == "ok":
                report.ok += 1
            elif outcome == "not modified":
                report.not_modified += 1
            else:
                report.failed += 1
            done += 1
            if progress:
                progress(done, len(due), source, outcome)

        if self._stopping:
            due = []
        self._fetching = asyncio.gather(*(one(source) for source in due))
        try:
            await self._fetching
        except asyncio.CancelledError:
            if not self._stopping:  # the pass itself was cancelled, not just its fetches
                raise
        finally:
            self._fetching = None
        report.stopped = self._stopping
        report.new_articles = await asyncio.to_thread(self._store.add_articles, articles)
        await asyncio.to_thread(self._store.save_feed_states, states)
        report.pruned = await asyncio.to_thread(
            self._store.prune_articles, self._clock() - self._retention
        )
        report.seconds = time.monotonic() - started
        return report

    async def _ingest_feed(
        self, source: Source, states: dict[str, FeedState]
    ) -> tuple[str, list[Article]]:
        """Outcome ("ok", "not modified" or the error) and the feed's parsed articles."""
        previous = self._store.feed_state(source.key)
        attempted = self._clock()
        result = await self._fetcher.fetch(source.feed, previous)
        if isinstance(result, Fetched):
            try:
                found = await self._worker.run(
                    parse_feed, result.body, source, attempted, result.url, self._max_entries,
                    time_limit=self._parse_timeout)
            except NotAFeed as exc:
                result = FetchError(str(exc))
            except WorkerTimeout as exc:
                result = FetchError(f"parse {exc}; abandoned")
            except Exception as exc:  # a parser bug on one hostile feed must not end the pass
                result = FetchError(f"parse failed ({type(exc).__name__})")
        if isinstance(result, FetchError):
            states[source.key] = replace(
                previous,
                last_attempt=attempted,
                last_error=result.reason[:MAX_ERROR_LENGTH],
                failures=previous.failures + 1,
            )
            return result.reason, []
        success = replace(previous, last_attempt=attempted, last_success=attempted,
                          last_error="", failures=0)
        if isinstance(result, NotModified):
            states[source.key] = success
            return "not modified", []
        states[source.key] = replace(success, etag=result.etag,
                                     last_modified=result.last_modified)
        return "ok", found
