from __future__ import annotations

from datetime import UTC, datetime, timedelta

from benchmarks.clustering_eval import clustering_prf, pairs_prf, tgcontest_scores, uci_articles
from digest.models import Article
from digest.stories.cluster import (
    THRESHOLD,
    Story,
    alternatives,
    cluster,
    covered_by,
    lead_for,
    rank,
)
from tests.conftest import shared_data

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def article(
    title: str, summary: str = "", *, source: str, country: str, hours_ago: float
) -> Article:
    slug = "-".join(title.lower().split()[:6])
    return Article(
        url=f"https://{source.lower().replace(' ', '')}.example/{slug}/{hours_ago}",
        title=title, summary=summary, published=NOW - timedelta(hours=hours_ago),
        source=source, country=country, language="en",
    )


QUAKE = [
    article("Magnitude 7.1 earthquake strikes off Fukushima, Japan",
            "A powerful earthquake struck off Japan's northeast coast on Tuesday, prompting a "
            "tsunami warning.", source="AP", country="US", hours_ago=10),
    article("Strong earthquake jolts Fukushima, tsunami advisory issued",
            "An earthquake with a preliminary magnitude of 7.1 shook Fukushima Prefecture.",
            source="NHK World", country="JP", hours_ago=9.5),
    article("Tsunami warning lifted after M7.1 earthquake off Fukushima",
            "The Meteorological Agency lifted the warning hours after the quake.",
            source="Japan Times", country="JP", hours_ago=6),
]
RENTS = article("Government says new rules for rental housing will start in spring",
                "Landlords must register every flat under the new rules, the government says.",
                source="BBC", country="GB", hours_ago=8)
CLIMATE = article("Government says new climate law will cut emissions faster",
                  "The law sets a new target for 2035, the government says.",
                  source="DW", country="DE", hours_ago=7)
# Clustering learns which words are common from the articles it is given, as in a day of
# real news, where "government", "says" and "new" come up again and again.
BACKGROUND = [
    article(title, source="Wire", country="GB", hours_ago=hours)
    for hours, title in enumerate([
        "Central bank holds interest rates steady as inflation eases",
        "Striker's late goal sends champions top of the league",
        "Government says new budget will protect health spending",
        "New species of frog found in Andes cloud forest",
        "Opposition says government ignored flood warnings",
        "Airline says new routes to Asia will start in March",
        "Court blocks merger of two largest supermarket chains",
        "Government to sell stake in national railway",
        "Film festival opens with record number of premieres",
        "Union says new pay offer falls short",
        "Wildfire forces evacuation of mountain villages",
        "Government says new border checks begin Monday",
    ], start=1)
]
def stories_of(stories: list[Story]) -> set[frozenset[str]]:
    return {frozenset(a.title for a in s.articles) for s in stories}


def test_one_event_in_different_words_from_two_countries_is_one_story() -> None:
    stories = cluster([*QUAKE, RENTS, CLIMATE, *BACKGROUND])
    quake = next(s for s in stories if QUAKE[0] in s.articles)
    assert quake.articles == tuple(QUAKE)  # earliest first
    assert quake.outlets == {"AP", "NHK World", "Japan Times"}
    assert quake.countries == {"US", "JP"}
    assert quake.latest == QUAKE[-1].published


def test_stories_sharing_only_common_words_stay_apart() -> None:
    stories = cluster([*QUAKE, RENTS, CLIMATE, *BACKGROUND])
    assert {RENTS.title} in stories_of(stories)
    assert {CLIMATE.title} in stories_of(stories)
    assert len(stories) == 3 + len(BACKGROUND)


def test_the_same_headline_groups_within_the_window_only() -> None:
    title = "Volcano erupts on La Palma, thousands evacuated"
    first = article(title, source="El País", country="ES", hours_ago=130)
    next_day = article(title, source="ABC", country="ES", hours_ago=106)
    five_days_on = article(title, source="El Mundo", country="ES", hours_ago=10)
    stories = cluster([first, next_day, five_days_on, *BACKGROUND])
    assert (first, next_day) in [s.articles for s in stories]
    assert (five_days_on,) in [s.articles for s in stories]
    assert len(cluster([first, five_days_on], window=timedelta(days=6))) == 1


