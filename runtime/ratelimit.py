"""Pacing requests to Telegram: overall, per group and per private chat.

Telegram allows about 30 messages a second overall, 20 a minute in a group, and
asks for about one a second in a single chat; floods get 429 "retry after N".
PTB's `AIORateLimiter` covers the first two but not private chats, and measured
against a server that enforces 30 per rolling second it reaches only 25/s:

* its overall limiter is a leaky bucket of 30 with a burst of 30, so up to about
  60 requests can fall in one rolling second, and after every 429 pause the
  bucket is full again, so the next burst runs into the limit again;
* a request takes its slot before waiting out a pause, so when the pause ends,
  all waiting requests go out at once.

This limiter therefore paces the bot as a whole strictly (one request every
1/29 s, no burst: just under the limit, so network jitter cannot squeeze 31
into a second), and after a 429 every request waits out the pause and then
takes a new slot, so requests resume at the paced rate. Each group chat has a
bucket of 20 a minute as in PTB. Each private chat has a small bucket (3, then
one a second) for requests that post a new message: a user sending a few
commands gets instant answers while a long digest is spread out, and edits
(the country keyboard redraws itself on every tap) are never held back.

The overall rate can be changed while the bot runs: several processes sending for one
bot share Telegram's limit, and each paces at its share of it (runtime.processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]

# Above this many per-chat buckets, the idle ones are dropped (PTB does so for groups, at
# 512): a bucket that has drained completely holds no state worth keeping.
MAX_PRIVATE_LIMITERS = 1024
PAUSE_MARGIN = 0.1  # seconds added to Telegram's retry_after
HEADROOM = 29 / 30  # paced just under a limit: network jitter cannot squeeze 31 into 30


def paced(limit: float) -> float:
    """The rate to pace at to stay under `limit` messages a second."""
    return limit * HEADROOM


def posts_message(endpoint: str) -> bool:
    """sendMessage, sendPhoto, copyMessage, forwardMessage...; not edits or chat actions."""
    return (endpoint.startswith("send") and endpoint != "sendChatAction") or endpoint in (
        "copyMessage", "forwardMessage")


def private_chat_id(chat_id: object) -> int | None:
    """The id of a private chat (positive, possibly sent as a string), else None.

    Groups and channels have negative ids or ``@username`` strings.
    """
    if isinstance(chat_id, bool):
        return None
    if isinstance(chat_id, str):
        try:
            chat_id = int(chat_id)
        except ValueError:
            return None
    if isinstance(chat_id, int) and chat_id > 0:
        return chat_id
    return None


class ChatRateLimiter(BaseRateLimiter[int]):
    """Overall, group and private-chat pacing with 429 retries; see the module docstring.

    Args:
        overall_rate: requests per second for the bot as a whole, paced without bursts.
        group_max_rate, group_time_period: each group's bucket (PTB's defaults: 20 in 60 s).
        private_max_rate, private_time_period: each private chat's bucket for new messages
            (3 in 3 s: a burst of three, then one a second). Zero disables it.
        max_retries: retries after a 429 (a request's `rate_limit_args` may override it).
    """

    def __init__(
        self,
        *,
        overall_rate: float = paced(30),
        group_max_rate: float = 20,
        group_time_period: float = 60,
        private_max_rate: float = 3,
        private_time_period: float = 3,
        max_retries: int = 0,
    ) -> None:
        self._overall = AsyncLimiter(1, 1 / overall_rate)
        self._group_rate = (group_max_rate, group_time_period)
        self._private_rate = (private_max_rate, private_time_period)
        self._group_limiters: dict[str | int, AsyncLimiter] = {}
        self._private_limiters: dict[int, AsyncLimiter] = {}
        self._max_retries = max_retries
        self._pause_until = 0.0  # loop time before which nothing is sent (after a 429)

    @property
    def overall_rate(self) -> float:
        return 1 / self._overall.time_period

    def set_overall_rate(self, rate: float) -> None:
        """Pace the bot as a whole at `rate` requests a second from the next slot on."""
        if rate != self.overall_rate:
            self._overall = AsyncLimiter(1, 1 / rate)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """The chat's bucket first (a paced chat must not hold an overall slot), then an
        overall slot per attempt, retrying after a 429 once the pause is over."""
        max_retries = self._max_retries if rate_limit_args is None else rate_limit_args
        chat_id = data.get("chat_id")
        async with self._chat_limit(chat_id, endpoint):
            for attempt in range(max_retries + 1):
                if chat_id is not None:
                    await self._overall_slot()
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as exc:
                    if attempt == max_retries:
                        log.warning("rate limit hit after %d retries", max_retries)
                        raise
                    self._pause(exc)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _pause(self, exc: RetryAfter) -> None:
        wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        until = asyncio.get_running_loop().time() + seconds + PAUSE_MARGIN
        self._pause_until = max(self._pause_until, until)
        log.info("rate limit hit; pausing all requests for %.1f s", seconds + PAUSE_MARGIN)

    async def _overall_slot(self) -> None:
        """A paced slot taken after any pause; one taken while a pause began is given up,
        so that requests resume one by one rather than all at once."""
        loop = asyncio.get_running_loop()
        while True:
            delay = self._pause_until - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._overall.acquire()
            if loop.time() >= self._pause_until:
                return

    def _chat_limit(self, chat_id: object, endpoint: str) -> AbstractAsyncContextManager[Any]:
        """The chat's bucket: a private chat's for new messages, a group's for anything;
        no limit otherwise."""
        private = private_chat_id(chat_id)
        if private is not None:
            rate, period = self._private_rate
            if rate and period and posts_message(endpoint):
                return _bucket(self._private_limiters, private, rate, period)
        elif chat_id is not None and self._group_rate[0] and self._group_rate[1]:
            return _bucket(self._group_limiters, chat_id, *self._group_rate)
        return contextlib.nullcontext()


def _bucket(buckets: dict[Any, AsyncLimiter], key: Any, rate: float, period: float
            ) -> AsyncLimiter:
    """The chat's bucket, created on first use. Buckets that drained completely are
    interchangeable with fresh ones, so past MAX_PRIVATE_LIMITERS they are dropped (never
    the current chat's, which is about to be used)."""
    if len(buckets) > MAX_PRIVATE_LIMITERS:
        for other, idle in list(buckets.items()):
            if other != key and idle.has_capacity(idle.max_rate):
                del buckets[other]
    limiter = buckets.get(key)
    if limiter is None:
        limiter = buckets[key] = AsyncLimiter(rate, period)
    return limiter
