"""Synthetic but realistically sized data for the store benchmarks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from digest.models import Article, Chat

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
COUNTRIES = ["JP", "BR", "DE", "FR", "IN", "NG", "US", "GB", "CN", "KR", "MX", "ZA", "EG", "TR",
             "AU", "CA", "AR", "ID", "PK", "UA", "RU", "IT", "ES", "PL", "NL", "SE", "NO", "KE",
             "IL", "IR", "SA", "AE", "TH", "VN", "PH", "MY", "SG", "NZ", "CL", "CO", "PE", "VE",
             "GH", "ET", "MA", "DZ", "GR", "PT", "IE", "CH"]
WORDS = (
    "minister", "talks", "trade", "tariffs", "election", "storm", "rare", "earths", "court",
    "ruling", "protest", "bank", "rates", "inflation", "summit", "border", "drought", "flood",
    "vaccine", "oil", "gas", "strike", "port", "rail",
)


def articles(days: int = 30, per_day: int = 500, seed: int = 1) -> list[Article]:
    rng = random.Random(seed)
    found = []
    for day in range(days):
        for n in range(per_day):
            country = rng.choice(COUNTRIES)
            title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
            found.append(Article(
                url=f"https://outlet{rng.randrange(150)}.example/{day}/{n}",
                title=f"{title} {day}-{n}",
                summary=" ".join(rng.choice(WORDS) for _ in range(45)).capitalize() + ".",
                published=NOW - timedelta(days=day, seconds=rng.randrange(86_400)),
                source=f"Outlet {country} {rng.randrange(3)}",
                country=country,
                language="en",
            ))
    return found


def chats(count: int = 100_000, seed: int = 2) -> list[Chat]:
    rng = random.Random(seed)
    return [
        Chat(chat_id=10_000 + n, countries=tuple(rng.sample(COUNTRIES, rng.randint(1, 5))),
             digest_time=f"{rng.randrange(5, 10):02d}:{rng.choice((0, 15, 30, 45)):02d}",
             timezone=rng.choice(("UTC", "Asia/Tokyo", "Europe/Berlin", "America/Sao_Paulo")))
        for n in range(count)
    ]
