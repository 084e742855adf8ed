"""What was sent to whom, kept apart from the chat records: one append-only log per UTC day.

A chat's record is small and changes when its owner changes a setting; what it was sent
grows with every digest. Kept in the chat's shard, the history made each subscription
change and each sent digest rewrite about a megabyte (fsynced) once chats had a few days of
it. Here a sent digest is one line appended to `sent-YYYY-MM-DD.log` (its UTC day of
sending) and fsynced: a few hundred bytes, whatever the number of chats.

A line is a JSON array `[chat_id, local_date, [key, ...]]`; `local_date` is the chat's
local date of a scheduled digest ("" for one asked for with /digest), so the log also says
which day's digest a chat last had. Whole days are dropped once older than the days kept.

Loading reads each line only as far as its chat and local date (`last_digest` must be
exact from the start); its keys stay undecoded text until the chat's keys are first asked
for (`SentKeys`). Decoding 6,000,000 keys of 100,000 chats took 3.6 s of start-up; one
chat's take microseconds when its digest is composed.

A crash in the middle of an append leaves a last line without its newline: the writer cuts
it off on load (that digest counts as not recorded, so at most its last message goes out
again). A damaged line elsewhere (a hand edit) is logged and skipped, and kept on disk;
damaged keys are noticed (and left out the same way) when the chat's keys are decoded.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Container, Iterable, Iterator
from itertools import repeat
from pathlib import Path

from digest.store.files import StoreError, atomic_write, fsync_dir

log = logging.getLogger(__name__)

SENT_FILE = re.compile(r"sent-(\d{4}-\d{2}-\d{2})\.log")
# A line as `_encode` writes it, matched without decoding its keys: the chat id, the local
# date and the keys' JSON text.
_LINE = re.compile(rb'^\[(-?\d+),"((?:\d{4}-\d{2}-\d{2})?)",(\[.*\])\]$', re.MULTILINE)

# A day's lines: (chat id, local date, keys' JSON text) as the bytes on disk.
RawLines = list[tuple[bytes, bytes, bytes]]


def _encode(chat_id: int, local_date: str, keys: Iterable[str]) -> bytes:
    return (json.dumps([chat_id, local_date, list(keys)], ensure_ascii=False,
                       separators=(",", ":")) + "\n").encode("utf-8")


def decode_keys(raw: bytes) -> tuple[str, ...] | None:
    """A line's keys from their JSON text, interned (most chats were sent the same stories,
    so one string per key instead of one per chat); None if not a list of strings."""
    try:
        keys = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(keys, list) or not all(map(isinstance, keys, repeat(str))):
        return None
    return tuple(map(sys.intern, keys))


def _reread(line: bytes) -> tuple[bytes, bytes, bytes] | None:
    """A line `_LINE` does not match (written by hand, say with spaces) that is still
    [chat_id, local date, [keys]]: in the shape `_LINE` matches; None if it is not one."""
    try:
        chat_id, local_date, keys = json.loads(line)
    except (ValueError, TypeError):
        return None
    if (not isinstance(chat_id, int) or isinstance(chat_id, bool)
            or not isinstance(local_date, str) or not isinstance(keys, list)
            or not all(map(isinstance, keys, repeat(str)))):
        return None
    match = _LINE.fullmatch(_encode(chat_id, local_date, keys)[:-1])
    return match.groups() if match else None  # type: ignore[return-value]


class SentLog:
    """The day logs in a store's folder; see the module docstring. `listed(path)` is called
    once a new log exists and `unlisted(path)` before one is deleted (the store's manifest)."""

    def __init__(self, folder: Path, *, read_only: bool = False,
                 listed: Callable[[Path], None] | None = None,
                 unlisted: Callable[[Path], None] | None = None) -> None:
        self.folder = folder
        self.read_only = read_only
        self._listed = listed
        self._unlisted = unlisted
        self._open: dict[str, int] = {}  # day -> file descriptor opened for appending

    def _path(self, day: str) -> Path:
        return self.folder / f"sent-{day}.log"

    def days(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(m[1] for f in self.folder.iterdir() if (m := SENT_FILE.fullmatch(f.name)))

    def load(self, oldest: str) -> Iterator[tuple[str, RawLines]]:
        """The lines of each day from `oldest` on, their keys undecoded."""
        for day in self.days():
            if day >= oldest:
                yield day, self._read(day)

    def prune(self, oldest: str) -> None:
        """Delete the days before `oldest` (the writer only)."""
        if self.read_only:
            return
        for day in self.days():
            if day < oldest:
                self._close(day)
                if self._unlisted is not None:
                    self._unlisted(self._path(day))
                self._path(day).unlink(missing_ok=True)

    def _read(self, day: str) -> RawLines:
        path = self._path(day)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return []
        complete = raw.rfind(b"\n") + 1
        if complete < len(raw) and not self.read_only:
            with open(path, "r+b") as file:  # an append cut short by a crash: not recorded
                file.truncate(complete)
                os.fsync(file.fileno())
            log.warning("%s: an unfinished last line (a crash while writing) was cut off",
                        path)
        text = raw[:complete]
        lines: RawLines = _LINE.findall(text)
        if len(lines) == text.count(b"\n"):
            return lines  # every line as written: one pass in C
        lines = []
        for number, line in enumerate(text.splitlines(), 1):
            match = _LINE.fullmatch(line)
            entry = match.groups() if match else _reread(line)
            if entry is None:
                log.error("%s: line %d left out (kept on disk as it is): not "
                          "[chat_id, local date, [keys]]", path, number)
                continue
            lines.append(entry)  # type: ignore[arg-type]
        return lines

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
                if self._listed is not None:
                    self._listed(self._path(day))
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


class SentKeys:
    """What each chat was sent, by UTC day of sending, in memory. A chat's lines as loaded
    are kept as their keys' JSON text and decoded the first time its keys are needed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._keys: dict[int, dict[str, tuple[str, ...]]] = {}
        self._raw: dict[int, list[tuple[str, bytes]]] = {}  # chat -> (day, keys' JSON text)

    def load(self, days: Iterable[tuple[str, RawLines]], chats: Container[int]) -> dict[int, str]:
        """Take in the lines of `chats` (others were forgotten or are damaged); returns the
        latest local date of a scheduled digest per chat."""
        latest: dict[int, bytes] = {}
        raw = self._raw
        for day, lines in days:
            day = sys.intern(day)
            for chat_text, local_date, keys in lines:
                chat_id = int(chat_text)
                if chat_id not in chats:
                    continue
                if local_date > latest.get(chat_id, b""):
                    latest[chat_id] = local_date
                found = raw.get(chat_id)
                if found is None:
                    raw[chat_id] = [(day, keys)]
                else:
                    found.append((day, keys))
        return {chat_id: local_date.decode() for chat_id, local_date in latest.items()}

    def of(self, chat_id: int) -> dict[str, tuple[str, ...]]:
        """The chat's keys by day (decoded now if they were not yet)."""
        for day, text in self._raw.pop(chat_id, ()):
            keys = decode_keys(text)
            if keys is None:
                log.error("%s: a line of chat %d left out (kept on disk as it is): its keys "
                          "are not a list of strings", self.folder / f"sent-{day}.log", chat_id)
                continue
            self._merge(chat_id, day, keys)
        return self._keys.get(chat_id, {})

    def add(self, chat_id: int, day: str, keys: tuple[str, ...], oldest: str) -> None:
        """A digest sent on `day`; the chat's days before `oldest` go."""
        sent = self.of(chat_id)
        if any(d < oldest for d in sent):
            self._keys[chat_id] = {d: ks for d, ks in sent.items() if d >= oldest}
        if keys:
            self._merge(chat_id, day, keys)

    def _merge(self, chat_id: int, day: str, keys: tuple[str, ...]) -> None:
        sent = self._keys.setdefault(chat_id, {})
        known = sent.get(day)
        # Most chats have one line a day: then only the line's own keys are deduplicated.
        sent[day] = tuple(dict.fromkeys(keys if known is None else (*known, *keys)))

    def forget(self, chat_id: int) -> set[str]:
        """Drop the chat's keys; the days it has lines in."""
        days = {day for day, _ in self._raw.pop(chat_id, ())}
        return days | set(self._keys.pop(chat_id, {}))
