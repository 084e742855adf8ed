"""Checks before the bot serves, and failures at start turned into one line each.

Whoever starts the bot reads stderr (or the journal): a traceback of a hundred lines
says less than "Telegram rejected the token, check it with @BotFather", and
python-telegram-bot's own message for a rejected token carries the token itself.
So the token's shape is checked before any request, a refusal of the first request
(`getMe`, made by runtime.lifecycle, which retries while the Bot API is unreachable)
is explained, and each known failure becomes a `StartupError` holding the line to
print and the exit code. No line here ever contains the token.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import os
import re
import stat
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from telegram.error import InvalidToken, NetworkError, TelegramError

from digest.config import TOKEN_ENV, Config, ConfigError
from digest.newsroom import Newsroom
from digest.store import Store, TinyStore

EXIT_NETWORK = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports it
# What @BotFather hands out: the bot's numeric id, a colon, 35 URL-safe characters.
TOKEN_SHAPE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{35}")


class StartupError(Exception):
    """The bot cannot start; `line` says why and what to do, `exit_code` is for the shell."""

    def __init__(self, line: str, exit_code: int) -> None:
        super().__init__(line)
        self.line = line
        self.exit_code = exit_code


def _token_home(config: Config) -> str:
    """Where the token came from, for "check it there"."""
    if config.telegram.token:
        return f"{config.origin} ([telegram] token)"
    return f"the {TOKEN_ENV} environment variable"


def check_token_shape(config: Config) -> None:
    """Refuse a token that cannot be one (a truncated paste, a placeholder) without a request."""
    if not TOKEN_SHAPE.fullmatch(config.token):
        raise StartupError(
            f"error: the bot token in {_token_home(config)} does not look like one from "
            "@BotFather (digits, a colon, then 35 letters, digits, - or _); copy it again "
            "from @BotFather (/mybots, API Token)", EXIT_USAGE)


def readable_token_warning(config: Config) -> str | None:
    """A warning line when the config file holds the token and other users may read it."""
    if not config.telegram.token or not Path(config.origin).is_file():
        return None
    mode = Path(config.origin).stat().st_mode
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    return (f"warning: {config.origin} holds the bot token and other users can read it; "
            f"run: chmod 600 {config.origin}")


def open_store(config: Config, *, read_only: bool = False, repair: bool = False) -> Store:
    """The store of `[storage] backend`; a place that cannot hold it is a config error, not
    a crash. `read_only` (for reports) opens it without the writer lock and never writes.

    TinyDB takes its writer lock (one process); PostgreSQL takes none: several processes
    on one database are the point of it. Either way `store.folder` (beside storage.path)
    holds the files neighbours keep locally."""
    if config.storage.backend == "postgres":
        return _open_postgres(config, read_only=read_only)
    return _open_tinydb(config, read_only=read_only, repair=repair)


def _open_postgres(config: Config, *, read_only: bool) -> Store:
    from digest.store.postgres import PostgresStore  # psycopg only where it is used

    path = Path(config.storage.path)
    folder = path.with_name(path.name + ".d")
    if not read_only:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f'{config.origin}: storage.path "{path}" cannot be used for '
                              f"the local folder {folder}: {exc.strerror}") from None
    return PostgresStore(config.storage.database_url, folder=folder, read_only=read_only)


def _open_tinydb(config: Config, *, read_only: bool, repair: bool) -> TinyStore:
    path = Path(config.storage.path)

    def unusable(why: str) -> ConfigError:
        return ConfigError(f'{config.origin}: storage.path "{path}" cannot be used: {why}')

    if path.is_dir():
        raise unusable("it is a folder; give a file name such as data/newsbot.json")
    # What the store loads lives as long as the process: the cyclic collector is kept out
    # while it loads (its full passes walked it again and again, 1 s of start-up at 100,000
    # chats), then it is frozen, out of the collector's passes for good (which otherwise
    # walk it all, 0.1-0.2 s at 100,000 chats, a stall of the event loop each time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        store = TinyStore(path, read_only=read_only, repair=repair)
    except OSError as exc:
        raise unusable(exc.strerror or type(exc).__name__) from None
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    if read_only:
        return store
    for folder in (path.parent, store.folder):
        if not os.access(folder, os.W_OK):
            store.close()
            raise unusable(f"cannot write in {folder} ({os.strerror(errno.EACCES)} "
                           "or a read-only file system)")
    return store


# Worker threads of `asyncio.to_thread`, ThreadPoolExecutor's default number.
WORKER_THREADS = min(32, (os.cpu_count() or 1) + 4)


async def start_worker_threads() -> None:
    """Start every worker thread of the event loop's `asyncio.to_thread` now. The executor
    starts one only when it has none idle, and starting one holds the loop until the new
    thread runs: at the first peak, on a busy machine, a stall of 0.5 s."""
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="asyncio")
    loop.set_default_executor(executor)
    together = threading.Barrier(WORKER_THREADS, timeout=10)  # each waits for a thread more
    await asyncio.gather(*(loop.run_in_executor(executor, together.wait)
                           for _ in range(WORKER_THREADS)), return_exceptions=True)


async def freeze_what_was_built(newsroom: Newsroom) -> None:
    """Once the bot is ready to serve and the search index of the stored articles is built
    (in a thread, while the bot answers): what start-up built besides the store (that
    index, the index of digest times, the digest queue) also lives as long as the process,
    so it leaves the collector's passes too. Left in, a full pass walked it all while the
    first ingestion pass ran on the event loop: a 94 ms stall at 100,000 chats and 15,000
    articles."""
    await newsroom.indexed()
    gc.freeze()


def explain(error: TelegramError, config: Config) -> StartupError:
    """The one line for a failure to reach or use the Bot API; the error's own text is
    only quoted when it cannot hold the token (PTB's InvalidToken message does)."""
    base_url = config.telegram.base_url
    if isinstance(error, InvalidToken):
        answer = str(error.__cause__ or "") or "rejected"
        hint = ""
        if "not found" in answer.lower():
            hint = f", or telegram.base_url ({base_url}) is not a Bot API server"
        return StartupError(
            f"error: Telegram rejected the bot token (getMe: {answer}). Check the token in "
            f"{_token_home(config)} with @BotFather (/mybots, API Token){hint}", EXIT_USAGE)
    if isinstance(error, NetworkError):
        return StartupError(
            f"error: cannot reach the Bot API at {base_url} ({_redact(str(error), config)}). "
            "Check the network (DNS, firewall, proxy) and telegram.base_url", EXIT_NETWORK)
    return StartupError(
        f"error: the Bot API at {base_url} refused to start the bot "
        f"({type(error).__name__}: {_redact(str(error), config)})", EXIT_NETWORK)


def _redact(text: str, config: Config) -> str:
    return text.replace(config.token, "<token>") if config.token else text


def exit_code_of(main: Callable[[], int]) -> int:
    """`main()`'s exit code; output cut short by the reader (`bot.py sources | head`) ends
    quietly with the shell's code for SIGPIPE instead of a BrokenPipeError traceback."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at /dev/null so that cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code
