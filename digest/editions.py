"""Editions: one clustering of the recent news, shared by every chat's digest.

Composing 100,000 morning digests must not cluster 100,000 times, nor rank or
render a country's stories once per chat. An edition is therefore built once
per ingestion pass: the articles of the last clustering window grouped into
stories (in the worker process, off the event loop). Then, once per country and
only when first asked, that country's stories are ranked; and once per distinct
selection, a section is rendered. A chat's digest is a walk down its countries'
ranked lists, skipping the stories it was already sent, and a packing of shared
sections into message chunks: chats with the same countries and history (most
of them) share everything but the packing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from digest.compose import (
    NO_SUBSCRIPTIONS_HINT,
    CountrySection,
    DigestItem,
    RenderedSection,
    pack_digest,
    render_section,
)
from digest.ingest import Clock
from digest.models import Article, Source
from digest.store import Store
from digest.stories import (
    WINDOW,
    Story,
    alternatives,
    covered_by,
    group_positions,
    in_story_order,
    lead_for,
    rank,
    stories_of,
)
from digest.worker import WorkerProcess

# The product promises the stories other media overlook; with outlets of this country in
# the catalog, a story none of them covered is marked in other countries' sections.
WATCHED_MEDIA = "US"
# Rendered sections kept per edition; past this the cache starts over (chats with unusual
# histories each need their own, and memory must not grow with the number of chats).
_SECTION_CACHE = 20_000


@dataclass(frozen=True, slots=True)
class Digest:
    """A chat's digest, ready to send, and what to remember as sent once it went out."""

    chunks: list[str]
    keys: tuple[str, ...]  # the stories' keys and their leads' ids


class Edition:
    """The stories of one clustering, ranked per country once and shared by every chat."""

    def __init__(self, stories: Sequence[Story], *, built: datetime,
                 watched: str | None = None) -> None:
        self.stories = stories
        self.built = built
        self._watched = watched
        self._story_key = {article_id: s.key for s in stories for article_id in s.ids}
        self._by_key = {s.key: s for s in stories}
        self._ranked: dict[str, list[Story]] = {}
        self._sections: dict[tuple[str, tuple[str, ...]], RenderedSection] = {}

    def item(self, article: Article) -> DigestItem:
        """The article as a story to show on its own (a topic answer): led by it, with the
        other outlets' takes on its story if the article is recent enough to be in one."""
        key = self._story_key.get(article.id)
        if key is None:
            return DigestItem(article)
        return self._item(self._by_key[key], article.country, lead=article)

    def ranked(self, country: str) -> list[Story]:
        """The country's stories, best first, before any chat's history is taken out."""
        found = self._ranked.get(country)
        if found is None:
            found = self._ranked[country] = rank(
                self.stories, country, now=self.built, sent_keys=frozenset())
        return found

    def compose(self, countries: Sequence[str], sent: frozenset[str], *, when: datetime,
                per_country: int) -> Digest:
        """The digest of `countries` for a chat that was sent `sent` before.

        `when` is the moment in the chat's zone (its date heads the digest). A story counts
        as sent when any of its articles was remembered as sent: its first article may have
        left the window since.
        """
        if not countries:
            return Digest([NO_SUBSCRIPTIONS_HINT], ())
        seen = {self._story_key[k] for k in sent if k in self._story_key}
        sections = []
        keys: list[str] = []
        for country in countries:
            picked = tuple(_take(self.ranked(country), seen, per_country))
            for story in picked:
                seen.add(story.key)  # a story covered by two chosen countries shows once
                keys.append(story.key)
                lead = lead_for(story, country)
                if lead is not None and lead.id != story.key:
                    keys.append(lead.id)
            sections.append(self._section(country, picked))
        return Digest(pack_digest(sections, when=when), tuple(keys))

    def _section(self, country: str, stories: tuple[Story, ...]) -> RenderedSection:
        cache_key = (country, tuple(s.key for s in stories))
        found = self._sections.get(cache_key)
        if found is None:
            if len(self._sections) >= _SECTION_CACHE:
                self._sections.clear()
            items = tuple(self._item(story, country) for story in stories)
            found = self._sections[cache_key] = render_section(CountrySection(country, items))
        return found

    def _item(self, story: Story, country: str, lead: Article | None = None) -> DigestItem:
        lead = lead or lead_for(story, country)
        assert lead is not None, "ranked() keeps only stories the country covered"
        overlooked = self._watched is not None and not covered_by(story, self._watched)
        return DigestItem(lead, tuple(alternatives(story, lead)), not_in_us_media=overlooked)


def _take(ranked: list[Story], seen: set[str], count: int) -> Iterator[Story]:
    taken = 0
    for story in ranked:
        if taken == count:
            return
        if story.key not in seen:
            taken += 1
            yield story


class Editions:
    """The current edition, and new ones built (clustered in the worker process) on request.

    Builds never overlap, and while one runs the previous edition keeps serving: a digest
    due during an ingestion pass is not held up by its clustering.
    """

    def __init__(self, store: Store, sources: Sequence[Source], worker: WorkerProcess, *,
                 clock: Clock) -> None:
        self._store = store
        self._worker = worker
        self._clock = clock
        self._watched = WATCHED_MEDIA if any(s.country == WATCHED_MEDIA for s in sources) \
            else None
        self._edition: Edition | None = None
        self._building = asyncio.Lock()

    async def current(self) -> Edition:
        """The latest edition; built first if there is none yet."""
        if self._edition is not None:
            return self._edition
        async with self._building:
            if self._edition is None:
                self._edition = await self._build()
            return self._edition

    async def rebuild(self) -> Edition:
        """A new edition from the store's articles now (after an ingestion pass)."""
        async with self._building:
            self._edition = await self._build()
            return self._edition

    async def _build(self) -> Edition:
        now = self._clock()
        ordered = in_story_order(self._store.articles(since=now - WINDOW))
        groups = await self._worker.run(group_positions, ordered) if ordered else []
        return Edition(stories_of(ordered, groups), built=now, watched=self._watched)
