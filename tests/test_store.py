from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest import store as store_module
from digest.models import Article, Chat, FeedState
from digest.store import Store, StoreError

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def article(n: int, *, day: int = 0, source: str = "NHK", title: str | None = None) -> Article:
    return Article(
        url=f"https://news.example/{n}",
        title=title or f"Headline {n}",
        summary=f"Summary {n}",
        published=NOW - timedelta(days=day, minutes=n),
        source=source,
        country="JP",
        language="en",
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "newsbot.json"


def test_chats_survive_reopening(path: Path) -> None:
    store = Store(path)
    store.update_chat(42, countries=("JP", "BR"), timezone="Asia/Tokyo")
    store.update_chat(-100123, countries=("DE",))  # a group chat: negative id
    store.close()

    reopened = Store(path)
    assert reopened.chat(42) == Chat(42, countries=("JP", "BR"), timezone="Asia/Tokyo")
    assert reopened.chat(-100123) == Chat(-100123, countries=("DE",))
    assert reopened.chat_count() == 2


def test_update_keeps_other_fields_and_delete_forgets(path: Path) -> None:
    store = Store(path)
    store.update_chat(7, countries=("JP",), digest_time="06:00")
    store.update_chat(7, paused=True)
    assert store.chat(7) == Chat(7, countries=("JP",), digest_time="06:00", paused=True)
    store.record_sent(7, ["story-a"], NOW)
    assert store.delete_chat(7)
    assert not store.delete_chat(7)
    assert store.chat(7) is None
    assert store.sent_keys(7) == frozenset()
    assert Store(path).chat(7) is None


def test_a_chat_write_touches_one_small_shard(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(path)
    for chat_id in range(1, 500):
        store.update_chat(chat_id, countries=("JP",))
    written: list[Path] = []
    real_write = store_module.atomic_write
    monkeypatch.setattr(store_module, "atomic_write",
                        lambda p, text: (written.append(p), real_write(p, text)))
    store.update_chat(250, countries=("BR",))
    assert len(written) == 1
    shard = json.loads(written[0].read_text())["chats"]
    assert 0 < len(shard) < 10


def test_sent_keys_are_remembered_and_expire(path: Path) -> None:
    store = Store(path)
    store.record_sent(1, ["old"], NOW - timedelta(days=40))
    store.record_sent(1, ["new-a", "new-b"], NOW)
    assert Store(path).sent_keys(1) == {"new-a", "new-b"}


def test_articles_are_deduplicated_by_url_and_by_outlet_title(path: Path) -> None:
    store = Store(path)
    assert len(store.add_articles([article(1), article(2)])) == 2
    same_url = article(1, title="A new headline for the same URL")
    same_title = Article(url="https://news.example/2?page=amp", title="headline 2!",
                         summary="", published=NOW, source="NHK", country="JP", language="en")
    other_outlet_same_title = article(3, source="Kyodo", title="Headline 2")
    new = store.add_articles([same_url, same_title, other_outlet_same_title])
    assert new == [other_outlet_same_title]
    assert Store(path).article_count() == 3


def test_a_pass_writes_each_touched_day_once(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(path)
    written: list[Path] = []
    real_write = store_module.atomic_write
    monkeypatch.setattr(store_module, "atomic_write",
                        lambda p, text: (written.append(p), real_write(p, text)))
    store.add_articles([article(n, day=n % 2) for n in range(100)])
    assert len(written) == 2


def test_articles_newest_first_and_since(path: Path) -> None:
    store = Store(path)
    store.add_articles([article(1, day=2), article(2), article(3, day=1)])
    assert [a.url[-1] for a in store.articles()] == ["2", "3", "1"]
    assert [a.url[-1] for a in store.articles(since=NOW - timedelta(days=1, hours=1))] == [
        "2", "3"]


def test_prune_drops_whole_old_days(path: Path) -> None:
    store = Store(path)
    store.add_articles([article(n, day=n) for n in range(5)])
    assert store.prune_articles(NOW - timedelta(days=2)) == 2
    assert sorted(a.url for a in Store(path).articles()) == [
        f"https://news.example/{n}" for n in range(3)]
    assert len(list(store.folder.glob("articles-*.json"))) == 3
    # A pruned article may come back (it is new again to the store).
    assert store.add_articles([article(4, day=4)])


def test_feed_states_persist(path: Path) -> None:
    store = Store(path)
    state = FeedState(etag='"abc"', last_success=NOW, last_attempt=NOW, failures=0)
    store.save_feed_states({"https://a.example/rss": state})
    store.save_feed_states({"https://b.example/rss": FeedState(last_error="HTTP 500",
                                                               failures=2)})
    reopened = Store(path)
    assert reopened.feed_state("https://a.example/rss") == state
    assert reopened.feed_state("https://b.example/rss").failures == 2
    assert reopened.feed_state("https://unknown.example/rss") == FeedState()


def test_a_newer_schema_is_refused(path: Path) -> None:
    Store(path).close()
    data = json.loads(path.read_text())
    data["meta"]["1"]["schema"] = store_module.SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="newer version"):
        Store(path)


def test_migrations_run_in_order(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store(path).close()
    ran: list[int] = []
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", store_module.SCHEMA_VERSION + 2)
    monkeypatch.setattr(store_module, "MIGRATIONS", {
        1: lambda folder, main: ran.append(1), 2: lambda folder, main: ran.append(2)})
    Store(path).close()
    assert ran == [1, 2]
    assert json.loads(path.read_text())["meta"]["1"]["schema"] == 3


def test_a_corrupt_file_is_reported_not_overwritten(path: Path) -> None:
    Store(path).close()
    path.write_text("{not json")
    with pytest.raises(StoreError, match="not valid JSON"):
        Store(path)
    assert path.read_text() == "{not json"


def test_a_failed_write_leaves_memory_matching_disk(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(path)
    store.update_chat(1, countries=("JP",))

    def disk_full(p: Path, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module, "atomic_write", disk_full)
    with pytest.raises(OSError, match="No space"):
        store.add_articles([article(1)])
    with pytest.raises(OSError, match="No space"):
        store.update_chat(1, countries=("BR",))
    monkeypatch.undo()
    assert store.article_count() == 0
    assert store.add_articles([article(1)])  # not wrongly remembered as already stored
    assert store.chat(1) == Chat(1, countries=("JP",))
    assert Store(path).chat(1) == Chat(1, countries=("JP",))
