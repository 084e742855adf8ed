"""Trending topics offered when a search finds nothing."""

from __future__ import annotations

from datetime import timedelta

from digest.search.index import SearchIndex
from digest.search.query import parse_query
from tests.search.test_index import BACKGROUND, NOW, article


def test_trending_offers_readable_topics_of_the_last_day() -> None:
    recent = [
        article("Rare earths: Japan signs deal with Australia", hours_ago=1, source="A"),
        article("Why rare earths matter for carmakers", hours_ago=2, source="B"),
        article("China tightens rare earths exports", hours_ago=3, source="C"),
        article("Rare earths shortage hits factories", hours_ago=4, source="D"),
        article("Typhoon Haishen nears Okinawa", hours_ago=2, source="A"),
        article("Okinawa braces for Typhoon Haishen", hours_ago=5, source="B"),
        article("Typhoon Haishen: flights cancelled", hours_ago=6, source="C"),
        article("Government says new rules start soon", hours_ago=3, source="D"),
        article("Government says talks will resume", hours_ago=4, source="E"),
    ]
    old = [article(f"Olympics bid {n} collapses", hours_ago=30 + n) for n in range(6)]
    index = SearchIndex()
    index.add(BACKGROUND + recent + old)
    found = index.trending(5)
    assert found[:2] == ["rare earths", "Typhoon Haishen"]
    assert "Okinawa" not in found  # mostly in the typhoon's headlines: the same story
    assert not any("olympic" in t.casefold() for t in found)  # yesterday's
    assert "says" not in found
    for topic in found:
        assert index.search(parse_query(topic)), topic
    assert index.trending(1) == ["rare earths"]
    later = NOW + timedelta(days=3)
    assert index.trending(5, now=later) == []
    index.add(article(title, hours_ago=0.5, source=f"S{n}") for n, title in enumerate([
        "Lithium prices soar", "Why lithium matters", "Chile nationalises lithium",
        "Lithium glut ends", "Carmakers hoard lithium", "Lithium miners strike"]))
    assert index.trending(1) == ["lithium"]  # the answer changes with the index


def test_trending_on_an_empty_index() -> None:
    assert SearchIndex().trending() == []
