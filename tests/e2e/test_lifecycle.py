"""Starting and stopping `bot.py` as a real process: fast, quiet, and nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.models import Chat
from tests.e2e.conftest import ROOT, TOKEN, free_port, write_config
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.e2e.news import article, seed
from tests.e2e.stores import open_store, storage
from tests.feed_server import FeedServer

# What the issue asks of a stop; a service manager kills the bot after its own timeout.
STOP_SECONDS = 5.0
# Feeds that answer after this long keep an ingestion pass busy for the whole test.
STALL = 30.0


class BotProcess:
    """`python bot.py ...` in its own process group, its stderr collected line by line."""

    def __init__(self, *args: str, cwd: Path, stdin: int | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bot.py"), *args], cwd=cwd, stdin=stdin,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.lines: list[str] = []
        self.stdout: list[str] = []
        self._changed = threading.Condition()
        for stream, into in ((self.process.stderr, self.lines), (self.process.stdout, self.stdout)):
            threading.Thread(target=self._collect, args=(stream, into), daemon=True).start()

    def _collect(self, stream: object, into: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._changed:
                into.append(line)
                self._changed.notify_all()

    def wait_for_line(self, predicate: Callable[[str], bool], *, count: int = 1,
                      timeout: float = 30.0, stream: str = "stderr") -> list[str]:
        into = self.lines if stream == "stderr" else self.stdout
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := [line for line in into if predicate(line)]) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no such {stream} line; got:\n{''.join(into)[-3000:]}"
                self._changed.wait(remaining)
        return found

    def stop(self, sig: signal.Signals = signal.SIGTERM, *, group: bool = False) -> float:
        """Send the signal and return the seconds until the process ended."""
        started = time.monotonic()
        if group:  # as a terminal's Ctrl+C does: the bot and its worker process
            os.killpg(self.process.pid, sig)
        else:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=STOP_SECONDS * 4)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        return time.monotonic() - started

    @property
    def stderr(self) -> str:
        time.sleep(0.1)  # the reader threads catch up with the last lines
        return "".join(self.lines)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    """Bot processes a test started; killed at the end if a failed test left one running."""
    started: list[BotProcess] = []
    yield started
    for process in started:
        process.kill()


def quiet(stderr: str) -> None:
    """No traceback, no error logged, nothing from a worker pool closed carelessly."""
    for noise in ("Traceback", "Bad file descriptor", " ERROR ", " CRITICAL "):
        assert noise not in stderr, stderr[-3000:]


def test_sigterm_during_a_feed_pass_stops_within_seconds_keeping_what_was_confirmed(
    bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    for path in ("/jp.xml", "/jp2.xml", "/br.xml", "/de.xml"):
        feed_server.serve(path, b"<rss/>", stall=STALL)
    config = write_config(tmp_path, bot_api, feed_server)
    bot = BotProcess("--config", str(config), "run", cwd=tmp_path)
    processes.append(bot)
    bot_api.wait_for("setMyCommands", timeout=30)
    bot_api.push_message(77, "/subscribe Japan")
    assert "Added" in bot_api.wait_for("sendMessage", timeout=10).params["text"]
    while len(feed_server.requests) < 2:  # the pass is under way (two feeds per host at once)
        time.sleep(0.05)
    for _ in range(15):  # a chat's answers paced at one a second: 12 s of backlog
        bot_api.push_message(79, "/help")
    bot_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 79, timeout=10)

    assert bot.stop() < STOP_SECONDS
    assert bot.process.returncode == 0
    quiet(bot.stderr)
    assert TOKEN.split(":")[1] not in bot.stderr
    store = open_store(storage(tmp_path))
    assert store.chat(77).countries == ("JP",)
    store.close()


def test_ctrl_c_in_the_console_ends_it_at_once_and_quietly(
    tmp_path: Path, processes: list[BotProcess],
) -> None:
    console = BotProcess("console", cwd=tmp_path, stdin=subprocess.PIPE)
    processes.append(console)
    console.wait_for_line(lambda line: "Ctrl+D quits" in line, stream="stdout", timeout=60)
    assert console.process.stdin is not None
    console.process.stdin.write("/help\n")
    console.process.stdin.flush()
    # Answered: the console now waits for the next line.
    console.wait_for_line(lambda line: "/subscribe" in line and ">" not in line,
                          stream="stdout")

    assert console.stop(signal.SIGINT, group=True) < STOP_SECONDS  # stdin still open
    assert console.process.returncode == 130
    quiet(console.stderr)


def test_a_digest_due_at_start_goes_out_at_once(
    bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    now = datetime.now(UTC)
    # A zone where it is past noon now, so that a 12:00 digest is due (within the grace).
    zone = f"Etc/GMT{12 - now.hour:+d}".replace("+", "_").replace("-", "+").replace("_", "-")
    seed(storage(tmp_path),
         [article("Japan raises rare earth export quotas", "Japan Daily", "JP", 1, now=now)],
         [Chat(77, countries=("JP",), digest_time="12:00", timezone=zone)])
    config = write_config(tmp_path, bot_api, feed_server)
    bot = BotProcess("--config", str(config), "run", cwd=tmp_path)
    processes.append(bot)
    bot_api.wait_for("setMyCommands", timeout=30)
    # The check ran only a minute after the start: a bot restarted often never sent.
    digest = bot_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 77, timeout=15)
    assert "rare earth" in digest.params["text"]
    bot.stop()


def test_an_unreachable_bot_api_is_retried_with_one_line_per_attempt(
    tmp_path: Path, feed_server: FeedServer, processes: list[BotProcess],
) -> None:
    class Nowhere:
        base_url = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens there

    config = write_config(tmp_path, Nowhere, feed_server)  # type: ignore[arg-type]
    bot = BotProcess("--config", str(config), "run", cwd=tmp_path)
    processes.append(bot)
    attempts = bot.wait_for_line(lambda line: "cannot reach the Bot API" in line, count=2)
    assert f"cannot reach the Bot API at {Nowhere.base_url} (" in attempts[0]
    assert "ConnectError" in attempts[0]
    assert "attempt 1" in attempts[0]
    assert "attempt 2" in attempts[1]

    assert bot.stop() < STOP_SECONDS
    assert bot.process.returncode == 0
    quiet(bot.stderr)


def test_the_bot_starts_once_the_bot_api_answers(
    bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    bot_api.fail_next("getMe", code=502, description="Bad Gateway", times=2)
    config = write_config(tmp_path, bot_api, feed_server)
    bot = BotProcess("--config", str(config), "run", cwd=tmp_path)
    processes.append(bot)
    bot_api.wait_for("setMyCommands", timeout=30)
    bot_api.push_message(78, "/help")
    assert "/subscribe" in bot_api.wait_for("sendMessage", timeout=10).params["text"]
    assert len(bot.wait_for_line(lambda line: "cannot reach the Bot API" in line, count=2)) == 2
    bot.stop()
    quiet(bot.stderr)
