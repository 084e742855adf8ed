"""Recurring work on the JobQueue: ingestion passes and the digest check.

JobQueue jobs live in memory only; they are (re)created here at every start,
and nothing about a chat's schedule is kept in them: the digest check asks the
store which chats are due by their local date (digest.schedule), so one job
serves every chat, DST and restarts cannot make it send twice, and a digest
missed while the bot was down goes out at the first check within the grace
period. APScheduler's default misfire grace of 1 s would silently skip a run
delayed by a busy loop, so runs get a generous grace and are coalesced instead.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import Application

from digest.schedule import due_chats
from handlers.digests import composer
from runtime.context import NewsContext

log = logging.getLogger(__name__)


async def ingest_job(context: NewsContext) -> None:
    """One refresh of the news; failures are logged and the next pass tries again."""
    report = await context.bot_data.newsroom.refresh()
    log.info("ingestion: %s", report.summary())


async def digest_check(context: NewsContext) -> None:
    """Start the delivery of every scheduled digest that is due now."""
    data = context.bot_data
    settings = data.config.digest
    now = data.clock()
    due = due_chats(data.store.chats(), now, default_time=settings.time,
                    default_zone=settings.timezone,
                    grace=timedelta(hours=settings.grace_hours))
    data.courier.give_up({d.chat.chat_id for d in due})
    if not due:
        return
    edition = await data.newsroom.edition()
    if not edition.gathered:
        return  # before the first ingestion pass: the digests wait for the news, still due
    started = 0
    for item in due:
        chat_id = item.chat.chat_id
        if not data.courier.claim(chat_id):
            continue  # still being delivered since an earlier check
        context.application.create_task(
            data.courier.deliver(context.bot, chat_id, composer(data, edition, chat_id, now),
                                 item.local_date.isoformat()),
            name=f"digest:{chat_id}")
        started += 1
    log.info("digest check: %d digests due, %d started", len(due), started)


def schedule_jobs(application: Application, ingest_every: timedelta,
                  check_every: timedelta) -> None:
    """An ingestion pass and a digest check at once, then at their intervals.

    The first runs are jobs of their own: a repeating job added before the JobQueue
    starts (as here, in post_init) counts its first run from when it was added, and
    APScheduler moves a start already past by the time it starts to the next interval,
    so "first=0" meant a first digest check a whole interval after the start.
    """
    for callback, every, name in ((ingest_job, ingest_every, "ingest"),
                                  (digest_check, check_every, "digests")):
        seconds = every.total_seconds()
        application.job_queue.run_once(callback, when=0, name=f"first {name}",
                                       job_kwargs={"misfire_grace_time": None})
        application.job_queue.run_repeating(
            callback, interval=every, first=every, name=name,
            job_kwargs={"misfire_grace_time": max(1, int(seconds)), "coalesce": True,
                        "max_instances": 1})
