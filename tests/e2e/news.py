"""Articles for end-to-end tests, and seeding them into a bot's store before it starts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from digest.config import StorageConfig
from digest.models import Article, Chat

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def article(title: str, source: str, country: str, hours_ago: float, summary: str = "",
            *, now: datetime = NOON) -> Article:
    slug = "-".join(title.lower().split())[:60]
    return Article(
        url=f"https://{source.lower().replace(' ', '')}.example/{slug}",
        title=title,
        summary=summary or f"{title}. Officials gave more details on Tuesday.",
        published=now - timedelta(hours=hours_ago),
        source=source,
        country=country,
        language="en",
    )


NEWS = [
    article("Japan raises rare earth export quotas for allies", "Japan Daily", "JP", 5,
            "Tokyo will let more rare earth metals go to partner countries. The change "
            "starts in January."),
    article("Tokyo lifts rare earth export quotas for allied nations", "Tokyo Wire", "JP", 4),
    article("Japão amplia cotas de exportação de terras raras", "Folha", "BR", 3,
            "Japan raises rare earth export quotas for allies, Tokyo said."),
    article("Typhoon <Kong-rey> nears Okinawa & closes schools", "Tokyo Wire", "JP", 2),
    article("Bundestag passes the budget for next year", "Tagesschau", "DE", 1),
]


def seed(storage: StorageConfig, articles: list[Article], chats: Iterable[Chat] = ()) -> None:
    """Put articles (and chats) in the bot's store before it starts, as earlier ingestion
    passes and conversations would have."""
    from tests.e2e.stores import open_store

    store = open_store(storage)
    store.add_articles(articles)
    store.save_chats(chats)
    store.close()


