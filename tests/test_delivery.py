"""Giving up on digests that cannot be delivered: loudly, except when they were."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.models import Chat, Delivery
from digest.store import TinyStore
from runtime.delivery import Courier

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def test_give_up_logs_an_error_only_for_digests_not_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    store = TinyStore(tmp_path / "store.json")
    store.save_chats([Chat(1, countries=("JP",)), Chat(2, countries=("JP",),
                                                       last_digest="2026-11-25"),
                      Chat(3, countries=("JP",))])
    for chat_id in (1, 2, 3):
        store.save_delivery(Delivery(chat_id, "2026-11-25", ("a", "b"), ("k",), 1))
    courier = Courier(store, lambda: NOW, running=lambda: True)

    with caplog.at_level(logging.ERROR):
        expired = courier.give_up(still_due={3})

    assert expired == [1]  # 2 was recorded as sent: a crash came before its progress went
    assert [r.getMessage() for r in caplog.records] == [
        "digest for chat 1 of 2026-11-25 not delivered within the grace period; "
        "given up after 1 of 2 messages"]
    assert set(TinyStore(tmp_path / "store.json", read_only=True).deliveries()) == {3}
