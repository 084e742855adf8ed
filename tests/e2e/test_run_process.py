"""`python bot.py run` as a real process: answers over HTTP, stops cleanly, never logs the token."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import CATALOG, TOKEN
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.feed_server import FeedServer

ROOT = Path(__file__).resolve().parents[2]


def write_config(folder: Path, api: FakeBotAPI, feeds: FeedServer) -> Path:
    catalog = folder / "catalog.toml"
    catalog.write_text(CATALOG.format(base=feeds.base))
    config = folder / "bot.toml"
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{api.base_url}"\n'
        f'[storage]\npath = "{folder / "store.json"}"\n'
        f'[sources]\ncatalog = "{catalog}"\n'
        '[logging]\nlevel = "DEBUG"\n'
    )
    return config


def test_bot_process_serves_and_stops_on_sigterm(
    bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, bot_api, feed_server)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(config), "run"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        bot_api.wait_for("setMyCommands", timeout=30)
        bot_api.push_message(77, "/subscribe Japan")
        reply = bot_api.wait_for("sendMessage", timeout=10)
        assert "Added: 🇯🇵 Japan" in reply.params["text"]
        # A failing request makes PTB and httpx log URLs and errors.
        bot_api.fail_next("sendMessage", code=400, description="Bad Request: chat not found")
        bot_api.push_message(78, "/help")
        bot_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 78, timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr[-2000:]
    assert TOKEN not in stdout + stderr
    assert TOKEN.split(":")[1] not in stdout + stderr
    assert "error while handling an update" in stderr  # the traceback was logged, redacted

    restarted = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(config), "sources"],
        cwd=tmp_path, capture_output=True, text=True, timeout=30,
    )
    assert restarted.returncode == 0


def test_without_a_token_it_says_how_to_get_one(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "bot.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "BotFather" in done.stderr
    assert done.stderr.count("\n") == 1
