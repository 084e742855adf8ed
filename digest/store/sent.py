"""What was sent to whom, kept apart from the chat records: one append-only log per UTC day.

A chat's record is small and changes when its owner changes a setting; what it was sent
grows with every digest. Kept in the chat's shard, the history made each subscription
change and each sent digest rewrite about a megabyte (fsynced) once chats had a few days of
it. Here a sent digest is one line appended to `sent-YYYY-MM-DD.log` (its UTC day of
sending) and fsynced: a few hundred bytes, whatever the number of chats.

A line is a JSON array `[chat_id, local_date, [key, ...]]`; `local_date` is the chat's
local date of a scheduled digest ("" for one asked for with /digest), so the log also says
which day's digest a chat last had. Whole days are dropped once older than the days kept.

A crash in the middle of an append leaves a last line without its newline: the writer cuts
it off on load (that digest counts as not recorded, so at most its last message goes out
again). A damaged line elsewhere (a hand edit) is logged and skipped, and kept on disk.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

from digest.store.files import StoreError, atomic_write, fsync_dir

log = logging.getLogger(__name__)

SENT_FILE = re.compile(r"sent-(\d{4}-\d{2}-\d{2})\.log")


@dataclass(frozen=True, slots=True)
class SentLine:
    day: str  # UTC day of sending, ISO
    chat_id: int
    local_date: str  # "" for a digest on demand
    keys: tuple[str, ...]


def _encode(chat_id: int, local_date: str, keys: Iterable[str]) -> bytes:
    return (json.dumps([chat_id, local_date, list(keys)], ensure_ascii=False,
                       separators=(",", ":")) + "\n").encode("utf-8")


def _decode(day: str, raw: bytes) -> SentLine | None:
    try:
        chat_id, local_date, keys = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if (not isinstance(chat_id, int) or isinstance(chat_id, bool)
            or not isinstance(local_date, str) or not isinstance(keys, list)
            or not all(map(isinstance, keys, repeat(str)))):  # map: C speed, 6M keys at 100k chats
        return None
    return SentLine(day, chat_id, local_date, tuple(keys))


class SentLog:
    """The day logs in a store's folder; see the module docstring."""

    def __init__(self, folder: Path, *, read_only: bool = False) -> None:
        self.folder = folder
        self.read_only = read_only
        self._open: dict[str, int] = {}  # day -> file descriptor opened for appending

    def _path(self, day: str) -> Path:
        return self.folder / f"sent-{day}.log"

    def days(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(m[1] for f in self.folder.iterdir() if (m := SENT_FILE.fullmatch(f.name)))

    def load(self, oldest: str) -> Iterator[SentLine]:
        """Every line of the days from `oldest` on."""
        for day in self.days():
            if day >= oldest:
                yield from self._read(day)

    def prune(self, oldest: str) -> None:
        """Delete the days before `oldest` (the writer only)."""
        if self.read_only:
            return
        for day in self.days():
            if day < oldest:
                self._close(day)
                self._path(day).unlink(missing_ok=True)

    def _read(self, day: str) -> Iterator[SentLine]:
        path = self._path(day)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return
        complete = raw.rfind(b"\n") + 1
        if complete < len(raw) and not self.read_only:
            with open(path, "r+b") as file:  # an append cut short by a crash: not recorded
                file.truncate(complete)
                os.fsync(file.fileno())
            log.warning("%s: an unfinished last line (a crash while writing) was cut off",
                        path)
        for number, line in enumerate(raw[:complete].splitlines(), 1):
            entry = _decode(day, line)
            if entry is None:
                log.error("%s: line %d left out (kept on disk as it is): not "
                          "[chat_id, local date, [keys]]", path, number)
                continue
            yield entry

    def append(self, day: str, chat_id: int, local_date: str, keys: Iterable[str]) -> None:
        """One line, durably: returns once it is on disk. A failed write is undone."""
        if self.read_only:
            raise StoreError(f"{self.folder}: the store was opened read-only")
        fd = self._open.get(day)
        if fd is None:
            created = not self._path(day).exists()
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = self._open[day] = os.open(self._path(day),
                                           os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            if created:
                fsync_dir(self.folder)
        size = os.fstat(fd).st_size
        try:
            os.write(fd, _encode(chat_id, local_date, keys))
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise

    def append_many(self, day: str, lines: Iterable[tuple[int, str, Iterable[str]]]) -> None:
        """Many lines in one write (migrations)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self._path(day), "ab") as file:
            file.write(b"".join(_encode(*line) for line in lines))
            file.flush()
            os.fsync(file.fileno())
        fsync_dir(self.folder)

    def forget(self, chat_id: int, days: Iterable[str]) -> None:
        """Remove a chat's lines from those days' logs (/forget): each rewritten atomically."""
        for day in days:
            path = self._path(day)
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            own = f"[{chat_id},".encode()  # how `_encode` starts the chat's lines
            kept = [line for line in raw.splitlines(keepends=True) if not line.startswith(own)]
            self._close(day)
            atomic_write(path, b"".join(kept).decode("utf-8"))

    def _close(self, day: str) -> None:
        fd = self._open.pop(day, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        for day in list(self._open):
            self._close(day)
