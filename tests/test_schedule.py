from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from digest.models import Chat
from digest.schedule import DueIndex, due_chats, zone_of

GRACE = timedelta(hours=3)


def test_fixed_offsets_are_real_zones() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert moment.astimezone(zone_of("UTC+05:30")).hour == 5
    assert moment.astimezone(zone_of("UTC-03:00")).hour == 21


def chat(chat_id: int = 1, **fields: Any) -> Chat:
    return replace(Chat(chat_id=chat_id, countries=("JP",)), **fields)


def due(chats: list[Chat], now: datetime) -> list[int]:
    found = due_chats(chats, now, default_time="07:30", default_zone="UTC", grace=GRACE)
    return [d.chat.chat_id for d in found]


def test_due_from_local_time_until_grace_runs_out() -> None:
    tokyo = chat(timezone="Asia/Tokyo")  # 07:30 JST is 22:30 UTC the day before
    assert due([tokyo], datetime(2026, 11, 24, 22, 29, tzinfo=UTC)) == []
    assert due([tokyo], datetime(2026, 11, 24, 22, 30, tzinfo=UTC)) == [1]
    assert due([tokyo], datetime(2026, 11, 25, 1, 30, tzinfo=UTC)) == [1]
    assert due([tokyo], datetime(2026, 11, 25, 1, 31, tzinfo=UTC)) == []
    found = due_chats([tokyo], datetime(2026, 11, 24, 23, 0, tzinfo=UTC), default_time="07:30",
                      default_zone="UTC", grace=GRACE)
    assert found[0].local_date.isoformat() == "2026-11-25"


def test_once_per_local_date_and_only_active_subscribed_chats() -> None:
    now = datetime(2026, 11, 25, 7, 45, tzinfo=UTC)
    chats = [chat(1), chat(2, last_digest="2026-11-25"), chat(3, last_digest="2026-11-24"),
             chat(4, paused=True), chat(5, active=False), chat(6, countries=())]
    assert due(chats, now) == [1, 3]


def test_autumn_repeated_hour_sends_once() -> None:
    # New York, 1 Nov 2026: 01:00-02:00 happens twice (05:00-06:00 and 06:00-07:00 UTC).
    ny = chat(timezone="America/New_York", digest_time="01:30")
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    (sent,) = due_chats([ny], first, default_time="07:30", default_zone="UTC", grace=GRACE)
    after = replace(ny, last_digest=sent.local_date.isoformat())
    assert due([after], first + timedelta(hours=1)) == []


def test_spring_gap_still_sends_that_day() -> None:
    # New York, 8 Mar 2026: 02:00-03:00 does not exist.
    ny = chat(timezone="America/New_York", digest_time="02:30")
    assert due([ny], datetime(2026, 3, 8, 6, 59, tzinfo=UTC)) == []
    assert due([ny], datetime(2026, 3, 8, 7, 30, tzinfo=UTC)) == [1]


def test_defaults_apply_to_chats_without_settings() -> None:
    found = due_chats([chat()], datetime(2026, 11, 25, 6, 0, tzinfo=UTC), default_time="06:00",
                      default_zone="UTC", grace=GRACE)
    assert [d.chat.chat_id for d in found] == [1]


class CountingChats:
    """Chats by id, counting how many a check looks at."""

    def __init__(self, chats: list[Chat]) -> None:
        self.chats = {c.chat_id: c for c in chats}
        self.looked_at = 0

    def get(self, chat_id: int) -> Chat | None:
        self.looked_at += 1
        return self.chats.get(chat_id)


@pytest.mark.parametrize("not_due", [10, 10_000])
def test_a_check_looks_only_at_the_chats_due_now(not_due: int) -> None:
    """The check once read every chat; now its work does not grow with chats not due."""
    chats = CountingChats([chat(1, digest_time="07:00"), chat(2, digest_time="07:00"),
                           *(chat(n, digest_time="19:00") for n in range(3, 3 + not_due))])
    index = DueIndex(chats.chats.values(), default_time="07:30", default_zone="UTC")
    seven = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    assert [d.chat.chat_id for d in index.due(seven, GRACE, chats.get)] == [1, 2]
    assert chats.looked_at == 2
    assert list(index.due(seven + timedelta(minutes=1), GRACE, chats.get)) == []  # once a day
    assert chats.looked_at == 2


def test_a_chat_changed_after_its_slot_was_read_is_found_on_its_own() -> None:
    chats = CountingChats([chat(n, digest_time="07:00") for n in range(1, 101)])
    index = DueIndex(chats.chats.values(), default_time="07:30", default_zone="UTC")
    seven = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    assert len(list(index.due(seven, GRACE, chats.get))) == 100
    chats.chats[500] = chat(500, digest_time="06:45")  # a new chat whose time has passed
    chats.chats[7] = replace(chats.chats[7], paused=True)
    for chat_id in (500, 7):
        index.changed(chat_id)
    chats.looked_at = 0
    found = list(index.due(seven + timedelta(minutes=1), GRACE, chats.get))
    assert [d.chat.chat_id for d in found] == [500]
    assert chats.looked_at == 3  # the two changed chats to file them, and the new one's check
