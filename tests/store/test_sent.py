"""The sent logs as the store loads them: keys decoded when first asked for, the last
scheduled digest exact from the start, damage and loss noticed."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from digest.store import DamagedFile, TinyStore
from digest.store.sent import SentLog
from tests.store.test_tinystore import NOW, manifest, sent_log


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "newsbot.json"


def history(path: Path) -> TinyStore:
    """Chats 1-6 with digests over three days, some on demand, some twice a day."""
    store = TinyStore(path)
    for chat_id in range(1, 7):
        store.update_chat(chat_id, countries=("JP",))
        for days_ago in (2, 1, 0):
            when = NOW - timedelta(days=days_ago)
            local_date = (when.date().isoformat() if (chat_id + days_ago) % 3
                          else None)  # some on demand: no local date
            store.record_digest(chat_id, [f"story-{days_ago}-{n}" for n in range(chat_id)],
                                when, local_date=local_date)
        store.record_digest(chat_id, ["story-0-0", "extra"], NOW)
    return store


def keys_on_disk(store: TinyStore, chat_id: int) -> set[str]:
    """The chat's keys read straight from the logs, every line decoded."""
    return {key for log_file in store.folder.glob("sent-*.log")
            for line in sent_log(store, log_file.name[5:15])
            for key in line[2] if line[0] == chat_id}


def test_keys_decoded_when_asked_equal_those_on_disk(path: Path) -> None:
    store = history(path)
    before = {chat_id: store.sent_keys(chat_id) for chat_id in range(1, 7)}
    store.close()
    reopened = TinyStore(path)
    for chat_id in range(1, 7):
        assert reopened.sent_keys(chat_id) == before[chat_id] == keys_on_disk(reopened, chat_id)
        assert reopened.sent_keys(chat_id) == before[chat_id]  # decoded once, kept


def test_a_digest_recorded_before_the_keys_were_asked_for_keeps_the_loaded_ones(
    path: Path
) -> None:
    history(path).close()
    reopened = TinyStore(path)
    reopened.record_digest(3, ["new"], NOW)
    assert reopened.sent_keys(3) == keys_on_disk(reopened, 3)
    assert "new" in reopened.sent_keys(3)


def test_the_last_scheduled_digest_is_exact_after_reopening(path: Path) -> None:
    store = history(path)
    last = {chat.chat_id: chat.last_digest for chat in store.chats()}
    assert set(last.values()) == {"2026-11-24", "2026-11-25"}
    store.close()
    reopened = TinyStore(path)
    assert {chat.chat_id: chat.last_digest for chat in reopened.chats()} == last


def test_forgetting_a_chat_whose_keys_were_never_decoded_removes_its_lines(path: Path) -> None:
    history(path).close()
    reopened = TinyStore(path)
    sizes = {log_file: log_file.stat().st_size for log_file in reopened.folder.glob("sent-*")}
    assert reopened.delete_chat(2)
    assert keys_on_disk(reopened, 2) == set()
    # Blanked in place: the lines of the others stay where they were loaded from.
    assert {log_file: log_file.stat().st_size for log_file in sizes} == sizes
    assert keys_on_disk(reopened, 3) == reopened.sent_keys(3) != set()
    reopened.close()
    again = TinyStore(path)
    assert again.sent_keys(2) == frozenset()
    assert again.sent_keys(3) == keys_on_disk(again, 3)


def one_digest_sent(path: Path) -> Path:
    """A closed store whose chat 1 was sent story "a" on NOW's day; that day's log."""
    store = TinyStore(path)
    store.update_chat(1, countries=("JP",))
    store.record_digest(1, ["a"], NOW)
    store.close()
    return store.folder / "sent-2026-11-25.log"


