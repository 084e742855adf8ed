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

import httpx
from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor
from telegram.request import BaseRequest

from console import run_console
from digest.config import Config, ConfigError, load_config
from digest.ingestion.fetch import FeedFetcher, make_client
from digest.ingestion.health import feed_health, format_health, too_many_failing
from digest.ingestion.ingest import Clock, Ingestor, utc_now
from digest.ingestion.sources import load_catalog
from digest.ingestion.worker import WorkerProcess
from digest.models import Source
from digest.search.index import SearchIndex
from digest.store import Store, StoreError
from digest.stories.editions import Editions
from digest.subscriptions import Coverage
from digest.translation.articles import Translations
from digest.translation.backends import make_translator
from digest.translation.budget import DailyBudget
from handlers import bot_commands, register
from handlers.context import BotData, context_types
from handlers.delivery import Courier
from handlers.errors import configure_logging, guard_token
from handlers.ratelimit import ChatRateLimiter
from handlers.scheduling import schedule_jobs
from runtime import startup
from runtime.lifecycle import Webhook
from runtime.lifecycle import run as run_bot
from runtime.updates import PerChatUpdateProcessor
from runtime.webserver import WebServer, start_web_server

EXIT_USAGE = startup.EXIT_USAGE
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
    web: WebServer | None = None
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
        nonlocal client, web
        client = make_client(config.ingest.timeout_seconds)
        data.ingestor = build_ingestor(config, store, sources, client, worker, clock)
        translator = make_translator(config.translate, client)
        if translator is not None:
            data.translations = Translations(
                translator, DailyBudget(config.translate.daily_characters),
                target=config.translate.target, batch_size=config.translate.batch_size)
        data.index = await asyncio.to_thread(SearchIndex.of, store.articles())
        await application.bot.set_my_commands(bot_commands(globe=bool(config.webapp.url)))
        schedule_jobs(application, timedelta(minutes=config.ingest.interval_minutes),
                      check_every)
        web = await start_web_server(application, data)

    async def post_shutdown(application: Application) -> None:
        if web is not None:
            await web.stop()
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
    register(application, globe=bool(config.webapp.url))
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


async def ingest_once(config: Config, store: Store, sources: list[Source], *,
                      force: bool = False) -> int:
    """One pass with a progress line on a terminal and a summary at the end; exit code 1
    when too many feeds are failing, as for `sources`. `force` retries backing-off feeds."""
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
                progress, force=force)
        finally:
            worker.close()
    if interactive:
        print("\r\033[K", end="", file=sys.stderr)
    print(report.summary() + (" (--force reads them now)" if report.backing_off else ""))
    return show_failing_share(config, store, sources)


def show_sources(config: Config, store: Store, sources: list[Source]) -> int:
    """The feed table; exit code 1 when more than the configured share is failing, so that
    cron or a monitoring check can alert on it."""
    now = utc_now()
    for line in format_health(feed_health(store, sources, now), now):
        print(line)
    return show_failing_share(config, store, sources)


def show_failing_share(config: Config, store: Store, sources: list[Source]) -> int:
    """1 (with a line on stderr) when more than [sources] max_failing_share of the feeds
    are failing, else 0: the exit code of `ingest` and `sources`."""
    rows = feed_health(store, sources, utc_now())
    if not too_many_failing(rows, config.sources.max_failing_share):
        return 0
    failing = sum(row.failing for row in rows)
    print(f"error: {failing} of {len(rows)} feeds are failing, more than "
          f"[sources] max_failing_share ({config.sources.max_failing_share:.0%})",
          file=sys.stderr)
    return 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bot.py", description=__doc__.splitlines()[0])
    parser.add_argument("--config", metavar="FILE", help="TOML config (default: ./config.toml "
                        "if present, else built-in defaults)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     title="commands (default: run)")
    for name, about in COMMAND_HELP.items():
        sub = commands.add_parser(name, help=about.splitlines()[0], description=about,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        if name == "ingest":
            sub.add_argument("--force", action="store_true",
                             help="also read the feeds that are backing off after failures")
        if name in ("run", "ingest"):
            sub.add_argument("--repair", action="store_true", help="move damaged store files "
                             "aside (kept) and say what was lost, instead of refusing to start")
    parser.set_defaults(repair=False)
    args = parser.parse_args(argv)
    args.command = args.command or "run"
    return args


COMMAND_HELP = {
    "run": "Serve the bot: long polling, or a webhook when [telegram] webhook_url is set.\n"
           "Needs the token from @BotFather ([telegram] token or TELEGRAM_BOT_TOKEN).",
    "console": "Try the bot in this terminal with invented sample news; no token, no "
               "internet.\nType as in Telegram; a number presses a button; Ctrl+D quits.",
    "ingest": "Read every due feed once, with progress and a summary.\nExit code 1 when "
              "more than [sources] max_failing_share of the feeds are failing.",
    "sources": "The catalog's feeds and their health.\nExit code 1 when more than "
               "[sources] max_failing_share of the feeds are failing.",
}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
        if args.command == "run":
            startup.check_token_shape(config)
        if warning := startup.readable_token_warning(config):
            print(warning, file=sys.stderr)
        # Damaged records are logged while the store loads.
        configure_logging(config.logging.level, config.token)
        # `sources` only reads: no writer lock, and the running bot's files are left alone.
        store = startup.open_store(config, read_only=args.command == "sources",
                                   repair=args.repair)
    except (ConfigError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except startup.StartupError as exc:
        print(exc.line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    for repaired in store.repairs:
        print(f"repaired: {repaired}", file=sys.stderr)
    # Opt in to PTB's coming behaviour (RetryAfter.retry_after as a timedelta).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    try:
        if args.command == "run":
            # Retries while the Bot API cannot be reached, stops within seconds on SIGINT and
            # SIGTERM (post_shutdown closes the store); a rejected token is explained below.
            # In webhook mode the bot's web server (started in post_init) receives updates.
            hook = config.telegram
            webhook = Webhook(hook.webhook_url, hook.webhook_secret or None) \
                if hook.webhook_url else None
            return run_bot(build_application(config, store, sources), webhook)
        if args.command == "sources":
            return show_sources(config, store, sources)
        return asyncio.run(ingest_once(config, store, sources, force=args.force))
    except (startup.StartupError, TelegramError) as exc:  # also while starting to serve
        failure = exc if isinstance(exc, startup.StartupError) else startup.explain(exc, config)
        print(failure.line, file=sys.stderr)
        return failure.exit_code
    except KeyboardInterrupt:
        return 130
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(startup.exit_code_of(main))
