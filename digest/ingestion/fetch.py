"""Retrieve: one feed over HTTP -> `Fetched` | `NotModified` | `FetchError`.

Kept apart from parsing (as lemon24/reader does) so that every network failure
mode becomes a value with a short reason, never an exception that could stop
the other feeds of a pass. Politeness and safety live here: bounded concurrency
overall and per host, timeouts including a total deadline (a server that drips
one byte at a time never holds a slot for long), a body size cap enforced while
streaming, few redirects, conditional GET, and an honest User-Agent.

Redirects are followed here, one hop at a time, so that a feed cannot lead the
bot into the network it runs in: the configured URL is trusted (it may be local,
for tests and intranets), but a redirect to another host (another name, or
another port: another service) is refused when that host resolves to a loopback,
private, link-local or otherwise non-public address. The check resolves the name
itself, so a name pointing at 127.0.0.1 is caught as well as the literal address;
a name that changes its answer between our lookup and the connection (DNS
rebinding) is not, which would need the connection pinned to the checked address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from digest.models import FeedState

USER_AGENT = "newsbot/0.1 (+https://github.com/newsbot; a Telegram news digest; reads RSS/Atom)"
MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes
    url: str  # after redirects: the base for relative links
    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True, slots=True)
class NotModified:
    """304: the feed is as it was at the last fetch."""


@dataclass(frozen=True, slots=True)
class FetchError:
    reason: str  # short, for feed health listings


FetchResult = Fetched | NotModified | FetchError


def make_client(timeout: float) -> httpx.AsyncClient:
    """The one HTTP client for feeds (and, later, other outside HTTP)."""
    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT},
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
    )


_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


class FeedFetcher:
    """Fetches feeds through a shared client with limits on concurrency and size."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        concurrency: int = 16,
        per_host: int = 2,
        max_bytes: int = 5 * 1024 * 1024,
        deadline: float = 30.0,
    ) -> None:
        self._client = client
        self._overall = asyncio.Semaphore(concurrency)
        self._per_host_limit = per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._max_bytes = max_bytes
        self._deadline = deadline

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).hostname or ""
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self._per_host_limit)
        return self._hosts[host]

    async def fetch(self, url: str, state: FeedState) -> FetchResult:
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        async with self._host_slot(url), self._overall:
            try:
                async with asyncio.timeout(self._deadline):
                    return await self._follow(url, headers)
            except TimeoutError:
                return FetchError(f"timed out after {self._deadline:g} s")
            except httpx.TimeoutException:
                return FetchError("timed out")
            except httpx.InvalidURL:
                return FetchError("invalid URL")
            except httpx.HTTPError as exc:
                return FetchError(_network_reason(exc))

    async def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        """GET `url`, following up to MAX_REDIRECTS redirects, each checked first."""
        origin = target = httpx.URL(url)
        for _ in range(MAX_REDIRECTS + 1):
            if target is not origin and (refusal := await _refusal(origin, target)):
                return FetchError(refusal)
            async with self._client.stream("GET", target, headers=headers,
                                           follow_redirects=False) as response:
                if response.next_request is None:
                    return await self._read(response)
                target = response.next_request.url
        return FetchError("too many redirects")

    async def _read(self, response: httpx.Response) -> FetchResult:
        if response.status_code == 304:
            return NotModified()
        if response.status_code >= 400:
            return FetchError(f"HTTP {response.status_code}")
        if response.status_code != 200:
            return FetchError(f"unexpected HTTP {response.status_code}")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            return FetchError(self._too_large())
        chunks = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                return FetchError(self._too_large())
            chunks.append(chunk)
        return Fetched(
            body=b"".join(chunks),
            url=str(response.url),
            etag=response.headers.get("ETag", ""),
            last_modified=response.headers.get("Last-Modified", ""),
        )

    def _too_large(self) -> str:
        return f"body over {self._max_bytes / 1024 / 1024:g} MB"


async def _refusal(origin: httpx.URL, target: httpx.URL) -> str | None:
    """Why a redirect from the feed at `origin` to `target` may not be followed, if so."""
    if target.host == origin.host and target.port == origin.port:
        return None  # the configured host itself (port None: the scheme's default)
    host = target.raw_host.decode("ascii")
    try:
        found = await asyncio.get_running_loop().getaddrinfo(
            host, None, type=socket.SOCK_STREAM)
    except OSError:
        return f"redirect to {host} refused: the name does not resolve"
    for *_, address in found:
        kind = _non_public(str(address[0]))
        if kind:
            return f"redirect to {host} refused: its address is {kind}"
    return None


def _non_public(text: str) -> str:
    """The kind of a non-public IP address ("loopback", "private"...); "" if public."""
    address = ipaddress.ip_address(text.split("%", 1)[0])  # IPv6 link-local: fe80::1%eth0
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for kind in ("loopback", "unspecified", "link_local", "private", "multicast", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "" if address.is_global else "non-public"


def _network_reason(exc: httpx.HTTPError) -> str:
    """A short reason without the URL (feed health lists name the feed already)."""
    kind = {
        httpx.ConnectError: "connection failed",
        httpx.RemoteProtocolError: "connection dropped",
        httpx.DecodingError: "undecodable response",
    }
    for cls, text in kind.items():
        if isinstance(exc, cls):
            return text
    return f"network error ({type(exc).__name__})"
