"""The store's file layer: what counts as a damaged file, setting it aside, the writer lock."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from digest.store.files import (
    DamagedFile,
    StoreError,
    StoreInUse,
    WriterLock,
    read_data_file,
    set_aside,
    what_is_lost,
)


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty (zero bytes)"),
    (b" \n\t", "only whitespace"),
    (b"\xff\xfe", "not UTF-8"),
    (b'{"chats": {', "not valid JSON"),
    (b"[]", "a JSON list"),
    (b'{"articles": {}}', "unexpected table 'articles'"),
    (b'{"chats": []}', "table 'chats' is not an object"),
    (b'{"chats": {"x1": {}}}', "record 'x1' is not a JSON object under a numeric id"),
    (b'{"chats": {"2": "chat 1"}}', "record '2' is not a JSON object"),
])
def test_what_the_store_never_writes_is_refused_naming_the_file(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    file = tmp_path / "chats-001.json"
    file.write_bytes(content)
    with pytest.raises(DamagedFile, match=re.escape(reason)) as refused:
        read_data_file(file, ("chats",))
    assert str(refused.value).startswith(f"{file}: ")
    assert "--repair" in str(refused.value)
    assert file.read_bytes() == content


def test_a_missing_file_is_no_data_and_a_written_one_is_read(tmp_path: Path) -> None:
    file = tmp_path / "chats-001.json"
    assert read_data_file(file, ("chats",)) is None
    file.write_text('{"chats": {"2": {"chat_id": 1}}}')
    assert read_data_file(file, ("chats",)) == {"chats": {"2": {"chat_id": 1}}}


def test_set_aside_keeps_every_damaged_copy(tmp_path: Path) -> None:
    file = tmp_path / "chats-001.json"
    file.write_text("first")
    first = set_aside(file)
    file.write_text("second")
    second = set_aside(file)
    assert first != second
    assert first.name.startswith("chats-001.json.damaged-")
    assert (first.read_text(), second.read_text()) == ("first", "second")
    assert not file.exists()


def test_what_is_lost_names_the_chats_of_an_unparseable_shard(tmp_path: Path) -> None:
    shard = tmp_path / "chats-001.json"
    shard.write_text('{"chats":{"2":{"chat_id":1,"paused":false},"258":{"chat_id":129,"pa')
    assert "2 found in its text: 1, 129" in what_is_lost(shard)
    day = tmp_path / "articles-2026-11-25.json"
    day.write_text('{"articles":{"1":{"url":"a"},"2":{"url":"b"},"3":{"ur')
    assert "about 2 articles" in what_is_lost(day)


def test_one_writer_lock_per_folder_naming_the_holder(tmp_path: Path) -> None:
    held = WriterLock.acquire(tmp_path / "store.d")
    with pytest.raises(StoreInUse, match=f"pid {os.getpid()}") as refused:
        WriterLock.acquire(tmp_path / "store.d")
    assert str(refused.value).startswith(f"{tmp_path / 'store.d'}: ")
    held.release()
    WriterLock.acquire(tmp_path / "store.d").release()


def test_a_lock_file_that_cannot_be_opened_is_a_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "store.d"
    (folder / "writer.lock").mkdir(parents=True)  # a folder where the lock file should be
    with pytest.raises(StoreError, match="cannot open the store's lock file"):
        WriterLock.acquire(folder)
