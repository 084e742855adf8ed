"""The store's files: atomic replacement, validation on load, setting damage aside, and
the lock that lets one process at a time write a store.

A file is damaged when it cannot be what the store wrote: not UTF-8 or not JSON, zero
bytes or only whitespace, not an object of the expected tables, or a record that is not
an object. The store never writes such files (every write is a whole, fsynced file put in
place by `os.replace`), so damage comes from outside: a hand edit, a bad restore, a failing
disk. A damaged file is refused with `DamagedFile` (one line naming it) rather than read as
"empty", which would silently drop its chats and overwrite them with the next write.
`set_aside` moves it out of the way (kept, never deleted) for `--repair`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tinydb.storages import Storage

LOCK_NAME = "writer.lock"
MANIFEST = "manifest.json"
DATA_FILE = re.compile(r"chats-\d{3}\.json|articles-\d{4}-\d{2}-\d{2}\.json|deliveries\.json"
                       r"|sent-\d{4}-\d{2}-\d{2}\.log")


class StoreError(Exception):
    """The data on disk cannot be used as it is (newer schema, damaged file, in use)."""


class DamagedFile(StoreError):
    """A store file is unreadable or not shaped as the store writes it."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}; start with --repair to move it aside (it is kept) "
                         "and go on without it, or restore it from a backup")
        self.path = path
        self.reason = reason


class StoreInUse(StoreError):
    """Another process holds the store's writer lock."""


def read_data_file(path: Path, tables: tuple[str, ...]) -> dict[str, Any] | None:
    """A TinyDB file's data as the store wrote it: {table: {doc id: record}}; None if the
    file does not exist. Raises DamagedFile for anything else than what the store writes."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DamagedFile(path, "not UTF-8 text") from None
    if not text.strip():
        raise DamagedFile(path, "empty (zero bytes)" if not raw else "only whitespace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DamagedFile(path, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DamagedFile(path, f"a JSON {type(data).__name__} where the store writes an "
                          f"object of {', '.join(tables)}")
    for table, docs in data.items():
        if table not in tables:
            raise DamagedFile(path, f"unexpected table {table!r} (expected {', '.join(tables)})")
        if not isinstance(docs, dict):
            raise DamagedFile(path, f"table {table!r} is not an object of records")
        for doc_id, doc in docs.items():
            if not doc_id.isdigit() or not isinstance(doc, dict):
                raise DamagedFile(path, f"{table} record {doc_id!r} is not a JSON object "
                                  "under a numeric id")
    return data


def data_files(folder: Path) -> set[str]:
    """Names of the data files (chat shards, article days, deliveries, sent logs) in the
    folder."""
    if not folder.is_dir():
        return set()
    return {file.name for file in folder.iterdir() if DATA_FILE.fullmatch(file.name)}


def read_manifest(folder: Path) -> set[str] | None:
    """The data files the store says exist; None if there is no manifest."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DamagedFile(path, f"not valid JSON ({exc})") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(
            isinstance(name, str) and DATA_FILE.fullmatch(name) for name in files):
        raise DamagedFile(path, 'not {"files": [data file names]}')
    return set(files)


def write_manifest(folder: Path, files: Iterable[str]) -> None:
    atomic_write(folder / MANIFEST, dump_json({"files": sorted(files)}))


def set_aside(path: Path) -> Path:
    """Move a damaged file out of the store's way, beside it, with a suffix that says why."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    os.replace(path, aside)
    fsync_dir(path.parent)
    return aside


_CHAT_ID = re.compile(r'"chat_id"\s*:\s*(-?\d+)')
_URL = re.compile(r'"url"\s*:')


def what_is_lost(path: Path) -> str:
    """What the store no longer has once a damaged file is set aside, read from its raw
    text (it may not parse) so the operator knows what to restore."""
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        text = ""
    if path.name.startswith("chats-"):
        ids = sorted({int(found) for found in _CHAT_ID.findall(text)})
        return (f"the chats of this shard ({len(ids)} found in its text: "
                f"{', '.join(map(str, ids[:20]))}{' …' if len(ids) > 20 else ''})"
                if ids else "the chats of this shard (none could be read from it)")
    if path.name.startswith("articles-"):
        return (f"about {len(_URL.findall(text))} articles of that day "
                "(the next passes fetch what the feeds still list)")
    if path.name.startswith("sent-"):
        return ("what was sent that day: its stories may be sent again, and a chat whose "
                "latest digest it held may have that day's digest again")
    if path.name == "deliveries.json":
        return "the digests being sent (they are composed again when due)"
    if path.name == MANIFEST:
        return ("nothing of the data: the list is rebuilt from the data files present (one "
                "lost before it was rebuilt goes unnoticed)")
    return "the feed states (conditional requests and back-off start afresh)"


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
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """The rename itself must reach the disk, or a power loss may undo it."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def remove_interrupted_writes(*folders: Path) -> None:
    """Temporary files left by a crash mid-write; the real files are intact. Only the
    writer may do this: another process's temporary files are its writes in flight."""
    for folder in folders:
        for leftover in folder.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)


class WriterLock:
    """One writing process per store: `flock` on a file in the store's folder.

    The kernel releases the lock when its holder exits in any way, so a `kill -9` never
    leaves a stale lock behind (as a PID file would). The holder's PID is written into the
    file only so that a refused process can say who holds it.
    """

    def __init__(self, file: IO[str]) -> None:
        self._file = file

    @classmethod
    def acquire(cls, folder: Path) -> WriterLock:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            file = open(folder / LOCK_NAME, "a+", encoding="utf-8")  # noqa: SIM115 (held open)
        except OSError as exc:
            raise StoreError(f"{folder / LOCK_NAME}: cannot open the store's lock file "
                             f"({exc.strerror or exc})") from None
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            file.close()
            raise StoreInUse(
                f"{folder}: the store is in use by another process (pid {holder}); one "
                "process at a time may write it, stop that one first") from None
        file.seek(0)
        file.truncate()
        file.write(f"{os.getpid()}\n")
        file.flush()
        return cls(file)

    def release(self) -> None:
        """Closing the file releases the lock; the file stays (its content is only a hint)."""
        self._file.close()


class AtomicJSONStorage(Storage):
    """TinyDB storage that keeps the data in memory and replaces the file atomically.

    `tables` are the ones this file may hold (checked on load); `read_only` refuses every
    write; `on_created` is called once the file first exists on disk, so the store can
    list it in its manifest.
    """

    def __init__(self, path: Path, *, tables: tuple[str, ...], read_only: bool = False,
                 on_created: Callable[[Path], None] | None = None) -> None:
        self._path = path
        self._tables = tables
        self._read_only = read_only
        self._on_created = on_created
        self._data: dict[str, Any] | None = self._load()
        self._exists = self._data is not None
        self._batch_depth = 0
        self._dirty = False

    def _load(self) -> dict[str, Any] | None:
        return read_data_file(self._path, self._tables)

    def read(self) -> dict[str, Any] | None:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        if self._read_only:
            raise StoreError(f"{self._path}: the store was opened read-only")
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
            atomic_write(self._path, dump_json(self._data))
        except BaseException:
            self._data = self._load()  # what is on disk is the truth
            raise
        if not self._exists:
            self._exists = True
            if self._on_created is not None:
                self._on_created(self._path)

    def close(self) -> None:
        """Nothing is buffered: every write is already on disk."""
