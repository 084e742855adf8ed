"""Subscribing chats to countries: what a request changes and how to report it.

Pure functions over `Chat` and the catalog's coverage, so the chat layer only
has to persist the new chat and render the outcome.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from digest.countries import Country, Found, by_code, find_countries
from digest.models import Chat, Source


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which countries the catalog has outlets for, and how many."""

    outlets: dict[str, int]

    @classmethod
    def of(cls, sources: list[Source]) -> Coverage:
        return cls(dict(Counter(source.country for source in sources)))

    def covers(self, country: Country) -> bool:
        return country.code in self.outlets

    def countries(self) -> list[Country]:
        """Covered countries sorted by name."""
        found = [c for c in map(by_code, self.outlets) if c is not None]
        return sorted(found, key=lambda c: c.name)

    def by_region(self) -> dict[str, list[Country]]:
        regions: dict[str, list[Country]] = {}
        for country in self.countries():
            regions.setdefault(country.region, []).append(country)
        return dict(sorted(regions.items()))


@dataclass(frozen=True, slots=True)
class Change:
    """The outcome of /subscribe or /unsubscribe with names."""

    chat: Chat
    changed: tuple[Country, ...] = ()  # added or removed
    unchanged: tuple[Country, ...] = ()  # already subscribed / was not subscribed
    uncovered: tuple[Country, ...] = ()  # recognized, but no outlet in the catalog
    found: Found | None = None


def subscribe(chat: Chat, text: str, coverage: Coverage) -> Change:
    found = find_countries(text)
    added, already, uncovered = [], [], []
    codes = list(chat.countries)
    for country in found.countries:
        if not coverage.covers(country):
            uncovered.append(country)
        elif country.code in codes:
            already.append(country)
        else:
            codes.append(country.code)
            added.append(country)
    return Change(replace(chat, countries=tuple(codes)), tuple(added), tuple(already),
                  tuple(uncovered), found)


EVERY_COUNTRY = frozenset({"all", "everything", "every country", "all countries"})


def unsubscribe(chat: Chat, text: str) -> Change:
    """Remove the countries named in `text`, or every one for "all"."""
    if " ".join(text.lower().split()) in EVERY_COUNTRY:
        return Change(replace(chat, countries=()), tuple(subscribed(chat)))
    found = find_countries(text)
    removed = [c for c in found.countries if c.code in chat.countries]
    absent = [c for c in found.countries if c.code not in chat.countries]
    gone = {c.code for c in removed}
    return Change(replace(chat, countries=tuple(c for c in chat.countries if c not in gone)),
                  tuple(removed), tuple(absent), (), found)


def toggle(chat: Chat, code: str) -> Chat:
    """The chat with `code` added if absent, removed if present (keyboard taps)."""
    if code in chat.countries:
        return replace(chat, countries=tuple(c for c in chat.countries if c != code))
    return replace(chat, countries=(*chat.countries, code))


def subscribed(chat: Chat) -> list[Country]:
    return [c for c in map(by_code, chat.countries) if c is not None]
