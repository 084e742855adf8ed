"""Running the bot until SIGINT or SIGTERM: connecting patiently, stopping quickly.

PTB's `run_polling` ends with a traceback when the Bot API cannot be reached at
start (network not up yet at boot, a Telegram outage), and on a stop it waits for
everything in progress: an ingestion pass (a stalled feed holds it
for its whole fetch deadline), every update queued behind a chat's paced replies,
every digest. A service manager kills a bot that does not stop in time (the
README's systemd unit allows 30 s), so this runner:

* retries the first contact with growing pauses, one log line per attempt;
* while long polling, stops when it finds another process polling first
  (runtime.polling), and says so in one line instead of fighting it for updates;
* on a stop, stops fetching updates, cancels the feed fetches of a running pass
  (which still stores what it already has), gives updates in progress
  `STOP_GRACE` seconds and cancels the rest; digests stop after their current
  message (runtime.delivery) and go on after the restart.

Everything confirmed to a user was written to the store before the confirmation
was sent, so nothing confirmed is lost.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass

from telegram.error import NetworkError
from telegram.ext import Application

from runtime.context import BotData
from runtime.polling import PollingGuard
from runtime.updates import PerChatUpdateProcessor

log = logging.getLogger(__name__)

STOP_GRACE = 2.0  # seconds updates in progress get to finish on a stop
FIRST_PAUSE = 1.0  # seconds before the second attempt to reach the Bot API; doubles
MAX_PAUSE = 60.0


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates in webhook mode (see the README); the bot's web server
    (runtime.webserver) receives them."""

    url: str
    secret: str | None


def run(application: Application, webhook: Webhook | None = None) -> int:
    """Serve until SIGINT or SIGTERM; the exit code. A Bot API that answers but refuses
    the bot (InvalidToken, for one) raises: runtime.startup explains it in one line."""
    return asyncio.run(serve(application, webhook))


async def serve(application: Application, webhook: Webhook | None = None) -> int:
    """Long-poll, or register the webhook, until a stop signal; see the module docstring.
    Raises StartupError when another process polls (runtime.polling), once stopped."""
    stop = asyncio.Event()
    guard = PollingGuard(stop.set)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        if not await connect(application, stop):
            return 0
        try:
            if application.post_init:
                await application.post_init(application)
            await application.start()
            await start_updates(application, webhook, guard)
            await stop.wait()
            log.info("stopping")
            await wind_down(application)
        finally:
            if application.updater and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
    finally:
        if application.post_shutdown:
            await application.post_shutdown(application)
        for signum in signals:
            loop.remove_signal_handler(signum)
    if guard.failure is not None:
        raise guard.failure
    return 0


async def connect(application: Application, stop: asyncio.Event) -> bool:
    """Initialize the application (its first Bot API call is getMe), retrying while the
    Bot API is unreachable; False when stopped before it answered."""
    data: BotData = application.bot_data
    pause, attempt = FIRST_PAUSE, 1
    while True:
        try:
            await application.initialize()
            return True
        except NetworkError as exc:  # timeouts and Bad Gateway included
            log.warning("cannot reach the Bot API at %s (%s); attempt %d, retrying in %g s",
                        data.config.telegram.base_url, exc.message, attempt, pause)
        try:
            await asyncio.wait_for(stop.wait(), pause)
            return False
        except TimeoutError:
            pause, attempt = min(pause * 2, MAX_PAUSE), attempt + 1


async def start_updates(application: Application, webhook: Webhook | None,
                        guard: PollingGuard) -> None:
    """Register the webhook, or long-poll; neither for a worker (built without an updater:
    it receives no updates, it runs the jobs). Other processes on the database may
    exclude this one first (runtime.coordination)."""
    data: BotData = application.bot_data
    if webhook is not None or application.updater is not None:
        await data.coordination.receive_updates(polling=webhook is None)
    if webhook is not None:
        await application.bot.set_webhook(webhook.url, secret_token=webhook.secret)
        return
    if application.updater is not None:
        guard.begin()
        await application.updater.start_polling(error_callback=guard)


async def wind_down(application: Application) -> None:
    """The quick part of a stop, before PTB's own (which waits for what is left)."""
    data: BotData = application.bot_data
    data.newsroom.stop()
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    processor = application.update_processor
    if isinstance(processor, PerChatUpdateProcessor):
        await processor.wind_down(STOP_GRACE)
