"""One hand-edited chat record among healthy ones: logged once, left out and kept as it is,
while every other chat gets its digest."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from digest.models import Chat
from digest.store import CHAT_SHARDS, TinyStore
from handlers.errors import APOLOGY
from tests.e2e.conftest import RunningBot
from tests.e2e.fake_bot_api import Call, FakeBotAPI
from tests.e2e.news import NEWS, seed
from tests.e2e.stores import tinydb_only
from tests.feed_server import FeedServer

pytestmark = tinydb_only

BAD = 20
# 19 healthy chats; one shares the bad one's shard, so its digest rewrites that file.
HEALTHY = [*range(1, 19), BAD + CHAT_SHARDS]


def is_digest(call: Call) -> bool:
    return call.ok and call.result["text"].startswith("Your news digest")


def shard_of(running: RunningBot, chat_id: int) -> Path:
    return Path(running.config.storage.path + ".d") / f"chats-{chat_id % CHAT_SHARDS:03d}.json"


def record(running: RunningBot, chat_id: int) -> dict[str, Any]:
    """The chat's document as it is on disk."""
    data = json.loads(shard_of(running, chat_id).read_text())
    [doc] = [doc for doc in data["chats"].values() if doc["chat_id"] == chat_id]
    return doc


def edit_record(running: RunningBot, chat_id: int, field: str, value: Any) -> None:
    """Change one field of the chat's document on disk, as an operator's editor would."""
    shard = shard_of(running, chat_id)
    data = json.loads(shard.read_text())
    [doc] = [doc for doc in data["chats"].values() if doc["chat_id"] == chat_id]
    doc[field] = value
    shard.write_text(json.dumps(data))


@pytest.mark.parametrize(("field", "value"), [
    ("digest_time", 730), ("last_digest", None), ("countries", "JP"), ("paused", "false")])
async def test_one_damaged_chat_does_not_stop_the_others_digests(
    bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer,
    caplog: pytest.LogCaptureFixture, field: str, value: Any,
) -> None:
    """Defect 4 (and 5 for records): a bad record made every digest check raise, or was
    coerced ("countries": "JP" as J and P, "paused": "false" as paused)."""
    running = RunningBot(bot_api, tmp_path, feed_server)
    running.clock.now = datetime(2026, 11, 25, 7, 40, tzinfo=UTC)  # 10 min after 07:30
    seed(running.config.storage, NEWS,
         [Chat(chat_id, countries=("JP",)) for chat_id in [*HEALTHY, BAD]])
    edit_record(running, BAD, field, value)
    damaged = record(running, BAD)
    caplog.set_level(logging.WARNING)
    await running.start()
    try:
        await bot_api.wait_for_all_async("sendMessage", is_digest, count=len(HEALTHY),
                                         timeout=20)
        reply = await running.say(BAD, "/subscribe Brazil")
        assert reply.params["text"] == APOLOGY  # not silently replaced by a fresh record
    finally:
        await running.stop()

    assert {c.params["chat_id"] for c in bot_api.calls("sendMessage") if is_digest(c)} == set(
        HEALTHY)
    [logged] = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    [refused] = [r for r in caplog.records if "update not handled" in r.getMessage()]
    assert f"chat {BAD} has a damaged record" in refused.getMessage()
    assert refused.exc_info is None  # one line, not a traceback per message
    assert f"{shard_of(running, BAD)}: chat {BAD} left out" in logged
    assert f"field {field!r} is {value!r}" in logged
    assert record(running, BAD) == damaged  # kept on disk as it is
    # Its neighbour in the shard had its digest recorded (in the day's log of what was sent).
    reopened = TinyStore(running.config.storage.path, read_only=True)
    assert reopened.chat(BAD + CHAT_SHARDS).last_digest == "2026-11-25"
