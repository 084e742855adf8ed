"""Console mode: the bot in a terminal, with sample news, no token and no internet.

The real Application runs with its real handlers, rate limiter, job queue,
ingestion, clustering and search; only the two far ends are local: the Bot API
is answered in-process (console.api) and the news sites are a local server
of invented sample feeds (console.samples). Each line typed (or piped in) is
one message; a number presses a button of the newest keyboard; "@bot words" is an
inline query. The console user is an admin of the bot (/stats). End of input
(Ctrl+D) quits.
"""

from __future__ import annotations

import asyncio
import dataclasses
import queue
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from telegram import Update
from telegram.ext import Application

from console.api import USER, ConsoleBotAPI
from console.samples import SAMPLES, SampleServer
from digest.config import Config, SourcesConfig, StorageConfig, TelegramConfig, WebAppConfig
from digest.ingestion.sources import load_catalog
from digest.store import TinyStore
from webapp.auth import WebAppUser, launch_fragment, sign_init_data

CONSOLE_TOKEN = "0:console"  # never sent anywhere: the console answers every request itself
HOW_TO = ("Type as you would in Telegram: /start, /subscribe Japan, /digest, /latest rare "
          "earths, /help, /stats. A number presses a button. Inline mode: @bot rare earths. "
          "Ctrl+D quits.")
NO_KEYBOARD = "(no keyboard is showing: a number presses a button of the bot's last keyboard)"


AppFactory = Callable[..., Application]
async def run_console(config: Config, build_application: AppFactory,
                      stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                      samples_folder: Path = SAMPLES) -> int:
    """Chat with the bot until the input ends; returns the exit code.

    `build_application` is bot.py's factory (passed in: bot.py is the one that imports).
    """

    def show(line: str) -> None:
        print(line, file=stdout, flush=True)

    interactive = stdin.isatty()  # a prompt when typing; piped: echo, like a transcript
    with tempfile.TemporaryDirectory(prefix="newsbot-console-") as folder, \
            SampleServer(samples_folder) as samples:
        catalog = Path(folder) / "catalog.toml"
        catalog.write_text(samples.catalog(), encoding="utf-8")
        port = _free_port()
        config = dataclasses.replace(
            config,
            telegram=TelegramConfig(token=CONSOLE_TOKEN, admins=(USER["id"],)),
            webapp=WebAppConfig(url=f"http://127.0.0.1:{port}/", port=port),
            storage=StorageConfig(path=str(Path(folder) / "store.json")),
            sources=SourcesConfig(catalog=str(catalog)),
        )
        sources = load_catalog(config.sources.catalog)
        api = ConsoleBotAPI(show)
        application = build_application(config, TinyStore(config.storage.path), sources,
                                        transport=api)
        post_init, post_shutdown = application.post_init, application.post_shutdown
        assert post_init is not None  # build_application sets both hooks
        assert post_shutdown is not None
        await application.initialize()
        await post_init(application)
        report = await application.bot_data.newsroom.refresh()
        countries = len({s.country for s in sources})
        show(f"Console mode, with SAMPLE news (invented for trying the bot, not real "
             f"reporting): {len(report.new_articles)} articles from "
             f"{len(sources)} outlets in {countries} countries.\n"
             f"The globe (Mini App) in a browser: {globe_link(config, application)}\n{HOW_TO}")
        await application.start()
        lines = TypedLines(stdin, stdout, interactive)
        try:
            while line := await lines.next():
                text = line.strip()
                if not text:
                    continue
                if not interactive:
                    show(f"\n> {text}")
                if text.isdigit():
                    update = api.button_update(int(text))
                    if update is None:
                        show(NO_KEYBOARD)
                        continue
                else:
                    update = api.inline_update(text) or api.message_update(text)
                incoming = Update.de_json(update, application.bot)
                application.bot.insert_callback_data(incoming)  # button data PTB keeps
                await application.process_update(incoming)
        finally:
            await application.stop()
            await application.shutdown()
            await post_shutdown(application)
    return 0


def globe_link(config: Config, application: Application) -> str:
    """The app's address with launch data signed here as Telegram would sign it."""
    user = WebAppUser(USER["id"], USER["first_name"], USER["language_code"])
    data = sign_init_data(user, CONSOLE_TOKEN, now=application.bot_data.clock())
    return config.webapp.url + launch_fragment(data)


def _free_port() -> int:
    """A port free on this machine now, for the console's local web server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TypedLines:
    """The lines typed, each read when asked for, by a daemon thread.

    Not `asyncio.to_thread`: on Ctrl+C (asyncio.run cancels the console, which stops the
    bot), a thread of the loop's executor blocked in readline would hold the exit until
    Enter is pressed; a daemon thread simply ends with the process.
    """

    def __init__(self, stdin: TextIO, stdout: TextIO, interactive: bool) -> None:
        self._loop = asyncio.get_running_loop()
        self._asked: queue.SimpleQueue[asyncio.Future[str]] = queue.SimpleQueue()
        threading.Thread(target=self._read, args=(stdin, stdout, interactive),
                         name="console input", daemon=True).start()

    async def next(self) -> str:
        """The next line; "" at end of input."""
        line = self._loop.create_future()
        self._asked.put(line)
        return await line

    def _read(self, stdin: TextIO, stdout: TextIO, interactive: bool) -> None:
        while True:
            future = self._asked.get()
            line = read_line(stdin, stdout, interactive)
            self._loop.call_soon_threadsafe(_settle, future, line)
            if not line:
                return


def _settle(future: asyncio.Future[str], line: str) -> None:
    if not future.done():  # not cancelled by Ctrl+C meanwhile
        future.set_result(line)


def read_line(stdin: TextIO, stdout: TextIO, interactive: bool) -> str:
    """The next line typed, after a "> " prompt on a terminal; "" at end of input."""
    if interactive:
        print("\n> ", end="", file=stdout, flush=True)
    return stdin.readline()
