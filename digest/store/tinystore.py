"""The TinyDB backend of the store: chats, articles, feed state and what was sent to whom.

TinyDB is the embedded default, used with changes that its plain JSON file needs to
serve a bot (the file layer is `digest.store.files`, opening and checking the files
`digest.store.opening`, the records `digest.store.records`, the article days
`digest.store.articles`, the schema and its migrations `digest.store.schema`):

* **Atomic writes.** Every file is written whole to a temporary neighbour, flushed and
  fsynced, then `os.replace`d over the old one (and the folder fsynced). A `kill -9` or
  power loss at any moment leaves either the old or the new file, never a torn one. Every
  method returns only after its change is on disk, so what the bot confirms is durable.
* **Partitions, so a write touches little.** TinyDB rewrites a whole file on every
  write; one file with 100,000 chats and 15,000 articles takes half a second to
  rewrite. The data is therefore split (next to `storage.path`, in `<name>.d/`):

  - `<storage.path>`: schema version and per-feed state (small, written once per
    ingestion pass);
  - `chats-NNN.json`: chats sharded by `chat_id % CHAT_SHARDS`, so changing one chat
    rewrites about 1/128 of them (their settings only, a few hundred bytes each);
  - `sent-YYYY-MM-DD.log`: what was sent to whom, one line appended per digest by UTC
    day of sending, kept `SENT_DAYS` days (`digest.store.sent`): recording a digest
    never rewrites a chat shard;
  - `articles-YYYY-MM-DD.json`: articles by UTC day of publication; an ingestion
    pass writes each touched day once, and retention deletes whole days;
  - `deliveries.json`: digests being sent;
  - `manifest.json`: the names of the data files above that exist. A file is listed
    right after it is first written and unlisted just before it is deleted, so a listed
    file that is missing was lost, not "never had chats".
* **One writer.** A writing `TinyStore` holds `flock` on `<name>.d/writer.lock` while open;
  a second writer (another `bot.py run` or `ingest`) is refused at once with
  `StoreInUse`, naming the folder and the holder's PID. The kernel drops the lock when
  the holder dies, even by `kill -9`. `TinyStore(path, read_only=True)` (`bot.py sources`)
  takes no lock, creates, deletes and writes nothing, and leaves the writer's
  temporary files alone: only the lock holder removes those of an interrupted write.
* **Validated on load.** A damaged file (unparseable, empty, wrongly shaped, or listed
  but missing) is refused with `DamagedFile`, one line naming it, unless the store is
  opened with `repair=True`: the file is then moved aside as `<name>.damaged-<UTC time>`
  (kept, never deleted) and `repairs` says what was lost. A damaged *record* (a field
  of the wrong type or out of range, e.g. `"paused": "false"` or `"digest_time": 730`)
  is never coerced: it is logged once with its file, id, field and value, left out and
  kept on disk as it is. A chat left out is not served and cannot be overwritten (its
  writes raise `DamagedRecord`) until someone fixes or removes it; `/forget` still
  removes it. Other chats are served as usual.

Everything is also held in memory (domain objects), so the reads the bot does
per message never touch the disk. Methods are guarded by one lock so ingestion
may write articles from a worker thread while the chat layer writes chats.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document

from digest.models import Article, Chat, Delivery, FeedState
from digest.store.articles import ArticleDays, storage_of
from digest.store.files import (
    DamagedFile,
    StoreError,
    WriterLock,
    data_files,
    remove_interrupted_writes,
)
from digest.store.opening import DataFiles
from digest.store.records import (
    BadRecord,
    chat_from_doc,
    chat_to_doc,
    delivery_from_doc,
    delivery_to_doc,
    doc_id,
    feed_state_from_doc,
    feed_state_to_doc,
)
from digest.store.schema import SCHEMA_VERSION, bring_up_to_date
from digest.store.sent import SentKeys, SentLine, SentLog

log = logging.getLogger(__name__)

CHAT_SHARDS = 128

# Days of sending kept per chat: the day of the latest digest and the ones before it.
# Stories are clustered over a 48 h window, so a story cannot come back more than 48 h
# after it was sent; three calendar days always cover that (sent at 23:59 two days ago,
# still in the window until 23:59 today).
SENT_DAYS = 3

DELIVERIES = "deliveries.json"


class DamagedRecord(StoreError):
    """A write to a chat whose stored record is damaged: it is kept as it is, not replaced."""


class TinyStore:
    """Domain methods over the partitioned TinyDB files; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False,
                 repair: bool = False) -> None:
        self.path = Path(path)
        self.folder = self.path.with_name(self.path.name + ".d")
        self.read_only = read_only
        self._files = DataFiles(self.folder, read_only=read_only, repair=repair)
        self.repairs = self._files.repairs  # with `repair`: each file set aside, what was lost
        self._lock = threading.RLock()
        self._watchers: list[Callable[[int], None]] = []
        self._writer = None if read_only else WriterLock.acquire(self.folder)
        try:
            self._load()
        except BaseException:
            self.close()
            raise

    def _load(self) -> None:
        if not self.read_only:
            remove_interrupted_writes(self.path.parent, self.folder)
        self._main = self._files.open_db(self.path, ("meta", "feeds"), listed=False)
        self._check_schema()
        self._files.check_manifest()
        self._chat_dbs: dict[int, TinyDB] = {}
        self._chats: dict[int, Chat] = {}
        self._damaged_chats: set[int] = set()  # left out, kept on disk, not to be overwritten
        self._articles = ArticleDays(self.folder, self._files)
        self._feeds: dict[str, FeedState] = dict(
            self._files.valid(self.path, "feed", self._main.table("feeds").all(),
                              feed_state_from_doc))
        # Digests being sent: a file of their own, small (a few at a time) and written per
        # message sent, so progress costs little.
        self._sent_log = SentLog(self.folder, read_only=self.read_only,
                                 listed=self._files.list, unlisted=self._files.unlist)
        self._sent = SentKeys(self._sent_log)
        self._pruned_before = ""  # the oldest day of sending kept, once pruned
        self._deliveries_db = self._files.open_db(self.folder / DELIVERIES, ("deliveries",))
        self._deliveries: dict[int, Delivery] = {
            delivery.chat_id: delivery
            for delivery in self._files.valid(self.folder / DELIVERIES, "delivery",
                                        self._deliveries_db.table("deliveries").all(),
                                        delivery_from_doc)}
        for name in sorted(self._files.names):
            if name.startswith("chats-"):
                self._read_shard(int(name[6:9]))
            elif name.startswith("articles-"):
                self._articles.load_day(date.fromisoformat(name[9:19]))
        self._load_sent()

    def _load_sent(self) -> None:
        """The sent keys of the kept days, and the last scheduled digest each chat had."""
        days = self._sent_log.days()
        if not days:
            return
        # Counted back from the latest day of sending, as `record_digest` does.
        oldest = (date.fromisoformat(days[-1]) - timedelta(days=SENT_DAYS - 1)).isoformat()
        self._sent_log.prune(oldest)
        self._pruned_before = oldest
        # Chats forgotten since, or left out as damaged, are not taken in.
        latest = self._sent.load(oldest, self._chats)
        for chat_id, local_date in latest.items():
            chat = self._chats[chat_id]
            if local_date > chat.last_digest:
                self._chats[chat_id] = replace(chat, last_digest=local_date)

    # -- schema ---------------------------------------------------------------------------

    def _check_schema(self) -> None:
        meta = self._main.table("meta")
        docs = meta.all()
        schema = docs[0].get("schema") if docs else None
        if docs and (not isinstance(schema, int) or isinstance(schema, bool) or schema < 1):
            self._files.survive(DamagedFile(self.path, f"meta record {docs[0].doc_id}: field "
                                      f"'schema' is {schema!r}, expected a version number"))
            self._main = self._files.open_db(self.path, ("meta", "feeds"), listed=False)
            docs = []
        if not docs:
            if self.path.exists():
                self._files.survive(DamagedFile(self.path, "holds no schema record"))
                self._main = self._files.open_db(self.path, ("meta", "feeds"), listed=False)
            elif data_files(self.folder) and not self.repairs:
                self._files.survive(DamagedFile(self.path, f"missing, but {self.folder} holds "
                                          "the store's data"))
            if not self.read_only:
                self._main.table("meta").insert({"schema": SCHEMA_VERSION})
            return

        def save_version(version: int) -> None:
            meta.update({"schema": version})

        bring_up_to_date(docs[0]["schema"], self.path, self.folder, read_only=self.read_only,
                         save_version=save_version)

    # -- chats ----------------------------------------------------------------------------

    def _read_shard(self, shard: int) -> None:
        # The storage's own data is read (not copies of it) so that interning the keys
        # also shrinks what TinyDB keeps of the shard.
        data = self._chat_db(shard).storage.read() or {}
        file = self._shard_file(shard)
        for key, doc in data.get("chats", {}).items():
            chat_id = _chat_id_of(int(key))
            try:
                chat = chat_from_doc(doc)
                if chat.chat_id != chat_id or chat_id % CHAT_SHARDS != shard:
                    raise BadRecord("chat_id", chat.chat_id, f"{chat_id}, the chat of record "
                                    f"{key} in shard {shard}")
            except BadRecord as bad:
                self._files.leave_out(file, f"chat {chat_id}", bad)
                self._damaged_chats.add(chat_id)
                continue
            self._chats[chat.chat_id] = chat

    def _shard_file(self, shard: int) -> Path:
        return self.folder / f"chats-{shard:03d}.json"

    def _chat_db(self, shard: int) -> TinyDB:
        db = self._chat_dbs.get(shard)
        if db is None:
            db = self._chat_dbs[shard] = self._files.open_db(self._shard_file(shard), ("chats",))
        return db

    def _check_writable(self, chat_id: int) -> None:
        if chat_id in self._damaged_chats:
            raise DamagedRecord(
                f"{self._shard_file(chat_id % CHAT_SHARDS)}: chat {chat_id} has a "
                "damaged record, kept as it is until it is fixed or removed by hand")

    def _write_chats(self, shard: int, chats: list[Chat]) -> None:
        """One atomic write of the shard with `chats` put in. The shard's data is changed
        in place rather than through TinyDB's table API, which converts the whole table on
        every operation (so a batch of n chats cost n whole-table passes)."""
        for chat in chats:
            self._check_writable(chat.chat_id)
        db = self._chat_db(shard)
        data = dict(db.storage.read() or {})  # copies: a failed write leaves the old data
        docs = data["chats"] = dict(data.get("chats", {}))
        for chat in chats:
            docs[str(doc_id(chat.chat_id))] = chat_to_doc(chat)
        try:
            db.storage.write(data)  # on failure the storage reads the disk again
        finally:
            db.table("chats").clear_cache()
        for chat in chats:
            self._chats[chat.chat_id] = chat
            self._notify(chat.chat_id)

    def watch_chats(self, watcher: Callable[[int], None]) -> None:
        """Call `watcher(chat_id)` after each write or deletion of a chat's settings (from
        the writing thread, under the store's lock: it must be quick)."""
        self._watchers.append(watcher)

    def _notify(self, chat_id: int) -> None:
        for watcher in self._watchers:
            watcher(chat_id)

    def chat(self, chat_id: int) -> Chat | None:
        return self._chats.get(chat_id)

    def chats(self) -> list[Chat]:
        with self._lock:
            return list(self._chats.values())

    def save_chat(self, chat: Chat) -> None:
        """Store `chat` durably; returns once it is on disk."""
        with self._lock:
            self._write_chats(chat.chat_id % CHAT_SHARDS, [chat])

    def save_chats(self, chats: Iterable[Chat]) -> None:
        """Store many chats with one write per touched shard (imports, bulk changes): the
        work grows linearly with the number of chats."""
        with self._lock:
            by_shard: dict[int, list[Chat]] = {}
            for chat in chats:
                by_shard.setdefault(chat.chat_id % CHAT_SHARDS, []).append(chat)
            for shard, batch in by_shard.items():
                self._write_chats(shard, batch)

    def update_chat(self, chat_id: int, **changes: Any) -> Chat:
        """The chat (created if new) with `changes` applied, durably."""
        with self._lock:
            chat = replace(self._chats.get(chat_id) or Chat(chat_id=chat_id), **changes)
            self.save_chat(chat)
            return chat

    def delete_chat(self, chat_id: int) -> bool:
        """Forget everything stored about a chat; False if nothing was stored."""
        with self._lock:
            if chat_id not in self._chats and chat_id not in self._damaged_chats:
                return False
            self._chat_db(chat_id % CHAT_SHARDS).table("chats").remove(
                doc_ids=[doc_id(chat_id)]
            )
            self._chats.pop(chat_id, None)
            self._damaged_chats.discard(chat_id)
            self._sent_log.forget(chat_id, self._sent.forget(chat_id))
            self._notify(chat_id)
            return True

    def sent_keys(self, chat_id: int) -> frozenset[str]:
        """Keys of what went out to this chat (over the kept days), so nothing is sent twice."""
        with self._lock:
            return frozenset(k for keys in self._sent.of(chat_id).values() for k in keys)

    def record_digest(self, chat_id: int, keys: Iterable[str], when: datetime, *,
                      local_date: str | None = None) -> Chat:
        """Remember that a digest with `keys` went out to the chat at `when`: one line
        appended to `when`'s UTC day log and fsynced (no chat shard is rewritten, unless
        the chat is new). `local_date` (the chat's local ISO date), when given, becomes
        `chat.last_digest`; only `when`'s day and the `SENT_DAYS - 1` before it are kept.
        Returns the chat as stored."""
        if local_date is not None:
            date.fromisoformat(local_date)  # a malformed date would break scheduling
        day = when.astimezone(UTC).date()
        oldest = (day - timedelta(days=SENT_DAYS - 1)).isoformat()
        today = sys.intern(day.isoformat())
        keys = tuple(map(sys.intern, keys))
        with self._lock:
            self._check_writable(chat_id)
            known = self._chats.get(chat_id)
            chat = known or Chat(chat_id=chat_id)
            if local_date is not None:
                chat = replace(chat, last_digest=local_date)
            if self._pruned_before != oldest:  # once a day
                self._sent_log.prune(oldest)
                self._pruned_before = oldest
            self._sent_log.append(today, chat_id, local_date or "", keys)
            if known is None:
                self._write_chats(chat_id % CHAT_SHARDS, [chat])
            self._chats[chat_id] = chat
            self._sent.add(chat_id, today, keys, oldest)
            return chat

    def sent_lines(self) -> list[SentLine]:
        """Every digest recorded over the days kept, one line each (migrations, backups)."""
        with self._lock:
            return [line for line in self._sent_log.lines(self._pruned_before)
                    if line.chat_id in self._chats]

    def add_sent_lines(self, lines: Iterable[SentLine]) -> None:
        """Record many digests at once, each with its day of sending (migrations): one write
        per day. The chats' `last_digest` is not changed: their records carry it."""
        by_day: dict[str, list[SentLine]] = {}
        for line in lines:
            by_day.setdefault(line.day, []).append(line)
        with self._lock:
            if self.read_only:
                raise StoreError(f"{self.folder}: the store was opened read-only")
            for day, batch in sorted(by_day.items()):
                self._sent_log.append_many(day, ((line.chat_id, line.local_date, line.keys)
                                                 for line in batch))
                for line in batch:
                    self._sent.add(line.chat_id, sys.intern(day), line.keys, oldest="")

    # -- articles (by day: `digest.store.articles`) ----------------------------------------

    def add_articles(self, articles: Iterable[Article]) -> list[Article]:
        """Store the articles not seen before (by URL, or by outlet and title); one write
        per touched day. Returns the new ones."""
        with self._lock:
            return self._articles.add(articles)

    def replace_articles(self, articles: Iterable[Article]) -> list[Article]:
        """Store new versions of known articles (same URL: translations arrived); one write
        per touched day. Articles no longer stored (pruned meanwhile) are skipped; returns
        those replaced."""
        with self._lock:
            return self._articles.replace(articles)

    def articles(self, since: datetime | None = None) -> list[Article]:
        """Stored articles, newest first, optionally only those published at or after `since`."""
        with self._lock:
            found = self._articles.published_since(since)
        found.sort(key=lambda a: a.published, reverse=True)
        return found

    def prune_articles(self, older_than: datetime) -> int:
        """Drop whole days published before `older_than`'s UTC day; returns articles dropped."""
        with self._lock:
            return self._articles.prune(older_than)

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
            with storage_of(self._main).batch():
                table.truncate()
                table.insert_multiple(
                    feed_state_to_doc(feed, state) for feed, state in merged.items()
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
            table.upsert(Document(delivery_to_doc(delivery), doc_id=doc_id(delivery.chat_id)))
            self._deliveries[delivery.chat_id] = delivery

    def drop_delivery(self, chat_id: int) -> None:
        """The digest was recorded as sent, or given up."""
        with self._lock:
            if self._deliveries.pop(chat_id, None) is not None:
                self._deliveries_db.table("deliveries").remove(doc_ids=[doc_id(chat_id)])

    def close(self) -> None:
        """Every write is already durable; closing releases the file handles and then the
        writer lock. Closing twice is harmless."""
        with self._lock:
            for name in ("_main", "_deliveries_db", "_sent_log", "_articles"):
                if hasattr(self, name):
                    getattr(self, name).close()
            for db in getattr(self, "_chat_dbs", {}).values():
                db.close()
            if self._writer is not None:
                self._writer.release()
                self._writer = None


def _chat_id_of(record_id: int) -> int:
    """The chat a shard record's id stands for (the inverse of `doc_id`)."""
    return record_id // 2 if record_id % 2 == 0 else -(record_id // 2)

