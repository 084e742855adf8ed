"""A rate limiter that also paces messages to each private chat.

PTB's ``AIORateLimiter`` throttles the bot as a whole (30 requests a second) and each group
chat (20 a minute), but leaves private chats alone. Telegram asks bots to send no more than
about one message a second to a single chat, tolerating short bursts, and answers floods with
429 "retry after". The morning digest sends several messages to each subscriber at once, so
without a per-chat limit those would go out back to back and risk a 429, which PTB answers by
stopping *every* request of the bot until the wait is over.

Each private chat therefore gets its own leaky bucket (aiolimiter's ``AsyncLimiter``) with a
small capacity: a user sending a few commands still gets instant answers, while a longer run of
messages, like a digest, is spread out to about one a second. Only requests that post a new
message are paced: edits (the country keyboard redraws itself on every tap) and chat actions
are what a user waits for while looking at the screen, and they add no message to the chat.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]

# Above this many per-chat limiters, the idle ones are dropped (as PTB does for groups, at 512):
# a limiter whose bucket has drained completely holds no state worth keeping.
MAX_PRIVATE_LIMITERS = 1024


def posts_message(endpoint: str) -> bool:
    """sendMessage, sendPhoto, copyMessage, forwardMessage...; not edits or chat actions."""
    return (endpoint.startswith("send") and endpoint != "sendChatAction") or endpoint in (
        "copyMessage", "forwardMessage")


def private_chat_id(chat_id: object) -> int | None:
    """The id of a private chat (positive, possibly sent as a string), else None.

    Groups and channels have negative ids or ``@username`` strings; PTB limits those itself.
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


class ChatRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` plus a leaky bucket per private chat.

    Args:
        private_max_rate: Capacity of each private chat's bucket: how many requests may go out
            at once before the chat is paced.
        private_time_period: Seconds in which the bucket drains completely, so the sustained
            rate is ``private_max_rate / private_time_period`` per second. The defaults (3 in
            3 s) allow a burst of three, then one a second. Zero for either disables the limit.
        **kwargs: Passed on to ``AIORateLimiter`` (``max_retries``, ``group_max_rate``, ...).
    """

    __slots__ = ("_private_limiters", "_private_max_rate", "_private_time_period")

    def __init__(
        self,
        *,
        private_max_rate: float = 3,
        private_time_period: float = 3,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        enabled = bool(private_max_rate and private_time_period)
        self._private_max_rate: float = private_max_rate if enabled else 0
        self._private_time_period: float = private_time_period if enabled else 0
        self._private_limiters: dict[int, AsyncLimiter] = {}

    def _get_private_limiter(self, chat_id: int) -> AsyncLimiter:
        """The chat's bucket, created on first use.

        The dict would otherwise grow with every chat ever served; buckets that drained
        completely are interchangeable with fresh ones, so they can go. The current chat's is
        kept even when idle, as it is about to be used.
        """
        if len(self._private_limiters) > MAX_PRIVATE_LIMITERS:
            for key, limiter in list(self._private_limiters.items()):
                if key != chat_id and limiter.has_capacity(limiter.max_rate):
                    del self._private_limiters[key]
        limiter = self._private_limiters.get(chat_id)
        if limiter is None:
            limiter = AsyncLimiter(self._private_max_rate, self._private_time_period)
            self._private_limiters[chat_id] = limiter
        return limiter

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Wait for the private chat's bucket first, then apply PTB's limits and retries.

        Waiting here, outside PTB's overall limiter, means a chat that is being paced does not
        hold up the bot's capacity for other chats. Retries after a 429 happen inside, so they
        do not take a second place in the chat's bucket.
        """
        paced = self._private_max_rate and posts_message(endpoint)
        chat_id = private_chat_id(data.get("chat_id")) if paced else None
        if chat_id is None:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        async with self._get_private_limiter(chat_id):
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
