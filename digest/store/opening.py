"""The TinyDB backend's data files as they are opened: each checked on load, a damaged one
refused (or, with `repair`, set aside and what it held noted), a damaged record left out
and reported once, and the manifest kept up to date as files appear and go.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from tinydb import TinyDB
from tinydb.table import Document

from digest.store.files import (
    MANIFEST,
    AtomicJSONStorage,
    DamagedFile,
    data_files,
    read_manifest,
    set_aside,
    what_is_lost,
    write_manifest,
)
from digest.store.records import BadRecord

log = logging.getLogger(__name__)

Record = TypeVar("Record")


class DataFiles:
    """Opens the store's files for `TinyStore`; `names` are the data files that exist, as
    the manifest lists them, and `repairs` what `repair` set aside."""

    def __init__(self, folder: Path, *, read_only: bool, repair: bool) -> None:
        self.folder = folder
        self.read_only = read_only
        self.repairs: list[str] = []  # with `repair`: each file set aside, and what was lost
        self._repair = repair and not read_only
        self._reported: set[tuple[Path, str]] = set()
        self.names: set[str] = set()

    def open_db(self, path: Path, tables: tuple[str, ...], *, listed: bool = True) -> TinyDB:
        def open_db() -> TinyDB:
            return TinyDB(path, storage=AtomicJSONStorage, tables=tables,
                          read_only=self.read_only, on_created=self.list if listed else None)
        try:
            return open_db()
        except DamagedFile as damage:
            self.survive(damage)
            return open_db()

    def survive(self, damage: DamagedFile) -> None:
        """Refuse the damaged file, or with `repair` move it aside and note what was lost."""
        if not self._repair:
            raise damage
        lost = what_is_lost(damage.path)
        moved = ""
        if damage.path.exists():
            moved = f"; moved to {set_aside(damage.path).name}"
        if damage.path.name in self.names:
            self.names.discard(damage.path.name)
            write_manifest(self.folder, self.names)
        self.repairs.append(f"{damage.path}: {damage.reason}{moved}; lost: {lost}")

    def unlist(self, file: Path) -> None:
        """A data file is about to be deleted: unlisted first, so a crash in between leaves
        a file the next start adopts again, never a listed one that is missing."""
        self.names.discard(file.name)
        write_manifest(self.folder, self.names)

    def list(self, file: Path) -> None:
        """A data file now exists: the manifest says so, so that losing it is noticed."""
        self.names.add(file.name)
        write_manifest(self.folder, self.names)

    def check_manifest(self) -> None:
        """The data files to load: those present. One listed but missing is damage (in
        read-only mode, unless the writer deleted it meanwhile); one present but not listed
        was written by a process that died before listing it, and is adopted."""
        manifest = self.folder / MANIFEST
        try:
            listed = read_manifest(self.folder)
        except DamagedFile as damage:
            self.survive(damage)
            listed = data_files(self.folder)  # rebuilt from the files present
        present = data_files(self.folder)
        if listed is None:
            if present:
                self.survive(DamagedFile(manifest, "missing, but the folder holds data files"))
            listed = present
        for name in sorted(listed - present):
            if self.read_only and name not in (read_manifest(self.folder) or set()):
                continue  # old articles the writer deleted while this process was reading
            self.survive(DamagedFile(self.folder / name, "listed in the store's manifest "
                                      f"({MANIFEST}) but missing"))
        if not self.read_only and (listed != present or not manifest.exists()):
            for name in sorted(present - listed):
                log.info("%s: data file not in the manifest (a write was interrupted); "
                         "adopted", self.folder / name)
            write_manifest(self.folder, present)
        self.names = present

    def valid(self, file: Path, kind: str, docs: Iterable[Document],
              convert: Callable[[Document], Record]) -> Iterator[Record]:
        """The converted records; those that do not validate are logged and left out."""
        for doc in docs:
            try:
                yield convert(doc)
            except BadRecord as bad:
                self.leave_out(file, f"{kind} record {doc.doc_id}", bad)

    def leave_out(self, file: Path, record: str, bad: BadRecord) -> None:
        if (file, record) not in self._reported:  # once, even if the file is read again
            self._reported.add((file, record))
            log.error("%s: %s left out (kept on disk as it is): %s", file, record, bad)
