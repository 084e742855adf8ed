"""The store's schema version and the migrations that bring an older store up to date.

A migration works on the files directly (the store is not open yet) and is safe to run
again after a crash part way through: the version is raised only once it has finished.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from digest.store.files import (
    DamagedFile,
    StoreError,
    atomic_write,
    data_files,
    dump_json,
    read_data_file,
    read_manifest,
    write_manifest,
)
from digest.store.sent import SentLog

SCHEMA_VERSION = 5


def _sent_by_day(folder: Path, main_path: Path) -> None:
    """Schema 1 to 2: a chat's `sent` goes from {key: UTC ISO time} to {day: [key, ...]}.

    Each shard is replaced atomically and one already converted is left as it is, so a
    crash part way through is finished by the next start (the version is raised only
    after every shard is done).
    """
    del main_path  # the main file holds no sent keys
    for file in sorted(folder.glob("chats-*.json")):
        data = read_data_file(file, ("chats",))
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
            atomic_write(file, dump_json(data))


def _start_manifest(folder: Path, main_path: Path) -> None:
    """Schema 2 to 3: list the data files present, so that one lost later is noticed."""
    del main_path  # the manifest lives in the folder
    write_manifest(folder, data_files(folder))


def _sent_to_logs(folder: Path, main_path: Path) -> None:
    """Schema 3 to 4: the sent keys leave the chat documents for the day logs.

    The logs are written (fsynced) before each shard loses its keys, so a crash in between
    leaves keys in both places; the next start appends them again, and reading the logs
    ignores a key repeated on a day. Linear in the store's size.
    """
    del main_path  # the main file holds no sent keys
    log_files = SentLog(folder)
    for file in sorted(folder.glob("chats-*.json")):
        data = read_data_file(file, ("chats",))
        docs = (data or {}).get("chats", {}).values()
        by_day: dict[str, list[tuple[int, str, list[str]]]] = {}
        for doc in docs:
            for day, keys in (doc.pop("sent", None) or {}).items():
                by_day.setdefault(day, []).append((doc.get("chat_id"), "", keys))
        if not by_day:
            continue
        for day, lines in by_day.items():
            log_files.append_many(day, lines)
        atomic_write(file, dump_json(data))


def _list_sent_logs(folder: Path, main_path: Path) -> None:
    """Schema 4 to 5: the manifest lists the sent logs too, so that one lost is noticed.
    Those present are added to what it lists (a listed file already lost stays listed, so
    its loss is still reported)."""
    del main_path  # the manifest lives in the folder
    try:
        listed = read_manifest(folder)
    except DamagedFile:
        return  # refused, or rebuilt with `repair`, when the store checks its manifest
    if listed is not None:
        logs = {name for name in data_files(folder) if name.startswith("sent-")}
        write_manifest(folder, listed | logs)


# Migrations from version N to N+1, each given the store's folder and main file.
# Add an entry here and raise SCHEMA_VERSION when the layout or a record changes.
MIGRATIONS: dict[int, Callable[[Path, Path], None]] = {
    1: _sent_by_day,
    2: _start_manifest,
    3: _sent_to_logs,
    4: _list_sent_logs,
}



def bring_up_to_date(version: int, path: Path, folder: Path, *, read_only: bool,
                     save_version: Callable[[int], None]) -> None:
    """Run the migrations from `version` on, saving each version reached; a store written
    by a newer version, or an old one opened read-only, is refused."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: written by a newer version (schema {version}, "
            f"this one reads {SCHEMA_VERSION})"
        )
    if version < SCHEMA_VERSION and read_only:
        raise StoreError(f"{path}: written by an older version (schema {version}); "
                         "start the bot (or `ingest`) once to bring it up to date")
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](folder, path)
        version += 1
        save_version(version)
