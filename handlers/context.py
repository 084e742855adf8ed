"""Typed access to what every handler needs: config, store, catalog coverage.

PTB builds `bot_data` itself by calling the type given to `ContextTypes`; a
factory hands it our `BotData` (as PTB's contexttypesbot example does with a
custom context class), so handlers read `context.bot_data.store` with types
instead of string keys and casts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from digest.config import Config
from digest.ingestion.ingest import Clock, Ingestor, utc_now
from digest.models import Source
from digest.schedule import zone_of
from digest.search.index import SearchIndex
from digest.store import Store
from digest.stories.editions import Editions
from digest.subscriptions import Coverage
from digest.translation.articles import Translations
from handlers.delivery import Courier
from runtime.chat_admins import ChatAdmins


@dataclass
class BotData:
    config: Config
    store: Store
    sources: list[Source]
    coverage: Coverage
    editions: Editions
    index: SearchIndex
    courier: Courier
    ingestor: Ingestor | None = None  # set in post_init, once the HTTP client exists
    translations: Translations | None = None  # likewise; None when translation is off
    clock: Clock = utc_now  # tests drive schedules with a fake clock
    chat_admins: ChatAdmins = field(default_factory=ChatAdmins)

    def zone_name(self, chat_id: int) -> str:
        """The chat's time zone as it set it, else the configured default."""
        chat = self.store.chat(chat_id)
        return (chat.timezone if chat else "") or self.config.digest.timezone

    def zone(self, chat_id: int) -> tzinfo:
        return zone_of(self.zone_name(chat_id))


NewsContext = CallbackContext[ExtBot[None], dict, dict, BotData]


def context_types(bot_data: BotData) -> ContextTypes:
    return ContextTypes(bot_data=lambda: bot_data)  # type: ignore[arg-type]