def test_a_line_whose_keys_are_damaged_is_left_out_when_they_are_decoded(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log_file = one_digest_sent(path)
    with log_file.open("a") as edited:
        edited.write('[1,"2026-11-25",["b",2]]\n')  # a hand edit: a key that is a number
    reopened = TinyStore(path)
    assert reopened.chat(1).last_digest == "2026-11-25"  # read before the keys
    with caplog.at_level(logging.ERROR):
        assert reopened.sent_keys(1) == {"a"}
    assert "chat 1 left out" in caplog.text
    assert log_file.read_text().endswith('["b",2]]\n')  # kept on disk as it is


def test_lines_written_by_hand_are_read_and_damaged_ones_skipped(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with one_digest_sent(path).open("a") as edited:
        edited.write('[1, "2026-11-25", ["b", "c"]]\n{not a line}\n[1,"someday",["d"]]\n')
    with caplog.at_level(logging.ERROR):
        reopened = TinyStore(path)
    assert reopened.sent_keys(1) == {"a", "b", "c"}
    assert reopened.chat(1).last_digest == "2026-11-25"
    assert [r.getMessage().split(": ")[1] for r in caplog.records] == [
        "line 3 left out (kept on disk as it is)", "line 4 left out (kept on disk as it is)"]


def test_a_line_cut_short_by_a_crash_is_trimmed_and_the_next_one_follows(path: Path) -> None:
    store = TinyStore(path)
    store.update_chat(1, countries=("JP",))
    store.record_digest(1, ["a"], NOW, local_date="2026-11-25")
    store.close()
    log_file = store.folder / "sent-2026-11-25.log"
    with log_file.open("a") as torn:
        torn.write('[1,"2026-11-26",["b","c')
    reopened = TinyStore(path)
    assert reopened.chat(1).last_digest == "2026-11-25"
    assert reopened.sent_keys(1) == {"a"}
    reopened.record_digest(1, ["d"], NOW)
    assert sent_log(reopened, "2026-11-25") == [[1, "2026-11-25", ["a"]], [1, "", ["d"]]]


def test_the_manifest_lists_the_sent_logs_as_they_come_and_go(path: Path) -> None:
    store = TinyStore(path)
    store.update_chat(1, countries=("JP",))
    store.record_digest(1, ["a"], NOW - timedelta(days=3))
    assert manifest(path) == ["chats-001.json", "sent-2026-11-22.log"]
    store.record_digest(1, ["b"], NOW)  # the older day is no longer kept
    assert manifest(path) == ["chats-001.json", "sent-2026-11-25.log"]
    assert [f.name for f in store.folder.glob("sent-*.log")] == ["sent-2026-11-25.log"]


def test_a_lost_sent_log_is_refused_and_repair_says_what_is_gone(path: Path) -> None:
    store = TinyStore(path)
    store.update_chat(1, countries=("JP",))
    store.record_digest(1, ["a"], NOW - timedelta(days=1), local_date="2026-11-24")
    store.record_digest(1, ["b"], NOW, local_date="2026-11-25")
    store.close()
    lost = store.folder / "sent-2026-11-25.log"
    lost.unlink()
    with pytest.raises(DamagedFile, match="listed in the store's manifest"):
        TinyStore(path)
    repaired = TinyStore(path, repair=True)
    [report] = repaired.repairs
    assert report.startswith(f"{lost}: listed")
    assert "what was sent that day" in report
    assert repaired.sent_keys(1) == {"a"}
    assert repaired.chat(1).last_digest == "2026-11-24"
    repaired.close()
    TinyStore(path).close()  # no longer listed


def test_a_new_log_is_listed_only_once_it_exists(tmp_path: Path) -> None:
    listed: list[str] = []
    logs = SentLog(tmp_path, listed=lambda file: listed.append(file.name))
    logs.append("2026-11-25", 1, "", ["a"])
    logs.append("2026-11-25", 2, "", ["b"])
    logs.close()
    SentLog(tmp_path, listed=lambda file: listed.append(file.name)).append(
        "2026-11-25", 3, "", ["c"])
    assert listed == ["sent-2026-11-25.log"]


@pytest.mark.parametrize("reopened", [False, True])
def test_forgetting_blanks_a_line_without_keys_too(path: Path, reopened: bool) -> None:
    store = TinyStore(path)
    store.update_chat(1, countries=("JP",))
    store.record_digest(1, [], NOW, local_date="2026-11-25")
    if reopened:
        store.close()
        store = TinyStore(path)
        assert store.sent_keys(1) == frozenset()
    assert store.delete_chat(1)
    assert sent_log(store, "2026-11-25") == []
