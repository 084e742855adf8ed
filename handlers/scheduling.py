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
from datetime import UTC, datetime, timedelta

from telegram import Bot
from telegram.ext import Application

from digest.ingest import IngestReport
from digest.schedule import DueIndex
from digest.search import SearchIndex
from handlers.context import BotData, NewsContext
from handlers.delivery import CONCURRENCY
from handlers.digests import composer
from runtime.digest_queue import QUEUE_FILE, DigestQueue, Queued

log = logging.getLogger(__name__)

CHECK_BATCH = 2_000  # due chats handled between two yields to the event loop


async def ingest_job(context: NewsContext) -> None:
    """One ingestion pass; failures are logged and the next pass tries again."""
    report = await refresh(context.bot_data)
    if report is not None:
        log.info("ingestion: %s", report.summary())


async def refresh(data: BotData) -> IngestReport | None:
    """An ingestion pass, the topic index brought up to date, and a new edition (also when
    no article changed: rankings age). None before the ingestor exists."""
    if data.ingestor is None:
        return None
    report = await data.ingestor.run_pass()
    if report.stopped:  # the bot is stopping: no edition, no translation
        return report
    if report.pruned:  # rare (a day at a time): a new index, built off the loop
        data.index = await asyncio.to_thread(SearchIndex.of, data.store.articles())
    else:
        data.index.add(report.new_articles)
    await data.editions.rebuild()
    if data.translations is not None and not data.ingestor.stopping:
        # After the edition, so new articles wait for nothing; not while the bot stops.
        translated = await data.translations.run(data.store, data.clock())
        log.info("translation: %d articles%s", len(translated.translated),
                 f"; stopped: {translated.stopped}" if translated.stopped else "")
        for language, reason in translated.refused.items():
            log.warning("translation from %s refused: %s", language, reason)
        if translated.translated:
            data.index.add(translated.translated)
            await data.editions.rebuild()
    return report


async def digest_check(context: NewsContext) -> None:
    """Queue every scheduled digest that fell due, log the backlog, and have the queue's
    workers deliver it."""
    data = context.bot_data
    settings = data.config.digest
    now = data.clock()
    index, queue = data.due_index, data.digest_queue
    if index is None or queue is None:
        return  # before post_init
    # Early delivery looks ahead: a digest counts as due `deliver_early_minutes` before
    # its time, and is queued by its time.
    early = timedelta(minutes=settings.deliver_early_minutes)
    due = index.due(now + early, timedelta(hours=settings.grace_hours), data.store.chat)
    queue.retry_failed()
    fell_due, added = 0, []
    while batch := list(itertools.islice(due, CHECK_BATCH)):
        fell_due += len(batch)
        added += queue.add(batch)
        await asyncio.sleep(0)  # a peak's 100,000 due chats must not hold up the loop
    await asyncio.to_thread(queue.persist, added)
    data.courier.give_up(queue)
    backlog = queue.backlog(now)
    if not backlog.waiting:
        return
    log.info("digest check: %d digests fell due, %d queued; %s", fell_due, len(added),
             backlog.summary())
    if not (await data.editions.current()).gathered:
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
        edition = await data.editions.current()
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
    settings = data.config.digest
    store = data.store
    index = DueIndex((), default_time=settings.time, default_zone=settings.timezone)
    store.watch_chats(index.changed)  # first: a change while the index is built is kept
    await asyncio.to_thread(index.file_all, store.chats())
    data.due_index = index
    data.digest_queue = await asyncio.to_thread(DigestQueue, store.folder / QUEUE_FILE,
                                                store.chat)


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
    for callback, every, name in ((ingest_job, ingest_every, "ingest"),
                                  (digest_check, check_every, "digests")):
        seconds = every.total_seconds()
        application.job_queue.run_once(callback, when=0, name=f"first {name}",
                                       job_kwargs={"misfire_grace_time": None})
        aligned = -time.time() % seconds if callback is digest_check else seconds
        application.job_queue.run_repeating(
            callback, interval=every, first=aligned or seconds, name=name,
            job_kwargs={"misfire_grace_time": max(1, int(seconds)), "coalesce": True,
                        "max_instances": 1})
