"""The sample news set, served over local HTTP so the real ingestion reads it.

The feeds in `samples/` are invented for trying the bot offline. Their dates are
written as hours before now (`{published:3}`) and filled in when a feed is
requested, so the sample news is always recent enough for digests.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
_PUBLISHED = re.compile(r"\{published:([\d.]+)\}")


def render_feed(template: str, now: datetime) -> str:
    """The feed with each `{published:H}` as an RFC 822 date H hours before `now`."""
    return _PUBLISHED.sub(
        lambda m: format_datetime(now - timedelta(hours=float(m[1])), usegmt=True), template)


class SampleServer:
    """Serves samples/feeds/*.xml on 127.0.0.1 at a free port, in a thread."""

    def __init__(self, folder: Path = SAMPLES) -> None:
        feeds = folder / "feeds"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                path = feeds / name
                if "/" in name or not name.endswith(".xml") or not path.is_file():
                    self.send_error(404)
                    return
                body = render_feed(path.read_text(encoding="utf-8"), datetime.now(UTC)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the console shows the conversation, not requests."""

        self.folder = folder
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"

    def catalog(self) -> str:
        """samples/catalog.toml with its feed URLs pointing at this server."""
        return (self.folder / "catalog.toml").read_text(encoding="utf-8").replace(
            "{base}", self.base)

    def __enter__(self) -> SampleServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
