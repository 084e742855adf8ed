from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest.models import Article, Chat, FeedState
from digest.store import (
    DamagedFile,
    DamagedRecord,
    Store,
    StoreError,
    StoreInUse,
    TinyStore,
    tinystore,
)
from digest.store import files as store_files

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def recording(written: list[Path], write: Callable[[Path, str], None]
              ) -> Callable[[Path, str], None]:
    """`write`, noting each path written in `written`."""
    def record(path: Path, text: str) -> None:
        written.append(path)
        write(path, text)
    return record


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
    store = TinyStore(path)
    store.update_chat(42, countries=("JP", "BR"), timezone="Asia/Tokyo")
    store.update_chat(-100123, countries=("DE",))  # a group chat: negative id
    store.close()

    reopened = TinyStore(path)
    assert reopened.chat(42) == Chat(42, countries=("JP", "BR"), timezone="Asia/Tokyo")
    assert reopened.chat(-100123) == Chat(-100123, countries=("DE",))
    assert len(reopened.chats()) == 2


def test_update_keeps_other_fields_and_delete_forgets(path: Path) -> None:
    store = TinyStore(path)
    store.update_chat(7, countries=("JP",), digest_time="06:00")
    store.update_chat(7, paused=True)
    assert store.chat(7) == Chat(7, countries=("JP",), digest_time="06:00", paused=True)
    store.record_digest(7, ["story-a"], NOW)
    assert store.delete_chat(7)
    assert not store.delete_chat(7)
    assert store.chat(7) is None
    assert store.sent_keys(7) == frozenset()
    assert TinyStore(path, read_only=True).chat(7) is None


