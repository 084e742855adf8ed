from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import digest.stories.editions
from digest.ingestion.worker import WorkerProcess
from digest.models import Article, Source
from digest.store import Store, TinyStore
from digest.stories.cluster import WINDOW, Story
from digest.stories.compose import NO_SUBSCRIPTIONS_HINT, NOT_IN_US_MEDIA, Block, DigestItem
from digest.stories.editions import Digest, Edition, Editions

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
WHEN = NOW.astimezone(ZoneInfo("Asia/Tokyo"))


def article(title: str, *, source: str, country: str, hours_ago: float = 1) -> Article:
    slug = "-".join(title.lower().split())
    return Article(
        url=f"https://{source.lower().replace(' ', '')}.example/{slug}",
        title=title, summary="", published=NOW - timedelta(hours=hours_ago),
        source=source, country=country, language="en",
    )


def story(*articles: Article) -> Story:
    return Story(tuple(sorted(articles, key=lambda a: a.published)))


# A story broken by a US outlet and followed by two Japanese ones.
AP = article("Earthquake strikes off Fukushima", source="AP", country="US", hours_ago=10)
NHK = article("Strong earthquake jolts Fukushima", source="NHK World", country="JP", hours_ago=9)
JT = article("Tsunami warning lifted in Fukushima", source="Japan Times", country="JP",
             hours_ago=6)
QUAKE = story(AP, NHK, JT)

# Japanese stories only Japanese outlets covered, ranked by how many outlets did.
BUDGET = story(*(article("Diet passes record budget", source=outlet, country="JP")
                 for outlet in ("Kyodo", "Asahi", "Mainichi")))
TYPHOON = story(*(article("Typhoon nears Okinawa", source=outlet, country="JP")
                  for outlet in ("Kyodo", "Asahi")))
FESTIVAL = story(article("Snow festival opens in Sapporo", source="Kyodo", country="JP"))
# A Japanese story told abroad too, but not by any US outlet.
SUMMIT = story(article("Tokyo hosts Pacific islands summit", source="Kyodo", country="JP"),
               article("Pacific islands summit opens in Tokyo", source="BBC", country="GB"))


def edition(*stories: Story, watched: str | None = None) -> Edition:
    return Edition(stories, built=NOW, watched=watched)


def compose(ed: Edition, *countries: str, sent: frozenset[str] = frozenset(),
            per_country: int = 5, when: datetime = WHEN) -> Digest:
    return ed.compose(countries, sent, when=when, per_country=per_country)


def text(digest: Digest) -> str:
    return "\n\n".join(digest.chunks)


def headlines(digest: Digest) -> list[str]:
    """The numbered headlines' titles, in the order the digest shows them."""
    return re.findall(r"^\d+\. <b><a [^>]+>([^<]+)</a></b>$", text(digest), re.MULTILINE)


def block_of(digest: Digest, title: str) -> str:
    """The story block whose headline is `title`."""
    [block] = [b for b in text(digest).split("\n\n") if f">{title}</a></b>" in b]
    return block


# --- Edition.compose -------------------------------------------------------------------


def test_no_countries_gives_only_the_hint_and_no_keys() -> None:
    assert compose(edition(QUAKE, BUDGET)) == Digest([NO_SUBSCRIPTIONS_HINT], ())


def test_section_leads_with_the_countrys_outlet_and_lists_the_others() -> None:
    digest = compose(edition(QUAKE), "JP")
    assert headlines(digest) == [NHK.title]
    assert block_of(digest, NHK.title).splitlines() == [
        f'1. <b><a href="{NHK.url}">{NHK.title}</a></b>',
        "NHK World",
        f'<blockquote expandable>🇺🇸 AP: <a href="{AP.url}">{AP.title}</a>',
        f'🇯🇵 Japan Times: <a href="{JT.url}">{JT.title}</a></blockquote>',
    ]
    # The story's key is AP's article; the lead differs, so its id is remembered too.
    assert QUAKE.key == AP.id
    assert digest.keys == (QUAKE.key, NHK.id)


