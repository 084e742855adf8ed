"""Articles by UTC day of publication, one TinyDB file per day, for `TinyStore`.

An ingestion pass writes each day it touched once; retention deletes whole days. An
article is known by its URL, or by its outlet and title (the same story under a new URL).
The caller (`TinyStore`) holds its lock around every call.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

from tinydb import TinyDB

from digest.models import Article, article_id
from digest.store.files import AtomicJSONStorage
from digest.store.opening import DataFiles
from digest.store.records import article_from_doc, article_to_doc
from digest.text import title_key


class ArticleDays:
    """The stored articles, in memory and in their day files."""

    def __init__(self, folder: Path, files: DataFiles) -> None:
        self.folder = folder
        self._files = files
        self._day_dbs: dict[date, TinyDB] = {}
        self._articles: dict[str, Article] = {}
        self._title_keys: set[tuple[str, str]] = set()

    def _day_file(self, day: date) -> Path:
        return self.folder / f"articles-{day.isoformat()}.json"

    def load_day(self, day: date) -> None:
        """Read one day's file (at start)."""
        for article in self._files.valid(self._day_file(day), "article",
                                   self._day_db(day).table("articles").all(), article_from_doc):
            self._remember(article)

    def _day_db(self, day: date) -> TinyDB:
        db = self._day_dbs.get(day)
        if db is None:
            db = self._day_dbs[day] = self._files.open_db(self._day_file(day), ("articles",))
        return db

    def _remember(self, article: Article) -> None:
        self._articles[article.id] = article
        self._title_keys.add((article.source, title_key(article.published_title)))

    def _is_known(self, article: Article) -> bool:
        return article.id in self._articles or (
            (article.source, title_key(article.published_title)) in self._title_keys
        )

    def add(self, articles: Iterable[Article]) -> list[Article]:
        """Store the articles not seen before (by URL, or by outlet and title); one write
        per touched day. Returns the new ones."""
        by_day: dict[date, list[Article]] = {}
        new: list[Article] = []
        for article in articles:
            if self._is_known(article):
                continue
            self._remember(article)
            new.append(article)
            by_day.setdefault(article.published.astimezone(UTC).date(), []).append(article)
        try:
            for day, batch in by_day.items():
                self._day_db(day).table("articles").insert_multiple(
                    article_to_doc(a) for a in batch
                )
        except BaseException:
            self._forget_unwritten(new)
            raise
        return new

    def replace(self, articles: Iterable[Article]) -> list[Article]:
        """Store new versions of known articles (same URL: translations arrived); one write
        per touched day. Articles no longer stored (pruned meanwhile) are skipped; returns
        those replaced."""
        by_day: dict[date, list[Article]] = {}
        for article in articles:
            if article.id in self._articles:
                by_day.setdefault(article.published.astimezone(UTC).date(), []).append(article)
        replaced = []
        for day, batch in by_day.items():
            table = self._day_db(day).table("articles")
            urls = {a.url: a for a in batch}
            with storage_of(self._day_db(day)).batch():
                table.remove(lambda doc, urls=urls: doc.get("url") in urls)
                table.insert_multiple(article_to_doc(a) for a in batch)
            for article in batch:  # only once its day is on disk
                self._articles[article.id] = article
            replaced.extend(batch)
        return replaced

    def _forget_unwritten(self, articles: list[Article]) -> None:
        """After a failed write, memory must again match the disk."""
        on_disk = {
            doc.get("url")
            for day in {a.published.astimezone(UTC).date() for a in articles}
            for doc in self._day_db(day).table("articles").all()
        }
        for article in articles:
            if article.url not in on_disk:
                self._articles.pop(article.id, None)
                self._title_keys.discard((article.source, title_key(article.published_title)))

    def published_since(self, since: datetime | None) -> list[Article]:
        """The stored articles (unsorted), only those published at or after `since` if given."""
        return [a for a in self._articles.values() if since is None or a.published >= since]

    def prune(self, older_than: datetime) -> int:
        """Drop whole days published before `older_than`'s UTC day; returns articles dropped."""
        cutoff = older_than.astimezone(UTC).date()
        dropped = 0
        days = sorted(date.fromisoformat(name[9:19]) for name in self._files.names
                      if name.startswith("articles-"))
        for day in (day for day in days if day < cutoff):
            db = self._day_dbs.pop(day, None) or self._files.open_db(self._day_file(day),
                                                               ("articles",))
            for doc in db.table("articles").all():
                dropped += 1
                article = self._articles.pop(article_id(doc.get("url", "")), None)
                if article is not None:
                    self._title_keys.discard(
                        (article.source, title_key(article.published_title)))
            self._files.unlist(self._day_file(day))
            self._day_file(day).unlink()
        return dropped

    def close(self) -> None:
        for db in self._day_dbs.values():
            db.close()


def storage_of(db: TinyDB) -> AtomicJSONStorage:
    """The file layer under `db` (TinyDB types it as any storage)."""
    storage = db.storage
    assert isinstance(storage, AtomicJSONStorage)
    return storage
