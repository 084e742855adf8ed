"""Who administers a group, asked of Telegram and remembered briefly.

A group's settings (its countries, digest time, /forget) are for its
administrators. Telegram is the authority (`getChatMember`); the answer is kept
for a minute so that a burst of keyboard taps costs one request, while a member
who was just promoted or demoted is treated as such soon after.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from telegram import Bot
from telegram.constants import ChatMemberStatus

TTL_SECONDS = 60.0
MAX_REMEMBERED = 10_000  # (chat, user) answers; expired ones are dropped beyond this
ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


class ChatAdmins:
    """`is_admin(bot, chat, user)` with the answers of the last `ttl` seconds cached."""

    def __init__(self, ttl: float = TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._answers: dict[tuple[int, int], tuple[float, bool]] = {}

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        now = self._clock()
        cached = self._answers.get((chat_id, user_id))
        if cached is not None and cached[0] > now:
            return cached[1]
        member = await bot.get_chat_member(chat_id, user_id)
        answer = member.status in ADMIN_STATUSES
        if len(self._answers) >= MAX_REMEMBERED:
            self._answers = {key: value for key, value in self._answers.items()
                             if value[0] > now}
        self._answers[(chat_id, user_id)] = (now + self._ttl, answer)
        return answer
