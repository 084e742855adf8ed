"""Digests and single stories as Telegram HTML, in as few messages as Telegram allows.

Pure rendering: what to show has been decided before (stories, leads,
alternative takes); this module only lays it out. Every piece of outside text
(headlines, outlet names, summaries, URLs) is escaped with `html.escape`, and
links are made only to http(s) addresses.

A message is measured as Telegram measures it: the text left after the tags are
parsed away, in UTF-16 code units, at most MAX_MESSAGE; link addresses and tags
do not count. Telegram also keeps only the first MAX_ENTITIES formatting
entities of a message, and refuses one whose entities are too large in all
("Entities_too_long", about 9,500 characters with the link addresses), so a
message holds at most MAX_ENTITIES tags and MAX_LINK_CHARACTERS of addresses.
Every block is measured once, when it is rendered, and shared by many chats.

Messages are cut only between stories and sections, so each is well-formed
HTML on its own and a story is never split; a section that goes on in the next
message says so once, with its header. A story too long for any message
(absurd title, links or summary) loses its summary first, then takes, and only
then is shortened further; HTML is never cut.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache

from digest.countries import by_code, flag_prefix, label_of
from digest.models import Article
from digest.stories.summarize import summarize
from digest.stories.takes import (
    MAX_HEADLINES,
    MAX_NAMED,
    language_note,
    link,
    render_takes,
    reported_abroad,
    takes_of,
)
from digest.text import shorten

MAX_MESSAGE = 4096
MAX_ENTITIES = 100
MAX_LINK_CHARACTERS = 8000
SUMMARY_LIMIT = 300
# Not the search icon (🔎 heads topic answers): a spotlight on what the US press left dark.
NOT_IN_US_MEDIA = "🔦 not in US media"
NO_SUBSCRIPTIONS_HINT = (
    "You have no countries yet: send /subscribe Japan, Brazil (any countries you like) "
    "to get their news in your digest."
)

_SEPARATOR = "\n\n"
_DOT = " · "
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Last resort for a story that does not fit even without summary and takes.
_COMPACT_TITLE = 150
_COMPACT_OUTLET = 60
_COMPACT_URL = 1024


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One story as a digest shows it: the lead article and the other outlets' takes."""

    lead: Article
    alternatives: tuple[Article, ...] = ()  # other outlets, in the order to show them
    not_in_us_media: bool = False


