"""Sending digests to chats: each at most once, none lost in silence.

Telegram's limits are kept by the bot's rate limiter (30 messages/s overall,
about 1/s per chat, waiting out 429s); this module decides what a failure means
for a digest:

* the chat blocked or left the bot (403, or "chat not found"): it is marked
  inactive, settings kept, and gets no more digests until /start;
* the network failed or Telegram still said 429 after the limiter's retries:
  a few more tries after growing pauses, then the digest waits for the next
  check, going on from the first chunk not yet delivered (never resending one:
  a scheduled digest's messages and progress are kept in the store, so this
  holds across a restart too; only a message in flight at a crash may repeat);
  past the grace period it is given up with an error in the log;
* Telegram rejected the message itself (another 400): logged as an error and
  the day's digest given up, since the same text would be rejected again.

A digest is one notification: its first message may buzz, every later one is sent
with `disable_notification`. The first leads with its first story's picture (the
story's own link as a large preview above the text) when its article has one;
the others show no previews. The last carries a "More from" button per country.

A digest is remembered as sent (its stories and the chat's local date, in one
durable write) only after its last chunk went out, so a crash in between means
it is sent again after the restart rather than never.

At most `concurrency` digests are in progress at once: the overall rate is
shared with the answers to users, which must not queue behind thousands of
digest messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Container
from dataclasses import replace

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from digest.countries import label_of
from digest.ingestion.ingest import Clock
from digest.models import Delivery
from digest.store import Store
from digest.stories.editions import Digest

log = logging.getLogger(__name__)

CONCURRENCY = 8
NETWORK_RETRIES = 3
RETRY_PAUSE = 0.5  # seconds; doubles per try
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_GONE = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked")
MORE_PREFIX = "more:"


def lead_preview(url: str) -> LinkPreviewOptions:
    """The story's own link as a large preview above the text; none without a link."""
    if not url:
        return NO_PREVIEW
    # is_disabled=None, not left out: PTB would fill it in from the bot-wide default (off).
    return LinkPreviewOptions(is_disabled=None, url=url, prefer_large_media=True,
                              show_above_text=True)


def more_keyboard(countries: tuple[str, ...]) -> InlineKeyboardMarkup | None:
    """A "More from 🇯🇵 Japan" button per country (Telegram allows 100 a keyboard)."""
    buttons = []
    for code in countries[:100]:
        buttons.append([InlineKeyboardButton(f"More from {label_of(code)}",
                                             callback_data=f"{MORE_PREFIX}{code}")])
    return InlineKeyboardMarkup(buttons) if buttons else None


