"""The terminal commands besides serving: `bot.py ingest`, `bot.py sources` and
`bot.py migrate`.

`ingest` runs the newsroom's own refresh (the bot's pass: ingest, index, edition,
translate), with a progress line on a terminal. On PostgreSQL it takes the pass lock as
the bots do (runtime.coordination), and the running bots hear of its end.
"""

from __future__ import annotations

import sys
from pathlib import Path

from digest.config import DATABASE_URL_ENV, Config, ConfigError
from digest.ingestion.health import feed_health, format_health, too_many_failing
from digest.ingestion.ingest import utc_now
from digest.models import Source
from digest.newsroom import Newsroom
from digest.store import Store
from runtime.coordination import coordination_for, summary_of


async def ingest_once(config: Config, store: Store, sources: list[Source], *,
                      force: bool = False) -> int:
    """One pass with a progress line on a terminal and a summary at the end; exit code 1
    when too many feeds are failing, as for `sources`. `force` retries backing-off feeds."""
    interactive = sys.stderr.isatty()

    def progress(done: int, total: int, source: Source, outcome: str) -> None:
        if interactive:
            print(f"\r\033[K[{done}/{total}] {source.country} {source.name}: {outcome}",
                  end="", file=sys.stderr, flush=True)
        elif outcome not in ("ok", "not modified"):
            print(f"{source.country} {source.name}: {outcome}", file=sys.stderr)

    # An operator's pass runs even just after the bots' own, but never beside one.
    async with coordination_for(config).turn(utc_now(), force=True) as turn:
        if not turn.ours:
            print(f"error: {turn.skipped}; try again when it ends", file=sys.stderr)
            return 1
        newsroom = Newsroom(config, store, sources)
        await newsroom.open()
        try:
            report = await newsroom.refresh(progress, force=force)
        finally:
            await newsroom.close()
        if not report.stopped:
            await turn.announce(summary_of(report))
    if interactive:
        print("\r\033[K", end="", file=sys.stderr)
    print(report.summary() + (" (--force reads them now)" if report.backing_off else ""))
    return show_failing_share(config, store, sources)


def show_sources(config: Config, store: Store, sources: list[Source]) -> int:
    """The feed table; exit code 1 when more than the configured share is failing, so that
    cron or a monitoring check can alert on it."""
    now = utc_now()
    for line in format_health(feed_health(store, sources, now), now):
        print(line)
    return show_failing_share(config, store, sources)


def show_failing_share(config: Config, store: Store, sources: list[Source]) -> int:
    """1 (with a line on stderr) when more than [sources] max_failing_share of the feeds
    are failing, else 0: the exit code of `ingest` and `sources`."""
    rows = feed_health(store, sources, utc_now())
    if not too_many_failing(rows, config.sources.max_failing_share):
        return 0
    failing = sum(row.failing for row in rows)
    print(f"error: {failing} of {len(rows)} feeds are failing, more than "
          f"[sources] max_failing_share ({config.sources.max_failing_share:.0%})",
          file=sys.stderr)
    return 1


def migrate(config: Config, to: str) -> int:
    """Copy the store between storage.path (TinyDB) and the database (storage.dsn or the
    environment's): into an empty target, verified by counts, printed one per line."""
    from digest.store.transfer import to_postgres, to_tinydb  # psycopg only where used

    dsn = config.storage.database_url
    if not dsn:
        raise ConfigError(f"{config.origin}: storage.dsn is not set (nor {DATABASE_URL_ENV}): "
                          "the database to migrate " + ("into" if to == "postgres" else "from"))
    path = Path(config.storage.path)
    counts = to_postgres(path, dsn) if to == "postgres" else to_tinydb(dsn, path)
    print(f"migrated to {to}, verified:")
    for line in counts.lines():
        print(f"  {line}")
    return 0
