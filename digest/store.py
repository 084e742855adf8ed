"""The durable store: chats, articles, feed state and what was sent to whom.

TinyDB is the embedded default, used with two changes that its plain JSON file
needs to serve a bot:

* **Atomic writes.** `AtomicJSONStorage` writes a whole file to a temporary
  neighbour, flushes and fsyncs it, then `os.replace`s it over the old one (and
  fsyncs the folder). A `kill -9` or power loss at any moment leaves either the
  old or the new file, never a torn one. Every method returns only after its
  change is on disk, so what the bot confirms to a user is durable.
* **Partitions, so a write touches little.** TinyDB rewrites a whole file on every
  write; one file with 100,000 chats and 15,000 articles takes half a second to
  rewrite. The data is therefore split (next to `storage.path`, in `<name>.d/`):

  - `<storage.path>`: schema version and per-feed state (small, written once per
    ingestion pass);
  - `chats-NNN.json`: chats sharded by `chat_id % CHAT_SHARDS`, so changing one chat
    rewrites about 1/128 of them. Each chat document also holds what was sent to it,
    as `"sent": {"YYYY-MM-DD": [key, ...]}` by UTC day of sending, for `SENT_DAYS` days;
  - `articles-YYYY-MM-DD.json`: articles by UTC day of publication; an ingestion
    pass writes each touched day once, and retention deletes whole days.

Everything is also held in memory (domain objects), so the reads the bot does
per message never touch the disk. Methods are guarded by one lock so ingestion
may write articles from a worker thread while the chat layer writes chats.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from digest.models import Article, Chat, Delivery, FeedState
from digest.text import title_key

SCHEMA_VERSION = 2
CHAT_SHARDS = 128

# Days of sending kept per chat: the day of the latest digest and the ones before it.
# Stories are clustered over a 48 h window, so a story cannot come back more than 48 h
# after it was sent; three calendar days always cover that (sent at 23:59 two days ago,
# still in the window until 23:59 today).
SENT_DAYS = 3


class StoreError(Exception):
    """The data on disk cannot be used as it is (newer schema, unreadable file)."""


class AtomicJSONStorage(Storage):
    """TinyDB storage that keeps the data in memory and replaces the file atomically."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._data: dict[str, Any] | None = self._load()
        self._batch_depth = 0
        self._dirty = False

    def _load(self) -> dict[str, Any] | None:
        return _read_json(self._path)

    def read(self) -> dict[str, Any] | None:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        if self._batch_depth:
            self._dirty = True
            return
        self._flush()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Several TinyDB operations, one atomic file write; all or nothing."""
        self._batch_depth += 1
        try:
            yield
        except BaseException:
            self._batch_depth -= 1
            self._data, self._dirty = self._load(), False
            raise
        self._batch_depth -= 1
        if not self._batch_depth and self._dirty:
            self._dirty = False
            self._flush()

    def _flush(self) -> None:
        try:
            atomic_write(self._path, _dump_json(self._data))
        except BaseException:
            self._data = self._load()  # what is on disk is the truth
            raise

    def close(self) -> None:
        """Nothing is buffered: every write is already on disk."""


def _read_json(path: Path) -> dict[str, Any] | None:
    """A TinyDB file's data; None if it is missing or empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        raise StoreError(f"{path}: not valid JSON ({exc})") from None


def _dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def atomic_write(path: Path, text: str) -> None:
    """Replace `path` with `text` so that a crash leaves the old or the new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """The rename itself must reach the disk, or a power loss may undo it."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_db(path: Path) -> TinyDB:
    return TinyDB(path, storage=AtomicJSONStorage)


# -- migrations -----------------------------------------------------------------------------


def _sent_by_day(folder: Path, main_path: Path) -> None:
    """Schema 1 to 2: a chat's `sent` goes from {key: UTC ISO time} to {day: [key, ...]}.

    Each shard is replaced atomically and one already converted is left as it is, so a
    crash part way through is finished by the next start (the version is raised only
    after every shard is done).
    """
    del main_path  # the main file holds no sent keys
    for file in sorted(folder.glob("chats-*.json")):
        data = _read_json(file)
        changed = False
        for doc in (data or {}).get("chats", {}).values():
            sent = doc.get("sent") or {}
            if not any(isinstance(value, str) for value in sent.values()):
                continue  # empty, or already grouped by day
            by_day: dict[str, list[str]] = {}
            for key, sent_at in sorted(sent.items(), key=lambda item: item[1]):
                by_day.setdefault(sent_at[:10], []).append(key)
            doc["sent"] = by_day
            changed = True
        if changed:
            atomic_write(file, _dump_json(data))


