"""The store under real `bot.py` processes: one writer at a time, readers that touch
nothing, and damaged files refused (or, with --repair, set aside) instead of loaded as less.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from digest.models import Chat, FeedState
from digest.store import TinyStore
from tests.e2e.conftest import ROOT
from tests.e2e.conftest import write_config as write_shared_config
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.e2e.news import NEWS, NOON
from tests.e2e.stores import tinydb_only
from tests.feed_server import FeedServer

pytestmark = tinydb_only

# Chats in two shards (chat_id % 128): 1 and 129 share shard 1, 2 is alone in shard 2.
# `sources` and `ingest` exit with 1 when too many feeds fail (the feed server here serves
# none of them): that is feed health. 2 would be the store refused.
HEALTHY = (0, 1)
CHATS = [Chat(1, countries=("JP",)), Chat(129, countries=("BR",)), Chat(2, countries=("DE",))]


def write_config(folder: Path, api: FakeBotAPI, feeds: FeedServer) -> Path:
    """The test config, readable by its owner only, as the bot asks (else it warns on
    stderr, and these tests count stderr lines)."""
    config = write_shared_config(folder, api, feeds)
    config.chmod(0o600)
    return config


def start_bot(config: Path, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(config), "run"],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def bot_py(config: Path, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A command that must end by itself: a second bot left running fails the test here."""
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(config), *args],
        cwd=folder, capture_output=True, text=True, timeout=30)


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr[-2000:]
    return stderr


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under the folder with its bytes and modification time."""
    return {str(file.relative_to(folder)): (file.read_bytes(), file.stat().st_mtime_ns)
            for file in sorted(folder.rglob("*")) if file.is_file()}


def test_a_second_writer_is_refused_at_once_and_a_killed_holder_leaves_no_lock(
    bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path
) -> None:
    """Defect 1: two `run`s on one store both ran, lost subscriptions and sent digests twice."""
    config = write_config(tmp_path, bot_api, feed_server)
    first = start_bot(config, tmp_path)
    try:
        bot_api.wait_for("setMyCommands", timeout=30)
        for command in ("run", "ingest"):
            second = bot_py(config, tmp_path, command)
            assert second.returncode == 2, second.stderr[-2000:]
            [line] = second.stderr.splitlines()
            assert f"{tmp_path / 'store.json.d'}:" in line
            assert f"pid {first.pid}" in line
        bot_api.push_message(77, "/subscribe Japan")
        reply = bot_api.wait_for("sendMessage", timeout=10)
        assert "Added: 🇯🇵 Japan" in reply.params["text"]  # the holder serves on, undisturbed
    finally:
        first.kill()  # kill -9: the kernel releases the lock with the process
        first.communicate(timeout=20)

    again = start_bot(config, tmp_path)
    try:
        bot_api.push_message(78, "/mysubs")
        bot_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 78, timeout=30)
    finally:
        stop(again)


def test_sources_reads_without_touching_the_store(
    bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path
) -> None:
    """Defect 2: `sources` from cron deleted the running bot's in-flight temporary files."""
    config = write_config(tmp_path, bot_api, feed_server)
    folder = tmp_path / "store.json.d"
    bot = start_bot(config, tmp_path)
    try:
        bot_api.push_message(77, "/subscribe Japan")
        bot_api.wait_for("sendMessage", timeout=30)
        in_flight = folder / ".chats-077.json.k2x9q1.tmp"  # as the bot's writes name them
        in_flight.write_text('{"chats": {}}')
        checked = bot_py(config, tmp_path, "sources")
        assert checked.returncode in HEALTHY, checked.stderr[-2000:]
        assert in_flight.exists()
        bot_api.push_message(78, "/subscribe Brazil")
        reply = bot_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 78, timeout=10)
        assert "Added: 🇧🇷 Brazil" in reply.params["text"]
    finally:
        stop(bot)
    in_flight.unlink()

    at_rest = snapshot(tmp_path)
    assert bot_py(config, tmp_path, "sources").returncode in HEALTHY
    assert snapshot(tmp_path) == at_rest  # nothing written, created or deleted

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    empty = write_config(fresh, bot_api, feed_server)
    created = snapshot(fresh)
    assert bot_py(empty, fresh, "sources").returncode in HEALTHY
    assert snapshot(fresh) == created  # no store is created just to be read


def seeded_store(tmp_path: Path) -> Path:
    """A store as a bot at rest leaves it: chats in two shards, a day of articles, feeds."""
    store = TinyStore(tmp_path / "store.json")
    store.add_articles(NEWS)
    store.save_chats(CHATS)
    store.save_feed_states({"https://a.example/rss": FeedState(last_success=NOON)})
    store.close()
    return tmp_path / "store.json.d"


DAMAGE = {
    "zero-byte shard": ("store.json.d/chats-001.json", b""),
    "[] shard": ("store.json.d/chats-001.json", b"[]"),
    "deleted shard": ("store.json.d/chats-001.json", None),
    "whitespace-only main file": ("store.json", b"  \n"),
    "unparseable day of articles": ("store.json.d/articles-2026-11-25.json", b'{"articles": {'),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_file_is_refused_and_repair_sets_it_aside(
    bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path, damage: str,
) -> None:
    """Defect 5: damaged files loaded silently as "fewer chats" or reset the feed states."""
    config = write_config(tmp_path, bot_api, feed_server)
    seeded_store(tmp_path)
    name, content = DAMAGE[damage]
    damaged = tmp_path / name
    if content is None:
        damaged.unlink()
    else:
        damaged.write_bytes(content)

    for command in ("run", "sources"):
        refused = bot_py(config, tmp_path, command)
        assert refused.returncode == 2, refused.stderr[-2000:]
        [line] = refused.stderr.splitlines()
        assert line.startswith(f"error: {damaged}: ")
        assert "--repair" in line
    assert not bot_api.calls()  # refused before going online

    repaired = bot_py(config, tmp_path, "ingest", "--repair")
    assert repaired.returncode in HEALTHY, repaired.stderr[-2000:]
    [report] = [line for line in repaired.stderr.splitlines() if line.startswith("repaired:")]
    assert f"{damaged}: " in report
    assert "lost: " in report
    if content is not None:
        [aside] = damaged.parent.glob(damaged.name + ".damaged-*")
        assert aside.read_bytes() == content  # kept, never deleted
        assert f"moved to {aside.name}" in report
    assert bot_py(config, tmp_path, "sources").returncode in HEALTHY
    shard_2 = json.loads((tmp_path / "store.json.d" / "chats-002.json").read_text())
    assert [doc["chat_id"] for doc in shard_2["chats"].values()] == [2]  # the rest is intact


def test_a_record_of_the_wrong_type_is_reported_not_coerced(
    bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path
) -> None:
    """Defect 5, records: "paused": "false" read as paused, "countries": "JP" as J and P."""
    config = write_config(tmp_path, bot_api, feed_server)
    shard = seeded_store(tmp_path) / "chats-002.json"
    data = json.loads(shard.read_text())
    [doc] = data["chats"].values()
    doc["paused"] = "false"
    shard.write_text(json.dumps(data))

    checked = bot_py(config, tmp_path, "sources")
    assert checked.returncode in HEALTHY, checked.stderr[-2000:]
    assert "Traceback" not in checked.stderr
    [line] = [line for line in checked.stderr.splitlines() if "left out" in line]
    assert f"{shard}: chat 2 left out" in line
    assert "field 'paused' is 'false', expected true or false" in line
    assert json.loads(shard.read_text()) == data  # kept as it is
