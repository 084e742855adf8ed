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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from digest.ingestion.ingest import Clock
from digest.ingestion.worker import WorkerProcess
from digest.models import Article, Source
from digest.store import Store
from digest.stories.cluster import (
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
from digest.stories.compose import (
    NO_SUBSCRIPTIONS_HINT,
    Block,
    DigestItem,
    RenderedSection,
    first_message,
    pack_digest,
    section,
    story_block,
)

# The product promises the stories other media overlook; with outlets of this country in
# the catalog, a story none of them covered is marked in other countries' sections.
WATCHED_MEDIA = "US"
# Rendered story blocks kept per edition, by (country, story, position): a few thousand in
# practice; past this bound (unusual histories) the cache starts over rather than grow.
_BLOCK_CACHE = 100_000
# Sections of first digests kept per edition, by (country, stories per country, the best
# stories skipped): a few hundred patterns in practice; past this bound the cache starts
# over rather than grow.
_CHOSEN_CACHE = 5_000


@dataclass(frozen=True, slots=True)
class Digest:
    """A chat's digest, ready to send, and what to remember as sent once it went out."""

    chunks: list[str]
    keys: tuple[str, ...]  # the stories' keys and their leads' ids
    # The first story's link when its article has a picture: shown as the first message's
    # large preview. Empty: no preview.
    preview: str = ""
    countries: tuple[str, ...] = ()  # those with stories in it: each may have more


@dataclass(frozen=True, slots=True)
class _Ranked:
    """A story as a country's section offers it: led by the country's first report."""

    story: Story
    lead: Article
    keys: tuple[str, ...]  # what a chat remembers once it got it: the story's key, the lead's id


@dataclass(frozen=True, slots=True)
class _Chosen:
    """A country's stories in a chat's digest, and its section of them."""

    entries: tuple[_Ranked, ...]
    section: RenderedSection
    story_keys: tuple[str, ...]
    keys: tuple[str, ...]  # to remember as sent


class Edition:
    """The stories of one clustering, ranked per country once and shared by every chat.

    A section differs between chats (their histories and other countries take stories
    out of it), but its story blocks do not: a block is rendered once per (country,
    story, position) and packed into every digest that shows it there.
    """

    def __init__(self, stories: Sequence[Story], *, built: datetime,
                 watched: str | None = None, gathered: bool = True) -> None:
        self.stories = stories
        self.built = built
        # False before the first ingestion pass ever: no news is not yet "nothing new".
        self.gathered = gathered
        self._watched = watched
        self._story_key = {article_id: s.key for s in stories for article_id in s.ids}
        self._by_key = {s.key: s for s in stories}
        self._ranked: dict[str, list[_Ranked]] = {}
        self._blocks: dict[tuple[str, str, int], Block] = {}
        self._chosen: dict[tuple[str | int, ...], _Chosen] = {}

    def item(self, article: Article) -> DigestItem:
        """The article as a story to show on its own (a topic answer): led by it, with the
        other outlets' takes on its story if the article is recent enough to be in one."""
        key = self._story_key.get(article.id)
        if key is None:
            return DigestItem(article)
        return self._item(self._by_key[key], article)

    def distinct(self, articles: Sequence[Article]) -> list[Article]:
        """The first of `articles` of each story (an article in no story is its own): a
        list of events rather than of reports."""
        seen: set[str] = set()
        kept = []
        for article in articles:
            key = self._story_key.get(article.id, article.id)
            if key not in seen:
                seen.add(key)
                kept.append(article)
        return kept

    def compose(self, countries: Sequence[str], sent: frozenset[str], *, when: datetime,
                per_country: int) -> Digest:
        """The digest of `countries` for a chat that was sent `sent` before.

        `when` is the moment in the chat's zone (its date heads the digest). A story counts
        as sent when any of its articles was remembered as sent: its first article may have
        left the window since. A chat never sent anything is not told "since your last
        digest".
        """
        if not countries:
            return Digest([NO_SUBSCRIPTIONS_HINT], ())
        seen = self._seen(sent)
        sections = []
        keys: list[str] = []
        lead: Article | None = None
        shown: list[str] = []
        for country in countries:
            chosen = self._choose(country, seen, per_country, first=not sent)
            seen.update(chosen.story_keys)  # a story covered by two countries shows once
            keys.extend(chosen.keys)
            if chosen.entries:
                lead = lead or chosen.entries[0].lead
                shown.append(country)
            sections.append(chosen.section)
        return Digest(pack_digest(sections, when=when), tuple(keys), _preview(lead),
                      tuple(shown))

    def _choose(self, country: str, seen: set[str], per_country: int, *, first: bool
                ) -> _Chosen:
        """The country's best `per_country` stories not in `seen`, and their section.

        For a chat's first digest, which of the best stories it skips (those shown under an
        earlier country) falls into a few patterns, most often none: each is laid out once.
        A chat with a history skips what it was sent, which makes most patterns unique:
        those are laid out each time rather than kept."""
        entries: list[_Ranked] = []
        skipped: list[str] = []
        if per_country > 0:
            for entry in self._ranked_entries(country):
                story_key = entry.keys[0]
                if story_key in seen:
                    skipped.append(story_key)
                else:
                    entries.append(entry)
                    if len(entries) == per_country:
                        break
        cache_key: tuple[str | int, ...] | None = (
            (country, per_country, *skipped) if first else None)
        if cache_key is not None and (found := self._chosen.get(cache_key)) is not None:
            return found
        blocks = []
        story_keys = []
        keys: list[str] = []
        for number, entry in enumerate(entries, 1):
            blocks.append(self._block(country, entry, number))
            story_keys.append(entry.keys[0])
            keys.extend(entry.keys)
        found = _Chosen(tuple(entries), section(country, tuple(blocks), first=first),
                        tuple(story_keys), tuple(keys))
        if cache_key is not None:
            if len(self._chosen) >= _CHOSEN_CACHE:
                self._chosen.clear()
            self._chosen[cache_key] = found
        return found

    def more(self, country: str, sent: frozenset[str], *, per_country: int) -> Digest | None:
        """`country`'s next stories the chat was not sent, as one message; None if none."""
        chosen = self._choose(country, self._seen(sent), per_country, first=False)
        if not chosen.entries:
            return None
        text, count = first_message(chosen.section.blocks)
        keys = tuple(k for entry in chosen.entries[:count] for k in entry.keys)
        return Digest([text], keys, _preview(chosen.entries[0].lead), (country,))

    def _seen(self, sent: frozenset[str]) -> set[str]:
        return {self._story_key[k] for k in sent if k in self._story_key}

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


def _preview(lead: Article | None) -> str:
    """The lead's link to preview, if its article has a picture to show."""
    return lead.url if lead is not None and lead.image else ""


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
        """Clustered in the worker process; the articles are ordered and the stories put
        together in a thread, as at 15,000 articles that held the event loop for 0.05 s
        and more (the thread gives the loop its turn every few milliseconds)."""
        now = self._clock()
        articles = self._store.articles(since=now - WINDOW)
        ordered = await asyncio.to_thread(in_story_order, articles)
        groups = await self._worker.run(group_positions, ordered) if ordered else []
        gathered = bool(ordered) or any(
            state.last_attempt is not None for state in self._store.feed_states().values())
        return await asyncio.to_thread(_edition, ordered, groups, built=now,
                                       watched=self._watched, gathered=gathered)


def _edition(ordered: list[Article], groups: list[list[int]], *, built: datetime,
             watched: str | None, gathered: bool) -> Edition:
    return Edition(stories_of(ordered, groups), built=built, watched=watched,
                   gathered=gathered)
