"""The invented sample news set in samples/, which the console serves to try the bot offline:
it loads and parses as the real ingestion reads it, and it shows what the bot is for
(one event told by outlets of many countries, a story the US media missed, topic search)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from console import HOW_TO
from digest.countries import find_countries
from digest.ingestion.parse import parse_feed
from digest.ingestion.sources import load_catalog
from digest.models import Article, Source
from digest.search.index import SearchIndex
from digest.search.query import parse_query
from digest.stories.cluster import cluster, covered_by
from handlers.basics import help_text
from handlers.queries import HOW_TO_ASK

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
FEEDS = SAMPLES / "feeds"
BASE = "http://127.0.0.1:8765"
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
PUBLISHED = re.compile(r"\{published:([\d.]+)\}")


def render(template: str, now: datetime = NOW) -> str:
    """A sample feed as the console serves it: `{published:H}` is a date H hours before now."""
    return PUBLISHED.sub(
        lambda m: format_datetime(now - timedelta(hours=float(m[1]))), template)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> list[Source]:
    catalog = tmp_path_factory.mktemp("samples") / "catalog.toml"
    text = (SAMPLES / "catalog.toml").read_text(encoding="utf-8")
    catalog.write_text(text.replace("{base}", BASE), encoding="utf-8")
    return load_catalog(catalog)


def feed_file(source: Source) -> Path:
    return FEEDS / source.feed.removeprefix(BASE + "/")


def read(source: Source) -> list[Article]:
    body = render(feed_file(source).read_text(encoding="utf-8")).encode()
    return parse_feed(body, source, NOW, source.feed)


@pytest.fixture(scope="module")
def articles(sources: list[Source]) -> list[Article]:
    return [article for source in sources for article in read(source)]


def test_catalog_loads_and_names_one_feed_file_per_outlet(sources: list[Source]) -> None:
    assert len({s.country for s in sources}) >= 10
    assert "US" in {s.country for s in sources}
    for source in sources:
        assert source.feed.startswith(BASE + "/")
        assert source.name.startswith("Sample ")
        assert feed_file(source).is_file(), source.feed
    assert {feed_file(s).name for s in sources} == {p.name for p in FEEDS.glob("*.xml")}


@pytest.mark.parametrize("name", sorted(p.name for p in FEEDS.glob("*.xml")))
def test_every_feed_renders_and_parses(sources: list[Source], name: str) -> None:
    (source,) = [s for s in sources if feed_file(s).name == name]
    template = (FEEDS / name).read_text(encoding="utf-8")
    rendered = render(template)
    assert "{" not in rendered
    assert "}" not in rendered
    found = read(source)
    assert len(found) >= 5
    for article in found:
        assert article.summary
        assert article.url.startswith("https://sample.invalid/")
        assert NOW - timedelta(hours=48) < article.published < NOW  # a date, not the fetch time


def test_shared_events_cluster_into_stories_of_many_countries(articles: list[Article]) -> None:
    stories = cluster(articles)
    international = [s for s in stories if len(s.countries) >= 3]
    assert len(international) >= 6
    assert any(not covered_by(s, "US") for s in international)  # "not in US media"


def test_rare_earths_question_is_answered_by_a_rare_earth_article(
    articles: list[Article],
) -> None:
    results = SearchIndex.of(articles).search(parse_query("rare earths"))
    assert "rare earth" in results[0].title.lower()
    # Newer articles about something else share a word of the question and are left out.
    decoys = [a for a in articles if a.published > results[0].published
              and re.search(r"\b(rare|earth)\b", a.title, re.IGNORECASE)]
    assert decoys
    assert not set(decoys) & set(results)


def suggested_examples() -> tuple[set[str], set[str]]:
    """(topic questions, /subscribe lists) that the bot's own texts suggest trying: /help,
    the answer to an empty question, and the console's opening lines."""
    texts = [help_text(), HOW_TO_ASK, HOW_TO]
    questions: set[str] = set()
    subscriptions: set[str] = set()
    for text in texts:
        questions |= {m.strip() for m in re.findall(r"(?:/latest|@bot) (\w[^,.;“”\n]*)", text)}
        questions |= set(re.findall(r"“([^”]+)”", text))
        names = re.findall(r"/subscribe ((?:[A-Z]\w*,? ?)+)", text)
        subscriptions |= {m.strip(", ") for m in names}
    return questions, subscriptions


def test_the_bots_own_examples_are_found_in_the_sample_news(
    sources: list[Source], articles: list[Article]
) -> None:
    """Who tries what the bot suggests must not be told "I found nothing"."""
    questions, subscriptions = suggested_examples()
    assert questions >= {"rare earths", "tariffs in Japan", "news about the Taiwan Strait",
                         "from Japan"}
    index = SearchIndex.of(articles)
    for question in questions:
        assert index.search(parse_query(question)), question
    covered = {source.country for source in sources}
    assert subscriptions >= {"Japan, Brazil", "Japan"}
    for names in subscriptions:
        assert {c.code for c in find_countries(names).countries} <= covered, names
