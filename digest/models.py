"""Domain objects shared by ingestion, the store, stories and the chat layer.

They are plain frozen dataclasses so that every layer can pass them around, hash
them and compare them in tests; the store owns their conversion to JSON.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Source:
    """One outlet's feed in the catalog."""

    name: str
    country: str  # ISO 3166 alpha-2, upper case
    feed: str
    language: str  # ISO 639-1
    homepage: str = ""

    @property
    def key(self) -> str:
        """Feed state is kept per feed URL: two outlets never share one feed."""
        return self.feed


@dataclass(frozen=True, slots=True)
class Article:
    """One normalized feed entry: plain text, canonical URL, aware UTC time."""

    url: str
    title: str
    summary: str
    published: datetime
    source: str
    country: str
    language: str  # of the original text, detected (or the feed's declared one)
    image: str = ""
    # Set once the title and summary above are translations: the texts as published.
    original_title: str = ""
    original_summary: str = ""

    @property
    def translated(self) -> bool:
        return bool(self.original_title or self.original_summary)

    @property
    def published_title(self) -> str:
        """The title as the outlet wrote it (dedup and search must not depend on
        whether a translation has arrived)."""
        return self.original_title or self.title

    @property
    def id(self) -> str:
        """Stable across passes and restarts because the URL is canonical."""
        return article_id(self.url)


@lru_cache(maxsize=1 << 16)
def article_id(canonical_url: str) -> str:
    """Cached: stories and digests ask for ids again and again, and hashing is not free."""
    return hashlib.blake2b(canonical_url.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the last fetches of one feed left behind, for conditional GET and back-off."""

    etag: str = ""
    last_modified: str = ""
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    last_error: str = ""
    failures: int = 0  # consecutive


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat's subscriptions and settings; frozen so the in-memory copy cannot drift."""

    chat_id: int
    countries: tuple[str, ...] = ()
    digest_time: str = ""  # "HH:MM"; empty means the configured default
    timezone: str = ""  # IANA name; empty means the configured default
    paused: bool = False
    active: bool = True  # False once Telegram says the bot was blocked
    last_digest: str = ""  # local date (ISO) of the last scheduled digest sent


@dataclass(frozen=True, slots=True)
class Delivery:
    """A scheduled digest being sent: its messages as composed, and how many went out.

    Kept durably while it lasts, so a restart in the middle goes on from the next message
    instead of sending the first ones twice (or composing a different digest)."""

    chat_id: int
    local_date: str  # the chat's local date the digest is for
    chunks: tuple[str, ...]
    keys: tuple[str, ...]  # to remember as sent once all chunks went out
    delivered: int = 0
    # How the messages are sent, kept with them so a resumed digest looks the same: the
    # link whose picture heads the first message (empty: none; every later message is sent
    # silently), and the countries offered "More from" buttons under the last.
    preview: str = ""
    more: tuple[str, ...] = ()
