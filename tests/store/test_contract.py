"""What every store backend owes the bot, run against each backend.

Only the `Store` protocol is used here (plus opening a backend); file damage, the manifest,
the writer lock and crashes are the TinyDB backend's own (tests/store/test_tinystore.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.models import Article, Chat, Delivery, FeedState
from digest.store import Store, StoreError, TinyStore

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

# Opens the backend's store at a place of its own (the same place on every call).
Opener = Callable[..., Store]


@pytest.fixture(params=["tinydb", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """A function that opens (or reopens) one store of the backend under test."""
    opened: list[Store] = []

    def tinydb(*, read_only: bool = False) -> Store:
        store = TinyStore(tmp_path / "newsbot.json", read_only=read_only)
        opened.append(store)
        return store

    def postgres(*, read_only: bool = False) -> Store:
        from digest.store.postgres import PostgresStore

        store = PostgresStore(url, folder=tmp_path / "newsbot.d", read_only=read_only)
        opened.append(store)
        return store

    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    yield {"tinydb": tinydb, "postgres": postgres}[request.param]
    for store in opened:
        store.close()


def article(n: int, *, days_ago: int = 0, source: str = "NHK", title: str = "") -> Article:
    return Article(url=f"https://news.example/{n}", title=title or f"Headline {n}",
                   summary=f"Summary {n}", published=NOW - timedelta(days=days_ago, minutes=n),
                   source=source, country="JP", language="en")


def reopened(store: Store, open_store: Opener) -> Store:
    store.close()
    return open_store()


def test_chats_and_subscriptions_round_trip(open_store: Opener) -> None:
    store = open_store()
    store.update_chat(42, countries=("JP", "BR"), timezone="Asia/Tokyo")
    store.update_chat(42, paused=True)  # other fields kept
    store.save_chat(Chat(-100123, countries=("DE",)))  # a group: negative id
    store.save_chats([Chat(1, countries=("FR",)), Chat(2, digest_time="06:30")])
    store = reopened(store, open_store)
    assert store.chat(42) == Chat(42, countries=("JP", "BR"), timezone="Asia/Tokyo",
                                  paused=True)
    assert store.chat(-100123) == Chat(-100123, countries=("DE",))
    assert {chat.chat_id for chat in store.chats()} == {42, -100123, 1, 2}
    assert store.chat(3) is None


def test_a_forgotten_chat_is_gone_with_what_it_was_sent(open_store: Opener) -> None:
    store = open_store()
    store.update_chat(7, countries=("JP",))
    store.record_digest(7, ["story-a"], NOW)
    assert store.delete_chat(7)
    assert not store.delete_chat(7)
    store = reopened(store, open_store)
    assert store.chat(7) is None
    assert store.sent_keys(7) == frozenset()


def test_watchers_hear_of_each_change_of_a_chat(open_store: Opener) -> None:
    store = open_store()
    heard: list[int] = []
    store.watch_chats(heard.append)
    store.update_chat(1, paused=True)
    store.save_chat(Chat(2))
    store.delete_chat(1)
    assert heard == [1, 2, 1]


def test_sent_history_and_the_last_digest_survive_reopening(open_store: Opener) -> None:
    store = open_store()
    store.update_chat(5, countries=("JP",))
    store.record_digest(5, ["a", "b"], NOW, local_date="2026-11-25")
    store.record_digest(5, ["c"], NOW + timedelta(hours=1))  # asked for: no local date
    chat = store.record_digest(6, ["a"], NOW, local_date="2026-11-24")  # a new chat
    assert chat == Chat(6, last_digest="2026-11-24")
    store = reopened(store, open_store)
    assert store.sent_keys(5) == {"a", "b", "c"}
    assert store.chat(5) == Chat(5, countries=("JP",), last_digest="2026-11-25")
    assert store.sent_keys(6) == {"a"}


def test_old_sent_keys_are_forgotten(open_store: Opener) -> None:
    """Stories are clustered over 48 h, so a week-old key can never matter again."""
    store = open_store()
    store.record_digest(1, ["old"], NOW - timedelta(days=7))
    store.record_digest(1, ["new"], NOW)
    assert store.sent_keys(1) == {"new"}
    assert reopened(store, open_store).sent_keys(1) == {"new"}


def test_articles_are_kept_newest_first_without_duplicates(open_store: Opener) -> None:
    store = open_store()
    assert store.add_articles([article(1), article(2, days_ago=1)]) == [
        article(1), article(2, days_ago=1)]
    again = [article(1),  # the same URL
             article(3, title="Headline 1"),  # the same outlet and title
             article(4, title="Headline 1", source="BBC")]  # another outlet: new
    assert store.add_articles(again) == [again[2]]
    store = reopened(store, open_store)
    assert [a.url for a in store.articles()] == [
        "https://news.example/1", "https://news.example/4", "https://news.example/2"]
    assert [a.url for a in store.articles(since=NOW - timedelta(hours=1))] == [
        "https://news.example/1", "https://news.example/4"]


def test_replacing_articles_keeps_only_known_ones(open_store: Opener) -> None:
    store = open_store()
    store.add_articles([article(1)])
    translated = replace(article(1), title="Titre 1", original_title="Headline 1")
    assert store.replace_articles([translated, article(9)]) == [translated]
    assert reopened(store, open_store).articles() == [translated]


def test_retention_drops_whole_days_before_the_cutoff(open_store: Opener) -> None:
    store = open_store()
    store.add_articles([article(1), article(2, days_ago=2), article(3, days_ago=3)])
    assert store.prune_articles(NOW - timedelta(days=1)) == 2
    store = reopened(store, open_store)
    assert [a.url for a in store.articles()] == ["https://news.example/1"]
    assert store.add_articles([article(3, days_ago=3)]) != []  # forgotten: new again


def test_feed_states_merge_and_survive_reopening(open_store: Opener) -> None:
    store = open_store()
    ok = FeedState(etag='"v1"', last_success=NOW, last_attempt=NOW)
    store.save_feed_states({"https://a.example/rss": ok})
    store.save_feed_states({"https://b.example/rss": FeedState(last_error="HTTP 500",
                                                               failures=2)})
    store = reopened(store, open_store)
    assert store.feed_state("https://a.example/rss") == ok
    assert store.feed_state("https://b.example/rss").failures == 2
    assert store.feed_state("https://never.example/rss") == FeedState()
    assert set(store.feed_states()) == {"https://a.example/rss", "https://b.example/rss"}


def test_deliveries_in_progress_survive_until_dropped(open_store: Opener) -> None:
    store = open_store()
    pending = Delivery(3, "2026-11-25", chunks=("one", "two"), keys=("a",))
    store.save_delivery(pending)
    store.save_delivery(Delivery(3, "2026-11-25", chunks=("one", "two"), keys=("a",),
                                 delivered=1))
    store = reopened(store, open_store)
    assert store.delivery(3) == Delivery(3, "2026-11-25", chunks=("one", "two"),
                                         keys=("a",), delivered=1)
    assert list(store.deliveries()) == [3]
    store.drop_delivery(3)
    store.drop_delivery(3)  # dropping twice is harmless
    assert reopened(store, open_store).deliveries() == {}


def test_a_read_only_store_refuses_writes_and_changes_nothing(open_store: Opener) -> None:
    writer = open_store()
    writer.update_chat(1, countries=("JP",))
    writer.add_articles([article(1)])
    writer.close()
    reader = open_store(read_only=True)
    assert reader.read_only
    writes: list[Callable[[], object]] = [
        lambda: reader.update_chat(1, paused=True),
        lambda: reader.save_chat(Chat(2)),
        lambda: reader.add_articles([article(2)]),
        lambda: reader.save_feed_states({"https://a.example/rss": FeedState(failures=1)}),
        lambda: reader.save_delivery(Delivery(1, "2026-11-25", chunks=("x",), keys=())),
        lambda: reader.record_digest(1, ["a"], NOW),  # wrote its day's log once
    ]
    for write in writes:
        with pytest.raises(StoreError):
            write()
    reader.close()
    store = open_store()
    assert store.chat(1) == Chat(1, countries=("JP",))
    assert store.chat(2) is None
    assert store.sent_keys(1) == frozenset()
    assert [a.url for a in store.articles()] == ["https://news.example/1"]
    assert store.feed_states() == {}
    assert store.deliveries() == {}
