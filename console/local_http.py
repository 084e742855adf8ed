"""One threaded local HTTP server, for every far end that is played in-process.

The console serves the sample feeds with it, and the tests play news sites and
translation services with it: each of them only says how to answer a request
(`LocalHandler` subclass); starting on a free port, serving from a daemon thread
and shutting down are done here once, so the copies cannot drift apart.
"""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LocalHandler(BaseHTTPRequestHandler):
    """A request handler that stays quiet and answers with one call."""

    def answer(self, status: int, content_type: str, body: bytes, *,
               headers: dict[str, str] | None = None, declare_length: bool = True) -> None:
        """Send a whole response; a client that already hung up is not an error."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if declare_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: callers record what they need themselves."""


class LocalHTTPServer:
    """Serves `handler` on 127.0.0.1 at a free port from a daemon thread, until stopped.

    Use as `with LocalHTTPServer(...) as server:` or `start()` ... `stop()`.
    """

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True  # a stalled answer never holds up the exit
        # A short poll interval: stopping waits for it, and tests stop servers often.
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
