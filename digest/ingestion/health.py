"""Feed health: how each source of the catalog has been doing, for operators."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.models import Source
from digest.store import Store


@dataclass(frozen=True, slots=True)
class FeedHealth:
    source: Source
    last_success: datetime | None
    last_error: str
    failures: int
    articles_24h: int

    @property
    def failing(self) -> bool:
        return self.failures > 0


def feed_health(store: Store, sources: list[Source], now: datetime) -> list[FeedHealth]:
    """One row per source, in catalog order."""
    recent = Counter(a.source for a in store.articles(since=now - timedelta(hours=24)))
    rows = []
    for source in sources:
        state = store.feed_state(source.key)
        rows.append(
            FeedHealth(
                source=source,
                last_success=state.last_success,
                last_error=state.last_error,
                failures=state.failures,
                articles_24h=recent[source.name],
            )
        )
    return rows


def too_many_failing(rows: list[FeedHealth], max_share: float) -> bool:
    """Whether the failing feeds exceed `max_share` of all (for monitoring's exit code)."""
    return bool(rows) and sum(row.failing for row in rows) > max_share * len(rows)


def format_health(rows: list[FeedHealth], now: datetime) -> list[str]:
    """Fixed-width lines: country, outlet, last success, articles in 24 h, last error."""
    lines = [f"{'CC':2}  {'OUTLET':28}  {'LAST OK':>9}  {'24H':>4}  ERROR"]
    for row in rows:
        when = _ago(row.last_success, now) if row.last_success else "never"
        error = f"{row.last_error} (x{row.failures})" if row.failing else ""
        lines.append(
            f"{row.source.country:2}  {row.source.name[:28]:28}  {when:>9}  "
            f"{row.articles_24h:>4}  {error}"
        )
    failing = sum(row.failing for row in rows)
    lines.append(f"{len(rows)} feeds, {failing} failing")
    return lines


def _ago(when: datetime, now: datetime) -> str:
    minutes = max(0, int((now - when).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} d"
