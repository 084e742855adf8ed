"""Digests and single stories as Telegram HTML, in chunks Telegram accepts.

Pure rendering: what to show has been decided before (stories, leads,
alternative takes); this module only lays it out. Every piece of outside text
(headlines, outlet names, summaries, URLs) is escaped with `html.escape`, and
links are made only to http(s) addresses.

A chunk is at most MAX_MESSAGE characters of raw HTML, counted in UTF-16 code
units as Telegram counts; Telegram's own limit applies to the text after the
tags are parsed away, so this bound is stricter than needed and never wrong.
Chunks are cut only between stories and sections, so every chunk is
well-formed HTML on its own, and a section that goes on in the next chunk
repeats its header there. A story too long for any chunk (absurd title, links
or summary) loses its summary first, then alternatives, and only then is
shortened further; HTML is never cut.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

from digest.countries import by_code
from digest.models import Article
from digest.summarize import summarize
from digest.text import shorten
from digest.translate import language_name

MAX_MESSAGE = 4096
READER_LANGUAGE = "en"  # digests are in English; other languages are marked
MAX_ALTERNATIVES = 5
SUMMARY_LIMIT = 300
NOT_IN_US_MEDIA = "🔎 not in US media"
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
# Last resort for a story that does not fit even without summary and alternatives.
_COMPACT_TITLE = 150
_COMPACT_OUTLET = 60
_COMPACT_URL = 1024


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One story as a digest shows it: the lead article and the other outlets' takes."""

    lead: Article
    alternatives: tuple[Article, ...] = ()  # other outlets; those from other countries get a flag
    not_in_us_media: bool = False


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of a digest that is never cut, with its length as Telegram counts it
    (measured once: a block is packed into many chats' digests)."""

    text: str
    size: int

    @classmethod
    def of(cls, text: str) -> Block:
        return cls(text, _size(text))


@dataclass(frozen=True, slots=True)
class RenderedSection:
    """A country's section as blocks, ready to be packed into any chat's digest."""

    blocks: tuple[Block, ...]  # the first holds the section header
    continued: Block | None = None  # the header repeated when the section goes on


def story_block(item: DigestItem, number: int, country: str) -> Block:
    """Story `number` of `country`'s section, fitted to the room any chunk leaves it (after
    the longest digest header and the section's "continued" header); the first story
    carries the section header, which must never end a chunk alone.

    Rendering (summaries, fitting) is the costly part of a digest and does not depend on
    the chat, so callers cache blocks and share them between chats."""
    title = _section_header(country)
    room = MAX_MESSAGE - _LONGEST_HEADER - continued_block(country).size - 2 * _size(_SEPARATOR)
    text = _fitted_story(item, number, country, room)
    return Block.of(f"{title}{_SEPARATOR}{text}" if number == 1 else text)


@cache
def continued_block(country: str) -> Block:
    return Block.of(f"{_section_header(country)} (continued)")


@cache
def nothing_new(country: str) -> RenderedSection:
    """The one-line section of a country with no story the chat has not seen."""
    return RenderedSection(
        (Block.of(f"Nothing new from {_country_label(country)} since your last digest."),))


def section(country: str, blocks: tuple[Block, ...]) -> RenderedSection:
    """A country's section from its story blocks (see story_block); none: "nothing new"."""
    return RenderedSection(blocks, continued_block(country)) if blocks else nothing_new(country)


def pack_digest(sections: Sequence[RenderedSection], *, when: datetime) -> list[str]:
    """Rendered sections under a dated header, as message chunks of at most MAX_MESSAGE
    characters each. `when` is the digest's moment in the user's zone."""
    _require_aware(when, "when")
    chunks = _Chunks(Block.of(_header(when)))
    if not sections:
        chunks.add(_NOTHING_AT_ALL)
    for section in sections:
        first, *rest = section.blocks
        chunks.add(first)  # it holds the section header itself
        for block in rest:
            chunks.add(block, continued=section.continued)
    return chunks.finish()


def _header(when: datetime) -> str:
    return f"<b>Your news digest</b> — {_DAYS[when.weekday()]} {when.day} {_MONTHS[when.month - 1]}"


def render_story(
    item: DigestItem,
    number: int | None = None,
    *,
    now: datetime | None = None,
    tz: ZoneInfo | None = None,
    country: str | None = None,
) -> str:
    """One story block: numbered headline link, outlet line, summary, other outlets.

    With `now` the outlet line says how long ago the lead was published ("3 h ago"),
    older than a day as a date in `tz` (default: now's zone); with only `tz`, the
    local date and time. Outlets from another country than `country` (default: the
    lead's) get their flag; `country=""` flags every outlet, the lead's too (an answer
    that is not about one country).
    """
    if now is not None:
        _require_aware(now, "now")
    home = (item.lead.country if country is None else country).upper()
    return _fitted_story(item, number, home, MAX_MESSAGE, now=now, tz=tz)


class _Chunks:
    """Blocks packed greedily into chunks, a chunk cut only between blocks."""

    def __init__(self, first: Block) -> None:
        self._done: list[str] = []
        self._blocks = [first.text]
        self._size = first.size

    def add(self, block: Block, *, continued: Block | None = None) -> None:
        """Append `block`; a new chunk opens with `continued` (a repeated header) if given."""
        if self._size + _SEPARATOR_SIZE + block.size <= MAX_MESSAGE:
            self._blocks.append(block.text)
            self._size += _SEPARATOR_SIZE + block.size
            return
        self._done.append(_SEPARATOR.join(self._blocks))
        if continued is None:
            self._blocks, self._size = [block.text], block.size
        else:
            self._blocks = [continued.text, block.text]
            self._size = continued.size + _SEPARATOR_SIZE + block.size

    def finish(self) -> list[str]:
        return [*self._done, _SEPARATOR.join(self._blocks)]


def _fitted_story(
    item: DigestItem,
    number: int | None,
    home: str,
    room: int,
    *,
    now: datetime | None = None,
    tz: ZoneInfo | None = None,
) -> str:
    """The story within `room` characters: shorter summary, then fewer takes, then compact."""
    shown = _alternatives(item)
    limit = len(summarize(item.lead, SUMMARY_LIMIT))
    while True:
        block = _story(item, number, home, shown, limit, now=now, tz=tz)
        overflow = _size(block) - room
        if overflow <= 0 or limit == 0:
            break
        limit = max(0, limit - overflow)
    for keep in range(min(len(shown), MAX_ALTERNATIVES) - 1, -1, -1):
        if _size(block) <= room:
            return block
        block = _story(item, number, home, shown, 0, keep=keep, now=now, tz=tz)
    if _size(block) <= room:
        return block
    return _story(item, number, home, shown, 0, keep=0, compact=True, now=now, tz=tz)


def _story(
    item: DigestItem,
    number: int | None,
    home: str,
    shown: list[Article],
    summary_limit: int,
    *,
    keep: int = MAX_ALTERNATIVES,
    compact: bool = False,
    now: datetime | None = None,
    tz: ZoneInfo | None = None,
) -> str:
    lead = item.lead
    title = shorten(lead.title, _COMPACT_TITLE) if compact else lead.title
    headline = f"<b>{_link(lead.url, title, compact=compact)}</b>"
    lines = [f"{number}. {headline}" if number is not None else headline]

    outlet = shorten(lead.source, _COMPACT_OUTLET) if compact else lead.source
    meta = [f"{_foreign_flag(lead.country, home)}<i>{html.escape(outlet)}</i>"]
    if language := _language_note(lead):
        meta.append(language)
    if item.not_in_us_media:
        meta.append(NOT_IN_US_MEDIA)
    if now is not None or tz is not None:
        meta.append(_when(lead.published, now, tz))
    lines.append(_DOT.join(meta))

    summary = summarize(lead, summary_limit) if summary_limit > 0 else ""
    if summary:
        lines.append(html.escape(summary))

    if shown and keep > 0:
        links = [
            f"{_foreign_flag(a.country, home)}{_link(a.url, a.source, compact=compact)}"
            for a in shown[:keep]
        ]
        if len(shown) > keep:
            links.append(f"+{len(shown) - keep} more")
        lines.append("Also: " + _DOT.join(links))
    elif shown:
        lines.append(f"Also: {len(shown)} more {'outlet' if len(shown) == 1 else 'outlets'}")
    return "\n".join(lines)


def _alternatives(item: DigestItem) -> list[Article]:
    """Other outlets' takes in the given order, one per outlet, none from the lead's outlet."""
    seen = {item.lead.source.casefold()}
    shown = []
    for article in item.alternatives:
        key = article.source.casefold()
        if key not in seen and article.url != item.lead.url:
            seen.add(key)
            shown.append(article)
    return shown


def _language_note(article: Article) -> str:
    """"translated from Japanese", or "in Japanese" while no translation has arrived; the
    reader should know which words are the outlet's own."""
    if article.language in ("", READER_LANGUAGE):
        return ""
    name = language_name(article.language)
    return f"translated from {name}" if article.translated else f"in {name}"


def _link(url: str, text: str, *, compact: bool = False) -> str:
    label = html.escape(text)
    if not url.startswith(("https://", "http://")):
        return label
    href = html.escape(url, quote=True)
    if compact and len(href) > _COMPACT_URL:
        return label
    return f'<a href="{href}">{label}</a>'


def _foreign_flag(country: str, home: str) -> str:
    if country.upper() == home.upper():
        return ""
    found = by_code(country)
    return f"{found.flag} " if found else ""


def _section_header(code: str) -> str:
    found = by_code(code)
    if found is None:
        return f"<b>{html.escape(code.upper())}</b>"
    return f"{found.flag} <b>{html.escape(found.name)}</b>"


def _country_label(code: str) -> str:
    found = by_code(code)
    if found is None:
        return html.escape(code.upper())
    return f"{found.flag} {html.escape(found.name)}"


def _when(published: datetime, now: datetime | None, tz: ZoneInfo | None) -> str:
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


def _size(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (a flag is four)."""
    return len(text.encode("utf-16-le")) // 2


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")


_SEPARATOR_SIZE = _size(_SEPARATOR)
_NOTHING_AT_ALL = Block.of("Nothing new since your last digest.")
_LONGEST_HEADER = max(_size(_header(datetime(2026, 9, day, tzinfo=UTC))) for day in range(24, 31))
