"""The per-chat update processor's own bookkeeping (its behaviour in the bot: tests/e2e)."""

from __future__ import annotations

import asyncio

from telegram import Update

from runtime.updates import MIN_SWEEP, PerChatUpdateProcessor


def message_from(chat_id: int, update_id: int) -> Update:
    return Update.de_json({"update_id": update_id, "message": {
        "message_id": 1, "date": 0, "chat": {"id": chat_id, "type": "private"}, "text": "hi"}},
        None)


async def handled() -> None:
    """A handler with nothing to do."""


async def test_chats_idle_for_a_window_are_forgotten() -> None:
    processor = PerChatUpdateProcessor(flood_window=0.01)
    for n in range(10 * MIN_SWEEP):
        await processor.process_update(message_from(1000 + n, n), handled())
        if n % 50 == 0:
            await asyncio.sleep(0.02)  # the chats so far fall idle
    assert len(processor._paces) <= 2 * MIN_SWEEP  # users whose pace is remembered
    assert processor.dropped == 0
