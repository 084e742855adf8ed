"""Typed access to what every handler needs: config, store, the newsroom, the courier.

PTB builds `bot_data` itself by calling the type given to `ContextTypes`; a
factory hands it our `BotData` (as PTB's contexttypesbot example does with a
custom context class), so handlers read `context.bot_data.store` with types
instead of string keys and casts. Everything in it exists before the application
does: resources that need the event loop (the newsroom's HTTP client) are opened
and closed by their owners' lifecycle methods, called from post_init/post_shutdown.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from digest.config import Config
from digest.ingestion.ingest import Clock, utc_now
from digest.newsroom import Newsroom
from digest.schedule import DueIndex
from digest.store import Store
from runtime.chat_admins import ChatAdmins
from runtime.coordination import Coordination, coordination_for
from runtime.delivery import Courier
from runtime.digest_queue import QUEUE_FILE, DigestQueue, DueQueue


@dataclass(frozen=True)
class BotData:
    config: Config
    store: Store
    newsroom: Newsroom
    courier: Courier
    due_index: DueIndex  # filled from the store in post_init, off the event loop
    digest_queue: DueQueue  # likewise: what a restart left waiting
    clock: Clock = utc_now  # tests drive schedules with a fake clock
    chat_admins: ChatAdmins = field(default_factory=ChatAdmins)
    coordination: Coordination = field(default_factory=Coordination)  # other processes
    # One digest check at a time (the first run and the repeating job could overlap): a
    # check must never give up a digest another check is still queueing.
    checking: asyncio.Lock = field(default_factory=asyncio.Lock)


    @classmethod
    def of(cls, config: Config, store: Store, newsroom: Newsroom, courier: Courier,
           clock: Clock = utc_now, queue: DueQueue | None = None) -> BotData:
        """Everything built, the digest index and queue still empty (post_init fills them).
        The queue is a file next to the store unless given (PostgreSQL's is shared)."""
        return cls(config=config, store=store, newsroom=newsroom, courier=courier,
                   due_index=DueIndex((), default_time=config.digest.time,
                                      default_zone=config.digest.timezone),
                   digest_queue=queue or DigestQueue(store.folder / QUEUE_FILE, store.chat),
                   clock=clock, coordination=coordination_for(config))

NewsContext = CallbackContext[ExtBot[None], dict, dict, BotData]


def context_types(bot_data: BotData) -> ContextTypes:
    return ContextTypes(bot_data=lambda: bot_data)  # type: ignore[call-overload]
