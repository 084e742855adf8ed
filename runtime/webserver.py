"""The bot's one web server: the Mini App, its API, /healthz and, in webhook mode,
Telegram's updates, on one port ([webapp] listen and port).

It is Starlette on uvicorn, as in python-telegram-bot's custom-webhook example, but
run as a task of the bot's own event loop: started in post_init, stopped in
post_shutdown, so handlers, the API and the webhook share the store and the bot
without threads. The bot owns the process's signals; the server only stops when told.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator
from urllib.parse import urlsplit

import uvicorn
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import MenuButtonWebApp, Update, WebAppInfo
from telegram.error import TelegramError
from telegram.ext import Application

from runtime.context import BotData
from runtime.startup import EXIT_USAGE, StartupError
from webapp.routes import Notify, WebApp, build_app, read_json

MAX_UPDATE_BODY = 1024 * 1024  # a Telegram update is a few kilobytes
MENU_BUTTON_TEXT = "Globe"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the bot's run loop decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebServer:
    """uvicorn serving the bot's routes on a socket bound before start, so a taken port
    fails the start-up with a clear error instead of exiting from inside a task."""

    def __init__(self, routes: list[BaseRoute], host: str, port: int) -> None:
        self._socket = listening_socket(host, port)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(build_app(routes), lifespan="off", access_log=False,
                                log_config=None, timeout_graceful_shutdown=5)
        self._server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise RuntimeError("the web server stopped while starting")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task is not None:
            self._server.should_exit = True
            await self._task
            self._task = None
        self._socket.close()


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound and listening, made with an explicit IPPROTO_TCP: asyncio turns
    Nagle's algorithm off (TCP_NODELAY) only on connections of such a socket, and with it
    on, every small answer after the first on a connection waited some 40 ms for the
    client's delayed ACK (`socket.create_server` leaves the protocol 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


async def start_web_server(application: Application, data: BotData) -> WebServer | None:
    """Serve the Mini App when [webapp] url is set and updates in webhook mode; None when
    neither is on. Also points every private chat's menu button at the app."""
    config = data.config
    url, hook_url = config.webapp.url, config.telegram.webhook_url
    if not url and not hook_url:
        return None
    routes: list[BaseRoute] = [Route("/healthz", _health(application, data), methods=["GET"])]
    if hook_url:
        routes.append(_webhook_route(application, hook_url, config.telegram.webhook_secret))
    if url:
        routes += WebApp(data, config.token, _notifier(application)).routes()
    try:
        server = WebServer(routes, config.webapp.listen, config.webapp.port)
    except OSError as exc:
        raise StartupError(
            f"error: the web server cannot listen on {config.webapp.listen}:"
            f"{config.webapp.port} ({exc.strerror or exc}). Another program may be using "
            "the port: stop it or choose another [webapp] port", EXIT_USAGE) from None
    await server.start()
    log.info("web server on %s:%d", config.webapp.listen, server.port)
    if url:
        if url.startswith("http://") and urlsplit(url).hostname not in LOCAL_HOSTS:
            log.warning("[webapp] url is plain http: Telegram clients open only https Mini "
                        "Apps; fine for a local browser test, not for users")
        await application.bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp(MENU_BUTTON_TEXT, WebAppInfo(url)))
    return server


def _notifier(application: Application) -> Notify:
    async def notify(chat_id: int, text: str) -> None:
        try:
            await application.bot.send_message(chat_id, text)
        except TelegramError as exc:  # blocked, deleted: the subscriptions are saved anyway
            log.warning("could not send the Mini App summary to %s: %s", chat_id, exc)
    return notify


def _health(application: Application, data: BotData
            ) -> Callable[[Request], Awaitable[Response]]:
    async def health(request: Request) -> Response:
        """For monitors: the last successful feed read and what is waiting."""
        successes = [s.last_success for s in data.store.feed_states().values()
                     if s.last_success is not None]
        return JSONResponse({
            "ok": True,
            "last_ingestion": max(successes).isoformat() if successes else None,
            "updates_queued": application.update_queue.qsize(),
            "deliveries_in_progress": len(data.store.deliveries()),
            **_backlog(data),
            "jobs_scheduled": len(application.job_queue.jobs()) if application.job_queue
            else 0,
        })
    return health


def _webhook_route(application: Application, url: str, secret: str) -> Route:
    """Telegram's updates at the webhook URL's path; its secret header checked first."""

    async def receive(request: Request) -> Response:
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if secret and not hmac.compare_digest(given.encode(), secret.encode()):
            raise HTTPException(403, "wrong secret token")
        body = await read_json(request, MAX_UPDATE_BODY)
        update = Update.de_json(body, application.bot)
        application.bot.insert_callback_data(update)  # button data PTB keeps, as polling does
        await application.update_queue.put(update)
        return Response(status_code=200)

    return Route(urlsplit(url).path or "/", receive, methods=["POST"])


def _backlog(data: BotData) -> dict[str, float]:
    """The digests that fell due and are not delivered yet, and the longest wait."""
    backlog = data.digest_queue.backlog(data.clock())
    return {"digests_waiting": backlog.waiting,
            "oldest_digest_wait_s": round(backlog.oldest_wait_s, 1)}
