"""Operator figures: feed health with its alert threshold, and /stats' numbers."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.ingestion.health import feed_health, too_many_failing
from digest.models import Article, Chat, FeedState, Source
from digest.stats import collect_stats
from digest.store import Store, TinyStore

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
SOURCES = [Source(f"Outlet {n}", "JP", f"https://feeds.example/{n}.xml", "en")
           for n in range(4)]


def store_with_failures(path: Path, failing: int) -> Store:
    store = TinyStore(path)
    store.save_feed_states({s.key: FeedState(last_success=NOW, failures=int(n < failing))
                            for n, s in enumerate(SOURCES)})
    return store


@pytest.mark.parametrize(("failing", "share", "alert"),
                         [(0, 0.25, False), (1, 0.25, False), (2, 0.25, True), (1, 0.0, True),
                          (4, 1.0, False)])
def test_alert_only_above_the_failing_share(tmp_path: Path, failing: int, share: float,
                                            alert: bool) -> None:
    rows = feed_health(store_with_failures(tmp_path / "s.json", failing), SOURCES, NOW)
    assert too_many_failing(rows, share) is alert


@pytest.mark.parametrize(("failing", "code"), [(1, 0), (2, 1)])
def test_sources_command_exit_code_is_usable_from_cron(tmp_path: Path, failing: int,
                                                       code: int) -> None:
    store_with_failures(tmp_path / "s.json", failing).close()
    catalog = tmp_path / "catalog.toml"
    catalog.write_text("".join(
        f'[[source]]\nname = "{s.name}"\ncountry = "JP"\nfeed = "{s.feed}"\nlanguage = "en"\n'
        for s in SOURCES))
    config = tmp_path / "bot.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "s.json"}"\n'
                      f'[sources]\ncatalog = "{catalog}"\nmax_failing_share = 0.25\n')
    result = subprocess.run([sys.executable, str(ROOT / "bot.py"), "--config", str(config),
                             "sources"], capture_output=True, text=True, timeout=60)
    assert result.returncode == code, result.stderr
    assert f"4 feeds, {failing} failing" in result.stdout


def test_stats_count_chats_follows_articles_and_failing_feeds(tmp_path: Path) -> None:
    store = store_with_failures(tmp_path / "s.json", 1)
    store.save_chats([
        Chat(1, countries=("JP", "BR")),
        Chat(2, countries=("JP",), paused=True),
        Chat(3, countries=("DE",), active=False),
        Chat(4),
    ])
    store.add_articles([
        Article(f"https://a.example/{n}", f"Title {n}", "", NOW - timedelta(days=n // 2),
                "Outlet 0", "JP", "en")
        for n in range(5)
    ])
    stats = collect_stats(store, SOURCES, NOW, days=3)
    assert (stats.chats, stats.receiving, stats.paused, stats.blocked) == (4, 1, 1, 1)
    assert stats.subscriptions == [("JP", 2), ("BR", 1)]  # the blocked chat's DE not counted
    assert [n for _, n in stats.articles_per_day] == [2, 2, 1]
    assert stats.articles_per_day[0][0] == NOW.date()
    assert stats.failing_feeds == [SOURCES[0]]
