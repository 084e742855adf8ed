"""The newsroom: one object that owns ingestion, the search index, editions and translations.

The running bot (its ingestion job), the console and `bot.py ingest` all call the same
`refresh()` (ingest -> index -> edition -> translate), so a terminal pass translates as
the bot does and no caller can forget a step. Readers ask it for what they need:
`search()`, `trending()`, `edition()`, a chat's `zone()` and `digest_for(chat, now)`.
When another process sharing the database ran the pass, `reload()` brings the index and
the edition up to date from the store without fetching anything.

It is built before anything runs (so whoever holds it never sees a half-built one);
`open()` starts its HTTP client and reads the store's articles into the index, `close()`
ends both. Between them, `stop()` cuts a running pass short when the process stops.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, tzinfo

import httpx

from digest.config import Config
from digest.ingestion.fetch import FeedFetcher, make_client
from digest.ingestion.ingest import Clock, Ingestor, IngestReport, Progress, utc_now
from digest.ingestion.worker import WorkerProcess
from digest.models import Article, Source
from digest.schedule import zone_of
from digest.search.index import SearchIndex
from digest.search.query import Query
from digest.store import Store
from digest.stories.editions import Digest, Edition, Editions
from digest.subscriptions import Coverage
from digest.translation.articles import Translations
from digest.translation.backends import make_translator
from digest.translation.budget import DailyBudget

log = logging.getLogger(__name__)


class Newsroom:
    """Everything the bot knows about the news, kept current by `refresh()`."""

    def __init__(self, config: Config, store: Store, sources: list[Source], *,
                 clock: Clock = utc_now) -> None:
        self.config = config
        self.store = store
        self.sources = sources
        self.clock = clock
        self.coverage = Coverage.of(sources)
        self._worker = WorkerProcess()
        self._editions = Editions(store, sources, self._worker, clock=clock)
        self._index = SearchIndex()
        self._indexing: asyncio.Future[SearchIndex] | None = None  # begun by `open`
        self._client: httpx.AsyncClient | None = None
        self._ingestor: Ingestor | None = None
        self._translations: Translations | None = None
        self._changing = asyncio.Lock()  # a reload never interleaves with a refresh

    # --- lifecycle ---------------------------------------------------------------------

    async def open(self) -> None:
        """The HTTP client for feeds and translation (its TLS context, 0.05-0.2 s of reading
        certificates, is made off the event loop), and the index of the stored articles:
        about 0.5 s for 15,000, so built off the event loop, and not waited for here, so
        the bot answers meanwhile; a search waits for it."""
        config = self.config
        self._client = client = await asyncio.to_thread(make_client,
                                                        config.ingest.timeout_seconds)
        self._ingestor = _ingestor(config, self.store, self.sources, client, self._worker,
                                   self.clock)
        translator = make_translator(config.translate, client)
        if translator is not None:
            self._translations = Translations(
                translator, DailyBudget(config.translate.daily_characters),
                target=config.translate.target, batch_size=config.translate.batch_size)
        self._begin_indexing()

    def _begin_indexing(self) -> None:
        """Build the index of every stored article in a thread (reading them included:
        on PostgreSQL that is a query); `_built_index` waits for it."""
        self._indexing = asyncio.ensure_future(
            asyncio.to_thread(lambda: SearchIndex.of(self.store.articles())))

    async def _built_index(self) -> SearchIndex:
        """The index, once the last one begun is built."""
        while (indexing := self._indexing) is not None:
            built = await indexing
            if self._indexing is indexing:  # not begun again meanwhile
                self._index, self._indexing = built, None
        return self._index

    def stop(self) -> None:
        """The process is stopping: a running pass stores what it has and ends; no edition
        or translation follows it."""
        if self._ingestor is not None:
            self._ingestor.stop()

    async def close(self) -> None:
        self.stop()
        await self._built_index()  # its thread cannot be stopped; a moment at most
        self._worker.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- keeping current ---------------------------------------------------------------

    async def refresh(self, progress: Progress | None = None, *,
                      force: bool = False) -> IngestReport:
        """An ingestion pass, the index brought up to date, a new edition (also when no
        article changed: rankings age), then the translation pass. `force` also reads the
        feeds that are backing off after failures."""
        if self._ingestor is None:
            raise RuntimeError("the newsroom is not open")
        async with self._changing:
            report = await self._ingestor.run_pass(progress, force=force)
            if report.stopped:  # the process is stopping: no edition, no translation
                return report
            if report.pruned:  # rare (a day at a time): a new index, built off the loop
                await self._reindex()
            else:
                (await self._built_index()).add(report.new_articles)
            await self._editions.rebuild()
            if self._translations is not None and not self._ingestor.stopping:
                # After the edition, so new articles wait for nothing; not while stopping.
                report.translated = await self._translate()
        return report

    async def reload(self, *, articles_changed: bool = True) -> None:
        """The news changed elsewhere (another process's pass on the same database): a new
        edition from the store, and a new index first when its articles changed (added,
        pruned or translated). Nothing is fetched."""
        async with self._changing:
            if articles_changed:
                await self._reindex()
            await self._editions.rebuild()

    async def _reindex(self) -> None:
        """A new index of every stored article, built off the event loop."""
        self._begin_indexing()
        await self._built_index()

    async def _translate(self) -> int:
        """The translation pass; how many articles it translated."""
        assert self._translations is not None
        translated = await self._translations.run(self.store, self.clock())
        log.info("translation: %d articles%s", len(translated.translated),
                 f"; stopped: {translated.stopped}" if translated.stopped else "")
        for language, reason in translated.refused.items():
            log.warning("translation from %s refused: %s", language, reason)
        if translated.translated:
            (await self._built_index()).add(translated.translated)
            await self._editions.rebuild()
        return len(translated.translated)

    # --- reading -----------------------------------------------------------------------

    async def indexed(self) -> None:
        """Return once the index begun by `open` is built."""
        await self._built_index()

    async def search(self, query: Query, *, limit: int = 10) -> list[Article]:
        """Articles about the query's topic, newest first (see SearchIndex.search)."""
        return (await self._built_index()).search(query, limit=limit)

    def trending(self, limit: int = 5, *, now: datetime | None = None) -> list[str]:
        """Words in many recent headlines (none while the index is first built; they are
        offered after a search, which waits for it)."""
        return self._index.trending(limit, now=now)

    async def edition(self) -> Edition:
        """The current edition: built at the first call, then by each `refresh()`."""
        return await self._editions.current()

    def zone_name(self, chat_id: int) -> str:
        """The chat's time zone as it set it, else the configured default."""
        chat = self.store.chat(chat_id)
        return (chat.timezone if chat else "") or self.config.digest.timezone

    def zone(self, chat_id: int) -> tzinfo:
        return zone_of(self.zone_name(chat_id))

    def digest_for(self, chat_id: int, now: datetime, edition: Edition) -> Digest:
        """The chat's digest from `edition` with its countries and history as they are now
        (a digest waiting for its turn reflects later changes)."""
        chat = self.store.chat(chat_id)
        return edition.compose(chat.countries if chat else (), self.store.sent_keys(chat_id),
                               when=now.astimezone(self.zone(chat_id)),
                               per_country=self.config.digest.stories_per_country)


def _ingestor(config: Config, store: Store, sources: list[Source], client: httpx.AsyncClient,
              worker: WorkerProcess, clock: Clock) -> Ingestor:
    fetcher = FeedFetcher(
        client,
        concurrency=config.ingest.concurrency,
        per_host=config.ingest.per_host,
        max_bytes=int(config.ingest.max_feed_mb * 1024 * 1024),
        deadline=config.ingest.timeout_seconds * 2,
    )
    return Ingestor(
        store,
        sources,
        fetcher,
        retention_days=config.ingest.retention_days,
        interval=timedelta(minutes=config.ingest.interval_minutes),
        worker=worker,
        max_entries=config.ingest.max_entries_per_feed,
        parse_timeout=config.ingest.parse_timeout_seconds,
        clock=clock,
    )
