"""Long polling by one process only: what Telegram's 409 Conflict means and what to do.

Telegram hands a bot's updates to one long poll at a time: a second process polling with
the same token ends the first one's pending getUpdates with 409 ("terminated by other
getUpdates request"), and the first, polling again, ends the second's. Left to retry (as
python-telegram-bot does, logging a traceback each time), the two take turns for ever and
each misses what the other fetched: chats answered by one process, then the other, with
their settings in two places when the stores differ. So the newcomer stops:

* a 409 within `NEWCOMER_SECONDS` of this process starting to poll means it arrived
  second (the process polling before it answers the conflict within a second or two, by
  polling again): it stops with one line naming the cause and the fix, exit code 2 (a
  configuration error: a service manager should not start it again);
* a 409 later means another process arrived, which stops by the same rule: a warning,
  and polling goes on;
* a 409 because a webhook is set (a process in webhook mode registered it after this one
  started) always stops this one: the webhook is the deployment's choice.

Two pollers started within `NEWCOMER_SECONDS` of each other both stop: neither can tell it
was first, and the operator has a configuration to fix either way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram.error import Conflict, TelegramError

from runtime.startup import EXIT_USAGE, StartupError

log = logging.getLogger(__name__)

NEWCOMER_SECONDS = 5.0
WARN_EVERY = 60.0  # seconds between two warnings of conflicts that go on

FIX = ("Only one process may long-poll; to run several, use webhook mode ([telegram] "
       "webhook_url) or start the others with `bot.py worker`")


class PollingGuard:
    """PTB's error callback for polling: decides what a Conflict means (see the module
    docstring) and calls `stop` when this process must stop; `failure` is then the line."""

    def __init__(self, stop: Callable[[], None], *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stop = stop
        self._clock = clock
        self._started = clock()  # again by begin(), when polling starts
        self._warned_at: float | None = None
        self.failure: StartupError | None = None

    def begin(self) -> None:
        """Polling starts now (reaching the Bot API may have taken a while)."""
        self._started = self._clock()

    def __call__(self, error: TelegramError) -> None:
        if not isinstance(error, Conflict):
            log.warning("polling for updates: %s; trying again", error.message)
            return
        if self.failure is not None:
            return
        now = self._clock()
        if "webhook" in error.message.lower():
            self._fail("a webhook is set for this bot: another process receives its updates "
                       f"in webhook mode (Telegram: 409 {error.message})")
        elif now - self._started < NEWCOMER_SECONDS:
            self._fail("another process is already receiving this bot's updates by long "
                       f"polling (Telegram: 409 {error.message})")
        elif self._warned_at is None or now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            log.warning("another process polled for this bot's updates (Telegram: 409 "
                        "Conflict); it stops by itself if it runs this bot, else find it: "
                        "%s", FIX)

    def _fail(self, cause: str) -> None:
        self.failure = StartupError(f"error: {cause}. {FIX}.", EXIT_USAGE)
        self._stop()