@dataclass(frozen=True, slots=True)
class Size:
    """What a piece of HTML costs a message: visible UTF-16 units, entities, link addresses."""

    text: int
    entities: int = 0
    links: int = 0

    def __add__(self, other: Size) -> Size:
        return Size(self.text + other.text, self.entities + other.entities,
                    self.links + other.links)

    def fits(self, room: Size) -> bool:
        return (self.text <= room.text and self.entities <= room.entities
                and self.links <= room.links)


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of a digest that is never cut, with its size as Telegram counts it
    (measured once: a block is packed into many chats' digests). The parts of its Size
    are kept as plain numbers: packing adds them up millions of times."""

    text: str
    length: int  # visible UTF-16 code units
    entities: int
    links: int  # UTF-16 code units of link addresses

    @classmethod
    def of(cls, text: str) -> Block:
        size = measure(text)
        return cls(text, size.text, size.entities, size.links)

    @property
    def size(self) -> Size:
        return Size(self.length, self.entities, self.links)


@dataclass(frozen=True, slots=True)
class RenderedSection:
    """A country's section as blocks, ready to be packed into any chat's digest."""

    blocks: tuple[Block, ...]  # the first holds the section header
    continued: Block | None = None  # the header repeated when the section goes on


def measure(text: str) -> Size:
    """The size of HTML this module made: its tags are exactly those it wrote (outside
    text is escaped), so stripping them leaves the text Telegram shows."""
    entities = links = 0
    for match in _TAG.finditer(text):
        entities += 1
        if match.group(1) is not None:
            links += _utf16(html.unescape(match.group(1)))
    return Size(_utf16(html.unescape(_ANY_TAG.sub("", text))), entities, links)


def story_block(item: DigestItem, number: int, country: str) -> Block:
    """Story `number` of `country`'s section, fitted to the room any message leaves it
    (after the longest digest header and the section's "continued" header); the first
    story carries the section header, which must never end a message alone.

    Rendering (summaries, fitting) is the costly part of a digest and does not depend on
    the chat, so callers cache blocks and share them between chats."""
    text, size = _fitted_story(item, number, country, _story_room(country))
    if number != 1:
        return Block(text, size.text, size.entities, size.links)
    header = _header_of_section(country)
    return Block(f"{header.text}{_SEPARATOR}{text}", header.length + _SEPARATOR_LENGTH + size.text,
                 header.entities + size.entities, header.links + size.links)


@cache
def _header_of_section(country: str) -> Block:
    return Block.of(_section_header(country))


@cache
def _story_room(country: str) -> Size:
    """What any message leaves a story of `country`'s section."""
    taken = _LONGEST_HEADER + continued_block(country).size + measure(2 * _SEPARATOR)
    return Size(MAX_MESSAGE - taken.text, MAX_ENTITIES - taken.entities, MAX_LINK_CHARACTERS)


@cache
def continued_block(country: str) -> Block:
    return Block.of(f"{_section_header(country)} (continued)")


@cache
def nothing_new(country: str, *, first: bool = False) -> RenderedSection:
    """The one-line section of a country with no story to show: for a chat's first digest
    it cannot say "since your last digest"."""
    label = html.escape(label_of(country))
    text = (f"No news from {label} in the last two days." if first
            else f"Nothing new from {label} since your last digest.")
    return RenderedSection((Block.of(text),))


def section(country: str, blocks: tuple[Block, ...], *, first: bool = False
            ) -> RenderedSection:
    """A country's section from its story blocks (see story_block); none: "nothing new"."""
    return (RenderedSection(blocks, continued_block(country)) if blocks
            else nothing_new(country, first=first))


def pack_digest(sections: Sequence[RenderedSection], *, when: datetime) -> list[str]:
    """Rendered sections under a dated header, as the fewest messages within Telegram's
    limits, cut only between blocks. `when` is the digest's moment in the user's zone."""
    _require_aware(when, "when")
    header = _header_block(when.weekday(), when.day, when.month)
    return [_SEPARATOR.join(parts) for parts in _pack(header, sections)]


def first_message(blocks: Sequence[Block]) -> tuple[str, int]:
    """As many of `blocks` as one message holds (at least one): the text and how many."""
    first = _pack(blocks[0], [RenderedSection(tuple(blocks[1:]))])[0]
    return _SEPARATOR.join(first), len(first)


def _pack(first: Block, sections: Sequence[RenderedSection]) -> list[list[str]]:
    """Blocks packed greedily into messages (each a list of block texts), cut only between
    blocks: with the order fixed, filling each message before opening the next gives the
    fewest. One loop with local numbers: it runs for every block of every chat's digest."""
    done: list[list[str]] = []
    parts = [first.text]
    length, entities, links = first.length, first.entities, first.links
    for section in sections:
        opening: Block | None = None  # the first block holds the section header itself
        for block in section.blocks:
            if (length + _SEPARATOR_LENGTH + block.length <= MAX_MESSAGE
                    and entities + block.entities <= MAX_ENTITIES
                    and links + block.links <= MAX_LINK_CHARACTERS):
                parts.append(block.text)
                length += _SEPARATOR_LENGTH + block.length
                entities += block.entities
                links += block.links
            else:
                done.append(parts)
                parts = [block.text]
                length, entities, links = block.length, block.entities, block.links
                if opening is not None:  # the section goes on: it says so, once
                    parts.insert(0, opening.text)
                    length += opening.length + _SEPARATOR_LENGTH
                    entities += opening.entities
                    links += opening.links
            opening = section.continued
    done.append(parts)
    return done


def _header(when: datetime) -> str:
    return f"<b>Your news digest</b> — {_DAYS[when.weekday()]} {when.day} {_MONTHS[when.month - 1]}"


@cache
def _header_block(weekday: int, day: int, month: int) -> Block:
    """Measured once per date, not once per chat."""
    return Block.of(f"<b>Your news digest</b> — {_DAYS[weekday]} {day} {_MONTHS[month - 1]}")


def render_story(
    item: DigestItem,
    number: int | None = None,
    *,
    now: datetime | None = None,
    tz: tzinfo | None = None,
    country: str | None = None,
) -> str:
    """One story block: numbered headline link, outlet line, summary, the takes.

    With `now` the outlet line says how long ago the lead was published ("3 h ago"),
    older than a day as a date in `tz` (default: now's zone); with only `tz`, the
    local date and time. The lead's outlet gets its flag unless it is of `country`
    (default: the lead's); `country=""` flags it always (an answer not about one country).
    """
    if now is not None:
        _require_aware(now, "now")
    home = (item.lead.country if country is None else country).upper()
    room = Size(MAX_MESSAGE, MAX_ENTITIES, MAX_LINK_CHARACTERS)
    return _fitted_story(item, number, home, room, now=now, tz=tz)[0]


def _fitted_story(
    item: DigestItem,
    number: int | None,
    home: str,
    room: Size,
    *,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> tuple[str, Size]:
    """The story within `room`, and its size: shorter summary, then fewer takes, then
    compact."""
    story = _Story(item, number, home, now, tz)
    limit = len(story.summary)
    while True:
        block = story.render(limit)
        size = measure(block)
        overflow = size.text - room.text
        if overflow <= 0 or limit == 0:
            break
        limit = max(0, limit - overflow)
    # Fewer outlets named, then fewer headlines (the takes stay said, down to a count).
    cuts = [(MAX_HEADLINES, named) for named in range(MAX_NAMED - 1, -1, -1)]
    cuts += [(headlines, 0) for headlines in range(MAX_HEADLINES - 1, -1, -1)]
    for headlines, named in cuts:
        if size.fits(room):
            return block, size
        block = story.render(0, headlines=headlines, named=named)
        size = measure(block)
    if size.fits(room):
        return block, size
    block = story.render(0, headlines=0, named=0, compact=True)
    return block, measure(block)


class _Story:
    """A story's parts, worked out once, rendered at any level of detail."""

    def __init__(self, item: DigestItem, number: int | None, home: str,
                 now: datetime | None, tz: tzinfo | None) -> None:
        self.item = item
        self.number = number
        self.home = home
        self.when = _when(item.lead.published, now, tz) if now is not None or tz is not None else ""
        self.takes = takes_of(item.alternatives)
        self.abroad = reported_abroad(self.takes, item.lead.country)
        self.summary = summarize(item.lead, SUMMARY_LIMIT)  # shortened only if it must be

    def render(self, summary_limit: int, *, headlines: int = MAX_HEADLINES,
               named: int = MAX_NAMED, compact: bool = False) -> str:
        lead = self.item.lead
        title = shorten(lead.title, _COMPACT_TITLE) if compact else lead.title
        url = "" if compact and len(lead.url) > _COMPACT_URL else lead.url
        headline = f"<b>{link(url, title)}</b>"
        lines = [f"{self.number}. {headline}" if self.number is not None else headline]

        outlet = shorten(lead.source, _COMPACT_OUTLET) if compact else lead.source
        meta = [f"{_foreign_flag(lead.country, self.home)}{html.escape(outlet)}"]
        if language := language_note(lead):
            meta.append(language)
        if not self.abroad:  # "not in US media" goes without saying
            meta.append(f"reported only in {html.escape(label_of(lead.country))}")
        elif self.item.not_in_us_media:
            meta.append(NOT_IN_US_MEDIA)
        if self.when:
            meta.append(self.when)
        lines.append(_DOT.join(meta))

        summary = (self.summary if summary_limit >= len(self.summary)
                   else summarize(lead, summary_limit) if summary_limit > 0 else "")
        if summary:
            lines.append(html.escape(summary))
        if compact:
            count = sum(len(t.articles) for t in self.takes.headlines) + len(self.takes.named)
            if count:
                lines.append(f"Also reported by {count} other "
                             f"{'outlet' if count == 1 else 'outlets'}")
        elif takes := render_takes(self.takes, headlines=headlines, named=named):
            lines.append(takes)
        return "\n".join(lines)


def _foreign_flag(country: str, home: str) -> str:
    return "" if country.upper() == home.upper() else flag_prefix(country)


def _section_header(code: str) -> str:
    found = by_code(code)
    if found is None:
        return f"<b>{html.escape(code.upper())}</b>"
    return f"{found.flag} <b>{html.escape(found.name)}</b>"


def _when(published: datetime, now: datetime | None, tz: tzinfo | None) -> str:
    """ "just now", "25 min ago", "3 h ago"; older (or without `now`) a date in the user's zone."""
    if now is not None:
        seconds = (now - published).total_seconds()
        if seconds < 60:
            return "just now"
        if seconds < 3600:
            return f"{int(seconds // 60)} min ago"
        if seconds < 86400:
            return f"{int(seconds // 3600)} h ago"
    zone = tz if tz is not None else (now.tzinfo if now is not None else None)
    local = published.astimezone(zone) if zone is not None else published
    date = f"{local.day} {_MONTHS[local.month - 1][:3]}"
    return date if now is not None else f"{date} {local:%H:%M}"


def _utf16(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (a flag is four)."""
    return len(text.encode("utf-16-le")) // 2


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")


_TAG = re.compile(r'<(?:a href="([^"]*)"|[a-z][^>]*)>')  # opening tags: one entity each
_ANY_TAG = re.compile(r"<[^>]*>")
_SEPARATOR_LENGTH = _utf16(_SEPARATOR)
_LONGEST_HEADER = max((measure(_header(datetime(2026, 9, day, tzinfo=UTC)))
                       for day in range(24, 31)), key=lambda size: size.text)
