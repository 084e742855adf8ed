"""The per-private-chat rate limiter, driving a real ExtBot against the fake Bot API.

Only lower bounds on time are asserted: a slow machine may take longer, never shorter.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from telegram.ext import ExtBot

from runtime import ratelimit
from runtime.ratelimit import ChatRateLimiter
from tests.e2e.conftest import TOKEN
from tests.e2e.fake_bot_api import FakeBotAPI

USER = 5001
GROUP = -100_777
# Timers may fire a hair early relative to another reading of the same clock.
CLOCK_SLACK = 0.01

BotFactory = Callable[..., AbstractAsyncContextManager[ExtBot]]


@pytest.fixture
def make_bot(bot_api: FakeBotAPI) -> BotFactory:
    """An initialized ExtBot talking to the fake, with a ChatRateLimiter built from kwargs."""

    @asynccontextmanager
    async def running(**limiter_kwargs: Any) -> AsyncIterator[ExtBot]:
        bot = ExtBot(token=TOKEN, base_url=bot_api.base_url,
                     rate_limiter=ChatRateLimiter(**limiter_kwargs))
        await bot.initialize()
        try:
            yield bot
        finally:
            await bot.shutdown()

    return running


def answer_times(api: FakeBotAPI, chat_id: int) -> list[float]:
    """When the fake answered each successful sendMessage to the chat, earliest first."""
    return sorted(call.time for call in api.sent_messages(chat_id))


async def test_a_burst_to_one_private_chat_is_spread_out(
    bot_api: FakeBotAPI, make_bot: BotFactory
) -> None:
    burst, period, count = 2, 0.3, 6
    async with make_bot(private_max_rate=burst, private_time_period=period) as bot:
        start = time.monotonic()
        await asyncio.gather(*(bot.send_message(USER, f"part {i}") for i in range(count)))

    times = answer_times(bot_api, USER)
    assert len(times) == count
    # A leaky bucket of capacity `burst` draining `burst` per `period`: the first `burst` go at
    # once, then one every period / burst. No request can be answered before it was let out,
    # and none was let out before `start`, so this holds however slow the round trips are.
    interval = period / burst
    for k, answered in enumerate(times):
        earliest = max(0, k + 1 - burst) * interval
        assert answered - start >= earliest - CLOCK_SLACK, (k, [t - start for t in times])
    assert times[-1] - start >= (count - burst) * interval - CLOCK_SLACK


async def test_private_chats_do_not_wait_for_each_other(
    bot_api: FakeBotAPI, make_bot: BotFactory
) -> None:
    chats = [USER + i for i in range(6)]
    async with make_bot(private_max_rate=1, private_time_period=10) as bot:
        # One message each fits every chat's bucket; a shared bucket would block for 10 s.
        await asyncio.wait_for(
            asyncio.gather(*(bot.send_message(chat, "hello") for chat in chats)), timeout=5)

    assert sorted(call.params["chat_id"] for call in bot_api.sent_messages()) == chats


async def test_a_chat_id_given_as_a_string_shares_the_chats_bucket(
    bot_api: FakeBotAPI, make_bot: BotFactory
) -> None:
    async with make_bot(private_max_rate=1, private_time_period=10) as bot:
        await bot.send_message(USER, "first")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(bot.send_message(str(USER), "second"), timeout=0.2)

    assert len(bot_api.sent_messages(USER)) == 1


async def test_edits_are_not_paced(bot_api: FakeBotAPI, make_bot: BotFactory) -> None:
    """The country keyboard redraws its message on every tap: those must not wait."""
    async with make_bot(private_max_rate=1, private_time_period=10) as bot:
        message = await bot.send_message(USER, "pick")
        await asyncio.wait_for(
            asyncio.gather(*(bot.edit_message_text(f"pick {i}", USER, message.message_id)
                             for i in range(3))), timeout=5)

    assert len(bot_api.calls("editMessageText")) == 3


async def test_group_chats_are_left_to_ptbs_group_limit(
    bot_api: FakeBotAPI, make_bot: BotFactory
) -> None:
    async with make_bot(private_max_rate=1, private_time_period=10) as bot:
        await asyncio.wait_for(
            asyncio.gather(bot.send_message(GROUP, "one"), bot.send_message(GROUP, "two")),
            timeout=5)
        assert not bot.rate_limiter._private_limiters

    assert len(bot_api.sent_messages(GROUP)) == 2


async def test_idle_chat_limiters_are_dropped(
    bot_api: FakeBotAPI, make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound = 4
    monkeypatch.setattr(ratelimit, "MAX_PRIVATE_LIMITERS", bound)
    period = 0.001  # a bucket drains within a millisecond, long before the next send
    async with make_bot(private_max_rate=1, private_time_period=period) as bot:
        limiters = bot.rate_limiter._private_limiters
        sizes = []
        for chat in range(USER, USER + bound + 50):
            await bot.send_message(chat, "hi")
            sizes.append(len(limiters))
            await asyncio.sleep(2 * period)  # the bucket is idle before the next send, however fast

    assert max(sizes) == bound + 1, sizes
    assert USER not in limiters
    assert USER + bound + 49 in limiters
    assert len(bot_api.sent_messages()) == bound + 50


async def test_too_many_requests_is_still_retried(
    bot_api: FakeBotAPI, make_bot: BotFactory
) -> None:
    bot_api.fail_next("sendMessage", retry_after=1)
    async with make_bot(max_retries=1) as bot:
        message = await bot.send_message(USER, "digest")

    assert message.text == "digest"
    refused, delivered = bot_api.calls("sendMessage")
    assert refused.response is not None
    assert refused.response["error_code"] == 429
    assert delivered.ok
    assert delivered.time - refused.time >= 1 - CLOCK_SLACK


async def test_the_overall_rate_can_be_changed_while_sending(
    bot_api: FakeBotAPI, make_bot: BotFactory
) -> None:
    """Another process joined: this one paces at its smaller share from then on."""
    async with make_bot(overall_rate=1000, private_max_rate=0) as bot:
        bot.rate_limiter.set_overall_rate(20)
        start = time.monotonic()
        await asyncio.gather(*(bot.send_message(USER + i, "hello") for i in range(6)))
    # Six paced slots at 20/s: the last at least five intervals after the first.
    assert time.monotonic() - start >= 5 / 20 - CLOCK_SLACK
