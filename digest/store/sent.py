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
exact from the start) and keeps where it starts; its keys are read back from the log and
decoded the first time the chat's keys are asked for (`SentKeys`). Decoding 6,000,000 keys
of 100,000 chats took 3.6 s of start-up, and holding their text 85 MB; one chat's take
microseconds when its digest is composed. So that a loaded line stays where it was found,
a log is only appended to, blanked in place (`forget`) or deleted whole.

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
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

from digest.store.files import StoreError, fsync_dir

log = logging.getLogger(__name__)

SENT_FILE = re.compile(r"sent-(\d{4}-\d{2}-\d{2})\.log")
# Every line of a day's log, each preceded by its newline (the text is read with one put in
# front), matched in one pass: as `_encode` writes it (group 1 the chat id, group 2 the
# local date; the keys are not read), blanked by `forget` (spaces only), or anything else
# (group 3: damaged, or written by hand).
_LINE = re.compile(rb'\n(?:\[(-?\d+),"((?:\d{4}-\d{2}-\d{2})?)",\[[^\n]*| *$|([^\n]*))',
                   re.MULTILINE)
_LOCAL_DATE = re.compile(r"(?:\d{4}-\d{2}-\d{2})?")  # as group 2 of `_LINE`
CHUNK = 4096  # bytes read at a time to find a line from where it starts
OFFSET = (1 << 40) - 1  # a loaded line is kept as its day's index << 40 | its offset


@dataclass(frozen=True, slots=True)
class SentLine:
    """One digest sent, as a line of the logs holds it (copies between stores)."""

    day: str  # UTC day of sending, ISO
    chat_id: int
    local_date: str  # "" for a digest on demand
    keys: tuple[str, ...]


def _encode(chat_id: int, local_date: str, keys: Iterable[str]) -> bytes:
    return (json.dumps([chat_id, local_date, list(keys)], ensure_ascii=False,
                       separators=(",", ":")) + "\n").encode("utf-8")