def test_lead_that_is_the_storys_first_article_adds_no_second_key() -> None:
    digest = compose(edition(QUAKE), "US")
    assert headlines(digest) == [AP.title]
    assert digest.keys == (QUAKE.key,)


def test_per_country_caps_the_stories_best_first() -> None:
    ed = edition(FESTIVAL, TYPHOON, BUDGET)
    digest = compose(ed, "JP", per_country=2)
    assert headlines(digest) == [BUDGET.articles[0].title, TYPHOON.articles[0].title]
    assert digest.keys == (BUDGET.key, TYPHOON.key)


def test_sent_stories_are_skipped_and_the_next_best_takes_their_place() -> None:
    ed = edition(FESTIVAL, TYPHOON, BUDGET)
    # Any of a story's articles marks it as sent, not only its first (its key).
    sent = frozenset({BUDGET.articles[-1].id})
    assert BUDGET.key not in sent
    digest = compose(ed, "JP", sent=sent, per_country=2)
    assert headlines(digest) == [TYPHOON.articles[0].title, FESTIVAL.articles[0].title]
    assert digest.keys == (TYPHOON.key, FESTIVAL.key)


def test_ids_of_articles_outside_the_edition_are_ignored() -> None:
    gone = article("Old news", source="Kyodo", country="JP", hours_ago=100)
    digest = compose(edition(TYPHOON), "JP", sent=frozenset({gone.id}))
    assert digest.keys == (TYPHOON.key,)


def test_a_story_two_countries_covered_shows_once_in_the_first_countrys_section() -> None:
    ed = edition(QUAKE)
    us_first = compose(ed, "US", "JP")
    assert headlines(us_first) == [AP.title]
    assert us_first.keys == (QUAKE.key,)
    assert "No news from 🇯🇵 Japan in the last two days." in text(us_first)

    jp_first = compose(ed, "JP", "US")
    assert headlines(jp_first) == [NHK.title]
    assert jp_first.keys == (QUAKE.key, NHK.id)
    assert "No news from 🇺🇸 United States in the last two days." in text(jp_first)
    again = compose(ed, "US", "JP", sent=frozenset({QUAKE.key}))
    assert "Nothing new from 🇯🇵 Japan since your last digest." in text(again)


def test_stories_no_us_outlet_covered_are_marked_in_other_countries_sections() -> None:
    digest = compose(edition(QUAKE, SUMMIT, TYPHOON, watched="US"), "JP")
    assert NOT_IN_US_MEDIA in block_of(digest, SUMMIT.articles[0].title)
    assert NOT_IN_US_MEDIA not in block_of(digest, NHK.title)
    # A story no other country told says so, which says "not in US media" too.
    typhoon = block_of(digest, TYPHOON.articles[0].title)
    assert "Kyodo · reported only in 🇯🇵 Japan" in typhoon
    assert NOT_IN_US_MEDIA not in typhoon


def test_nothing_is_marked_without_us_outlets_in_the_catalog() -> None:
    digest = compose(edition(QUAKE, SUMMIT, watched=None), "JP")
    assert len(headlines(digest)) == 2
    assert NOT_IN_US_MEDIA not in text(digest)


def test_the_us_section_is_never_marked() -> None:
    us_only = story(article("Senate passes spending bill", source="AP", country="US"))
    digest = compose(edition(QUAKE, us_only, watched="US"), "US")
    assert len(headlines(digest)) == 2
    assert NOT_IN_US_MEDIA not in text(digest)


def test_a_country_with_nothing_new_gets_a_line() -> None:
    ed = edition(TYPHOON)
    digest = compose(ed, "JP", "BR")
    assert text(digest).endswith("No news from 🇧🇷 Brazil in the last two days.")
    all_sent = compose(ed, "JP", sent=frozenset({TYPHOON.key}))
    assert all_sent.keys == ()
    assert "Nothing new from 🇯🇵 Japan since your last digest." in text(all_sent)


