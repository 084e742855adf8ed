"""The sample news set, served over local HTTP so the real ingestion reads it.

The feeds in `samples/` are invented for trying the bot offline. Their dates are
written as hours before now (`{published:3}`) and filled in when a feed is
requested, so the sample news is always recent enough for digests.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from console.local_http import LocalHandler, LocalHTTPServer

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
_PUBLISHED = re.compile(r"\{published:([\d.]+)\}")


def render_feed(template: str, now: datetime) -> str:
    """The feed with each `{published:H}` as an RFC 822 date H hours before `now`."""
    return _PUBLISHED.sub(
        lambda m: format_datetime(now - timedelta(hours=float(m[1])), usegmt=True), template)


class SampleServer(LocalHTTPServer):
    """Serves samples/feeds/*.xml on 127.0.0.1 at a free port, in a thread."""

    def __init__(self, folder: Path = SAMPLES) -> None:
        feeds = folder / "feeds"

        class Handler(LocalHandler):
            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                path = feeds / name
                if "/" in name or not name.endswith(".xml") or not path.is_file():
                    self.send_error(404)
                    return
                body = render_feed(path.read_text(encoding="utf-8"), datetime.now(UTC)).encode()
                self.answer(200, "application/rss+xml; charset=utf-8", body)

        self.folder = folder
        super().__init__(Handler)

    def catalog(self) -> str:
        """samples/catalog.toml with its feed URLs pointing at this server."""
        return (self.folder / "catalog.toml").read_text(encoding="utf-8").replace(
            "{base}", self.base)