def _decode(line: bytes) -> tuple[int, str, tuple[str, ...]] | None:
    """A line's chat, local date and keys (interned: most chats were sent the same stories,
    so one string per key instead of one per chat); None if it is not one."""
    try:
        chat_id, local_date, keys = json.loads(line)
    except (ValueError, TypeError):
        return None
    if (not isinstance(chat_id, int) or isinstance(chat_id, bool)
            or not isinstance(local_date, str) or not isinstance(keys, list)
            or not all(map(isinstance, keys, repeat(str)))):  # map: C speed
        return None
    return chat_id, local_date, tuple(map(sys.intern, keys))


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
        self._readers: dict[str, int] = {}  # day -> file descriptor opened for reading

    def path(self, day: str) -> Path:
        return self.folder / f"sent-{day}.log"

    def days(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(m[1] for f in self.folder.iterdir() if (m := SENT_FILE.fullmatch(f.name)))

    def load(self, oldest: str) -> Iterator[tuple[str, bytearray]]:
        """The text of each day from `oldest` on, as `_LINE` reads it: its whole lines,
        each with its newline in front, so that a line's match starts at its offset."""
        for day in self.days():
            if day >= oldest:
                yield sys.intern(day), self._read(day)

    def lines(self, oldest: str) -> Iterator[SentLine]:
        """Every line of the days from `oldest` on, decoded (copies and backups: not at
        start); blanked and damaged lines left out."""
        for day, text in self.load(oldest):
            for raw in text.split(b"\n"):
                if raw.strip() and (entry := _decode(bytes(raw))) is not None:
                    yield SentLine(day, *entry)

    def prune(self, oldest: str) -> None:
        """Delete the days before `oldest` (the writer only)."""
        if self.read_only:
            return
        for day in self.days():
            if day < oldest:
                self._close(day)
                if self._unlisted is not None:
                    self._unlisted(self.path(day))
                self.path(day).unlink(missing_ok=True)

    def _read(self, day: str) -> bytearray:
        path = self.path(day)
        try:
            with open(path, "rb") as file:
                size = os.fstat(file.fileno()).st_size
                text = bytearray(1 + size)  # read in place after the newline: no copies
                text[0:1] = b"\n"
                size = file.readinto(memoryview(text)[1:])
        except FileNotFoundError:
            return bytearray()
        complete = text.rfind(b"\n", 0, 1 + size)  # where the last whole line ends
        del text[complete:]
        if complete < size and not self.read_only:
            with open(path, "r+b") as file:  # an append cut short by a crash: not recorded
                file.truncate(complete)
                os.fsync(file.fileno())
            log.warning("%s: an unfinished last line (a crash while writing) was cut off",
                        path)
        return text

    def hand_written(self, day: str, text: bytearray, line: re.Match[bytes]
                     ) -> tuple[int, bytes] | None:
        """The chat and local date of a line `_LINE` did not read (group 3): written by
        hand, say with spaces, or damaged (logged, and None)."""
        entry = _decode(line[3])
        if entry is None or not _LOCAL_DATE.fullmatch(entry[1]):
            log.error("%s: line %d left out (kept on disk as it is): not [chat_id, local "
                      "date, [keys]]", self.path(day), text.count(b"\n", 0, line.start()) + 1)
            return None
        return entry[0], entry[1].encode()

    def keys_at(self, day: str, offset: int) -> tuple[str, ...] | None:
        """The keys of the line at `offset` in the day's log; () if the day is gone (no
        longer kept) or the line was blanked (its chat forgotten), None if it is damaged."""
        fd = self._readers.get(day)
        if fd is None:
            try:
                fd = self._readers[day] = os.open(self.path(day), os.O_RDONLY)
            except FileNotFoundError:
                return ()
        line = b""
        while not line.endswith(b"\n"):
            chunk = os.pread(fd, CHUNK, offset + len(line))
            if not chunk:
                break
            line += chunk[:chunk.find(b"\n") + 1] if b"\n" in chunk else chunk
        if not line.strip():
            return ()
        entry = _decode(line)
        return None if entry is None else entry[2]

    def append(self, day: str, chat_id: int, local_date: str, keys: Iterable[str]) -> None:
        """One line, durably: returns once it is on disk. A failed write is undone."""
        if self.read_only:
            raise StoreError(f"{self.folder}: the store was opened read-only")
        fd = self._open.get(day)
        if fd is None:
            created = not self.path(day).exists()
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = self._open[day] = os.open(self.path(day),
                                           os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            if created:
                fsync_dir(self.folder)
                if self._listed is not None:
                    self._listed(self.path(day))
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
        with open(self.path(day), "ab") as file:
            file.write(b"".join(_encode(*line) for line in lines))
            file.flush()
            os.fsync(file.fileno())
        fsync_dir(self.folder)

    def forget(self, chat_id: int, days: Iterable[str]) -> None:
        """Blank a chat's lines in those days' logs (/forget): each overwritten in place with
        spaces, so the other lines stay where they were loaded from. A crash part way
        through leaves a line partly blanked: read as damaged (left out), or, if its chat id
        is left, as the line of a chat no longer stored."""
        own = f"\n[{chat_id},".encode()  # how `_encode` starts the chat's lines
        for day in days:
            try:
                text = b"\n" + self.path(day).read_bytes()
            except FileNotFoundError:
                continue
            with open(self.path(day), "r+b") as file:
                start = text.find(own)
                while start != -1:
                    end = text.find(b"\n", start + 1)  # the line is text[start + 1:end]
                    if end == -1:
                        break  # an unfinished last line: cut off at the next start
                    os.pwrite(file.fileno(), b" " * (end - start - 1), start)
                    start = text.find(own, end)
                os.fsync(file.fileno())

    def _close(self, day: str) -> None:
        for files in (self._open, self._readers):
            fd = files.pop(day, None)
            if fd is not None:
                os.close(fd)

    def close(self) -> None:
        for day in {*self._open, *self._readers}:
            self._close(day)


class SentKeys:
    """What each chat was sent, by UTC day of sending, in memory. A chat's lines as loaded
    are kept as where they are in the logs (an int each) and their keys read and decoded
    the first time the chat's keys are needed."""

    def __init__(self, logs: SentLog) -> None:
        self._logs = logs
        self._keys: dict[int, dict[str, tuple[str, ...]]] = {}
        self._days: list[str] = []  # the days lines were loaded from
        self._lines: dict[int, list[int]] = {}  # chat -> day's index << 40 | offset

    def load(self, oldest: str, chats: Container[int]) -> dict[int, str]:
        """Take in the lines of the days from `oldest` on of `chats` (others were forgotten
        or are damaged); returns the latest local date of a scheduled digest per chat."""
        latest: dict[int, bytes] = {}
        lines = self._lines
        for day, text in self._logs.load(oldest):
            of_day = len(self._days) << 40
            self._days.append(day)
            for line in _LINE.finditer(text):  # 300,000 lines at 100,000 chats: kept lean
                chat_text, local_date, other = line.groups()
                if chat_text is not None:
                    chat_id = int(chat_text)
                elif other is None:
                    continue  # blanked
                elif entry := self._logs.hand_written(day, text, line):
                    chat_id, local_date = entry
                else:
                    continue
                if chat_id not in chats:
                    continue
                if local_date > latest.get(chat_id, b""):
                    latest[chat_id] = local_date
                found = lines.get(chat_id)
                if found is None:
                    lines[chat_id] = [of_day | line.start()]
                else:
                    found.append(of_day | line.start())
        return {chat_id: local_date.decode() for chat_id, local_date in latest.items()}

    def of(self, chat_id: int) -> dict[str, tuple[str, ...]]:
        """The chat's keys by day (read and decoded now if they were not yet)."""
        for where in self._lines.pop(chat_id, ()):
            day = self._days[where >> 40]
            keys = self._logs.keys_at(day, where & OFFSET)
            if keys is None:
                log.error("%s: a line of chat %d left out (kept on disk as it is): not "
                          "[chat_id, local date, [keys]]", self._logs.path(day), chat_id)
            else:
                self._merge(chat_id, day, keys)  # a day without keys too: /forget blanks it
        return self._keys.get(chat_id, {})

    def add(self, chat_id: int, day: str, keys: tuple[str, ...], oldest: str) -> None:
        """A digest sent on `day`; the chat's days before `oldest` go."""
        sent = self.of(chat_id)
        if any(d < oldest for d in sent):
            self._keys[chat_id] = {d: ks for d, ks in sent.items() if d >= oldest}
        self._merge(chat_id, day, keys)

    def _merge(self, chat_id: int, day: str, keys: tuple[str, ...]) -> None:
        sent = self._keys.setdefault(chat_id, {})
        known = sent.get(day)
        # Most chats have one line a day: then only the line's own keys are deduplicated.
        sent[day] = tuple(dict.fromkeys(keys if known is None else (*known, *keys)))

    def forget(self, chat_id: int) -> set[str]:
        """Drop the chat's keys; the days it has lines in."""
        days = {self._days[where >> 40] for where in self._lines.pop(chat_id, ())}
        return days | set(self._keys.pop(chat_id, {}))