def test_story_blocks_are_rendered_once_and_shared_by_chats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rendered: list[tuple[str, str, int]] = []
    real = digest.stories.compose.story_block

    def counting(item: DigestItem, number: int, country: str) -> Block:
        rendered.append((country, item.lead.title, number))
        return real(item, number, country)

    monkeypatch.setattr(digest.stories.editions, "story_block", counting)
    ed = edition(QUAKE, TYPHOON, FESTIVAL)
    first = compose(ed, "JP", sent=frozenset({FESTIVAL.key}))
    assert len(rendered) == 2  # the quake and the typhoon
    second = compose(ed, "JP", sent=frozenset({FESTIVAL.key}))
    assert first == second
    assert len(rendered) == 2  # another chat with the same history: nothing rendered

    # Without that history the festival comes in: only blocks at new positions are new.
    everything = compose(ed, "JP")
    shown = sum(line[:2] in ("1.", "2.", "3.") for c in everything.chunks
                for line in c.split("\n"))
    assert shown == 3
    assert len(rendered) < 2 + shown
    assert len(set(rendered)) == len(rendered)


def test_header_date_is_the_users_date() -> None:
    late = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    ed = edition(TYPHOON)
    tokyo = compose(ed, "JP", when=late.astimezone(ZoneInfo("Asia/Tokyo")))
    assert tokyo.chunks[0].startswith("<b>Your news digest</b> — Wednesday 25 November\n")
    utc = compose(ed, "JP", when=late)
    assert utc.chunks[0].startswith("<b>Your news digest</b> — Tuesday 24 November\n")


# --- Editions --------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


SOURCES = [
    Source(name="AP", country="US", feed="https://ap.example/rss", language="en"),
    Source(name="Kyodo", country="JP", feed="https://kyodo.example/rss", language="en"),
]


@pytest.fixture(scope="module")
def worker() -> Iterator[WorkerProcess]:
    """One process for the module: starting one costs about a second."""
    process = WorkerProcess()
    yield process
    process.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = TinyStore(tmp_path / "store.json")
    yield store
    store.close()


def article_ids(ed: Edition) -> set[str]:
    return {a.id for s in ed.stories for a in s.articles}


async def test_current_builds_once_and_rebuild_takes_new_articles(
    store: Store, worker: WorkerProcess
) -> None:
    store.add_articles([AP, NHK, *BUDGET.articles])
    clock = Clock()
    editions = Editions(store, SOURCES, worker, clock=clock)

    first = await editions.current()
    assert first.built == NOW
    assert article_ids(first) == {AP.id, NHK.id, *BUDGET.ids}

    clock.now = NOW + timedelta(minutes=30)
    store.add_articles([JT, *TYPHOON.articles])
    assert await editions.current() is first

    rebuilt = await editions.rebuild()
    assert rebuilt is not first
    assert rebuilt.built == clock.now
    assert article_ids(rebuilt) == {AP.id, NHK.id, JT.id, *BUDGET.ids, *TYPHOON.ids}
    assert await editions.current() is rebuilt


async def test_articles_older_than_the_window_are_left_out(
    store: Store, worker: WorkerProcess
) -> None:
    old = article("Diet dissolved ahead of election", source="Kyodo", country="JP",
                  hours_ago=WINDOW / timedelta(hours=1) + 1)
    recent = TYPHOON.articles
    store.add_articles([old, *recent])
    ed = await Editions(store, SOURCES, worker, clock=Clock()).current()
    assert article_ids(ed) == {a.id for a in recent}


async def test_stories_are_marked_only_when_the_catalog_has_us_outlets(
    store: Store, worker: WorkerProcess
) -> None:
    store.add_articles(SUMMIT.articles)
    with_us = await Editions(store, SOURCES, worker, clock=Clock()).current()
    assert NOT_IN_US_MEDIA in text(compose(with_us, "JP"))
    without_us = await Editions(store, SOURCES[1:], worker, clock=Clock()).current()
    assert NOT_IN_US_MEDIA not in text(compose(without_us, "JP"))


async def test_an_empty_store_gives_an_empty_edition(store: Store, worker: WorkerProcess) -> None:
    ed = await Editions(store, SOURCES, worker, clock=Clock()).current()
    assert ed.stories == []
    assert not ed.gathered  # no feed was ever read: the news is still being gathered
    assert "since your last digest" not in text(compose(ed, "JP"))
