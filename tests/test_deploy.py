"""The deployment files in deploy/ stay in step with the bot: the config they mount loads,
the commands they start exist, and no secret is written in them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from bot import parse_args
from digest.config import DATABASE_URL_ENV, load_config

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def test_the_compose_config_is_valid_and_takes_its_database_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://newsbot:pw@postgres:5432/newsbot")
    config = load_config(DEPLOY / "newsbot.toml")
    assert config.storage.backend == "postgres"
    assert config.storage.dsn == ""  # the password stays in the environment
    assert (config.webapp.listen, config.webapp.port) == ("0.0.0.0", 8080)


def test_the_compose_file_starts_run_and_workers_with_that_config() -> None:
    compose = (DEPLOY / "compose.yaml").read_text()
    commands = re.findall(r'command: \["--config", "([^"]+)", "(\w+)"\]', compose)
    assert commands == [("/etc/newsbot/config.toml", "run"),
                        ("/etc/newsbot/config.toml", "worker")]
    assert compose.count("./newsbot.toml:/etc/newsbot/config.toml:ro") == 2
    for _, command in commands:
        assert parse_args(["--config", "x.toml", command]).command == command


@pytest.mark.parametrize("command", ["run", "worker"])
def test_the_systemd_template_starts_a_known_command(command: str) -> None:
    unit = (DEPLOY / "newsbot@.service").read_text()
    [exec_start] = re.findall(r"^ExecStart=(.+)$", unit, re.MULTILINE)
    args = shlex.split(exec_start.replace("$NEWSBOT_COMMAND", command))
    assert args[:2] == ["/opt/newsbot/.venv/bin/python", "bot.py"]
    parsed = parse_args(args[2:])
    assert (parsed.config, parsed.command) == ("/etc/newsbot/%i.toml", command)
    assert "RestartPreventExitStatus=2" in unit


def test_no_secret_is_written_in_the_deployment_files() -> None:
    for path in DEPLOY.iterdir():
        text = path.read_text()
        assert not re.search(r"\d{6,}:[A-Za-z0-9_-]{35}", text), path  # a bot token
        assert not re.search(r"postgresql://[^:/@\s]+:(?!PASSWORD@)[^@\s]+@", text), path