class Courier:
    """Delivers digests with bounded concurrency; see the module docstring."""

    def __init__(self, store: Store, clock: Clock, *, running: Callable[[], bool],
                 concurrency: int = CONCURRENCY, paid_broadcast: bool = False) -> None:
        self._store = store
        # Digest messages as paid broadcasts ([delivery] paid_broadcast): beyond Telegram's
        # free 30 a second, up to 1,000, for Stars. Left out of the request when off.
        self._paid_broadcast = paid_broadcast or None
        self._clock = clock
        self._running = running
        self._slots = asyncio.Semaphore(concurrency)
        self._claimed: set[int] = set()

    def claim(self, chat_id: int) -> bool:
        """Reserve the chat for one delivery; False while another one is under way."""
        if chat_id in self._claimed:
            return False
        self._claimed.add(chat_id)
        return True

    def give_up(self, still_due: Container[int]) -> list[int]:
        """Forget the unfinished digests of chats no longer due (not queued: left from
        before a restart past the grace period), with an error in the log: a digest is
        never dropped in silence. Returns those chats.

        One already remembered as sent (a crash between that and forgetting its progress)
        is forgotten quietly."""
        expired = []
        for chat_id, pending in self._store.deliveries().items():
            if chat_id in still_due or chat_id in self._claimed:
                continue
            chat = self._store.chat(chat_id)
            if chat is None or chat.last_digest < pending.local_date:
                expired.append(chat_id)
                log.error("digest for chat %s of %s not delivered within the grace period; "
                          "given up after %d of %d messages", chat_id, pending.local_date,
                          pending.delivered, len(pending.chunks))
            self._store.drop_delivery(chat_id)
        return expired

    def release(self, chat_id: int) -> None:
        """Give up a claim without delivering (deliver() releases its own)."""
        self._claimed.discard(chat_id)

    async def deliver(self, bot: Bot, chat_id: int, compose: Callable[[], Digest],
                      local_date: str | None) -> bool:
        """Send a claimed chat its digest (composed when its turn comes, so it is fresh);
        True once all of it went out and it is remembered.

        `local_date` marks a scheduled digest: it becomes the chat's last digest date, and
        its progress is kept durably, so after a failure or a restart the same digest goes
        on from its first message not yet delivered.
        """
        try:
            async with self._slots:
                if not self._running():
                    return False  # shutting down: it stays due and goes out after the restart
                if local_date is None:
                    digest = await asyncio.to_thread(compose)  # off the event loop
                    return await self._send(bot, _delivery(chat_id, "", digest), durable=False)
                pending = await asyncio.to_thread(self._store.delivery, chat_id)
                if pending is None or pending.local_date != local_date:
                    pending = _delivery(chat_id, local_date, await asyncio.to_thread(compose))
                    await asyncio.to_thread(self._store.save_delivery, pending)
                return await self._send(bot, pending, durable=True)
        finally:
            self.release(chat_id)

    async def _send(self, bot: Bot, pending: Delivery, *, durable: bool) -> bool:
        chat_id, chunks = pending.chat_id, pending.chunks
        try:
            while pending.delivered < len(chunks):
                if not self._running():
                    return False  # shutting down: it goes on from here after the restart
                await self._send_chunk(bot, pending)
                pending = replace(pending, delivered=pending.delivered + 1)
                if durable and pending.delivered < len(chunks):  # the last: recorded below
                    await asyncio.to_thread(self._store.save_delivery, pending)
        except (Forbidden, BadRequest) as exc:
            if isinstance(exc, Forbidden) or any(g in exc.message.lower() for g in _GONE):
                await asyncio.to_thread(self._gone, chat_id)
                log.info("chat %s is unreachable (%s); marked inactive", chat_id, exc.message)
                return False
            log.error("Telegram rejected the digest for chat %s (%s); skipped for today",
                      chat_id, exc.message)
        except (NetworkError, RetryAfter) as exc:
            log.warning("digest for chat %s failed after %d of %d messages (%s); "
                        "it will be retried", chat_id, pending.delivered, len(chunks), exc)
            return False
        await asyncio.to_thread(
            self._store.record_digest, chat_id, pending.keys, self._clock(),
            local_date=pending.local_date or None)
        if durable:
            await asyncio.to_thread(self._store.drop_delivery, chat_id)
        return True

    def _gone(self, chat_id: int) -> None:
        """The chat blocked or left the bot: inactive (its settings kept), nothing pending."""
        self._store.update_chat(chat_id, active=False)
        self._store.drop_delivery(chat_id)

    async def _send_chunk(self, bot: Bot, pending: Delivery) -> None:
        """The next message; network errors are retried here after growing pauses
        (Telegram's own answers, BadRequest among them, are not: they would not change)."""
        index = pending.delivered
        last = index == len(pending.chunks) - 1
        for attempt in range(NETWORK_RETRIES + 1):
            try:
                await bot.send_message(
                    pending.chat_id, pending.chunks[index],
                    link_preview_options=lead_preview(pending.preview if index == 0 else ""),
                    disable_notification=index > 0,
                    reply_markup=more_keyboard(pending.more) if last else None,
                    allow_paid_broadcast=self._paid_broadcast)
                return
            except BadRequest:
                raise
            except NetworkError:
                if attempt == NETWORK_RETRIES:
                    raise
                await asyncio.sleep(RETRY_PAUSE * 2**attempt)


def _delivery(chat_id: int, local_date: str, digest: Digest) -> Delivery:
    return Delivery(chat_id, local_date, tuple(digest.chunks), digest.keys,
                    preview=digest.preview, more=digest.countries)
