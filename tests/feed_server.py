"""A local HTTP server that plays news sites: feeds, errors, stalls, redirects.

Tests point sources at it so the real fetch and parse code runs over real HTTP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from console.local_http import LocalHandler, LocalHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # seconds to wait before answering
    declare_length: bool = True


class FeedServer(LocalHTTPServer):
    """Serves `Route`s by path; records the request headers it saw per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(LocalHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                if route.stall:
                    time.sleep(route.stall)
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                headers = {"ETag": route.etag} if route.etag else {}
                self.answer(route.status, route.content_type, route.body,
                            headers=headers | route.headers,
                            declare_length=route.declare_length)

        super().__init__(Handler)

    def serve(self, path: str, body: bytes = b"", **route: object) -> str:
        self.routes[path] = Route(body=body, **route)  # type: ignore[arg-type]
        return self.url(path)
