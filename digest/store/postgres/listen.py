"""Hearing of chat changes made by other processes: LISTEN on the chats channel.

Every write of a chat's settings sends `pg_notify(CHANNEL, "<chat_id> <origin>")` in its
transaction, so the notification goes out exactly when the change is committed (never for
a rolled-back one). `origin` names the store instance that wrote: its own writes are
told to its watchers by the writing call itself (at once, so a handler's reply sees its
change filed), and the listener passes on only the others' (each change heard once).

The listener is a daemon thread with a connection of its own, started by the first
watcher (commands that watch nothing open no extra connection). A lost connection is
opened again; changes committed while it was down cannot be heard, which the log says.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg

from digest.store.postgres.connect import connect, failure

log = logging.getLogger(__name__)

CHANNEL = "newsbot_chats"
RECONNECT_SECONDS = 2.0


def payload(chat_id: int, origin: str) -> str:
    return f"{chat_id} {origin}"


class ChatListener:
    """A thread calling `heard(chat_id)` for each chat change that another store committed."""

    def __init__(self, dsn: str, origin: str, heard: Callable[[int], None]) -> None:
        self._dsn = dsn
        self._origin = origin
        self._heard = heard
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._conn: psycopg.Connection[Any] | None = None
        self._thread = threading.Thread(target=self._run, name="chat-listener", daemon=True)

    def start(self) -> None:
        """Start listening; returns once LISTEN is in force (the first connection made)."""
        self._conn = self._listening()  # a bad DSN fails here, in the caller, as one line
        self._thread.start()
        self._ready.wait()

    def _listening(self) -> psycopg.Connection[Any]:
        conn = connect(self._dsn, autocommit=True)
        conn.execute(f"LISTEN {CHANNEL}")
        return conn

    def _run(self) -> None:
        self._ready.set()
        while not self._stop.is_set():
            try:
                if self._conn is None:
                    self._conn = self._listening()
                    log.warning("listening for chat changes again; changes made by other "
                                "processes meanwhile were not heard")
                for note in self._conn.notifies(timeout=0.5):
                    self._deliver(note.payload)
            except psycopg.Error as exc:
                if self._stop.is_set():
                    break
                log.warning("listening for chat changes: %s", failure(self._dsn, exc))
                self._drop()
                self._stop.wait(RECONNECT_SECONDS)
            except Exception as exc:  # a store error while reconnecting
                log.warning("listening for chat changes: %s", exc)
                self._stop.wait(RECONNECT_SECONDS)
        self._drop()

    def _deliver(self, text: str) -> None:
        chat, _, origin = text.partition(" ")
        if origin == self._origin:
            return  # our own change: its writer told the watchers
        try:
            chat_id = int(chat)
        except ValueError:
            log.warning("a chat notification that names no chat: %r", text[:80])
            return
        self._heard(chat_id)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        else:
            self._drop()
