from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from digest.ingestion.parse import NotAFeed, canonical_url, parse_feed
from digest.models import Source
from tests.conftest import shared_data

FIXTURES = Path(__file__).parents[1] / "fixtures"
SOURCE = Source("Sample Daily", "JP", "https://news.example.jp/rss", "en")
FETCHED = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def parse_fixture(name: str) -> list:
    return parse_feed((FIXTURES / name).read_bytes(), SOURCE, FETCHED)


def test_rss2_entry_is_normalized_to_plain_text_and_canonical_url() -> None:
    first = parse_fixture("rss2.xml")[0]
    assert first.title == "Rare earth exports resume & prices fall"
    assert first.summary == "Shipments restarted on Monday after talks."
    assert first.url == "https://news.example.jp/world/rare-earths?id=7"
    assert first.published == datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
    assert first.image == "https://img.example.jp/re.jpg"
    assert (first.source, first.country, first.language) == ("Sample Daily", "JP", "en")


def test_language_is_detected_and_the_declared_one_kept_when_unsure() -> None:
    mislabeled = Source("Diario", "ES", "https://news.example.jp/rss", "es")
    by_title = {a.title: a for a in parse_feed(
        (FIXTURES / "rss2.xml").read_bytes(), mislabeled, FETCHED)}
    assert by_title["Rare earth exports resume & prices fall"].language == "en"
    assert by_title["From the future"].language == "es"  # three words: too short to judge


def test_missing_and_future_dates_become_the_fetch_time() -> None:
    by_title = {a.title: a for a in parse_fixture("rss2.xml")}
    assert by_title["An entry without a date"].published == FETCHED
    assert by_title["From the future"].published == FETCHED


def test_entries_without_web_link_or_title_are_dropped() -> None:
    titles = [a.title for a in parse_fixture("rss2.xml")]
    assert "A javascript link is dropped" not in titles
    assert len(titles) == 3


def test_atom_entry() -> None:
    (entry,) = parse_fixture("atom.xml")
    assert entry.title == "Tariff talks & trade"
    assert entry.summary == "Ministers met in Berlin."
    assert entry.url == "https://atom.example.de/tariffs"
    assert entry.published == datetime(2026, 11, 24, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b"   \n", "empty body"),
        (b"<!DOCTYPE html><html><body><p>Welcome</p></body></html>", "HTML page"),
    ],
)
def test_not_a_feed(body: bytes, reason: str) -> None:
    with pytest.raises(NotAFeed, match=reason):
        parse_feed(body, SOURCE, FETCHED)


def test_rss_1_0_from_real_data() -> None:
    body = shared_data("miniflux-testdata", "parser", "rdf_UTF8.xml").read_bytes()
    articles = parse_feed(body, SOURCE, FETCHED)
    assert len(articles) > 5
    assert all(a.url.startswith("http") and a.title for a in articles)


@pytest.mark.parametrize(
    ("name", "expected_text"),
    [
        ("encoding_WINDOWS-1251.xml", "а"),  # Cyrillic survives the legacy encoding
        ("encoding_ISO-8859-1.xml", "ü"),
        ("no_encoding_ISO-8859-1.xml", "é"),
    ],
)
def test_legacy_encodings_decode(name: str, expected_text: str) -> None:
    body = shared_data("miniflux-testdata", "parser", name).read_bytes()
    articles = parse_feed(body, SOURCE, FETCHED)
    text = " ".join(a.title + " " + a.summary for a in articles)
    assert expected_text in text
    assert "\ufffd" not in text


FEED_CORPORA = (
    "feedparser-tests", "feed-rs-fixtures", "rss-parser-tests", "feedjira-samples",
    "node-feedparser-feeds", "miniflux-testdata", "fastfeedparser-real-feeds",
)
NOT_FEEDS = {".json", ".md", ".tsv", ".txt"}
# Markup a reader must never see: common HTML tags, comments, entities left encoded.
LEFTOVER_MARKUP = re.compile(
    r"</?(?:p|div|span|a|br|img|b|i|em|strong|ul|ol|li|h[1-6]|table|tr|td|iframe|script|"
    r"style|blockquote|figure|pre|code|font|center|html|body|link|meta|math|svg)\b[^<>]*>"
    r"|<!--|&(?:lt|gt|amp|quot|nbsp|#\d+|#x[0-9a-fA-F]+);")


def corpus_files() -> list[Path]:
    files = [path for folder in FEED_CORPORA for path in sorted(shared_data(folder).rglob("*"))
             if path.is_file() and path.suffix not in NOT_FEEDS]
    assert len(files) > 2000
    return files


def readable_entries(body: bytes) -> int:
    """Entries feedparser reads with a title and a web link: what a reader would show."""
    return sum(1 for e in feedparser.parse(body).entries
               if e.get("title") and str(e.get("link", "")).startswith(("http://", "https://")))


def test_no_feed_of_the_corpora_reads_empty_where_feedparser_reads_entries() -> None:
    """Over every file of the shared feed corpora (hostile fixtures and 200 real feeds):
    each parses or is rejected cleanly, no file where feedparser finds entries with a
    title and a link and we find none, and no title or summary with markup left."""
    lost, marked, real_feeds_read = [], [], 0
    for path in corpus_files():
        body = path.read_bytes()
        if path.suffix == ".gz":
            body = gzip.decompress(body)
        try:
            articles = parse_feed(body, SOURCE, FETCHED)
        except NotAFeed:
            articles = []
        if not articles and readable_entries(body):
            lost.append(path.name)
        real_feeds_read += bool(articles) and "fastfeedparser-real-feeds" in path.parts
        assert all(a.url.startswith(("http://", "https://")) for a in articles), path
        marked += [f"{path.name}: {text[:80]}" for a in articles for text in (a.title, a.summary)
                   if LEFTOVER_MARKUP.search(text)]
    assert lost == []
    assert marked == []
    assert real_feeds_read >= 190


@pytest.mark.parametrize(
    ("link", "base", "expected"),
    [
        ("https://A.example.com:443/x?utm_medium=rss&b=2#frag", "", "https://a.example.com/x?b=2"),
        ("/a/b?fbclid=1", "https://s.example/feed", "https://s.example/a/b"),
        ("story.html", "https://s.example/news/rss.xml", "https://s.example/news/story.html"),
        ("http://s.example:8080", "", "http://s.example:8080/"),
        ("mailto:x@example.com", "", ""),
        ("javascript:void(0)", "", ""),
        ("http://[::1", "", ""),
        ("   ", "", ""),
    ],
)
def test_canonical_url(link: str, base: str, expected: str) -> None:
    assert canonical_url(link, base) == expected