def test_a_chat_write_touches_one_small_shard(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = TinyStore(path)
    for chat_id in range(1, 500):
        store.update_chat(chat_id, countries=("JP",))
    written: list[Path] = []
    real_write = store_files.atomic_write
    monkeypatch.setattr(store_files, "atomic_write",
                        recording(written, real_write))
    store.update_chat(250, countries=("BR",))
    assert len(written) == 1
    shard = json.loads(written[0].read_text())["chats"]
    assert 0 < len(shard) < 10


def shard_doc(store: Store, chat_id: int) -> dict:
    """The chat's document as it is on disk."""
    file = store.folder / f"chats-{chat_id % tinystore.CHAT_SHARDS:03d}.json"
    shard = json.loads(file.read_text())
    return next(doc for doc in shard["chats"].values() if doc["chat_id"] == chat_id)


def test_sent_keys_survive_reopening_grouped_by_utc_day(path: Path) -> None:
    store = TinyStore(path)
    store.record_digest(1, ["a", "b"], NOW - timedelta(days=1))
    store.record_digest(1, ["c"], NOW)
    store.record_digest(1, ["b", "d"], NOW.astimezone(timezone(timedelta(hours=-10))))
    store.close()

    reopened = TinyStore(path)
    assert reopened.sent_keys(1) == {"a", "b", "c", "d"}
    assert reopened.chat(1) == Chat(1)  # created by the first digest
    assert "sent" not in shard_doc(reopened, 1)  # the history is apart from the record
    assert sent_log(reopened, "2026-11-24") == [[1, "", ["a", "b"]]]
    assert sent_log(reopened, "2026-11-25") == [[1, "", ["c"]], [1, "", ["b", "d"]]]


def sent_log(store: Store, day: str) -> list[list]:
    """The lines of a day's log of sent digests, as on disk (but those blanked by /forget)."""
    text = (store.folder / f"sent-{day}.log").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_days_older_than_sent_days_are_dropped(path: Path) -> None:
    store = TinyStore(path)
    store.record_digest(1, ["too-old"], NOW - timedelta(days=tinystore.SENT_DAYS))
    store.record_digest(1, ["oldest-kept"], NOW - timedelta(days=tinystore.SENT_DAYS - 1))
    store.record_digest(1, ["new"], NOW)
    assert store.sent_keys(1) == {"oldest-kept", "new"}
    assert TinyStore(path, read_only=True).sent_keys(1) == {"oldest-kept", "new"}


def test_sent_keys_are_shared_between_chats(path: Path) -> None:
    store = TinyStore(path)
    for chat_id in (1, 2):  # different shards, so different files
        store.record_digest(chat_id, ["story-0"], NOW)
    reopened = TinyStore(path, read_only=True)
    (first,), (second,) = reopened.sent_keys(1), reopened.sent_keys(2)
    assert first == second == "story-0"
    assert first is second


def test_a_digest_and_its_local_date_are_one_appended_line(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording a digest rewrites no file (it once rewrote the chat's whole shard); only
    the day's first digest lists the day's new log in the manifest."""
    store = TinyStore(path)
    store.update_chat(5, countries=("JP",), last_digest="2026-11-24")
    store.update_chat(6, countries=("JP",))
    store.record_digest(6, ["a"], NOW)
    written: list[Path] = []
    real_write = store_files.atomic_write
    monkeypatch.setattr(store_files, "atomic_write",
                        recording(written, real_write))
    chat = store.record_digest(5, ["a"], NOW, local_date="2026-11-25")
    assert written == []
    assert sent_log(store, "2026-11-25") == [[6, "", ["a"]], [5, "2026-11-25", ["a"]]]
    assert chat == store.chat(5) == Chat(5, countries=("JP",), last_digest="2026-11-25")
    store.close()

    reopened = TinyStore(path)
    assert reopened.chat(5) == chat
    assert reopened.sent_keys(5) == {"a"}
    # Without a local date (an on-demand digest) the last scheduled one stays.
    assert reopened.record_digest(5, ["b"], NOW).last_digest == "2026-11-25"


def test_articles_are_deduplicated_by_url_and_by_outlet_title(path: Path) -> None:
    store = TinyStore(path)
    assert len(store.add_articles([article(1), article(2)])) == 2
    same_url = article(1, title="A new headline for the same URL")
    same_title = Article(url="https://news.example/2?page=amp", title="headline 2!",
                         summary="", published=NOW, source="NHK", country="JP", language="en")
    other_outlet_same_title = article(3, source="Kyodo", title="Headline 2")
    new = store.add_articles([same_url, same_title, other_outlet_same_title])
    assert new == [other_outlet_same_title]
    assert len(TinyStore(path, read_only=True).articles()) == 3


def test_a_pass_writes_each_touched_day_once(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = TinyStore(path)
    written: list[Path] = []
    real_write = store_files.atomic_write
    monkeypatch.setattr(store_files, "atomic_write",
                        recording(written, real_write))
    store.add_articles([article(n, day=n % 2) for n in range(100)])
    assert len([file for file in written if file.name.startswith("articles-")]) == 2


def test_articles_newest_first_and_since(path: Path) -> None:
    store = TinyStore(path)
    store.add_articles([article(1, day=2), article(2), article(3, day=1)])
    assert [a.url[-1] for a in store.articles()] == ["2", "3", "1"]
    assert [a.url[-1] for a in store.articles(since=NOW - timedelta(days=1, hours=1))] == [
        "2", "3"]


def test_prune_drops_whole_old_days(path: Path) -> None:
    store = TinyStore(path)
    store.add_articles([article(n, day=n) for n in range(5)])
    assert store.prune_articles(NOW - timedelta(days=2)) == 2
    assert sorted(a.url for a in TinyStore(path, read_only=True).articles()) == [
        f"https://news.example/{n}" for n in range(3)]
    assert len(list(store.folder.glob("articles-*.json"))) == 3
    # A pruned article may come back (it is new again to the store).
    assert store.add_articles([article(4, day=4)])


def test_feed_states_persist(path: Path) -> None:
    store = TinyStore(path)
    state = FeedState(etag='"abc"', last_success=NOW, last_attempt=NOW, failures=0)
    store.save_feed_states({"https://a.example/rss": state})
    store.save_feed_states({"https://b.example/rss": FeedState(last_error="HTTP 500",
                                                               failures=2)})
    reopened = TinyStore(path, read_only=True)
    assert reopened.feed_state("https://a.example/rss") == state
    assert reopened.feed_state("https://b.example/rss").failures == 2
    assert reopened.feed_state("https://unknown.example/rss") == FeedState()


def test_a_crash_in_the_middle_of_an_append_loses_only_that_digest(path: Path) -> None:
    store = TinyStore(path)
    store.update_chat(1, countries=("JP",))
    store.record_digest(1, ["a"], NOW, local_date="2026-11-24")
    store.close()
    log_file = store.folder / "sent-2026-11-25.log"
    with log_file.open("a") as torn:
        torn.write('[1,"2026-11-25",["b"')  # the crash came before the newline
    reopened = TinyStore(path)
    assert reopened.sent_keys(1) == {"a"}
    assert reopened.chat(1).last_digest == "2026-11-24"
    reopened.record_digest(1, ["c"], NOW, local_date="2026-11-25")
    assert sent_log(reopened, "2026-11-25") == [[1, "2026-11-24", ["a"]],
                                                [1, "2026-11-25", ["c"]]]


def test_a_corrupt_file_is_reported_not_overwritten(path: Path) -> None:
    TinyStore(path).close()
    path.write_text("{not json")
    with pytest.raises(StoreError, match="not valid JSON"):
        TinyStore(path)
    assert path.read_text() == "{not json"


def test_a_failed_write_leaves_memory_matching_disk(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TinyStore(path)
    store.update_chat(1, countries=("JP",))

    def disk_full(p: Path, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_files, "atomic_write", disk_full)
    with pytest.raises(OSError, match="No space"):
        store.add_articles([article(1)])
    with pytest.raises(OSError, match="No space"):
        store.update_chat(1, countries=("BR",))
    monkeypatch.undo()
    assert len(store.articles()) == 0
    assert store.add_articles([article(1)])  # not wrongly remembered as already stored
    assert store.chat(1) == Chat(1, countries=("JP",))
    assert TinyStore(path, read_only=True).chat(1) == Chat(1, countries=("JP",))


def test_a_failed_digest_write_leaves_memory_matching_disk(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TinyStore(path)
    store.record_digest(1, ["a"], NOW, local_date="2026-11-24")

    def disk_full(p: Path, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("digest.store.sent.os.fsync", lambda fd: disk_full(path, ""))
    with pytest.raises(OSError, match="No space"):
        store.record_digest(1, ["b"], NOW, local_date="2026-11-25")
    monkeypatch.undo()
    assert sent_log(store, "2026-11-25") == [[1, "2026-11-24", ["a"]]]  # the line undone
    assert store.sent_keys(1) == {"a"}
    assert store.chat(1) == Chat(1, last_digest="2026-11-24")
    store.save_chat(Chat(1, countries=("JP",), last_digest="2026-11-24"))  # rewrites the shard
    assert TinyStore(path, read_only=True).sent_keys(1) == {"a"}


def test_replaced_articles_are_rewritten_and_still_deduplicated(path: Path) -> None:
    store = TinyStore(path)
    original = article(1)
    store.add_articles([original])
    translated = replace(original, title="The translation", original_title=original.title,
                         summary="In English.", original_summary=original.summary)
    assert store.replace_articles([translated, replace(article(2), title="unknown")]) == [
        translated]
    store.close()

    reopened = TinyStore(path)
    assert reopened.articles() == [translated]
    # The outlet's own title still identifies it, whatever the translation says.
    assert reopened.add_articles([replace(original, url="https://elsewhere.example/x")]) == []


# -- one writer, read-only readers, damage ---------------------------------------------------


def test_one_writer_at_a_time_and_readers_beside_it(path: Path) -> None:
    writer = TinyStore(path)
    writer.update_chat(1, countries=("JP",))
    with pytest.raises(StoreInUse, match="in use by another process"):
        TinyStore(path)
    reader = TinyStore(path, read_only=True)
    assert reader.chat(1) == Chat(1, countries=("JP",))
    with pytest.raises(StoreError, match="read-only"):
        reader.update_chat(2, countries=("BR",))
    writer.close()
    TinyStore(path).close()  # closing let go of the lock


def test_a_reader_creates_nothing_and_leaves_temporary_files_to_the_writer(
    path: Path,
) -> None:
    assert len(TinyStore(path, read_only=True).chats()) == 0
    assert not path.parent.exists()

    writer = TinyStore(path)
    writer.update_chat(1, countries=("JP",))
    writer.close()
    in_flight = path.with_name("newsbot.json.d") / ".chats-001.json.x1y2.tmp"
    in_flight.write_text("{}")
    TinyStore(path, read_only=True).close()
    assert in_flight.exists()
    TinyStore(path).close()  # the writer's own start clears what a crash left
    assert not in_flight.exists()


def manifest(path: Path) -> list[str]:
    return json.loads((path.with_name("newsbot.json.d") / "manifest.json").read_text())["files"]


def test_the_manifest_lists_data_files_as_they_come_and_go(path: Path) -> None:
    store = TinyStore(path)
    store.add_articles([article(1, day=0), article(2, day=3)])
    store.update_chat(1, countries=("JP",))
    assert manifest(path) == ["articles-2026-11-22.json", "articles-2026-11-25.json",
                              "chats-001.json"]
    store.prune_articles(NOW - timedelta(days=1))
    assert manifest(path) == ["articles-2026-11-25.json", "chats-001.json"]
    store.close()


def test_a_file_written_but_not_yet_listed_is_adopted(path: Path) -> None:
    """A crash between a new shard's first write and the manifest's update."""
    store = TinyStore(path)
    store.update_chat(1, countries=("JP",))
    store.close()
    files = path.with_name("newsbot.json.d")
    (files / "manifest.json").write_text('{"files": []}')
    assert TinyStore(path).chat(1) == Chat(1, countries=("JP",))
    assert manifest(path) == ["chats-001.json"]


def test_a_lost_file_is_refused_and_repair_says_what_is_gone(path: Path) -> None:
    store = TinyStore(path)
    store.save_chats([Chat(1, countries=("JP",)), Chat(2, countries=("BR",))])
    store.close()
    shard = path.with_name("newsbot.json.d") / "chats-001.json"
    shard.unlink()
    for read_only in (False, True):
        with pytest.raises(DamagedFile, match="listed in the store's manifest"):
            TinyStore(path, read_only=read_only)
    repaired = TinyStore(path, repair=True)
    [report] = repaired.repairs
    assert report.startswith(f"{shard}: listed")
    assert repaired.chats() == [Chat(2, countries=("BR",))]
    repaired.close()
    assert len(TinyStore(path, read_only=True).chats()) == 1  # no longer listed


@pytest.mark.parametrize("damage", ["manifest", "main file"])
def test_a_damaged_main_file_or_manifest_is_set_aside_by_repair(path: Path, damage: str) -> None:
    store = TinyStore(path)
    store.update_chat(1, countries=("JP",))
    store.save_feed_states({"https://a.example/rss": FeedState(failures=1)})
    store.close()
    damaged = path if damage == "main file" else path.with_name("newsbot.json.d") / "manifest.json"
    damaged.write_text("{")
    with pytest.raises(DamagedFile, match="not valid JSON"):
        TinyStore(path)
    repaired = TinyStore(path, repair=True)
    [report] = repaired.repairs
    assert "moved to" in report
    assert repaired.chat(1) == Chat(1, countries=("JP",))
    lost_feeds = damage == "main file"
    assert (repaired.feed_state("https://a.example/rss") == FeedState()) is lost_feeds
    assert "feed states" in report if lost_feeds else "nothing of the data" in report
    repaired.close()
    assert [aside.read_text() for aside in damaged.parent.glob(damaged.name + ".damaged-*")
            ] == ["{"]
    TinyStore(path).close()


def test_a_missing_main_file_beside_data_is_refused(path: Path) -> None:
    store = TinyStore(path)
    store.update_chat(1, countries=("JP",))
    store.close()
    path.unlink()
    with pytest.raises(DamagedFile, match="missing, but"):
        TinyStore(path)


def test_damaged_records_are_left_out_and_kept(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = TinyStore(path)
    store.save_chats([Chat(1, countries=("JP",)), Chat(129, countries=("BR",))])
    store.add_articles([article(1), article(2)])
    store.save_feed_states({"https://a.example/rss": FeedState(failures=1)})
    store.close()
    folder = path.with_name("newsbot.json.d")
    shard, day = folder / "chats-001.json", folder / "articles-2026-11-25.json"
    for file, table, key, field, value in [(shard, "chats", "2", "paused", "false"),
                                           (day, "articles", "1", "published", "yesterday"),
                                           (path, "feeds", "1", "failures", "1")]:
        data = json.loads(file.read_text())
        data[table][key][field] = value
        file.write_text(json.dumps(data))

    store = TinyStore(path)
    assert store.chats() == [Chat(129, countries=("BR",))]
    assert store.chat(1) is None
    assert [a.url for a in store.articles()] == [article(2).url]
    assert store.feed_states() == {}
    assert len([r for r in caplog.records if "left out" in r.getMessage()]) == 3
    with pytest.raises(DamagedRecord, match="chat 1 has a damaged record"):
        store.update_chat(1, countries=("DE",))
    store.update_chat(129, countries=("DE",))  # rewrites the shard around the damaged record
    store.add_articles([article(3)])  # and the day's file
    assert json.loads(shard.read_text())["chats"]["2"]["paused"] == "false"
    assert json.loads(day.read_text())["articles"]["1"]["published"] == "yesterday"
    assert store.delete_chat(1)  # /forget still removes it
    assert "2" not in json.loads(shard.read_text())["chats"]
    store.close()


def test_forgetting_a_chat_removes_its_lines_from_the_sent_logs(path: Path) -> None:
    store = TinyStore(path)
    for chat_id in (1, 12, 2):
        store.update_chat(chat_id, countries=("JP",))
        store.record_digest(chat_id, [f"story-{chat_id}"], NOW, local_date="2026-11-25")
    store.record_digest(1, ["older"], NOW - timedelta(days=1))
    assert store.delete_chat(1)
    assert sent_log(store, "2026-11-25") == [[12, "2026-11-25", ["story-12"]],
                                             [2, "2026-11-25", ["story-2"]]]
    assert sent_log(store, "2026-11-24") == []
    store.record_digest(2, ["later"], NOW)  # the day's log is appended to again
    store.close()
    reopened = TinyStore(path)
    assert reopened.sent_keys(2) == {"story-2", "later"}
    assert reopened.sent_keys(1) == frozenset()
