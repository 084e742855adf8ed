"""Synthetic but realistically sized data for the store benchmarks."""

from __future__ import annotations

import random
from collections.abc import Callable
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


def news(count: int = 15_000, *, hours: int = 48, outlets: int = 3, seed: int = 3,
         now: datetime = NOW) -> list[Article]:
    """`count` articles about news events, published over the `hours` before `now` by
    `outlets` outlets in each of COUNTRIES, worded so that clustering finds the stories.

    An event has its own names (a person, a place, an organisation: made-up words, rare
    across events as real names are) and a few subject words from a news vocabulary of
    some 200 words. Its articles tell it in different words: each headline and summary
    sentence mixes the event's names and subject words with words of its own. Most events
    are covered by one or two articles over a few hours; a few by dozens, from many
    countries and over a day or more (a heavy tail).
    """
    rng = random.Random(seed)
    syllables = [c + v for c in "bdfghklmnprstvz" for v in "aeiou"] + ["an", "el", "or", "us"]
    nouns = (
        "minister", "talks", "trade", "tariffs", "election", "storm", "court", "ruling", "protest",
        "bank", "rates", "inflation", "summit", "border", "drought", "flood", "vaccine", "oil",
        "gas", "strike", "port", "rail", "budget", "tax", "pension", "hospital", "school",
        "teachers", "nurses", "doctors", "farmers", "workers", "union", "police", "army", "navy",
        "airport", "airline", "flights", "bridge", "road", "dam", "reservoir", "harvest", "wheat",
        "rice", "coffee", "sugar", "exports", "imports", "currency", "debt", "bonds", "shares",
        "market", "investors", "startup", "factory", "plant", "mine", "copper", "lithium", "steel",
        "coal", "solar", "wind", "power", "grid", "blackout", "heatwave", "wildfire", "earthquake",
        "landslide", "cyclone", "rescue", "refugees", "migrants", "asylum", "visa", "passport",
        "embassy", "treaty", "sanctions", "ceasefire", "troops", "drone", "missile", "satellite",
        "rocket", "launch", "telescope", "museum", "festival", "film", "award", "football",
        "league", "match", "coach", "stadium", "olympics", "marathon", "judge", "verdict",
        "appeal", "prosecutor", "trial", "fraud", "corruption", "bribery", "scandal", "parliament",
        "senate", "vote", "referendum", "coalition", "opposition", "party", "leader", "cabinet",
        "decree", "reform", "law", "bill", "privacy", "data", "breach", "hackers", "outage",
        "network", "telecom", "broadband", "app", "regulator", "watchdog", "fine", "merger",
        "takeover", "deal", "contract", "tender", "subsidy", "loan", "aid", "housing", "rent",
        "mortgage", "prices", "wages", "jobs", "unemployment", "growth", "recession", "forecast",
        "census", "survey", "report", "study", "research", "university", "students", "exam",
        "scholarship", "virus", "outbreak", "cases", "clinic", "medicine", "drug", "shortage",
        "water", "sewage", "pollution", "smog", "emissions", "climate", "forest", "river", "coast",
        "fishing", "whale", "species", "park", "tourism", "hotel", "cruise",
    )
    verbs = (
        "backs", "rejects", "announces", "delays", "defends", "approves", "blocks", "unveils",
        "cuts", "raises", "extends", "suspends", "probes", "warns", "demands", "signs", "scraps",
        "revives", "expands", "halts",
    )
    adjectives = (
        "new", "major", "surprise", "landmark", "controversial", "record", "emergency", "temporary",
        "national", "regional", "local", "foreign", "key", "long-awaited", "disputed", "rare",
        "sharp", "modest",
    )

    def name() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()

    found: list[Article] = []
    event = 0
    while len(found) < count:
        home = rng.choice(COUNTRIES)
        person, place = name(), name()
        org = f"{name()} {rng.choice(('Group', 'Bank', 'Party', 'Council', 'Union'))}"
        subject = rng.sample(nouns, 4)
        size = min(60, int(rng.paretovariate(1.2)))  # 1 mostly, a few dozens
        foreign = 0.1 if size < 6 else 0.5  # big events travel abroad
        spread = 10_800 if size < 6 else 43_200  # and are reported on for longer (mean, s)
        start = now - timedelta(seconds=rng.randrange(hours * 3600))

        def words(k: int, subject: list[str] = subject) -> str:
            own = [rng.choice(nouns) for _ in range(k)]
            return " ".join(rng.sample(subject, 2) + own)

        for n in range(min(size, count - len(found))):
            country = home if n == 0 or rng.random() > foreign else rng.choice(COUNTRIES)
            outlet = rng.randrange(outlets)
            published = start + timedelta(seconds=int(rng.expovariate(1 / spread)))
            if published > now:  # not yet: some time between the event and now instead
                published = start + (now - start) * rng.random()
            verb, adjective = rng.choice(verbs), rng.choice(adjectives)
            title = rng.choice((
                f"{person} {verb} {adjective} {words(1)} in {place}",
                f"{place}: {org} {verb} {words(1)}",
                f"{words(0).capitalize()} {place} as {person} {verb} {adjective} plan",
                f"{person} and {org} clash over {place} {words(1)}",
            ))
            sentences = [
                f"{person} {verb} the {adjective} {words(2)} in {place} on "
                f"{published:%A}, {org} said.",
                f"The {words(3)} has divided {place} since the {rng.choice(nouns)} of "
                f"{rng.choice(adjectives)} {rng.choice(nouns)} last year.",
                f"{rng.choice(('Critics', 'Supporters', 'Officials', 'Analysts'))} said the "
                f"{words(2)} would {rng.choice(verbs)[:-1]} {rng.choice(nouns)} and "
                f"{rng.choice(nouns)} for {rng.choice(('months', 'years', 'weeks'))}.",
                f"{org} did not say when the {rng.choice(nouns)} {rng.choice(nouns)} "
                f"would be {rng.choice(('published', 'decided', 'reviewed', 'debated'))}.",
            ]
            found.append(Article(
                url=f"https://outlet{outlet}.{country.lower()}.example/{event}/{n}",
                title=title, summary=" ".join(sentences[: rng.randint(2, 4)]),
                published=published, source=f"Outlet {country} {outlet}", country=country,
                language="en",
            ))
        event += 1
    return found


# The e2e catalog's countries and outlets: the peak benchmarks run a real bot on it.
CATALOG_COUNTRIES = ("JP", "BR", "DE")
CATALOG_SOURCES = {"JP": ("Japan Daily", "Tokyo Wire"), "BR": ("Folha",), "DE": ("Tagesschau",)}


def catalog_articles(count: int, now: datetime, age: Callable[[int], timedelta]
                     ) -> list[Article]:
    """`count` distinct articles of the catalog's outlets, the n-th published `age(n)`
    before `now`."""
    found = []
    for n in range(count):
        country = CATALOG_COUNTRIES[n % len(CATALOG_COUNTRIES)]
        sources = CATALOG_SOURCES[country]
        found.append(Article(
            url=f"https://news{n % 7}.example/{country.lower()}/{n}",
            title=f"Story {n} from {country}: council votes on item {n * 7919 % 10007}",
            summary=f"Officials in {country} described measure {n}. More on Tuesday.",
            published=now - age(n), source=sources[n % len(sources)], country=country,
            language="en"))
    return found