# Migrations from version N to N+1, each given the store's folder and main file.
# Add an entry here and raise SCHEMA_VERSION when the layout or a record changes.
MIGRATIONS: dict[int, Callable[[Path, Path], None]] = {
    1: _sent_by_day,
}


class Store:
    """Domain methods over the partitioned TinyDB files; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.folder = self.path.with_name(self.path.name + ".d")
        self.folder.mkdir(parents=True, exist_ok=True)
        self._remove_interrupted_writes()
        self._lock = threading.RLock()
        self._main = _open_db(self.path)
        self._check_schema()
        self._chat_dbs: dict[int, TinyDB] = {}
        self._chats: dict[int, Chat] = {}
        # chat_id -> {UTC day of sending: keys}. Keys and days are interned (`sys.intern`):
        # with 100,000 chats most of them received the same stories, so interning keeps
        # one string per key instead of one per chat (here and in the shard's TinyDB data).
        self._sent: dict[int, dict[str, tuple[str, ...]]] = {}
        self._day_dbs: dict[date, TinyDB] = {}
        self._articles: dict[str, Article] = {}
        self._title_keys: set[tuple[str, str]] = set()
        self._feeds: dict[str, FeedState] = {
            doc["feed"]: _feed_state_from_doc(doc) for doc in self._main.table("feeds").all()
        }
        # Digests being sent: a file of their own, small (a few at a time) and written per
        # message sent, so progress costs little.
        self._deliveries_db = _open_db(self.folder / "deliveries.json")
        self._deliveries: dict[int, Delivery] = {
            delivery.chat_id: delivery
            for delivery in map(_delivery_from_doc, self._deliveries_db.table("deliveries").all())
        }
        self._load_chats()
        self._load_articles()

    def _remove_interrupted_writes(self) -> None:
        """Temporary files left by a crash mid-write; the real files are intact."""
        for folder in (self.path.parent, self.folder):
            for leftover in folder.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)

    # -- schema ---------------------------------------------------------------------------

    def _check_schema(self) -> None:
        meta = self._main.table("meta")
        docs = meta.all()
        if not docs:
            meta.insert({"schema": SCHEMA_VERSION})
            return
        version = int(docs[0]["schema"])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: written by a newer version (schema {version}, "
                f"this one reads {SCHEMA_VERSION})"
            )
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](self.folder, self.path)
            version += 1
            meta.update({"schema": version})

    # -- chats ----------------------------------------------------------------------------

    def _load_chats(self) -> None:
        for file in sorted(self.folder.glob("chats-*.json")):
            self._read_shard(int(file.stem.split("-")[1]))

    def _reload_shard(self, shard: int) -> None:
        for chat_id in [c for c in self._chats if c % CHAT_SHARDS == shard]:
            del self._chats[chat_id]
            self._sent.pop(chat_id, None)
        self._read_shard(shard)

    def _read_shard(self, shard: int) -> None:
        # The storage's own data is read (not copies of it) so that interning the keys
        # also shrinks what TinyDB keeps of the shard.
        data = self._chat_db(shard).storage.read() or {}
        for doc in data.get("chats", {}).values():
            chat = _chat_from_doc(doc)
            self._chats[chat.chat_id] = chat
            self._sent[chat.chat_id] = _intern_sent(doc)

    def _chat_db(self, shard: int) -> TinyDB:
        db = self._chat_dbs.get(shard)
        if db is None:
            db = self._chat_dbs[shard] = _open_db(self.folder / f"chats-{shard:03d}.json")
        return db

    def _write_chat(self, chat: Chat, sent: dict[str, tuple[str, ...]]) -> None:
        doc = _chat_to_doc(chat) | {"sent": {day: list(keys) for day, keys in sent.items()}}
        table = self._chat_db(chat.chat_id % CHAT_SHARDS).table("chats")
        table.upsert(Document(doc, doc_id=_doc_id(chat.chat_id)))
        self._chats[chat.chat_id] = chat
        self._sent[chat.chat_id] = sent

    def chat(self, chat_id: int) -> Chat | None:
        return self._chats.get(chat_id)

    def chats(self) -> list[Chat]:
        with self._lock:
            return list(self._chats.values())

    def chat_count(self) -> int:
        return len(self._chats)

    def save_chat(self, chat: Chat) -> None:
        """Store `chat` durably; returns once it is on disk."""
        with self._lock:
            self._write_chat(chat, self._sent.get(chat.chat_id, {}))

    def save_chats(self, chats: Iterable[Chat]) -> None:
        """Store many chats with one write per touched shard (imports, bulk changes)."""
        with self._lock:
            by_shard: dict[int, list[Chat]] = {}
            for chat in chats:
                by_shard.setdefault(chat.chat_id % CHAT_SHARDS, []).append(chat)
            for shard, batch in by_shard.items():
                try:
                    with self._chat_db(shard).storage.batch():
                        for chat in batch:
                            self._write_chat(chat, self._sent.get(chat.chat_id, {}))
                except BaseException:
                    self._reload_shard(shard)  # memory must again match the disk
                    raise

    def update_chat(self, chat_id: int, **changes: Any) -> Chat:
        """The chat (created if new) with `changes` applied, durably."""
        with self._lock:
            chat = replace(self._chats.get(chat_id) or Chat(chat_id=chat_id), **changes)
            self.save_chat(chat)
            return chat

    def delete_chat(self, chat_id: int) -> bool:
        """Forget everything stored about a chat; False if nothing was stored."""
        with self._lock:
            if chat_id not in self._chats:
                return False
            self._chat_db(chat_id % CHAT_SHARDS).table("chats").remove(
                doc_ids=[_doc_id(chat_id)]
            )
            del self._chats[chat_id]
            self._sent.pop(chat_id, None)
            return True

    def sent_keys(self, chat_id: int) -> frozenset[str]:
        """Keys of what went out to this chat (over the kept days), so nothing is sent twice."""
        with self._lock:
            return frozenset(k for keys in self._sent.get(chat_id, {}).values() for k in keys)

    def record_digest(self, chat_id: int, keys: Iterable[str], when: datetime, *,
                      local_date: str | None = None) -> Chat:
        """Remember that a digest with `keys` went out to the chat at `when`, in one durable
        write of its shard: the keys join `when`'s UTC day, only that day and the
        `SENT_DAYS - 1` before it are kept, and `local_date` (the chat's local ISO date),
        when given, becomes `chat.last_digest`. Creates the chat if it is new; returns it
        as stored."""
        if local_date is not None:
            date.fromisoformat(local_date)  # a malformed date would break scheduling
        day = when.astimezone(UTC).date()
        oldest = (day - timedelta(days=SENT_DAYS - 1)).isoformat()
        today = sys.intern(day.isoformat())
        with self._lock:
            chat = self._chats.get(chat_id) or Chat(chat_id=chat_id)
            if local_date is not None:
                chat = replace(chat, last_digest=local_date)
            sent = {d: ks for d, ks in self._sent.get(chat_id, {}).items() if d >= oldest}
            todays = tuple(dict.fromkeys((*sent.get(today, ()), *map(sys.intern, keys))))
            if todays:
                sent[today] = todays
            try:
                self._write_chat(chat, sent)
            except BaseException:
                self._reload_shard(chat_id % CHAT_SHARDS)  # memory must again match the disk
                raise
            return chat

    # -- articles -------------------------------------------------------------------------

    def _load_articles(self) -> None:
        for file in sorted(self.folder.glob("articles-*.json")):
            day = date.fromisoformat(file.stem.removeprefix("articles-"))
            for doc in self._day_db(day).table("articles").all():
                self._remember(_article_from_doc(doc))

    def _day_db(self, day: date) -> TinyDB:
        db = self._day_dbs.get(day)
        if db is None:
            db = self._day_dbs[day] = _open_db(self.folder / f"articles-{day.isoformat()}.json")
        return db

    def _remember(self, article: Article) -> None:
        self._articles[article.id] = article
        self._title_keys.add((article.source, title_key(article.published_title)))

    def _is_known(self, article: Article) -> bool:
        return article.id in self._articles or (
            (article.source, title_key(article.published_title)) in self._title_keys
        )

    def add_articles(self, articles: Iterable[Article]) -> list[Article]:
        """Store the articles not seen before (by URL, or by outlet and title); one write
        per touched day. Returns the new ones."""
        with self._lock:
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
                        _article_to_doc(a) for a in batch
                    )
            except BaseException:
                self._forget_unwritten(new)
                raise
            return new

    def replace_articles(self, articles: Iterable[Article]) -> list[Article]:
        """Store new versions of known articles (same URL: translations arrived); one write
        per touched day. Articles no longer stored (pruned meanwhile) are skipped; returns
        those replaced."""
        with self._lock:
            by_day: dict[date, list[Article]] = {}
            for article in articles:
                if article.id in self._articles:
                    by_day.setdefault(article.published.astimezone(UTC).date(), []).append(article)
            replaced = []
            for day, batch in by_day.items():
                table = self._day_db(day).table("articles")
                urls = {a.url: a for a in batch}
                with self._day_db(day).storage.batch():
                    table.remove(lambda doc, urls=urls: doc["url"] in urls)
                    table.insert_multiple(_article_to_doc(a) for a in batch)
                for article in batch:  # only once its day is on disk
                    self._articles[article.id] = article
                replaced.extend(batch)
            return replaced

    def _forget_unwritten(self, articles: list[Article]) -> None:
        """After a failed write, memory must again match the disk."""
        on_disk = {
            doc["url"]
            for day in {a.published.astimezone(UTC).date() for a in articles}
            for doc in self._day_db(day).table("articles").all()
        }
        for article in articles:
            if article.url not in on_disk:
                self._articles.pop(article.id, None)
                self._title_keys.discard((article.source, title_key(article.published_title)))

    def articles(self, since: datetime | None = None) -> list[Article]:
        """Stored articles, newest first, optionally only those published at or after `since`."""
        with self._lock:
            found = [a for a in self._articles.values() if since is None or a.published >= since]
        found.sort(key=lambda a: a.published, reverse=True)
        return found

    def article_count(self) -> int:
        return len(self._articles)

    def prune_articles(self, older_than: datetime) -> int:
        """Drop whole days published before `older_than`'s UTC day; returns articles dropped."""
        cutoff = older_than.astimezone(UTC).date()
        dropped = 0
        with self._lock:
            for file in sorted(self.folder.glob("articles-*.json")):
                day = date.fromisoformat(file.stem.removeprefix("articles-"))
                if day >= cutoff:
                    continue
                db = self._day_dbs.pop(day, None) or _open_db(file)
                for doc in db.table("articles").all():
                    article = _article_from_doc(doc)
                    self._articles.pop(article.id, None)
                    self._title_keys.discard((article.source, title_key(article.published_title)))
                    dropped += 1
                file.unlink()
        return dropped

    # -- feed state -----------------------------------------------------------------------

    def feed_state(self, feed: str) -> FeedState:
        return self._feeds.get(feed, FeedState())

    def feed_states(self) -> dict[str, FeedState]:
        with self._lock:
            return dict(self._feeds)

    def save_feed_states(self, states: Mapping[str, FeedState]) -> None:
        """Replace the state of the given feeds in one write."""
        with self._lock:
            merged = self._feeds | dict(states)
            table = self._main.table("feeds")
            with self._main.storage.batch():
                table.truncate()
                table.insert_multiple(
                    _feed_state_to_doc(feed, state) for feed, state in merged.items()
                )
            self._feeds = merged

    # -- digests being sent ---------------------------------------------------------------

    def deliveries(self) -> dict[int, Delivery]:
        """Digests whose sending had begun, by chat: to go on with after a restart."""
        with self._lock:
            return dict(self._deliveries)

    def delivery(self, chat_id: int) -> Delivery | None:
        return self._deliveries.get(chat_id)

    def save_delivery(self, delivery: Delivery) -> None:
        """Remember a digest's progress durably (before its first message, after each)."""
        with self._lock:
            table = self._deliveries_db.table("deliveries")
            table.upsert(Document(_delivery_to_doc(delivery), doc_id=_doc_id(delivery.chat_id)))
            self._deliveries[delivery.chat_id] = delivery

    def drop_delivery(self, chat_id: int) -> None:
        """The digest was recorded as sent, or given up."""
        with self._lock:
            if self._deliveries.pop(chat_id, None) is not None:
                self._deliveries_db.table("deliveries").remove(doc_ids=[_doc_id(chat_id)])

    def close(self) -> None:
        """Every write is already durable; closing only releases the file handles."""
        with self._lock:
            for db in [self._main, self._deliveries_db, *self._chat_dbs.values(),
                       *self._day_dbs.values()]:
                db.close()


# -- record conversion ----------------------------------------------------------------------


def _doc_id(chat_id: int) -> int:
    """TinyDB document ids must be positive; group chat ids are negative."""
    return chat_id * 2 if chat_id > 0 else -chat_id * 2 + 1


def _chat_to_doc(chat: Chat) -> dict[str, Any]:
    doc = asdict(chat)
    doc["countries"] = list(chat.countries)
    return doc


def _intern_sent(doc: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The chat document's sent keys by day, interned; the document is made to share them."""
    sent = doc.get("sent") or {}
    interned = {
        sys.intern(day): tuple(sys.intern(key) for key in keys) for day, keys in sent.items()
    }
    doc["sent"] = {day: list(keys) for day, keys in interned.items()}
    return interned


def _chat_from_doc(doc: Mapping[str, Any]) -> Chat:
    return Chat(
        chat_id=int(doc["chat_id"]),
        countries=tuple(doc.get("countries", ())),
        digest_time=doc.get("digest_time", ""),
        timezone=doc.get("timezone", ""),
        paused=bool(doc.get("paused", False)),
        active=bool(doc.get("active", True)),
        last_digest=doc.get("last_digest", ""),
    )


def _article_to_doc(article: Article) -> dict[str, Any]:
    doc = asdict(article)
    doc["published"] = article.published.astimezone(UTC).isoformat()
    return doc


def _article_from_doc(doc: Mapping[str, Any]) -> Article:
    return Article(
        url=doc["url"],
        title=doc["title"],
        summary=doc.get("summary", ""),
        published=datetime.fromisoformat(doc["published"]),
        source=doc["source"],
        country=doc["country"],
        language=doc.get("language", ""),
        image=doc.get("image", ""),
        original_title=doc.get("original_title", ""),
        original_summary=doc.get("original_summary", ""),
    )


def _delivery_to_doc(delivery: Delivery) -> dict[str, Any]:
    doc = asdict(delivery)
    doc["chunks"], doc["keys"] = list(delivery.chunks), list(delivery.keys)
    doc["more"] = list(delivery.more)
    return doc


def _delivery_from_doc(doc: Mapping[str, Any]) -> Delivery:
    return Delivery(chat_id=int(doc["chat_id"]), local_date=str(doc["local_date"]),
                    chunks=tuple(doc["chunks"]), keys=tuple(doc["keys"]),
                    delivered=int(doc.get("delivered", 0)), preview=str(doc.get("preview", "")),
                    more=tuple(doc.get("more", ())))


def _time_or_none(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _feed_state_to_doc(feed: str, state: FeedState) -> dict[str, Any]:
    doc = asdict(state)
    for key in ("last_success", "last_attempt"):
        doc[key] = doc[key].isoformat() if doc[key] else None
    return {"feed": feed, **doc}


def _feed_state_from_doc(doc: Mapping[str, Any]) -> FeedState:
    return FeedState(
        etag=doc.get("etag", ""),
        last_modified=doc.get("last_modified", ""),
        last_success=_time_or_none(doc.get("last_success")),
        last_attempt=_time_or_none(doc.get("last_attempt")),
        last_error=doc.get("last_error", ""),
        failures=int(doc.get("failures", 0)),
    )
