"""Figures for operators: who uses the bot, what they follow, how the news flows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from digest.ingestion.health import feed_health
from digest.models import Source
from digest.store import Store


@dataclass(frozen=True, slots=True)
class Stats:
    chats: int
    receiving: int  # active, not paused, with countries: they get the morning digest
    paused: int
    blocked: int  # Telegram said they blocked or removed the bot
    subscriptions: list[tuple[str, int]]  # country code, chats; most followed first
    articles_per_day: list[tuple[date, int]]  # the last days, newest first
    feeds: int
    failing_feeds: list[Source]


def collect_stats(store: Store, sources: list[Source], now: datetime, days: int = 7) -> Stats:
    chats = store.chats()
    follows = Counter(code for chat in chats if chat.active for code in chat.countries)
    since = now - timedelta(days=days)
    per_day = Counter(a.published.date() for a in store.articles(since=since))
    today = now.date()
    return Stats(
        chats=len(chats),
        receiving=sum(c.active and not c.paused and bool(c.countries) for c in chats),
        paused=sum(c.active and c.paused for c in chats),
        blocked=sum(not c.active for c in chats),
        subscriptions=sorted(follows.items(), key=lambda item: (-item[1], item[0])),
        articles_per_day=[(today - timedelta(days=n), per_day[today - timedelta(days=n)])
                          for n in range(days)],
        feeds=len(sources),
        failing_feeds=[row.source for row in feed_health(store, sources, now) if row.failing],
    )
