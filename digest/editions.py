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
    Block,
    DigestItem,
    pack_digest,
    section,
    story_block,
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
# Rendered story blocks kept per edition, by (country, story, position): a few thousand in
# practice; past this bound (unusual histories) the cache starts over rather than grow.
_BLOCK_CACHE = 100_000


@dataclass(frozen=True, slots=True)
class Digest:
    """A chat's digest, ready to send, and what to remember as sent once it went out."""

    chunks: list[str]
    keys: tuple[str, ...]  # the stories' keys and their leads' ids


@dataclass(frozen=True, slots=True)
class _Ranked:
    """A story as a country's section offers it: led by the country's first report."""

    story: Story
    lead: Article
    keys: tuple[str, ...]  # what a chat remembers once it got it: the story's key, the lead's id


class Edition:
    """The stories of one clustering, ranked per country once and shared by every chat.

    A section differs between chats (their histories and other countries take stories
    out of it), but its story blocks do not: a block is rendered once per (country,
    story, position) and packed into every digest that shows it there.
    """

    def __init__(self, stories: Sequence[Story], *, built: datetime,
                 watched: str | None = None) -> None:
        self.stories = stories
        self.built = built
        self._watched = watched
        self._story_key = {article_id: s.key for s in stories for article_id in s.ids}
        self._by_key = {s.key: s for s in stories}
        self._ranked: dict[str, list[_Ranked]] = {}
        self._blocks: dict[tuple[str, str, int], Block] = {}

    def item(self, article: Article) -> DigestItem:
        """The article as a story to show on its own (a topic answer): led by it, with the
        other outlets' takes on its story if the article is recent enough to be in one."""
        key = self._story_key.get(article.id)
        if key is None:
            return DigestItem(article)
        return self._item(self._by_key[key], article)

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
            blocks = []
            for number, entry in enumerate(
                    _take(self._ranked_entries(country), seen, per_country), 1):
                seen.add(entry.story.key)  # a story covered by two chosen countries shows once
                keys.extend(entry.keys)
                blocks.append(self._block(country, entry, number))
            sections.append(section(country, tuple(blocks)))
        return Digest(pack_digest(sections, when=when), tuple(keys))

    def top(self, country: str, count: int) -> list[tuple[Story, DigestItem]]:
        """The country's best stories in this edition, each led by its own outlet, as a
        section would open with them for a chat that was sent nothing yet (the Mini App's
        country panel)."""
        return [(entry.story, self._item(entry.story, entry.lead))
                for entry in self._ranked_entries(country)[:count]]

    def _ranked_entries(self, country: str) -> list[_Ranked]:
        found = self._ranked.get(country)
        if found is None:
            found = self._ranked[country] = []
            for story in rank(self.stories, country, now=self.built, sent_keys=frozenset()):
                lead = lead_for(story, country)
                assert lead is not None, "rank() keeps only stories the country covered"
                keys = (story.key,) if lead.id == story.key else (story.key, lead.id)
                found.append(_Ranked(story, lead, keys))
        return found

    def _block(self, country: str, entry: _Ranked, number: int) -> Block:
        cache_key = (country, entry.story.key, number)
        found = self._blocks.get(cache_key)
        if found is None:
            if len(self._blocks) >= _BLOCK_CACHE:
                self._blocks.clear()
            found = self._blocks[cache_key] = story_block(
                self._item(entry.story, entry.lead), number, country)
        return found

    def _item(self, story: Story, lead: Article) -> DigestItem:
        overlooked = self._watched is not None and not covered_by(story, self._watched)
        return DigestItem(lead, tuple(alternatives(story, lead)), not_in_us_media=overlooked)


def _take(ranked: list[_Ranked], seen: set[str], count: int) -> Iterator[_Ranked]:
    taken = 0
    for entry in ranked:
        if taken == count:
            return
        if entry.story.key not in seen:
            taken += 1
            yield entry


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
