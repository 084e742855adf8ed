"""Connecting to PostgreSQL without ever showing the password.

The DSN (`storage.dsn` or NEWSBOT_DATABASE_URL) may hold a password, so it never appears
in a log line or an error: a failure is one line naming where the bot tried to connect
(host, port, database, user) and libpq's reason, with the password masked in case libpq
echoed part of the connection string back (it does for a malformed one).
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from digest.store.files import StoreError

CONNECT_TIMEOUT = 10  # seconds: a wrong host fails in seconds, not minutes

_URL_PASSWORD = re.compile(r"(://[^:/?#@\s]*:)[^@/?#\s]*@")
_KEY_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def mask(text: str, dsn: str = "") -> str:
    """`text` with any password in it (a URL's or `password=...`, or the DSN's own) masked."""
    text = _KEY_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", text))
    try:
        password = conninfo_to_dict(dsn).get("password") if dsn else None
    except psycopg.Error:
        password = None
    if password:
        text = text.replace(str(password), "***")
    return text


def where(dsn: str) -> str:
    """Where `dsn` points, for messages: never its password."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "the database of storage.dsn"
    host = str(parts.get("host") or "localhost")
    port = f":{parts['port']}" if parts.get("port") else ""
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


def failure(dsn: str, error: BaseException) -> StoreError:
    """The one line for a connection that failed (`error` from psycopg or the pool)."""
    reason = " ".join(str(error).split()) or type(error).__name__
    return StoreError(f"cannot use PostgreSQL at {where(dsn)}: {mask(reason, dsn)} "
                      "(check [storage] dsn or NEWSBOT_DATABASE_URL)")


def connect(dsn: str, **options: Any) -> psycopg.Connection[Any]:
    """A connection of its own (migrations, listening), or the one-line StoreError."""
    try:
        return psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT, **options)
    except psycopg.Error as exc:
        raise failure(dsn, exc) from None