def test_output_does_not_depend_on_input_order_or_duplicates() -> None:
    articles = [*QUAKE, RENTS, CLIMATE, *BACKGROUND]
    assert cluster(articles) == cluster([*reversed(articles), QUAKE[1]])


def test_key_is_stable_when_later_articles_join() -> None:
    before = cluster(QUAKE[:2] + BACKGROUND)
    after = cluster(QUAKE + BACKGROUND)
    assert len(next(s for s in after if QUAKE[0] in s.articles).articles) == 3
    assert {s.key for s in before} == {s.key for s in after}
    assert QUAKE[0].id in {s.key for s in after}


NHK_FOLLOW_UP = article("Fukushima plant reports no abnormalities after quake", source="NHK World",
                        country="JP", hours_ago=8)
BBC_QUAKE = article("Japan earthquake: tsunami warning for Fukushima", source="BBC", country="GB",
                    hours_ago=9)
STORY = Story(tuple(sorted([*QUAKE, NHK_FOLLOW_UP, BBC_QUAKE], key=lambda a: a.published)))


def test_lead_is_the_countrys_first_article() -> None:
    assert lead_for(STORY, "JP") == QUAKE[1]
    assert lead_for(STORY, "GB") == BBC_QUAKE
    assert lead_for(STORY, "FR") is None


def test_alternatives_other_countries_first_one_per_outlet() -> None:
    assert alternatives(STORY, QUAKE[1]) == [QUAKE[0], BBC_QUAKE, QUAKE[2]]
    assert alternatives(STORY, BBC_QUAKE) == [QUAKE[0], QUAKE[1], QUAKE[2]]


def test_covered_by() -> None:
    assert covered_by(STORY, "US")
    assert not covered_by(STORY, "FR")


def test_rank_keeps_the_countrys_unsent_stories_by_coverage_then_recency() -> None:
    big = STORY  # 4 outlets, JP among them, last article 6 h ago
    newer = Story((article("Typhoon nears Okinawa", source="Kyodo", country="JP", hours_ago=2),))
    stale = Story((article("Diet passes budget", source="Kyodo", country="JP", hours_ago=40),))
    foreign = Story(tuple(
        article("Election called", source=f"Outlet {n}", country="FR", hours_ago=1)
        for n in range(6)
    ))
    stories = [stale, foreign, newer, big]
    assert rank(stories, "JP", now=NOW, sent_keys=frozenset()) == [big, newer, stale]
    assert rank(stories, "JP", now=NOW, sent_keys=frozenset({big.key})) == [newer, stale]
    # A story is known as sent by any of its articles, for when its first one aged out.
    later_id = big.articles[-1].id
    assert rank(stories, "JP", now=NOW, sent_keys=frozenset({later_id})) == [newer, stale]
    assert rank(stories, "FR", now=NOW, sent_keys=frozenset()) == [foreign]


def test_uci_headlines_cluster_into_google_news_stories() -> None:
    shared_data("uci-news-aggregator-sample", "uci-news-aggregator.csv")
    articles, story_of = uci_articles()
    precision, recall, f1 = clustering_prf(cluster(articles), story_of)
    # Measured 0.904 / 0.350 / 0.504 (benchmarks/clustering_eval.py); Google's stories are
    # broader than events, so recall is low by design and precision is what matters.
    assert precision >= 0.85
    assert recall >= 0.30
    assert f1 >= 0.45


def test_tgcontest_pairs_are_classified_at_the_threshold() -> None:
    shared_data("tgcontest-toloka", "clustering_pairs")
    # Measured F1: English 0.900 (held out), Russian 0.811 (where THRESHOLD was tuned).
    assert pairs_prf(tgcontest_scores("en"), THRESHOLD)[2] >= 0.85
    assert pairs_prf(tgcontest_scores("ru"), THRESHOLD)[2] >= 0.77
