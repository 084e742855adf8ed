"""`bot.py` failing to start, as an operator meets it: one line that says what is wrong and
what to do, the right exit code, and never the token, whatever path the output takes."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, TOKEN
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.e2e.stores import storage_toml, tinydb_only

SECRET = TOKEN.split(":")[1]


def config_file(folder: Path, base_url: str, token: str = TOKEN, extra: str = "",
                mode: int = 0o600, storage: str = "") -> Path:
    path = folder / "bot.toml"
    path.write_text(f'[telegram]\ntoken = "{token}"\nbase_url = "{base_url}"\n'
                    f'{storage or storage_toml(folder)}{extra}')
    path.chmod(mode)
    return path


def bot_py(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def assert_one_line_without_token(done: subprocess.CompletedProcess[str]) -> str:
    output = done.stdout + done.stderr
    assert SECRET not in output
    assert "Traceback" not in output
    assert done.stderr.count("\n") == 1, done.stderr
    return done.stderr


@pytest.mark.parametrize("code", [401, 404])
def test_a_rejected_token_is_one_line_and_exit_2(
    bot_api: FakeBotAPI, tmp_path: Path, code: int
) -> None:
    """A revoked token (401) or a token Telegram does not know (404)."""
    bot_api.fail_next("getMe", code=code)
    done = bot_py("--config", str(config_file(tmp_path, bot_api.base_url)), "run", cwd=tmp_path)
    assert done.returncode == 2
    line = assert_one_line_without_token(done)
    assert line.startswith("error: Telegram rejected the bot token")
    assert "@BotFather" in line
    assert [call.method for call in bot_api.calls()] == ["getMe"]  # no serving after it


def test_a_wrong_base_url_names_the_url(bot_api: FakeBotAPI, tmp_path: Path) -> None:
    wrong = bot_api.base_url.removesuffix("/bot") + "/api/bot"  # answers 404 Not Found
    done = bot_py("--config", str(config_file(tmp_path, wrong)), cwd=tmp_path)
    assert done.returncode == 2
    line = assert_one_line_without_token(done)
    assert f"telegram.base_url ({wrong}) is not a Bot API server" in line


@pytest.mark.parametrize("token", ["123456", "123456:short", "bot123456:" + "x" * 35,
                                   TOKEN + "x", "123456:" + "x" * 34 + "!"])
def test_a_token_of_the_wrong_shape_is_refused_before_any_request(
    bot_api: FakeBotAPI, tmp_path: Path, token: str
) -> None:
    done = bot_py("--config", str(config_file(tmp_path, bot_api.base_url, token)),
                  cwd=tmp_path)
    assert done.returncode == 2
    line = assert_one_line_without_token(done)
    assert "does not look like one from @BotFather" in line
    assert token not in line
    assert bot_api.calls() == []


def test_a_config_file_others_can_read_gets_a_warning(
    bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    bot_api.fail_next("getMe", code=401)  # stop right after the start checks
    config = config_file(tmp_path, bot_api.base_url, mode=0o644)
    done = bot_py("--config", str(config), cwd=tmp_path)
    warning, error = done.stderr.splitlines()
    assert warning == (f"warning: {config} holds the bot token and other users can read it; "
                       f"run: chmod 600 {config}")
    assert error.startswith("error: Telegram rejected")

    config.chmod(0o600)
    bot_api.fail_next("getMe", code=401)
    assert "warning" not in bot_py("--config", str(config), cwd=tmp_path).stderr


def test_an_uncaught_exception_is_printed_without_the_token(tmp_path: Path) -> None:
    """Whatever escapes, the traceback on stderr (the journal) has the token masked."""
    crash = ("import threading\n"
             "from runtime.logs import configure_logging\n"
             f"configure_logging('INFO', {TOKEN!r})\n"
             "def fail(): raise RuntimeError('in a thread: ' + " f"{TOKEN!r})\n"
             "thread = threading.Thread(target=fail); thread.start(); thread.join()\n"
             f"raise RuntimeError('The token `{TOKEN}` was rejected by the server.')\n")
    done = subprocess.run([sys.executable, "-c", crash], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert "RuntimeError: in a thread: <token>" in done.stderr
    assert "RuntimeError: The token `<token>` was rejected" in done.stderr
    assert SECRET not in done.stderr


@pytest.mark.parametrize(
    ("make_path", "why"),
    [
        (lambda folder: folder, "it is a folder"),
        (lambda folder: folder / "a-file" / "store.json", "Not a directory"),
    ],
    ids=["a folder", "below a file"],
)
@tinydb_only
def test_an_unusable_storage_path_is_a_config_error(
    tmp_path: Path, make_path: object, why: str
) -> None:
    (tmp_path / "a-file").write_text("")
    path = make_path(tmp_path)  # type: ignore[operator]
    config = tmp_path / "bot.toml"
    config.write_text(f'[storage]\npath = "{path}"\n')
    done = bot_py("--config", str(config), "sources", cwd=tmp_path)
    assert done.returncode == 2
    line = assert_one_line_without_token(done)
    assert line.startswith(f'error: {config}: storage.path "{path}" cannot be used: ')
    assert why in line


@tinydb_only
def test_a_storage_path_on_a_read_only_file_system_is_a_config_error(tmp_path: Path) -> None:
    """The file system is made read-only for the process (os.access says so, as on a
    read-only mount), then bot.py runs as usual. `sources` only reads, so it still works."""
    config = tmp_path / "bot.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "store.json"}"\n')

    def on_read_only_file_system(command: str) -> subprocess.CompletedProcess[str]:
        script = ("import os, runpy, sys\n"
                  "os.access = lambda path, mode, **kw: not mode & os.W_OK\n"
                  f"sys.argv = ['bot.py', '--config', {str(config)!r}, {command!r}]\n"
                  f"runpy.run_path({str(ROOT / 'bot.py')!r}, run_name='__main__')\n")
        return subprocess.run([sys.executable, "-c", script], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    done = on_read_only_file_system("ingest")
    assert done.returncode == 2
    line = assert_one_line_without_token(done)
    assert "storage.path" in line
    assert "read-only file system" in line
    assert on_read_only_file_system("sources").returncode == 0


def test_a_web_server_port_in_use_is_one_line_and_exit_2(
    bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        extra = f'[webapp]\nurl = "http://127.0.0.1:{port}/"\nport = {port}\n'
        done = bot_py("--config", str(config_file(tmp_path, bot_api.base_url, extra=extra)),
                      "run", cwd=tmp_path)
    assert done.returncode == 2
    line = assert_one_line_without_token(done)
    assert f"cannot listen on 127.0.0.1:{port}" in line
    assert "[webapp] port" in line


def test_a_worker_on_a_tinydb_store_is_refused_in_one_line(
    bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    """One process owns a TinyDB store: `run` serves it, a `worker` beside it cannot."""
    tinydb = f'[storage]\npath = "{tmp_path / "store.json"}"\n'  # whichever store the suite runs on
    done = bot_py("--config", str(config_file(tmp_path, bot_api.base_url, storage=tinydb)),
                  "worker", cwd=tmp_path)
    assert done.returncode == 2
    line = assert_one_line_without_token(done)
    assert 'bot.py worker needs [storage] backend = "postgres"' in line
    assert bot_api.calls() == []
    assert not (tmp_path / "store.json").exists()
