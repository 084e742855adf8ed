"""Recurring work on the JobQueue: the ingestion pass.

JobQueue jobs live in memory only; they are (re)created here at every start.
APScheduler's default misfire grace of 1 s would silently skip a pass delayed
by a busy loop, so passes get a generous grace and are coalesced instead.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import Application

from handlers.context import NewsContext

log = logging.getLogger(__name__)


async def ingest_job(context: NewsContext) -> None:
    """One ingestion pass; failures are logged and the next pass tries again."""
    ingestor = context.bot_data.ingestor
    if ingestor is None:
        return
    report = await ingestor.run_pass()
    log.info("ingestion: %s", report.summary())


def schedule_ingestion(application: Application, interval: timedelta) -> None:
    application.job_queue.run_repeating(
        ingest_job, interval=interval, first=timedelta(seconds=1), name="ingest",
        job_kwargs={"misfire_grace_time": int(interval.total_seconds()), "coalesce": True,
                    "max_instances": 1},
    )
