"""What changed while the app was open, so closing it sends at most one short message.

The countries a chat had when it opened the app are kept in memory until it closes;
the summary compares them with the countries it has then. A restart forgets open
sessions, which only costs that summary (the subscriptions are already stored).
"""

from __future__ import annotations

from digest.countries import by_code
from digest.models import Chat
from handlers.replies import country_list

MAX_OPEN = 10_000  # sessions never closed (the app killed) must not grow without end


class Sessions:
    def __init__(self) -> None:
        self._opened_with: dict[int, tuple[str, ...]] = {}

    def opened(self, chat: Chat) -> None:
        """Remember the chat's countries, unless its session is already open."""
        if chat.chat_id in self._opened_with:
            return
        if len(self._opened_with) >= MAX_OPEN:
            del self._opened_with[next(iter(self._opened_with))]
        self._opened_with[chat.chat_id] = chat.countries

    def closed(self, chat: Chat) -> str:
        """The summary of the session's changes as HTML; empty when nothing changed."""
        before = self._opened_with.pop(chat.chat_id, chat.countries)
        added = [c for c in chat.countries if c not in before]
        removed = [c for c in before if c not in chat.countries]
        parts = []
        if added:
            parts.append("Added: " + country_list(filter(None, map(by_code, added))))
        if removed:
            parts.append("Removed: " + country_list(filter(None, map(by_code, removed))))
        if not parts:
            return ""
        return "🌍 From the globe. " + ". ".join(parts) + ". See /mysubs for all your countries."
