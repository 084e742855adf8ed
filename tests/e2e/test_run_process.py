"""`python bot.py run` as a real process: answers over HTTP, stops cleanly, never logs the token."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from runtime.polling import NEWCOMER_SECONDS
from tests.e2e.conftest import ROOT, TOKEN, free_port, write_config
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.feed_server import FeedServer


def test_webhook_mode_registers_and_answers_posted_updates(
    bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path
) -> None:
    port = free_port()
    config = write_config(tmp_path, bot_api, feed_server, (
        'webhook_url = "https://bot.example.org/telegram/hook"\nwebhook_secret = "s3cret"\n'),
        f'[webapp]\nurl = "http://127.0.0.1:{port}/"\nport = {port}\n')
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(config)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        bot_api.wait_for("setWebhook", timeout=30)
        assert bot_api.webhook["url"] == "https://bot.example.org/telegram/hook"
        assert bot_api.webhook["secret_token"] == "s3cret"
        update: dict[str, Any] = {"update_id": 1, "message": {
            "message_id": 1, "date": 0, "chat": {"id": 77, "type": "private"},
            "from": {"id": 77, "is_bot": False, "first_name": "Ann"}, "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
        url = f"http://127.0.0.1:{port}/telegram/hook"
        with httpx.Client() as client:
            for _ in range(100):  # the server starts listening just after setWebhook
                try:
                    forged = client.post(url, json=update)
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            assert forged.status_code == 403  # without Telegram's secret header
            posted = client.post(url, json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
            assert posted.status_code == 200
            # One port serves everything: the Mini App and the health check too.
            assert client.get(f"http://127.0.0.1:{port}/").status_code == 200
            assert client.get(f"http://127.0.0.1:{port}/healthz").json()["ok"] is True
            reply = bot_api.wait_for("sendMessage", timeout=10)
            assert reply.params["chat_id"] == 77
            assert "/subscribe" in reply.params["text"]
            assert len(bot_api.calls("sendMessage")) == 1  # the forged update was not handled
            # A button tap by webhook: its key is resolved from PTB's button cache as in polling.
            start = {**update, "update_id": 2, "message": {
                **update["message"], "message_id": 2, "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
            client.post(url, json=start, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
            welcome = bot_api.wait_for("sendMessage", count=2, timeout=10).result
            [button] = [b for row in welcome["reply_markup"]["inline_keyboard"] for b in row
                        if b["text"] == "Pick countries"]
            tap = {"update_id": 3, "callback_query": {
                "id": "9", "from": update["message"]["from"], "chat_instance": "c77",
                "message": bot_api.message(77, welcome["message_id"]),
                "data": button["callback_data"]}}
            client.post(url, json=tap, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
            # The picker answered it (a query unknown to the fake, so no edit follows); a key
            # left unresolved would have been answered "too old, ask again".
            answered = bot_api.wait_for("answerCallbackQuery", timeout=10)
            assert "text" not in answered.params
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr[-2000:]


def test_bot_process_serves_and_stops_on_sigterm(
    bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path
) -> None:
    for path in ("/jp.xml", "/jp2.xml", "/br.xml", "/de.xml"):  # read by the pass at start
        feed_server.serve(path, b'<rss version="2.0"><channel><title>News</title></channel></rss>')
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


def test_a_second_poller_stops_with_one_line_and_the_first_goes_on(
    bot_api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path
) -> None:
    """Telegram serves one long poll per bot: the process that arrives second stops. Each
    on a TinyDB store of its own: the case no database can see (on one database the
    second is refused before polling: tests/e2e/test_several_processes.py)."""
    for path in ("/jp.xml", "/jp2.xml", "/br.xml", "/de.xml"):
        feed_server.serve(path, b'<rss version="2.0"><channel><title>News</title></channel></rss>')
    homes = [tmp_path / "first", tmp_path / "second"]
    configs = []
    for home in homes:
        home.mkdir()
        port = free_port()
        configs.append(write_config(home, bot_api, feed_server,
                                    sections=f"[webapp]\nport = {port}\n",
                                    storage=f'[storage]\npath = "{home / "store.json"}"\n'))
    first = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(configs[0]), "run"],
        cwd=homes[0], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        bot_api.wait_for("getUpdates", timeout=30)
        time.sleep(NEWCOMER_SECONDS)  # the first has been polling for a while
        second = subprocess.run(
            [sys.executable, str(ROOT / "bot.py"), "--config", str(configs[1]), "run"],
            cwd=homes[1], capture_output=True, text=True, timeout=60)
        assert second.returncode == 2, second.stderr[-2000:]
        [line] = [line for line in second.stderr.splitlines() if line.startswith("error:")]
        assert line.startswith("error: another process is already receiving this bot's "
                               "updates by long polling (Telegram: 409 Conflict: terminated "
                               "by other getUpdates request")
        assert "use webhook mode ([telegram] webhook_url)" in line
        assert "`bot.py worker`" in line
        assert "Traceback" not in second.stderr
        # The first goes on serving.
        bot_api.push_message(77, "/help")
        reply = bot_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 77,
                                 timeout=10)
        assert "/subscribe" in reply.params["text"]
    finally:
        first.send_signal(signal.SIGTERM)
        _, stderr = first.communicate(timeout=20)
    assert first.returncode == 0, stderr[-2000:]
    assert "another process polled for this bot's updates (Telegram: 409 Conflict)" in stderr
    assert "Traceback" not in stderr
