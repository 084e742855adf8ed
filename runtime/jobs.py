"""Recurring work on the JobQueue: ingestion passes and the digest check.

JobQueue jobs live in memory only; they are (re)created here at every start,
and nothing about a chat's schedule is kept in them: the digest check asks an
index of the chats by zone and time which digests fell due (digest.schedule),
costing O(chats due now), and queues them durably (runtime.digest_queue), so one
job serves every chat, DST and restarts cannot make it send twice, a digest that
fell due while the bot runs is delivered however long the queue, and one missed
while the bot was down goes out at the first check within the grace period.
APScheduler's default misfire grace of 1 s would silently skip a run delayed by
a busy loop, so runs get a generous grace and are coalesced instead.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from telegram import Bot
from telegram.ext import Application

from digest.stories.editions import Digest, Edition
from runtime.context import BotData, NewsContext
from runtime.coordination import summary_of
from runtime.delivery import CONCURRENCY
from runtime.digest_queue import Queued

log = logging.getLogger(__name__)

CHECK_BATCH = 2_000  # due chats handled between two yields to the event loop


def composer(data: BotData, edition: Edition, chat_id: int, now: datetime
             ) -> Callable[[], Digest]:
    """The chat's digest, composed when called: a digest waiting for its turn to be sent
    reflects the countries and history the chat has then."""
    return lambda: data.newsroom.digest_for(chat_id, now, edition)


async def ingest_job(context: NewsContext) -> None:
    """One refresh of the news when it is this process's turn (runtime.coordination);
    failures are logged and the next pass tries again."""
    data = context.bot_data
    async with data.coordination.turn(data.clock()) as turn:
        if not turn.ours:
            log.info("ingestion: not this process's turn: %s", turn.skipped)
            return
        report = await data.newsroom.refresh()
        log.info("ingestion: %s", report.summary())
        if not report.stopped:
            await turn.announce(summary_of(report))


async def digest_check(context: NewsContext) -> None:
    """Queue every scheduled digest that fell due, log the backlog, and have the queue's
    workers deliver it; skipped while another check runs."""
    data = context.bot_data
    if data.checking.locked():
        return
    async with data.checking:
        await _check(context, data)


async def _check(context: NewsContext, data: BotData) -> None:
    settings = data.config.digest
    now = data.clock()
    index, queue = data.due_index, data.digest_queue
    # Early delivery looks ahead: a digest counts as due `deliver_early_minutes` before
    # its time, and is queued by its time.
    early = timedelta(minutes=settings.deliver_early_minutes)
    # The index is walked in a thread, a batch at a time: it reads each chat it looks at
    # from the store (a query on PostgreSQL), and a peak's 100,000 due chats must not
    # hold up the loop.
    due = await asyncio.to_thread(index.due, now + early,
                                  timedelta(hours=settings.grace_hours), data.store.chat)
    queue.retry_failed()
    fell_due, added = 0, []
    while batch := await asyncio.to_thread(lambda: list(itertools.islice(due, CHECK_BATCH))):
        fell_due += len(batch)
        added += queue.add(batch)
    await asyncio.to_thread(queue.persist, added)
    await asyncio.to_thread(data.courier.give_up, queue)  # drops deliveries: a write
    backlog = queue.backlog(now)
    if not backlog.waiting:
        return
    log.info("digest check: %d digests fell due, %d queued; %s", fell_due, len(added),
             backlog.summary())
    if not (await data.newsroom.edition()).gathered:
        return  # before the first ingestion pass: the digests wait for the news, queued

    async def send(item: Queued) -> bool:
        return await send_queued(context.bot, data, item)

    application = context.application
    queue.start(send, CONCURRENCY, lambda: application.running,
                lambda work: application.create_task(work, name="digest-queue"))


async def send_queued(bot: Bot, data: BotData, item: Queued) -> bool:
    """Deliver one queued digest; False if it must wait (e.g. /digest is sending one)."""
    if not data.courier.claim(item.chat_id):
        return False
    try:
        edition = await data.newsroom.edition()
    except BaseException:
        data.courier.release(item.chat_id)
        raise
    when = datetime.fromtimestamp(item.due_at, UTC)
    return await data.courier.deliver(bot, item.chat_id,
                                      composer(data, edition, item.chat_id, when),
                                      item.local_date)


async def prepare_digests(data: BotData) -> None:
    """The index of who falls due when, kept up to date by the store, and the queue as a
    restart left it; both built off the event loop (0.1 s for 100,000 chats)."""
    store = data.store
    store.watch_chats(data.due_index.changed)  # first: a change while it is built is kept
    await asyncio.to_thread(data.due_index.file_all, store.chats())
    await asyncio.to_thread(data.digest_queue.load)


async def schedule_jobs(application: Application, ingest_every: timedelta,
                        check_every: timedelta) -> None:
    """An ingestion pass and a digest check at once, then at their intervals.

    The first runs are jobs of their own: a repeating job added before the JobQueue
    starts (as here, in post_init) counts its first run from when it was added, and
    APScheduler moves a start already past by the time it starts to the next interval,
    so "first=0" meant a first digest check a whole interval after the start. Later
    digest checks run on the minute: digest times are whole minutes, and a check counted
    from the start would leave every digest up to a minute late (at a peak, everyone's).
    """
    await prepare_digests(application.bot_data)
    job_queue = application.job_queue
    if job_queue is None:  # PTB builds one when its job-queue extra is installed
        raise RuntimeError("python-telegram-bot's job-queue extra is not installed")
    for callback, every, name in ((ingest_job, ingest_every, "ingest"),
                                  (digest_check, check_every, "digests")):
        seconds = every.total_seconds()
        job_queue.run_once(callback, when=0, name=f"first {name}",
                                       job_kwargs={"misfire_grace_time": None})
        aligned = -time.time() % seconds if callback is digest_check else seconds
        job_queue.run_repeating(
            callback, interval=every, first=aligned or seconds, name=name,
            job_kwargs={"misfire_grace_time": max(1, int(seconds)), "coalesce": True,
                        "max_instances": 1})
