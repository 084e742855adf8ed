"""The schema version and the migrations from older stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.models import Chat
from digest.store import StoreError, TinyStore, schema
from tests.store.test_tinystore import sent_log


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "newsbot.json"


def write_v1_store(path: Path, sent: dict[str, str]) -> Path:
    """A schema 1 store as the previous version left it: chat 1 with `sent` as
    {key: UTC time}. Returns the chat's shard file."""
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"meta": {"1": {"schema": 1}}}))
    shard = path.with_name(path.name + ".d") / "chats-001.json"
    shard.parent.mkdir()
    shard.write_text(json.dumps({"chats": {"2": {
        "chat_id": 1, "countries": ["JP"], "digest_time": "07:30", "timezone": "",
        "paused": False, "active": True, "last_digest": "2026-11-25", "sent": sent}}}))
    return shard


def test_a_v1_store_is_migrated_to_sent_keys_by_day(path: Path) -> None:
    shard = write_v1_store(path, {
        "story-a": "2026-11-24T22:00:00+00:00",
        "story-b": "2026-11-25T07:00:00+00:00",
        "story-c": "2026-11-25T08:00:00+00:00",
    })
    store = TinyStore(path)
    assert store.sent_keys(1) == {"story-a", "story-b", "story-c"}
    assert store.chat(1) == Chat(1, countries=("JP",), digest_time="07:30",
                                 last_digest="2026-11-25")
    assert "sent" not in json.loads(shard.read_text())["chats"]["2"]
    assert sent_log(store, "2026-11-24") == [[1, "", ["story-a"]]]
    assert sent_log(store, "2026-11-25") == [[1, "", ["story-b", "story-c"]]]
    assert json.loads(path.read_text())["meta"]["1"]["schema"] == schema.SCHEMA_VERSION
    assert json.loads((path.parent / "newsbot.json.d" / "manifest.json").read_text()) == {
        "files": ["chats-001.json", "sent-2026-11-24.log", "sent-2026-11-25.log"]}


def test_the_manifest_takes_in_the_sent_logs_and_keeps_a_lost_file_listed(path: Path) -> None:
    """Schema 4 to 5, run twice as after a crash before the version was raised."""
    shard = write_v1_store(path, {"story-a": "2026-11-24T22:00:00+00:00"})
    for version in (1, 2, 3):
        schema.MIGRATIONS[version](shard.parent, path)
    manifest = shard.parent / "manifest.json"
    manifest.write_text(json.dumps({"files": ["chats-001.json", "chats-002.json"]}))
    for _ in range(2):
        schema.MIGRATIONS[4](shard.parent, path)
        assert json.loads(manifest.read_text()) == {
            "files": ["chats-001.json", "chats-002.json", "sent-2026-11-24.log"]}


def test_the_migration_leaves_a_converted_shard_alone(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash may stop the migration after some shards, before the version is raised."""
    shard = write_v1_store(path, {"story-a": "2026-11-24T22:00:00+00:00"})
    schema.MIGRATIONS[1](shard.parent, path)
    converted = shard.read_text()
    written: list[Path] = []
    monkeypatch.setattr(schema, "atomic_write", lambda p, text: written.append(p))
    schema.MIGRATIONS[1](shard.parent, path)
    assert written == []
    assert shard.read_text() == converted
    monkeypatch.undo()
    assert TinyStore(path).sent_keys(1) == {"story-a"}


def test_the_sent_keys_leave_the_chat_records_and_a_repeated_migration_adds_nothing(
    path: Path
) -> None:
    """Schema 3 to 4; a crash after the logs were written but before the shard was
    rewritten runs it again: the keys then appear twice in the log, once in memory."""
    shard = write_v1_store(path, {"story-a": "2026-11-24T22:00:00+00:00"})
    for version in (1, 2, 3):
        schema.MIGRATIONS[version](shard.parent, path)
    assert "sent" not in json.loads(shard.read_text())["chats"]["2"]
    (shard.parent / "sent-2026-11-24.log").write_text('[1,"",["story-a"]]\n' * 2)
    store = TinyStore(path)
    assert store.sent_keys(1) == {"story-a"}
    assert store.chat(1).last_digest == "2026-11-25"


def test_a_newer_schema_is_refused(path: Path) -> None:
    TinyStore(path).close()
    data = json.loads(path.read_text())
    data["meta"]["1"]["schema"] = schema.SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="newer version"):
        TinyStore(path)


def test_migrations_run_in_order(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    TinyStore(path).close()
    current = schema.SCHEMA_VERSION
    ran: list[int] = []
    monkeypatch.setattr(schema, "SCHEMA_VERSION", current + 2)
    monkeypatch.setattr(schema, "MIGRATIONS", {
        current: lambda folder, main: ran.append(current),
        current + 1: lambda folder, main: ran.append(current + 1)})
    TinyStore(path).close()
    assert ran == [current, current + 1]
    assert json.loads(path.read_text())["meta"]["1"]["schema"] == current + 2
