"""What the rest of the bot asks of a store: the one interface a backend provides.

Callers type against `Store`; only start-up code (and tests) name a backend. The
behaviour every backend owes is pinned by the contract tests (`tests/store/test_contract.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from digest.models import Article, Chat, Delivery, FeedState


class Store(Protocol):
    """Chats and their settings, articles by day, feed state, what was sent, digests being
    sent. Reads answer from memory (TinyDB) or by an indexed query (PostgreSQL); a write
    returns once its change is durable. A store opened read-only refuses every write with
    `StoreError`."""

    read_only: bool
    folder: Path  # the store's own folder: neighbours (the digest queue) keep files there

    # -- chats and what was sent to them ------------------------------------------------

    def chat(self, chat_id: int) -> Chat | None:
        """The chat's settings, or None if it never wrote or was forgotten."""

    def chats(self) -> list[Chat]:
        """Every chat served (a copy: linear in the number of chats)."""

    def save_chat(self, chat: Chat) -> None:
        """Store one chat's settings."""

    def save_chats(self, chats: Iterable[Chat]) -> None:
        """Store many chats at once (imports, bulk changes)."""

    def update_chat(self, chat_id: int, **changes: Any) -> Chat:
        """The chat (created if new) with `changes` applied, stored."""

    def delete_chat(self, chat_id: int) -> bool:
        """Forget the chat and what it was sent; False if nothing was stored."""

    def watch_chats(self, watcher: Callable[[int], None]) -> None:
        """Have `watcher(chat_id)` called after each change of a chat's settings."""

    def sent_keys(self, chat_id: int) -> frozenset[str]:
        """The story keys sent to the chat over the days kept."""

    def record_digest(self, chat_id: int, keys: Iterable[str], when: datetime, *,
                      local_date: str | None = None) -> Chat:
        """A digest with `keys` went out at `when`; `local_date` (a scheduled digest's
        local ISO date) becomes the chat's `last_digest`. Returns the chat as stored."""

    # -- articles -----------------------------------------------------------------------

    def add_articles(self, articles: Iterable[Article]) -> list[Article]:
        """Store the articles not seen before (by URL, or by outlet and title); the new."""

    def replace_articles(self, articles: Iterable[Article]) -> list[Article]:
        """Store new versions of known articles (same URL); those replaced."""

    def articles(self, since: datetime | None = None) -> list[Article]:
        """Stored articles, newest first, those published at or after `since` if given."""

    def prune_articles(self, older_than: datetime) -> int:
        """Drop the days published before `older_than`'s UTC day; the articles dropped."""

    # -- feeds --------------------------------------------------------------------------

    def feed_state(self, feed: str) -> FeedState:
        """The feed's fetch state (an empty one if never fetched)."""

    def feed_states(self) -> dict[str, FeedState]:
        """Every feed's fetch state, by feed URL."""

    def save_feed_states(self, states: Mapping[str, FeedState]) -> None:
        """Replace the state of the given feeds, together."""

    # -- digests being sent -------------------------------------------------------------

    def deliveries(self) -> dict[int, Delivery]:
        """Digests whose sending had begun, by chat."""

    def delivery(self, chat_id: int) -> Delivery | None:
        """The chat's digest being sent, if any."""

    def save_delivery(self, delivery: Delivery) -> None:
        """Remember a digest's progress."""

    def drop_delivery(self, chat_id: int) -> None:
        """The digest was recorded as sent, or given up."""

    def close(self) -> None:
        """Release the store's files and locks; closing twice is harmless."""
