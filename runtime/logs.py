"""Logging set-up with the bot token masked everywhere.

The token is part of every Bot API URL, so anything that logs URLs or wraps
them in exceptions (httpx's request log lines, network errors) could leak it.
A formatter masks it in the final text of every record, traceback included.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType


class RedactingFormatter(logging.Formatter):
    """Replaces secrets (the bot token) wherever they appear in a formatted record."""

    def __init__(self, secrets: list[str], fmt: str) -> None:
        super().__init__(fmt)
        self._secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "<token>")
        return text


class TokenFilter(logging.Filter):
    """Masks the token in records of a logger that puts request URLs in its messages
    (httpx logs "HTTP Request: POST https://…/bot<TOKEN>/sendMessage" at INFO), so no
    handler anywhere, ours or a library's, ever receives it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token and self._token in message:
            record.msg, record.args = message.replace(self._token, "<token>"), ()
        return True


def guard_token(token: str) -> None:
    """Install the token mask on the loggers known to log Bot API URLs."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        logger.filters = [f for f in logger.filters if not isinstance(f, TokenFilter)]
        logger.addFilter(TokenFilter(token))


def configure_logging(level: str, token: str) -> None:
    """One line per event on stderr; httpx's per-request lines (URLs with the token)
    are silenced below WARNING, and the formatter masks the token everywhere else."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(
        [token], "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sys.excepthook = hook = _redacting_excepthook(token)
    threading.excepthook = lambda crash: hook(crash.exc_type, crash.exc_value or Exception(),
                                              crash.exc_traceback)


def _redacting_excepthook(token: str) -> Callable[
        [type[BaseException], BaseException, TracebackType | None], None]:
    """An uncaught exception's traceback goes to stderr (the journal) masked like a log line:
    PTB puts the token in some exception messages."""

    def hook(kind: type[BaseException], error: BaseException,
             trace: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, error, trace))
        sys.stderr.write(text.replace(token, "<token>") if token else text)

    return hook
