"""Updates of different chats at once, each chat's in order, floods cut off.

PTB handles updates one at a time by default, and a reply waits for its chat's
slot of about one message a second (runtime.ratelimit) inside the handler, so a
user sending 40 commands held every other chat up for 40 seconds. With this
processor the updates of different chats run concurrently while each chat's run
one after the other, in the order Telegram sent them (a /subscribe then an
/unsubscribe must not swap). Updates without a chat (inline queries) are
serialized per user.

A user who sends more than `flood_limit` updates to a chat within `flood_window`
seconds, or has that many still waiting there, gets one polite notice per window,
and the excess is dropped. A user's backlog never grows without bound, and a flood
costs the other chats nothing but the flooder's own paced replies. The pace is
counted per user, so in a group one flooder does not silence the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

SLOW_DOWN = ("You are sending messages faster than I can answer, so I skipped some. "
             "Please wait a few seconds and send your last request again.")
# Updates handled at once across all chats: high, as each chat's backlog is bounded and a
# waiting update costs a small task, not a thread.
MAX_CONCURRENT = 1024
MIN_SWEEP = 256

Key = tuple[str, int]  # ("chat", chat id), or ("user", user id) for updates without a chat
Sender = tuple[Key, int | None]  # the lane and the user in it


@dataclass
class _Lane:
    """One chat's (or user's) queue: a lock taken in arrival order."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0  # admitted updates not yet finished, the one running included


@dataclass
class _Pace:
    """One user's recent updates to one chat."""

    arrivals: deque[float] = field(default_factory=deque)  # loop times of admitted updates
    waiting: int = 0  # admitted updates not yet finished
    warned_at: float | None = None  # when the last notice was sent


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across chats, sequential within one; see the module docstring.

    Args:
        flood_limit: updates a user may send to a chat within `flood_window`, and have
            waiting there.
        flood_window: seconds.
        max_concurrent_updates: PTB's cap on updates in progress overall.
    """

    def __init__(self, *, flood_limit: int = 20, flood_window: float = 10.0,
                 max_concurrent_updates: int = MAX_CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        self._flood_limit = flood_limit
        self._flood_window = flood_window
        self._lanes: dict[Key, _Lane] = {}  # only chats with updates waiting or running
        self._paces: dict[Sender, _Pace] = {}
        self._sweep_at = MIN_SWEEP  # paces in the map that start a sweep of the idle ones
        self._notices: set[asyncio.Task[Any]] = set()
        self._in_progress: set[asyncio.Task[Any]] = set()  # handling or waiting for their lane
        self._stopping = False
        self.dropped = 0  # updates dropped as flood, for logs and tests
        self.unhandled = 0  # updates received but not handled because the bot stopped

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Notices still waiting for their chat's slot are not worth holding a stop for."""
        for task in list(self._notices):
            task.cancel()
        await asyncio.gather(*self._notices, return_exceptions=True)

    async def wind_down(self, grace: float) -> None:
        """For a quick stop: updates waiting for their chat's turn are not started, those
        under way get `grace` seconds, then are cancelled."""
        self._stopping = True
        pending: set[asyncio.Task[Any]] = set()
        if self._in_progress:
            _, pending = await asyncio.wait(set(self._in_progress), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.unhandled or pending:
            log.warning("stopped with %d updates not handled and %d cut short",
                        self.unhandled, len(pending))

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._in_progress.add(task)
        try:
            await self._in_lane(update, coroutine)
        finally:
            _close(coroutine)  # one never started (dropped, or a stop); no-op on one that ran
            self._in_progress.discard(task)

    async def _in_lane(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update) or (key := lane_key(update)) is None:
            await coroutine  # nothing to keep in order with
            return
        sender = (key, update.effective_user.id if update.effective_user else None)
        pace = self._pace(sender)
        if not self._admit(pace):
            self.dropped += 1
            self._warn(update, sender, pace)
            return
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        lane.waiting += 1
        pace.waiting += 1
        try:
            async with lane.lock:  # FIFO: the chat's updates run in the order they came
                if self._stopping:
                    self.unhandled += 1
                    return
                await coroutine
        finally:
            lane.waiting -= 1
            pace.waiting -= 1
            if not lane.waiting:  # nobody holds or waits for its lock
                del self._lanes[key]

    def _pace(self, sender: Sender) -> _Pace:
        pace = self._paces.get(sender)
        if pace is None:
            self._forget_idle_paces()
            pace = self._paces[sender] = _Pace()
        return pace

    def _admit(self, pace: _Pace) -> bool:
        """Whether the sender is within its pace; an admitted update counts towards it."""
        now = asyncio.get_running_loop().time()
        while pace.arrivals and pace.arrivals[0] <= now - self._flood_window:
            pace.arrivals.popleft()
        if len(pace.arrivals) >= self._flood_limit or pace.waiting >= self._flood_limit:
            return False
        pace.arrivals.append(now)
        return True

    def _warn(self, update: Update, sender: Sender, pace: _Pace) -> None:
        """One notice per window to a flooding sender, in its chat; none without a chat."""
        now = asyncio.get_running_loop().time()
        if pace.warned_at is not None and now - pace.warned_at < self._flood_window:
            return
        pace.warned_at = now
        (kind, lane_id), user_id = sender
        log.info("user %s floods %s %s; dropping updates for a while", user_id, kind, lane_id)
        if kind != "chat":
            return
        task = asyncio.create_task(update.get_bot().send_message(lane_id, SLOW_DOWN),
                                   name=f"slow-down:{lane_id}")
        self._notices.add(task)
        task.add_done_callback(self._notice_sent)

    def _notice_sent(self, task: asyncio.Task[Any]) -> None:
        self._notices.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not send the slow-down notice: %s", task.exception())

    def _forget_idle_paces(self) -> None:
        """Paces idle for a whole window hold nothing worth keeping. They are dropped
        whenever the map has doubled since the last sweep, so that it stays about as small
        as the set of recently active users, at a constant cost per update."""
        if len(self._paces) < self._sweep_at:
            return
        since = asyncio.get_running_loop().time() - self._flood_window
        for sender, pace in list(self._paces.items()):
            last = max(pace.arrivals[-1] if pace.arrivals else since,
                       pace.warned_at if pace.warned_at is not None else since)
            if last <= since and not pace.waiting:
                del self._paces[sender]
        self._sweep_at = max(MIN_SWEEP, 2 * len(self._paces))


def lane_key(update: Update) -> Key | None:
    """The chat an update belongs to, else its user; None for neither."""
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


def _close(coroutine: Awaitable[Any]) -> None:
    """Close a dropped update's handler coroutine, never started, so that Python does not
    warn that it was never awaited."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
