"""Entry point: `python bot.py [--config FILE] [COMMAND]`.

Wires configuration, store, catalog, scheduler and handlers; the news logic
lives in `digest/`, the chat logic in `handlers/`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from telegram.ext import Application, BaseUpdateProcessor
from telegram.request import BaseRequest

from console import run_console
from digest.config import Config, ConfigError, load_config
from digest.editions import Editions
from digest.feeds import FeedFetcher, make_client
from digest.health import feed_health, format_health, too_many_failing
from digest.ingest import Clock, Ingestor, utc_now
from digest.models import Source
from digest.search import SearchIndex
from digest.sources import load_catalog
from digest.store import Store, StoreError
from digest.subscriptions import Coverage
from digest.translate import DailyBudget, make_translator
from digest.translations import Translations
from digest.worker import WorkerProcess
from handlers import bot_commands, register
from handlers.context import BotData, context_types
from handlers.delivery import Courier
from handlers.errors import configure_logging, guard_token
from handlers.ratelimit import ChatRateLimiter
from handlers.scheduling import schedule_jobs
from runtime.lifecycle import Webhook
from runtime.lifecycle import run as run_bot
from runtime.updates import PerChatUpdateProcessor

EXIT_USAGE = 2
NO_TOKEN = (
    "error: no Telegram bot token. Create a bot with @BotFather in Telegram, then put its "
    "token in config.toml ([telegram] token) or in the TELEGRAM_BOT_TOKEN environment variable. "
    "To try the bot without a token first: python bot.py console"
)


def build_application(config: Config, store: Store, sources: list[Source], *,
                      clock: Clock = utc_now,
                      check_every: timedelta = timedelta(minutes=1),
                      transport: BaseRequest | None = None,
                      updates: BaseUpdateProcessor | None = None) -> Application:
    """The bot, ready to run: handlers registered, jobs and resources set up on start.

    `clock` and `check_every` exist for tests that drive the schedule without waiting;
    `transport` replaces HTTPS to the Bot API (console mode answers in-process);
    `updates` replaces the per-chat update processor (tests use smaller flood limits).
    """
    worker = WorkerProcess()
    client: httpx.AsyncClient | None = None
    application: Application

    def running() -> bool:
        return application.running

    data = BotData(
        config=config, store=store, sources=sources, coverage=Coverage.of(sources),
        editions=Editions(store, sources, worker, clock=clock),
        index=SearchIndex(),
        courier=Courier(store, clock, running=running),
        clock=clock,
    )

    async def post_init(application: Application) -> None:
        nonlocal client
        client = make_client(config.ingest.timeout_seconds)
        data.ingestor = build_ingestor(config, store, sources, client, worker, clock)
        translator = make_translator(config.translate, client)
        if translator is not None:
            data.translations = Translations(
                translator, DailyBudget(config.translate.daily_characters),
                target=config.translate.target, batch_size=config.translate.batch_size)
        data.index = await asyncio.to_thread(SearchIndex.of, store.articles())
        await application.bot.set_my_commands(bot_commands())
        schedule_jobs(application, timedelta(minutes=config.ingest.interval_minutes),
                      check_every)

    async def post_shutdown(application: Application) -> None:
        worker.close()
        if client is not None:
            await client.aclose()
        store.close()

    builder = (
        Application.builder()
        .token(config.token)
        .base_url(config.telegram.base_url)
        .context_types(context_types(data))
        .rate_limiter(ChatRateLimiter(max_retries=3))
        .concurrent_updates(updates or PerChatUpdateProcessor())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if transport is not None:
        builder = builder.request(transport).get_updates_request(transport)
    application = builder.build()
    register(application)
    guard_token(config.token)
    return application


def build_ingestor(
    config: Config, store: Store, sources: list[Source], client: httpx.AsyncClient,
    worker: WorkerProcess, clock: Clock = utc_now,
) -> Ingestor:
    fetcher = FeedFetcher(
        client,
        concurrency=config.ingest.concurrency,
        per_host=config.ingest.per_host,
        max_bytes=int(config.ingest.max_feed_mb * 1024 * 1024),
        deadline=config.ingest.timeout_seconds * 2,
    )
    return Ingestor(
        store,
        sources,
        fetcher,
        retention_days=config.ingest.retention_days,
        interval=timedelta(minutes=config.ingest.interval_minutes),
        worker=worker,
        max_entries=config.ingest.max_entries_per_feed,
        parse_timeout=config.ingest.parse_timeout_seconds,
        clock=clock,
    )


async def ingest_once(config: Config, store: Store, sources: list[Source]) -> int:
    """One pass with a progress line on a terminal and a summary at the end."""
    interactive = sys.stderr.isatty()

    def progress(done: int, total: int, source: Source, outcome: str) -> None:
        if interactive:
            print(f"\r\033[K[{done}/{total}] {source.country} {source.name}: {outcome}",
                  end="", file=sys.stderr, flush=True)
        elif outcome not in ("ok", "not modified"):
            print(f"{source.country} {source.name}: {outcome}", file=sys.stderr)

    worker = WorkerProcess()
    async with make_client(config.ingest.timeout_seconds) as client:
        try:
            report = await build_ingestor(config, store, sources, client, worker).run_pass(
                progress)
        finally:
            worker.close()
    if interactive:
        print("\r\033[K", end="", file=sys.stderr)
    print(report.summary())
    return 0


def show_sources(config: Config, store: Store, sources: list[Source]) -> int:
    """The feed table; exit code 1 when more than the configured share is failing, so that
    cron or a monitoring check can alert on it."""
    now = utc_now()
    rows = feed_health(store, sources, now)
    for line in format_health(rows, now):
        print(line)
    return 1 if too_many_failing(rows, config.sources.max_failing_share) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bot.py", description=__doc__.splitlines()[0])
    parser.add_argument("--config", metavar="FILE", help="TOML config (default: ./config.toml "
                        "if present, else built-in defaults)")
    parser.add_argument("command", nargs="?", default="run",
                        choices=("run", "console", "ingest", "sources"),
                        help="run (default): the bot; console: try it in this terminal with "
                        "sample news, no token needed; ingest: one ingestion pass; "
                        "sources: the catalog and feed health")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        if args.command == "console":
            configure_logging("WARNING", "")
            os.environ.setdefault("PTB_TIMEDELTA", "true")
            return asyncio.run(run_console(config, build_application))
        sources = load_catalog(config.sources.catalog)
        if args.command == "run" and not config.token:
            print(NO_TOKEN, file=sys.stderr)
            return EXIT_USAGE
        store = Store(config.storage.path)
    except (ConfigError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    configure_logging(config.logging.level, config.token)
    # Opt in to PTB's coming behaviour (RetryAfter.retry_after as a timedelta).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    try:
        if args.command == "run":
            # Stops within seconds on SIGINT and SIGTERM; post_shutdown closes the store.
            hook = config.telegram
            webhook = Webhook(
                listen=hook.webhook_listen, port=hook.webhook_port,
                url_path=urlsplit(hook.webhook_url).path.lstrip("/"), url=hook.webhook_url,
                secret=hook.webhook_secret or None) if hook.webhook_url else None
            return run_bot(build_application(config, store, sources), webhook)
        if args.command == "sources":
            return show_sources(config, store, sources)
        return asyncio.run(ingest_once(config, store, sources))
    except KeyboardInterrupt:
        return 130
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
