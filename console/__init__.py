"""Console mode: the bot in a terminal, with sample news, no token and no internet.

The real Application runs with its real handlers, rate limiter, job queue,
ingestion, clustering and search; only the two far ends are local: the Bot API
is answered in-process (console.api) and the news sites are a local server
of invented sample feeds (console.samples). Each line typed (or piped in) is
one message; a number presses a button of the newest keyboard. End of input
(Ctrl+D) quits.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from telegram import Update
from telegram.ext import Application

from console.api import ConsoleBotAPI
from console.samples import SAMPLES, SampleServer
from digest.config import Config, SourcesConfig, StorageConfig, TelegramConfig
from digest.sources import load_catalog
from digest.store import Store
from handlers.scheduling import refresh

CONSOLE_TOKEN = "0:console"  # never sent anywhere: the console answers every request itself


AppFactory = Callable[..., Application]
EXIT_INTERRUPTED = 130  # the shell's code for a program ended by Ctrl+C
INTERRUPTED = "\x03"  # queued by Ctrl+C: not a line anyone can type


def typed_lines(stdin: TextIO) -> asyncio.Queue[str]:
    """The lines of `stdin` as they come, then "" at its end; INTERRUPTED on Ctrl+C.

    Read by a daemon thread, not `asyncio.to_thread`: a thread of the loop's executor
    blocked in readline holds the exit until Enter is pressed, while a daemon thread
    simply ends with the process.
    """
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        while line := stdin.readline():
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "")

    threading.Thread(target=read, name="console input", daemon=True).start()
    loop.add_signal_handler(signal.SIGINT, lines.put_nowait, INTERRUPTED)
    return lines


async def run_console(config: Config, build_application: AppFactory,
                      stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                      samples_folder: Path = SAMPLES) -> int:
    """Chat with the bot until the input ends; returns the exit code.

    `build_application` is bot.py's factory (passed in: bot.py is the one that imports).
    """

    def show(line: str) -> None:
        print(line, file=stdout, flush=True)

    echo = not stdin.isatty()  # piped input: show what was "typed", like a transcript
    with tempfile.TemporaryDirectory(prefix="newsbot-console-") as folder, \
            SampleServer(samples_folder) as samples:
        catalog = Path(folder) / "catalog.toml"
        catalog.write_text(samples.catalog(), encoding="utf-8")
        config = dataclasses.replace(
            config,
            telegram=TelegramConfig(token=CONSOLE_TOKEN),
            storage=StorageConfig(path=str(Path(folder) / "store.json")),
            sources=SourcesConfig(catalog=str(catalog)),
        )
        sources = load_catalog(config.sources.catalog)
        api = ConsoleBotAPI(show)
        application = build_application(config, Store(config.storage.path), sources,
                                        transport=api)
        await application.initialize()
        await application.post_init(application)
        report = await refresh(application.bot_data)
        countries = len({s.country for s in sources})
        show(f"Console mode, with SAMPLE news (invented for trying the bot, not real "
             f"reporting): {len(report.new_articles) if report else 0} articles from "
             f"{len(sources)} outlets in {countries} countries.\n"
             "Type as you would in Telegram: /start, /subscribe Japan, /digest, /latest rare "
             "earths, /help. A number presses a button. Ctrl+D quits.")
        await application.start()
        lines = typed_lines(stdin)
        try:
            while line := await lines.get():
                if line is INTERRUPTED:
                    return EXIT_INTERRUPTED
                text = line.strip()
                if not text:
                    continue
                if echo:
                    show(f"\n> {text}")
                data = api.button_update(int(text)) if text.isdigit() else None
                update = data or api.message_update(text)
                await application.process_update(Update.de_json(update, application.bot))
        finally:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
            await application.stop()
            await application.shutdown()
            await application.post_shutdown(application)
    return 0
