"""Which processes on one database receive the bot's updates, and how.

Telegram hands a bot's updates to one long poll or to a webhook. A process that starts
long polling deletes the webhook first (python-telegram-bot does), so one started by
mistake beside processes in webhook mode would quietly take every update from them; two
pollers end each other's polls. The database knows who runs: a process receiving updates
holds a session advisory lock on a connection of its own for as long as it runs, shared
by processes in webhook mode and exclusive for a poller. A poller cannot start beside any
other receiver, nor a webhook process beside a poller, and each is refused before it asks
Telegram anything. The lock goes with its connection: a killed process leaves none.
"""

from __future__ import annotations

from typing import Any

import psycopg

from digest.store.postgres.connect import CONNECT_TIMEOUT, failure

# The key of the receivers' lock (migrations use "news" 1, ingestion passes "news" 3).
RECEIVERS_LOCK = 0x6E657773_0004  # "news" 4


async def hold(dsn: str, *, polling: bool) -> psycopg.AsyncConnection[Any] | None:
    """A connection holding the receivers' lock for a poller (exclusive) or a webhook
    process (shared); None when the processes already running exclude this one. A
    database out of reach raises StoreError."""
    try:
        conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True,
                                                     connect_timeout=CONNECT_TIMEOUT)
        take = "pg_try_advisory_lock" if polling else "pg_try_advisory_lock_shared"
        row = await (await conn.execute(f"SELECT {take}(%s)", (RECEIVERS_LOCK,))).fetchone()
    except psycopg.OperationalError as exc:
        raise failure(dsn, exc) from None
    if row and row[0]:
        return conn
    await conn.close()
    return None
