"""The Mini App's HTTP side: the page, its files, and the small JSON API it calls.

Every API request carries Telegram's launch data in `Authorization: tma <init data>`
(the convention of Telegram's Mini App SDKs); the user is taken from that signed
data only, and anything unsigned, forged or older than a day gets 401 and changes
nothing. Only the methods the page uses are routed (others get 405), and request
bodies are small and size-limited.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from digest.models import Chat
from digest.subscriptions import subscribe, unsubscribe
from runtime.context import BotData
from webapp.auth import InitDataError, WebAppUser, verify_init_data
from webapp.sessions import Sessions
from webapp.views import (
    countries_payload,
    country_by_code,
    country_payload,
    search_payload,
)

STATIC = Path(__file__).parent / "static"
MAX_API_BODY = 1024  # the app posts a country code and a flag
log = logging.getLogger(__name__)

# Scripts, styles and data come from this server only; inline scripts never run, so a
# headline that slipped into the page as markup could not execute either.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

Notify = Callable[[int, str], Awaitable[None]]


@dataclass
class WebApp:
    """What the API needs from the running bot: its data, its token (to check launch data)
    and a way to send the chat a message (the summary after the app closes)."""

    data: BotData
    token: str
    notify: Notify
    sessions: Sessions = field(default_factory=Sessions)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.index, methods=["GET"]),
            Route("/api/countries", self.countries, methods=["GET"]),
            Route("/api/country/{code}", self.country, methods=["GET"]),
            Route("/api/search", self.search, methods=["GET"]),
            Route("/api/subscription", self.subscription, methods=["POST"]),
            Route("/api/closed", self.closed, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]

    async def index(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=SECURITY_HEADERS)

    def user(self, request: Request) -> WebAppUser:
        scheme, _, raw = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "tma":
            raise HTTPException(401, "launch data required")
        try:
            return verify_init_data(raw.strip(), self.token, now=self.data.clock())
        except InitDataError as exc:
            raise HTTPException(401, str(exc)) from None

    def chat(self, user: WebAppUser) -> Chat:
        """The user's private chat with the bot: its id is the user's id."""
        return self.data.store.chat(user.id) or Chat(chat_id=user.id)

    async def countries(self, request: Request) -> Response:
        chat = self.chat(self.user(request))
        self.sessions.opened(chat)
        return JSONResponse(countries_payload(chat, self.data.newsroom.coverage))

    async def country(self, request: Request) -> Response:
        chat = self.chat(self.user(request))
        country = country_by_code(request.path_params["code"])
        if country is None:
            raise HTTPException(404, "no such country")
        newsroom = self.data.newsroom
        edition = await newsroom.edition()
        return JSONResponse(country_payload(country, chat, newsroom.coverage, newsroom.sources,
                                            edition, self.data.clock()))

    async def search(self, request: Request) -> Response:
        self.user(request)
        return JSONResponse(search_payload(request.query_params.get("q", ""),
                                           self.data.newsroom.coverage))

    async def subscription(self, request: Request) -> Response:
        """Subscribe or unsubscribe one country, through the same domain code and store
        write as /subscribe and /unsubscribe."""
        user = self.user(request)
        body = await read_json(request, MAX_API_BODY)
        country = country_by_code(str(body.get("code", "")))
        wanted = body.get("subscribed")
        if country is None or not isinstance(wanted, bool):
            raise HTTPException(400, "expected {code, subscribed}")
        chat = self.chat(user)
        self.sessions.opened(chat)
        change = (subscribe(chat, country.code, self.data.newsroom.coverage) if wanted
                  else unsubscribe(chat, country.code))
        if change.uncovered:
            raise HTTPException(409, "no outlets for this country yet")
        if change.changed:
            self.data.store.save_chat(change.chat)
        return JSONResponse({"code": country.code,
                             "subscribed": country.code in change.chat.countries,
                             "mine": list(change.chat.countries)})

    async def closed(self, request: Request) -> Response:
        """The app was closed: one short summary message if the countries changed."""
        chat = self.chat(self.user(request))
        summary = self.sessions.closed(chat)
        if summary:
            await self.notify(chat.chat_id, summary)
        return JSONResponse({"summary_sent": bool(summary)})


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The request's JSON object, refusing bodies over `limit` bytes (413) before reading
    more than that, whatever Content-Length claims."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, "body too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, "body too large")
    try:
        value = json.loads(body)
    except ValueError:
        raise HTTPException(400, "body is not JSON") from None
    if not isinstance(value, dict):
        raise HTTPException(400, "body is not a JSON object")
    return value


def build_app(routes: list[BaseRoute]) -> Starlette:
    """The one ASGI app of the bot's web server; errors answer as JSON."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code,
                            headers=exc.headers)

    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})
