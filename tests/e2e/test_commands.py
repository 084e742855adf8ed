"""`bot.py ingest` and `bot.py sources` as cron or an operator runs them: exit codes that
say when feeds fail, a way past back-off, help per command, and output that can be piped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import CATALOG, ROOT
from tests.e2e.stores import open_store, storage, storage_toml
from tests.e2e.test_translation import CATALOG as SPANISH_CATALOG
from tests.e2e.test_translation import FEED as SPANISH_FEED
from tests.feed_server import FeedServer
from tests.translation_servers import PREFIX, TranslationServer

FEEDS = ("/jp.xml", "/jp2.xml", "/br.xml", "/de.xml")
RSS = (Path(__file__).parents[1] / "fixtures" / "rss2.xml").read_bytes()


def write_config(folder: Path, feeds: FeedServer, share: float = 0.25) -> Path:
    catalog = folder / "catalog.toml"
    catalog.write_text(CATALOG.format(base=feeds.base))
    config = folder / "bot.toml"
    config.write_text(f'{storage_toml(folder)}'
                      f'[sources]\ncatalog = "{catalog}"\nmax_failing_share = {share}\n')
    return config


def bot_py(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), "--config", str(config), *args],
                          cwd=config.parent, capture_output=True, text=True, timeout=60)


def test_ingest_fails_when_too_many_feeds_fail_and_force_retries_them(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, feed_server)  # no feed is served yet: every one is a 404
    failed = bot_py(config, "ingest")
    assert failed.returncode == 1
    assert "feeds ok 0, not modified 0, failed 4" in failed.stdout
    assert "error: 4 of 4 feeds are failing, more than [sources] max_failing_share (25%)" in (
        failed.stderr)

    for path in FEEDS:
        feed_server.serve(path, RSS)
    waiting = bot_py(config, "ingest")  # right after: every feed is backing off
    assert waiting.returncode == 1
    assert "backing off 4" in waiting.stdout
    assert "--force reads them now" in waiting.stdout

    forced = bot_py(config, "ingest", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "feeds ok 4, not modified 0, failed 0, backing off 0" in forced.stdout
    assert bot_py(config, "sources").returncode == 0


def test_ingest_succeeds_while_failures_stay_within_the_share(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    for path in FEEDS[:3]:
        feed_server.serve(path, RSS)
    done = bot_py(write_config(tmp_path, feed_server, share=0.25), "ingest")
    assert "failed 1" in done.stdout
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("command", "about"), [
    ("run", "Serve the bot"),
    ("console", "Try the bot in this terminal"),
    ("ingest", "Read every due feed once"),
    ("sources", "The catalog's feeds and their health"),
])
def test_each_command_has_its_own_help(tmp_path: Path, command: str, about: str) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bot.py"), command, "--help"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.startswith(f"usage: bot.py {command} ")
    assert about in done.stdout
    others = {"Serve the bot", "Try the bot in this terminal", "Read every due feed once",
              "The catalog's feeds and their health"} - {about}
    assert not any(other in done.stdout for other in others)
    assert ("--force" in done.stdout) == (command == "ingest")


def test_sources_piped_into_head_ends_quietly(feed_server: FeedServer, tmp_path: Path) -> None:
    """More lines than a pipe buffers (64 KiB), so head is gone while bot.py still writes."""
    config = write_config(tmp_path, feed_server)
    (tmp_path / "catalog.toml").write_text("".join(
        f'[[source]]\nname = "Outlet {n}"\ncountry = "JP"\nfeed = "{feed_server.base}/{n}.xml"\n'
        'language = "en"\n\n' for n in range(3000)))
    piped = subprocess.run(
        f'"{sys.executable}" "{ROOT / "bot.py"}" --config "{config}" sources | head -n 1',
        shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert piped.stdout.startswith("CC  OUTLET")
    assert piped.stderr == ""


def test_ingest_translates_as_the_running_bot_does(feed_server: FeedServer,
                                                   tmp_path: Path) -> None:
    """`bot.py ingest` runs the newsroom's own refresh: the pass ends with translation."""
    feed_server.serve("/es.xml", SPANISH_FEED.encode())
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(SPANISH_CATALOG.format(base=feed_server.base))
    config = tmp_path / "bot.toml"
    translator = TranslationServer().start()
    try:
        config.write_text(f'{storage_toml(tmp_path)}[sources]\ncatalog = "{catalog}"\n'
                          f'[translate]\nbackend = "openai"\nurl = "{translator.base}/v1"\n'
                          f'api_key = "sk-test"\ntimeout_seconds = 5\n')
        done = bot_py(config, "ingest")
    finally:
        translator.stop()
    assert done.returncode == 0, done.stderr
    assert len(translator.requests) == 1
    store = open_store(storage(tmp_path))
    try:
        [article] = store.articles()
    finally:
        store.close()
    assert article.translated
    assert article.title == PREFIX + "El Gobierno aprueba la subida del salario mínimo para el " \
                                     "próximo año"
