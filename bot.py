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

from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor
from telegram.request import BaseRequest

from console import run_console
from digest.config import Config, ConfigError, load_config
from digest.ingestion.ingest import Clock, utc_now
from digest.ingestion.sources import load_catalog
from digest.models import Source
from digest.newsroom import Newsroom
from digest.store import Store, StoreError, TinyStore
from handlers import bot_commands, register
from handlers.buttons import KEPT_KEYBOARDS
from handlers.replies import MESSAGE_DEFAULTS
from runtime import cli, startup
from runtime.context import BotData, context_types
from runtime.delivery import Courier
from runtime.jobs import schedule_jobs
from runtime.lifecycle import Webhook
from runtime.lifecycle import run as run_bot
from runtime.logs import configure_logging, guard_token
from runtime.processes import SharedDelivery
from runtime.ratelimit import ChatRateLimiter, paced
from runtime.updates import PerChatUpdateProcessor
from runtime.webserver import WebServer, start_web_server

EXIT_USAGE = startup.EXIT_USAGE
NO_TOKEN = (
    "error: no Telegram bot token. Create a bot with @BotFather in Telegram, then put its "
    "token in config.toml ([telegram] token) or in the TELEGRAM_BOT_TOKEN environment variable. "
    "To try the bot without a token first: python bot.py console"
)

WORKER_NEEDS_POSTGRES = (
    'error: bot.py worker needs [storage] backend = "postgres": a TinyDB store belongs to '
    "one process, so run only bot.py run with it")


def build_application(config: Config, store: Store, sources: list[Source], *,
                      clock: Clock = utc_now,
                      check_every: timedelta = timedelta(minutes=1),
                      transport: BaseRequest | None = None,
                      updates: BaseUpdateProcessor | None = None,
                      worker: bool = False) -> Application:
    """The bot, ready to run: handlers registered, jobs and resources set up on start.

    The application owns what it opens: the newsroom's HTTP client and worker process and
    the web server start in post_init and end in post_shutdown, which closes the store too.
    `clock` and `check_every` exist for tests that drive the schedule without waiting;
    `transport` replaces HTTPS to the Bot API (console mode answers in-process);
    `updates` replaces the per-chat update processor (tests use smaller flood limits).
    A `worker` receives no updates: no polling, no webhook, no web server; it runs the
    jobs (ingestion, digests). With PostgreSQL the digest queue and the send rate are
    shared with the other processes on the database (runtime.processes).
    """
    newsroom = Newsroom(config, store, sources, clock=clock)
    limiter = ChatRateLimiter(overall_rate=paced(config.delivery.messages_per_second),
                              max_retries=3)
    shared = SharedDelivery(config, limiter) if config.storage.backend == "postgres" else None
    web: WebServer | None = None
    freezing: asyncio.Future[None] | None = None  # see startup.freeze_what_was_built
    application: Application

    def running() -> bool:
        return application.running

    courier = Courier(store, clock, running=running,
                      paid_broadcast=config.delivery.paid_broadcast)
    data = BotData.of(config, store, newsroom, courier, clock,
                      queue=shared.queue if shared else None)

    async def post_init(application: Application) -> None:
        nonlocal web, freezing
        await startup.start_worker_threads()
        await newsroom.open()
        await data.coordination.start(newsroom)
        if not worker:
            await application.bot.set_my_commands(bot_commands(globe=bool(config.webapp.url)))
        if shared is not None and application.job_queue is not None:
            await shared.join(application.job_queue)
        await schedule_jobs(application, timedelta(minutes=config.ingest.interval_minutes),
                            check_every)
        if not worker:
            web = await start_web_server(application, data)
        # Not an application task (PTB warns: it is not running yet); awaited at shutdown.
        freezing = asyncio.ensure_future(startup.freeze_what_was_built(newsroom))

    async def post_shutdown(application: Application) -> None:
        if web is not None:
            await web.stop()
        await data.coordination.stop()
        await newsroom.close()
        if freezing is not None:
            await freezing  # ends with the index, which closing waited for
        if shared is not None:
            await asyncio.to_thread(shared.leave)
        store.close()

    builder = (
        Application.builder()
        .token(config.token)
        .base_url(config.telegram.base_url)
        .context_types(context_types(data))
        .defaults(MESSAGE_DEFAULTS)
        .arbitrary_callback_data(KEPT_KEYBOARDS)
        .rate_limiter(limiter)
        .concurrent_updates(updates or PerChatUpdateProcessor())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if transport is not None:
        builder = builder.request(transport).get_updates_request(transport)
    if worker:
        builder = builder.updater(None)
    application = builder.build()
    register(application, globe=bool(config.webapp.url))
    guard_token(config.token)
    return application


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
        if name == "migrate":
            sub.add_argument("--to", required=True, choices=("postgres", "tinydb"),
                             help="postgres: from storage.path into the empty database at "
                             "storage.dsn; tinydb: the reverse, into a new storage.path")
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
    "worker": "Deliver digests and ingest news beside `bot.py run`, receiving no updates.\n"
              "PostgreSQL only ([storage] backend = \"postgres\"): start as many as the "
              "send rate needs;\nthey share the digest queue and the bot's rate.",
    "console": "Try the bot in this terminal with invented sample news; no token, no "
               "internet.\nType as in Telegram; a number presses a button; Ctrl+D quits.",
    "ingest": "Read every due feed once, with progress and a summary.\nExit code 1 when "
              "more than [sources] max_failing_share of the feeds are failing.",
    "sources": "The catalog's feeds and their health.\nExit code 1 when more than "
               "[sources] max_failing_share of the feeds are failing.",
    "migrate": "Copy the store between TinyDB (storage.path) and PostgreSQL (storage.dsn).\n"
               "The target must be empty; the copy is verified by counts. Stop the bot first.",
}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(args.config)
        if args.command == "console":
            configure_logging("WARNING", "")
            os.environ.setdefault("PTB_TIMEDELTA", "true")
            return asyncio.run(run_console(config, build_application))
        if args.command == "migrate":
            configure_logging(config.logging.level, config.token)
            return cli.migrate(config, args.to)
        sources = load_catalog(config.sources.catalog)
        if args.command == "worker" and config.storage.backend != "postgres":
            print(WORKER_NEEDS_POSTGRES, file=sys.stderr)
            return EXIT_USAGE
        serving = args.command in ("run", "worker")
        if serving and not config.token:
            print(NO_TOKEN, file=sys.stderr)
            return EXIT_USAGE
        if serving:
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
    for repaired in store.repairs if isinstance(store, TinyStore) else ():
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
        if args.command == "worker":
            return run_bot(build_application(config, store, sources, worker=True))
        if args.command == "sources":
            return cli.show_sources(config, store, sources)
        return asyncio.run(cli.ingest_once(config, store, sources, force=args.force))
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
