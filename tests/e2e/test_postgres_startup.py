"""A database the bot cannot use stops `bot.py` with one line that names where it tried
and never shows the password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from psycopg.conninfo import make_conninfo

from tests.e2e.conftest import ROOT


def test_an_unusable_database_is_one_line_without_the_password(postgres_url: str,
                                                               tmp_path: Path) -> None:
    dsn = make_conninfo(postgres_url, dbname="no_such_db", password="pw-never-shown")
    config = tmp_path / "bot.toml"
    config.write_text(f'[storage]\nbackend = "postgres"\npath = "{tmp_path / "store.json"}"\n')
    done = subprocess.run([sys.executable, str(ROOT / "bot.py"), "--config", str(config),
                           "sources"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "NEWSBOT_DATABASE_URL": dsn})
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("error: cannot use PostgreSQL at postgresql://")
    assert "no_such_db" in line
    assert "pw-never-shown" not in line
