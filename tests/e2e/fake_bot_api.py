"""A fake Telegram Bot API server for end-to-end tests.

The bot under test is the real thing: a python-telegram-bot ``Application`` built with
``.base_url(api.base_url)`` long-polls this server over real HTTP and sends its replies here.
Only the far end is fake, so the tests exercise PTB's request encoding, its error mapping
(``RetryAfter``, ``Forbidden``, ``BadRequest``, ``NetworkError``) and our handlers together.

The server is a stdlib ``ThreadingHTTPServer`` in a daemon thread; all state sits behind one
``threading.Condition`` so that ``getUpdates`` can block until an update is pushed and tests can
wait for calls without sleep-polling. Nothing here touches asyncio except ``wait_for_async``,
which moves the blocking wait to a worker thread: the bot under test often runs in the test's
own event loop, and blocking that loop would starve the very bot we are waiting for.

Behaviour follows the Bot API spec (Bot API 10.1, ``api.json``) and Telegram's observable
quirks where tests are likely to meet them: per-chat message ids, ``parse_mode=HTML`` parsed
into plain text plus entities (with Telegram's "can't parse entities" errors), leading and
trailing whitespace trimmed, ``editMessageText`` without ``reply_markup`` dropping the
keyboard, "message is not modified", callback queries answerable once.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import re
import select
import socket
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

JSONDict = dict[str, Any]

BOT_USER: JSONDict = {
    "id": 999,
    "is_bot": True,
    "first_name": "NewsBot",
    "username": "test_news_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}

# Method parameters whose only type in the spec is String (derived from api.json, Bot API 10.1).
# PTB sends strings as-is and JSON-encodes everything else, so these must not be JSON-decoded:
# a message text "123" or "true" has to stay a string.
# fmt: off
_STRING_PARAMS = frozenset({
    "action", "address", "bio", "business_connection_id", "callback_query_id", "caption",
    "chat_join_request_query_id", "comment", "currency", "custom_description",
    "custom_emoji_id", "custom_title", "description", "description_parse_mode", "emoji",
    "emoji_status_custom_emoji_id", "error_message", "explanation", "explanation_parse_mode",
    "file_id", "first_name", "format", "foursquare_id", "foursquare_type", "game_short_name",
    "gift_id", "google_place_id", "google_place_type", "guest_query_id", "icon_custom_emoji_id",
    "inline_message_id", "inline_query_id", "invite_link", "ip_address", "language_code",
    "last_name", "message_effect_id", "name", "next_offset", "old_sticker", "owned_gift_id",
    "parse_mode", "payload", "performer", "phone_number", "photo_url", "pre_checkout_query_id",
    "provider_data", "provider_token", "question", "question_parse_mode", "secret_token",
    "shipping_query_id", "short_description", "start_parameter", "sticker_format",
    "sticker_set_name", "sticker_type", "tag", "telegram_payment_charge_id", "text",
    "text_parse_mode", "title", "type", "url", "username", "vcard", "web_app_query_id",
    "web_app_url",
})
# fmt: on

# fmt: off
_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
# fmt: on

# Telegram's default when allowed_updates was never set (or set to []).
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_PATH_RE = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)/?")
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_HTML_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: _CONFLICT,
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request, kept so tests can look at what the bot uploaded."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Call:
    """One request the bot made, as the server understood it.

    ``params`` holds JSON-decoded values (``reply_markup`` is a dict, ``chat_id`` an int),
    ``time`` is ``time.monotonic()`` when the answer was ready, ``response`` the JSON answer
    that was sent, or ``None`` when no answer reached the bot (dropped on purpose, or the bot
    hung up on a long poll).
    """

    method: str
    params: JSONDict
    time: float
    token: str = ""
    response: JSONDict | None = None

    @property
    def ok(self) -> bool:
        """Whether Telegram would have said ``"ok": true``."""
        return bool(self.response and self.response.get("ok"))

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call (a Message dict for sendMessage), else None."""
        return self.response.get("result") if self.response else None

    @property
    def description(self) -> str | None:
        """The error description of a failed call, else None."""
        return self.response.get("description") if self.response else None


class ApiError(Exception):
    """A Bot API error answer; raised inside method handlers, turned into the JSON reply."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSONDict:
        """The body Telegram sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Fault:
    """An injected error for the next call(s) of one method."""

    error: ApiError
    chat_id: int | str | None
    times: int


@dataclass
class _Chat:
    """A chat as the fake knows it: its Chat object and every live message, bot's or user's."""

    info: JSONDict
    messages: dict[int, JSONDict] = field(default_factory=dict)
    last_message_id: int = 0

    def new_message_id(self) -> int:
        """Message ids are sequential per chat, shared by the bot's and the users' messages."""
        self.last_message_id += 1
        return self.last_message_id


def _utf16_len(text: str) -> int:
    """Entity offsets and lengths are counted in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _decode_value(name: str, raw: str) -> Any:
    """Undo PTB's encoding: strings travel as-is, everything else as JSON."""
    if name in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # "@channelusername" for chat_id, or a string param we do not know


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Parse multipart/form-data with the stdlib email parser (``cgi`` is deprecated)."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("multipart body without parts")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            assert isinstance(payload, bytes)
            fields[name] = UploadedFile(filename, part.get_content_type(), payload)
        else:
            fields[name] = payload.decode("utf-8")
    return fields


def parse_request_params(query: str, content_type: str, body: bytes) -> JSONDict:
    """Decode a Bot API request the way Telegram does: query string plus any supported body."""
    raw: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    mime = content_type.split(";", 1)[0].strip().lower()
    if body:
        if mime == "application/x-www-form-urlencoded":
            raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        elif mime == "multipart/form-data":
            raw.update(_parse_multipart(content_type, body))
        elif mime == "application/json":
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise ValueError("JSON body must be an object")
            raw.update(decoded)
        else:
            raise ValueError(f"unsupported Content-Type {content_type!r}")
    return {
        name: _decode_value(name, value) if isinstance(value, str) else value
        for name, value in raw.items()
    }


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Turn Telegram-HTML into (plain text, entities), failing where Telegram fails.

    Follows tdlib's parser: only Telegram's tags, ``<`` must start a tag, a bare ``&`` that is
    no entity stays literal, only ``&lt; &gt; &amp; &quot;`` and numeric entities are decoded.
    Errors carry tdlib's wording (without the "can't parse entities: " prefix).
    """
    tags = {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "code", "pre", "blockquote", "tg-emoji",
    }  # fmt: skip
    simple = {
        "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
        "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
        "del": "strikethrough", "span": "spoiler", "tg-spoiler": "spoiler", "code": "code",
    }  # fmt: skip
    out: list[str] = []
    out_len = 0  # UTF-16 units emitted so far
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[JSONDict] = []
    n = len(source)

    def at(pos: int) -> int:
        return len(source[:pos].encode("utf-8"))

    def emit(chunk: str) -> None:
        nonlocal out_len
        out.append(chunk)
        out_len += _utf16_len(chunk)

    def decode_entity(pos: int) -> tuple[str, int] | None:
        match = _HTML_ENTITY_RE.match(source, pos)
        if not match:
            return None
        dec, hexa, name = match.groups()
        if name:
            return _NAMED_HTML_ENTITIES[name], match.end()
        code = int(dec) if dec else int(hexa, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), match.end()

    i = 0
    while i < n:
        char = source[i]
        if char == "&":
            decoded = decode_entity(i)
            if decoded:
                emit(decoded[0])
                i = decoded[1]
            else:
                emit("&")
                i += 1
            continue
        if char != "<":
            emit(char)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and source[i] == "/":
            if not stack:
                raise ValueError(f"Unexpected end tag at byte offset {at(begin)}")
            i += 1
            name_start = i
            while i < n and not source[i].isspace() and source[i] != ">":
                i += 1
            end_name = source[name_start:i].lower()
            while i < n and source[i].isspace():
                i += 1
            if i >= n or source[i] != ">":
                raise ValueError(f"Unclosed end tag at byte offset {at(begin)}")
            i += 1
            tag, start, attrs = stack.pop()
            if end_name and end_name != tag:
                raise ValueError(
                    f'Unmatched end tag at byte offset {at(begin)}, expected "</{tag}>", '
                    f'found "</{end_name}>"'
                )
            length = out_len - start
            if length <= 0:
                continue
            entity: JSONDict = {"offset": start, "length": length}
            if tag == "code" and stack and stack[-1][0] == "pre":
                language = attrs.get("class", "")
                if language.startswith("language-"):
                    stack[-1][2]["language"] = language.removeprefix("language-")
                    continue  # <pre><code class="language-x"> is one pre entity
            if tag in simple:
                entity["type"] = simple[tag]
            elif tag == "a":
                href = attrs.get("href", "")
                if not href:
                    continue
                entity.update(type="text_link", url=href)
            elif tag == "pre":
                entity["type"] = "pre"
                if attrs.get("language"):
                    entity["language"] = attrs["language"]
            elif tag == "blockquote":
                expandable = "expandable" in attrs
                entity["type"] = "expandable_blockquote" if expandable else "blockquote"
            else:  # tg-emoji
                entity.update(type="custom_emoji", custom_emoji_id=attrs.get("emoji-id", ""))
            entities.append(entity)
            continue
        # a start tag
        name_start = i
        while i < n and not source[i].isspace() and source[i] != ">":
            i += 1
        if i >= n:
            raise ValueError(f"Unclosed start tag at byte offset {at(begin)}")
        tag = source[name_start:i].lower()
        if tag not in tags:
            raise ValueError(f'Unsupported start tag "{tag}" at byte offset {at(begin)}')
        attrs = {}
        while True:
            while i < n and source[i].isspace():
                i += 1
            if i >= n:
                raise ValueError(f'Unclosed start tag "{tag}" at byte offset {at(begin)}')
            if source[i] == ">":
                i += 1
                break
            attr_start = i
            while i < n and not source[i].isspace() and source[i] not in "=>":
                i += 1
            attr = source[attr_start:i].lower()
            if not attr:
                raise ValueError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {at(begin)}'
                )
            while i < n and source[i].isspace():
                i += 1
            if i >= n or source[i] != "=":
                if tag == "blockquote" and attr == "expandable":
                    attrs[attr] = ""
                    continue
                raise ValueError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {at(begin)}"
                )
            i += 1
            while i < n and source[i].isspace():
                i += 1
            if i >= n:
                raise ValueError(f'Unclosed start tag "{tag}" at byte offset {at(begin)}')
            value: list[str] = []
            if source[i] in "'\"":
                quote = source[i]
                i += 1
                while i < n and source[i] != quote:
                    decoded = decode_entity(i) if source[i] == "&" else None
                    if decoded:
                        value.append(decoded[0])
                        i = decoded[1]
                    else:
                        value.append(source[i])
                        i += 1
                i += 1
            else:
                token_start = i
                while i < n and (source[i].isalnum() or source[i] in ".-"):
                    i += 1
                if i < n and not source[i].isspace() and source[i] != ">":
                    raise ValueError(f"Unexpected end of name token at byte offset {at(i)}")
                value.append(source[token_start:i].lower())
            attrs[attr] = "".join(value)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise ValueError(f'Tag "span" must have class "tg-spoiler" at byte offset {at(begin)}')
        stack.append((tag, out_len, attrs))
    if stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _strip_text(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram trims leading and trailing whitespace; entities move with the text."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = _utf16_len(text[: len(text) - len(text.lstrip())])
    size = _utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def _update_kind(update: JSONDict) -> str:
    """The update type, i.e. the one field besides update_id."""
    return next((key for key in update if key != "update_id"), "")


def _as_int(value: Any, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, "Bad Request: wrong parameter type") from None


class _Handler(BaseHTTPRequestHandler):
    """Speaks HTTP/1.1 with keep-alive, as httpx expects; hands each request to the fake."""

    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: headers and body go out in two writes; with Nagle's algorithm and the
    # client's delayed ACK every request would take ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the recorded calls are the log."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _client_alive(self) -> bool:
        """False once the client hung up (a cancelled long poll): the socket reads EOF."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return True
            return self.connection.recv(1, socket.MSG_PEEK) != b""
        except OSError:
            return False

    def _serve(self) -> None:
        api = self.server.api
        url = urlsplit(self.path)
        body = self._read_body()
        match = _PATH_RE.fullmatch(url.path)
        if not match:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        try:
            params = parse_request_params(url.query, self.headers.get("Content-Type", ""), body)
        except ValueError as exc:
            self._reply(400, ApiError(400, f"Bad Request: {exc}").payload())
            return
        try:
            outcome = api._dispatch(match["method"], match["token"], params, self._client_alive)
        except Exception as exc:  # a bug in the fake: say so loudly, not as a network error
            api._server_errors.append(traceback.format_exc())
            self._reply(500, ApiError(500, f"Internal Server Error: fake: {exc!r}").payload())
            return
        if outcome is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._reply(*outcome)

    def _reply(self, status: int, body: bytes | JSONDict) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    """Tracks open connections so ``stop()`` can hang up on idle keep-alive clients."""

    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when several bot processes
    # open their connection pools at once.
    request_queue_size = 128

    def __init__(self, api: FakeBotAPI, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.api = api
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def hang_up_all(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is normal; anything else is a bug in the fake."""
        if not isinstance(sys.exc_info()[1], OSError):
            self.api._server_errors.append(traceback.format_exc())


class FakeBotAPI:
    """A local Bot API server: records every call, lets tests push updates and inject faults.

    Use as a context manager or with ``start()``/``stop()``; point PTB at ``base_url``::

        api.push_message(42, "/start")                 # a user writes; sets the wait mark
        reply = await api.wait_for_async("sendMessage")  # the bot's answer (a Call)
        api.push_button(42, reply.result["message_id"], "Japan")
        await api.wait_for_async("editMessageText")
        assert api.message(42, reply.result["message_id"])["text"] == "..."
    """

    def __init__(self, *, host: str = "127.0.0.1", parse_html: bool = True) -> None:
        self._host = host
        self._parse_html = parse_html
        self._cond = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._started_at = time.monotonic()
        self._calls: list[Call] = []
        self._mark = 0
        self._tokens: list[str] = []
        self._updates: list[JSONDict] = []
        self._next_update_id = 10_001
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._chats: dict[int | str, _Chat] = {}
        self._users: dict[int, JSONDict] = {}
        self._ids = itertools.count(4_000_000_000_000_000_001)
        self._open_callback_queries: set[str] = set()
        self._open_inline_queries: set[str] = set()
        self.webhook: JSONDict = {}  # the parameters of the last setWebhook
        self.menu_buttons: dict[str, JSONDict] = {}  # by chat id; "" is the default
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._drops: dict[str, int] = {}
        self._blocked: set[int | str] = set()
        self._chat_admins: dict[int | str, tuple[int, ...]] = {}
        self._per_second: float | None = None
        self._per_group_per_minute: float | None = None
        self._send_times: deque[float] = deque()
        self._hold: Callable[[JSONDict], bool] | None = None
        self._held = 0
        self._group_send_times: dict[int | str, deque[float]] = {}
        self._server_errors: list[str] = []
        self.too_many_requests = 0
        self._methods: dict[str, Callable[[JSONDict], Any]] = {
            "getMe": lambda _p: dict(BOT_USER),
            "getUpdates": self._get_updates,  # called with the client's liveness check
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setChatMenuButton": self._set_chat_menu_button,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "sendChatAction": self._send_chat_action,
            "getChatMember": self._get_chat_member,
            "close": lambda _p: True,
            "logOut": lambda _p: True,
        }
        # Telegram treats method names case-insensitively.
        self._canonical = {name.lower(): name for name in self._methods}

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeBotAPI:
        """Bind an ephemeral port on localhost and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._stopping = False
        self._started_at = time.monotonic()
        self._server = _Server(self, self._host)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns within ~50 ms
            name="FakeBotAPI",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake every waiter (long polls return empty), hang up on clients, free the port."""
        if self._server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.hang_up_all()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._server is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What to pass to ``ApplicationBuilder.base_url`` / ``Bot(base_url=...)``."""
        return f"http://{self._host}:{self.port}/bot"

    @property
    def token(self) -> str | None:
        """The token of the latest request (any token is accepted)."""
        with self._cond:
            return self._tokens[-1] if self._tokens else None

    @property
    def tokens(self) -> list[str]:
        """Every distinct token seen, in order of first use."""
        with self._cond:
            return list(self._tokens)

    @property
    def bot_user(self) -> JSONDict:
        """The bot's User object as getMe returns it."""
        return dict(BOT_USER)

    @property
    def server_errors(self) -> list[str]:
        """Tracebacks of bugs inside the fake (answered with 500); should stay empty."""
        return list(self._server_errors)

    # ----------------------------------------------------------------- reading calls

    def calls(self, method: str | None = None) -> list[Call]:
        """Every recorded call, or those of one method, oldest first."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def sent_messages(self, chat_id: int | str | None = None) -> list[Call]:
        """The successful sendMessage calls (to one chat); ``call.result`` is the Message."""
        return [
            c
            for c in self.calls("sendMessage")
            if c.ok and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts of the messages sent, as users see them (after HTML parsing)."""
        return [c.result["text"] for c in self.sent_messages(chat_id)]

    def message(self, chat_id: int | str, message_id: int) -> JSONDict:
        """The current state of a message (text, entities, reply_markup after edits)."""
        with self._cond:
            chat = self._chats.get(chat_id)
            if chat is None or message_id not in chat.messages:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            return copy.deepcopy(chat.messages[message_id])

    def bot_messages(self, chat_id: int | str) -> list[JSONDict]:
        """The bot's live (not deleted) messages in a chat, oldest first, in current state."""
        with self._cond:
            chat = self._chats.get(chat_id)
            if chat is None:
                return []
            return [
                copy.deepcopy(m)
                for m in chat.messages.values()
                if m["from"]["id"] == BOT_USER["id"]
            ]

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """The command menu set with setMyCommands for a scope and language."""
        with self._cond:
            return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    def pending_updates(self) -> list[JSONDict]:
        """Updates pushed but not yet confirmed by the bot (via a higher getUpdates offset)."""
        with self._cond:
            return copy.deepcopy(self._updates)

    def mark(self) -> int:
        """Make later ``wait_for`` calls count only calls from now on; returns the position.

        Every ``push_*`` sets the mark too, so "push, then wait for the reply" just works.
        """
        with self._cond:
            self._mark = len(self._calls)
            return self._mark

    def wait_for(
        self,
        method: str | None,
        predicate: Callable[[Call], bool] | None = None,
        *,
        timeout: float = 5.0,
        count: int = 1,
        since: int | None = None,
    ) -> Call:
        """Block until ``count`` matching calls arrived since the mark; return the last of them.

        Blocking: never call this from a coroutine while the bot runs in the same event loop;
        use ``wait_for_async`` there.
        """
        return self.wait_for_all(method, predicate, timeout=timeout, count=count, since=since)[-1]

    def wait_for_all(
        self,
        method: str | None,
        predicate: Callable[[Call], bool] | None = None,
        *,
        timeout: float = 5.0,
        count: int = 1,
        since: int | None = None,
    ) -> list[Call]:
        """Like ``wait_for`` but return the first ``count`` matching calls, oldest first.

        ``since`` is a position from ``mark()``; by default the latest mark (last push_*).
        Raises AssertionError with a dump of recent calls on timeout.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            start = self._mark if since is None else since
            while True:
                found = [
                    c
                    for c in self._calls[start:]
                    if (method is None or c.method == method)
                    and (predicate is None or predicate(c))
                ]
                if len(found) >= count:
                    return found[:count]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping:
                    break
                self._cond.wait(remaining)
            report = self._report(start)
        hint = ""
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            hint = (
                "\nHint: wait_for() blocked a running event loop; if the bot runs in it, "
                "use `await api.wait_for_async(...)`."
            )
        what = f"{count} {method or 'any'} call(s)" + (" matching predicate" if predicate else "")
        raise AssertionError(
            f"timed out after {timeout}s waiting for {what}; got {len(found)}.\n{report}{hint}"
        )

    async def wait_for_async(
        self,
        method: str | None,
        predicate: Callable[[Call], bool] | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the thread's wait timeout
        count: int = 1,
        since: int | None = None,
    ) -> Call:
        """``wait_for`` in a worker thread, so the event loop (and the bot in it) keeps going."""
        if since is None:
            since = self._mark  # the mark as of now, not when the thread gets scheduled
        return await asyncio.to_thread(
            self.wait_for, method, predicate, timeout=timeout, count=count, since=since
        )

    async def wait_for_all_async(
        self,
        method: str | None,
        predicate: Callable[[Call], bool] | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the thread's wait timeout
        count: int = 1,
        since: int | None = None,
    ) -> list[Call]:
        """``wait_for_all`` in a worker thread."""
        if since is None:
            since = self._mark
        return await asyncio.to_thread(
            self.wait_for_all, method, predicate, timeout=timeout, count=count, since=since
        )

    def _report(self, start: int, limit: int = 25) -> str:
        """Recent calls, for timeout messages; long polls are summarised, not listed."""
        calls = self._calls[start:]
        polls = sum(c.method == "getUpdates" for c in calls)
        shown = [c for c in calls if c.method != "getUpdates"][-limit:]
        lines = [
            f"Calls since position {start} ({len(calls)} total, {polls} getUpdates not shown; "
            f"{len(self._updates)} update(s) still unconfirmed):"
        ]
        for c in shown:
            params = json.dumps(c.params, default=repr, ensure_ascii=False)
            if len(params) > 300:
                params = params[:300] + "..."
            outcome = (
                "no response"
                if c.response is None
                else "ok"
                if c.ok
                else f"{c.response.get('error_code')} {c.description}"
            )
            lines.append(f"  +{c.time - self._started_at:7.3f}s {c.method} {params} -> {outcome}")
        if not shown:
            lines.append("  (none)")
        if self._server_errors:
            lines.append(f"Fake server errors:\n{self._server_errors[-1]}")
        return "\n".join(lines)

    # ----------------------------------------------------------------- pushing updates

    def push_raw(self, update: JSONDict) -> int:
        """Queue any Update dict; an update_id is assigned if missing. Returns the update_id."""
        with self._cond:
            return self._enqueue(copy.deepcopy(update))

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        first_name: str = "Ann",
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> int:
        """A user writes ``text`` in a chat; returns the update_id.

        Private chats have positive ids (the user's id by default); groups negative ids and
        chat_type "group" (or "supergroup"), which is the default for a negative id. A leading
        "/command" (or "/command@bot") gets the ``bot_command`` entity CommandHandler needs.
        """
        chat_type = chat_type or ("private" if chat_id > 0 else "group")
        if (chat_type == "private") != (chat_id > 0):
            raise ValueError(f"chat_type {chat_type!r} does not fit chat id {chat_id}")
        with self._cond:
            user = self._user(user_id or (chat_id if chat_type == "private" else 1), first_name)
            if username is not None:
                user["username"] = username
            chat = self._chat(chat_id, chat_type, user)
            message: JSONDict = {
                "message_id": chat.new_message_id(),
                "from": dict(user),
                "chat": dict(chat.info),
                "date": int(time.time()),
                "text": text,
            }
            command = _COMMAND_RE.match(text)
            if command:
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": _utf16_len(command.group())}
                ]
            if reply_to_message_id is not None:
                message["reply_to_message"] = copy.deepcopy(
                    self._stored(chat_id, reply_to_message_id)
                )
            chat.messages[message["message_id"]] = message
            return self._enqueue({"message": copy.deepcopy(message)})

    def push_callback(
        self,
        chat_id: int | str,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        check_button: bool = True,
    ) -> str:
        """A user presses an inline button under a stored message; returns the query id.

        The update carries the message as it is now (text and reply_markup after edits).
        With ``check_button`` the data must belong to a button of that keyboard, as it would
        on a real client; pass False to simulate stale or forged callback data.
        """
        with self._cond:
            message = self._stored(chat_id, message_id)
            if check_button:
                buttons = [
                    button.get("callback_data")
                    for row in message.get("reply_markup", {}).get("inline_keyboard", [])
                    for button in row
                ]
                if data not in buttons:
                    raise ValueError(
                        f"message {message_id} in chat {chat_id} has no button with callback "
                        f"data {data!r}; it has {buttons}"
                    )
            chat = self._chats[chat_id]
            default_user = chat_id if chat.info["type"] == "private" else 1
            user = self._user(int(user_id or default_user))
            query_id = str(next(self._ids))
            self._open_callback_queries.add(query_id)
            self._enqueue(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": dict(user),
                        "message": copy.deepcopy(message),
                        "chat_instance": f"ci{chat_id}",
                        "data": data,
                    }
                }
            )
            return query_id

    def push_button(
        self, chat_id: int | str, message_id: int, label: str, *, user_id: int | None = None
    ) -> str:
        """Press the inline button whose text is ``label``; returns the callback query id."""
        with self._cond:
            message = self._stored(chat_id, message_id)
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            data = next(
                (b.get("callback_data") for r in rows for b in r if b["text"] == label), None
            )
            if data is None:
                labels = [b["text"] for r in rows for b in r]
                raise ValueError(f"no callback button {label!r} under message; have {labels}")
        return self.push_callback(chat_id, message_id, data, user_id=user_id)

    def push_inline_query(
        self, user_id: int, query: str, offset: str = "", *, chat_type: str | None = "sender"
    ) -> str:
        """A user types ``@test_news_bot query``; returns the inline query id."""
        with self._cond:
            query_id = str(next(self._ids))
            inline: JSONDict = {
                "id": query_id,
                "from": dict(self._user(user_id)),
                "query": query,
                "offset": offset,
            }
            if chat_type:
                inline["chat_type"] = chat_type
            self._open_inline_queries.add(query_id)
            self._enqueue({"inline_query": inline})
            return query_id

    def push_inline_button(self, user_id: int, data: str) -> str:
        """A button under a message the bot sent through inline mode: the callback query has
        ``inline_message_id`` and no ``message``. Returns the query id."""
        with self._cond:
            query_id = str(next(self._ids))
            self._open_callback_queries.add(query_id)
            self._enqueue({"callback_query": {
                "id": query_id, "from": dict(self._user(user_id)),
                "inline_message_id": f"inline-{query_id}", "chat_instance": "ci-inline",
                "data": data}})
            return query_id

    def _enqueue(self, update: JSONDict) -> int:
        """Caller holds the lock."""
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        self._updates.append(update)
        self._mark = len(self._calls)
        self._cond.notify_all()
        return update["update_id"]

    def _user(self, user_id: int, first_name: str | None = None) -> JSONDict:
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": first_name or "Ann"}
        )
        if first_name:
            user["first_name"] = first_name
        return user

    def _chat(self, chat_id: int | str, chat_type: str, user: JSONDict | None = None) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            info: JSONDict = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                info["first_name"] = user["first_name"] if user else "Ann"
                if user and "username" in user:
                    info["username"] = user["username"]
            else:
                info["title"] = f"Chat {chat_id}"
            chat = self._chats[chat_id] = _Chat(info)
        return chat

    def _chat_for_send(self, chat_id: Any) -> _Chat:
        """The chat a bot method addresses; unknown chats are made up rather than refused."""
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat_id in self._chats:
            return self._chats[chat_id]
        if isinstance(chat_id, str):
            if not chat_id.startswith("@"):
                raise ApiError(400, "Bad Request: chat not found")
            return self._chat(chat_id, "channel")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        return self._chat(chat_id, "private" if chat_id > 0 else "group", self._users.get(chat_id))

    def _stored(self, chat_id: int | str, message_id: int) -> JSONDict:
        chat = self._chats.get(chat_id)
        if chat is None or message_id not in chat.messages:
            known = sorted(chat.messages) if chat else []
            raise KeyError(f"no message {message_id} in chat {chat_id}; known ids: {known}")
        return chat.messages[message_id]

    # ----------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        *,
        code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id``, if given) with an error.

        429 gets "Too Many Requests: retry after N" and ``parameters.retry_after`` (default 1);
        403 "Forbidden: bot was blocked by the user"; 400 "Bad Request: chat not found".
        """
        parameters: JSONDict = {}
        if code == 429 or retry_after is not None:
            retry_after = 1 if retry_after is None else retry_after
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        if description is None:
            if code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            elif migrate_to_chat_id is not None:
                description = "Bad Request: group chat was upgraded to a supergroup chat"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(code, f"Error {code}")
        fault = _Fault(ApiError(code, description, parameters or None), chat_id, times)
        with self._cond:
            self._faults.setdefault(method, deque()).append(fault)

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection without answering the next ``times`` calls of ``method``."""
        with self._cond:
            self._drops[method] = self._drops.get(method, 0) + times

    def set_chat_admins(self, chat_id: int | str, creator: int, *administrators: int) -> None:
        """Who runs a group, as getChatMember reports it. A group never set is created by
        user 1, push_message's default sender in groups; everyone else is a member."""
        with self._cond:
            self._chat_admins[chat_id] = (creator, *administrators)

    def block_chat(self, chat_id: int | str) -> None:
        """The user blocked the bot (or kicked it from the group): sends answer 403."""
        with self._cond:
            self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int | str) -> None:
        """Undo ``block_chat``."""
        with self._cond:
            self._blocked.discard(chat_id)

    def rate_limit(
        self, per_second: float | None = 30, *, per_group_per_minute: float | None = None
    ) -> None:
        """Answer sendMessage with 429 beyond ``per_second`` overall (rolling second) or
        ``per_group_per_minute`` per group chat (rolling minute); None switches a limit off.

        Rejections are counted in ``too_many_requests``.
        """
        with self._cond:
            self._per_second = per_second
            self._per_group_per_minute = per_group_per_minute
            self._send_times.clear()
            self._group_send_times.clear()

    def hold(self, sends: Callable[[JSONDict], bool] = lambda _params: True) -> None:
        """Keep the answers to the sendMessage calls that ``sends(params)`` picks until
        ``release()``. A call whose client hangs up meanwhile (a process killed) is
        recorded unanswered and its message never sent, as if it never reached Telegram."""
        with self._cond:
            self._hold = sends

    def release(self) -> None:
        """Answer the calls held, and hold no more."""
        with self._cond:
            self._hold = None
            self._cond.notify_all()

    def wait_held(self, count: int, timeout: float = 5.0) -> None:
        """Block until ``count`` calls are held at once."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._held >= count, timeout):
                raise AssertionError(f"{self._held} calls held after {timeout} s, "
                                     f"expected {count}")

    def _wait_released(self, client_alive: Callable[[], bool]) -> None:
        self._held += 1
        self._cond.notify_all()
        try:
            while self._hold is not None and not self._stopping:
                if not client_alive():
                    raise _ClientGone
                self._cond.wait(0.05)
            if not client_alive():  # hung up just before the release
                raise _ClientGone
        finally:
            self._held -= 1

    def _check_faults(self, method: str, params: JSONDict) -> None:
        faults = self._faults.get(method)
        if not faults:
            return
        for fault in faults:
            if fault.chat_id is None or fault.chat_id == params.get("chat_id"):
                fault.times -= 1
                if fault.times <= 0:
                    faults.remove(fault)
                raise ApiError(fault.error.code, fault.error.description, fault.error.parameters)

    def _check_blocked(self, params: JSONDict) -> None:
        chat_id = params.get("chat_id")
        if chat_id is not None and chat_id in self._blocked:
            if isinstance(chat_id, int) and chat_id < 0:
                raise ApiError(403, "Forbidden: bot was kicked from the group chat")
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _check_rate(self, method: str, params: JSONDict) -> None:
        if method != "sendMessage":
            return
        now = time.monotonic()
        windows: list[tuple[deque[float], float, float]] = []
        if self._per_second is not None:
            windows.append((self._send_times, self._per_second, 1.0))
        chat_id = params.get("chat_id")
        if self._per_group_per_minute is not None and isinstance(chat_id, int) and chat_id < 0:
            group = self._group_send_times.setdefault(chat_id, deque())
            windows.append((group, self._per_group_per_minute, 60.0))
        for times, limit, span in windows:
            while times and now - times[0] >= span:
                times.popleft()
            if len(times) >= limit:
                self.too_many_requests += 1
                retry = max(1, math.ceil(span - (now - times[0])))
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                )
        for times, _, _ in windows:
            times.append(now)

    # ----------------------------------------------------------------- dispatch

    def _dispatch(
        self,
        raw_method: str,
        token: str,
        params: JSONDict,
        client_alive: Callable[[], bool],
    ) -> tuple[int, bytes] | None:
        """Answer one request: (HTTP status, JSON body), or None to hang up without answer."""
        method = self._canonical.get(raw_method.lower(), raw_method)
        with self._cond:
            if token not in self._tokens:
                self._tokens.append(token)
            if self._drops.get(method):
                self._drops[method] -= 1
                self._record(Call(method, params, time.monotonic(), token, None))
                return None
            try:
                self._check_faults(method, params)
                handler = self._methods.get(method)
                if handler is None:
                    raise ApiError(404, "Not Found: method not found")
                self._check_blocked(params)
                self._check_rate(method, params)
                if method == "sendMessage" and self._hold is not None and self._hold(params):
                    self._wait_released(client_alive)
                if method == "getUpdates":
                    result = self._get_updates(params, client_alive)
                else:
                    result = handler(params)
                response: JSONDict = {"ok": True, "result": result}
                status = 200
            except ApiError as error:
                response, status = error.payload(), error.code
            except _ClientGone:
                self._record(Call(method, params, time.monotonic(), token, None))
                return None
            body = json.dumps(response, ensure_ascii=False).encode("utf-8")
            # The recorded response is a decoded copy, so later edits cannot change history.
            self._record(Call(method, params, time.monotonic(), token, json.loads(body)))
            return status, body

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._cond.notify_all()

    # ----------------------------------------------------------------- methods

    def _get_updates(
        self, params: JSONDict, client_alive: Callable[[], bool] = lambda: True
    ) -> list[JSONDict]:
        """Long polling: confirm below ``offset``, then wait up to ``timeout`` for an update.

        As on Telegram, one poll at a time: a new one ends the one waiting with 409, and
        polling while a webhook is set is refused with 409.
        """
        if self.webhook.get("url"):
            raise ApiError(409, _WEBHOOK_ACTIVE)
        offset = _as_int(params.get("offset"), 0) or 0
        limit = min(max(_as_int(params.get("limit"), 100) or 100, 1), 100)
        try:
            timeout = max(float(params.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: wrong parameter type") from None
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()  # an older poll still waiting gets 409, as on Telegram
        deadline = time.monotonic() + timeout
        while True:
            ready = self._deliverable()
            if ready or self._stopping:
                return copy.deepcopy(ready[:limit])
            if not client_alive():
                raise _ClientGone
            if generation != self._poll_generation:
                raise ApiError(409, _CONFLICT)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            # Wake at least every 0.1 s to notice a client that hung up (cancelled poll).
            self._cond.wait(min(remaining, 0.1))

    def _deliverable(self) -> list[JSONDict]:
        """Pending updates the bot asked for; others are dropped, as Telegram does."""
        if self._allowed_updates is None:
            keep = [u for u in self._updates if _update_kind(u) not in _DEFAULT_EXCLUDED_UPDATES]
        else:
            keep = [u for u in self._updates if _update_kind(u) in self._allowed_updates]
        self._updates = keep
        return keep

    def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        self.webhook = {}
        return True

    def _set_webhook(self, params: JSONDict) -> bool:
        """Recorded only: tests deliver webhook updates to the bot themselves."""
        if not str(params.get("url", "")).startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = dict(params)
        return True

    def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _set_chat_menu_button(self, params: JSONDict) -> bool:
        button = params.get("menu_button", {"type": "default"})
        if isinstance(button, str):
            button = json.loads(button)
        if button.get("type") == "web_app" and not str(
                button.get("web_app", {}).get("url", "")).startswith(("https://", "http://")):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        self.menu_buttons[str(params.get("chat_id", ""))] = button
        return True

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        return json.dumps(scope, sort_keys=True), language_code or ""

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand JSON object")
            name, text = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _BOT_COMMAND_NAME_RE.fullmatch(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(text, str) or not 1 <= len(text) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        return self._commands.get(key, [])

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(
            self._commands_key(params.get("scope"), params.get("language_code")), None
        )
        return True

    def _render(self, params: JSONDict) -> tuple[str, list[JSONDict]]:
        """The text and entities Telegram would store for ``text``/``parse_mode``/``entities``."""
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        parse_mode = params.get("parse_mode") or ""
        entities = params.get("entities")
        if parse_mode:
            if parse_mode.lower() not in ("html", "markdown", "markdownv2"):
                raise ApiError(400, "Bad Request: unsupported parse_mode")
            entities = []
            if parse_mode.lower() == "html" and self._parse_html:
                try:
                    text, entities = parse_html(text)
                except ValueError as exc:
                    raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
            # Markdown is stored as sent: the fake does not parse it.
        elif not isinstance(entities, list):
            entities = []
        text, entities = _strip_text(text, entities)
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    @staticmethod
    def _inline_markup(markup: Any) -> JSONDict | None:
        """Validate reply_markup; return it if it is an inline keyboard (the only kind echoed)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ApiError(400, "Bad Request: can't parse inline keyboard button JSON object")
        buttons = [b for r in rows for b in r]
        if len(buttons) > 100:
            raise ApiError(400, "Bad Request: reply markup is too long")
        for button in buttons:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return copy.deepcopy(markup)

    def _send_message(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for_send(params.get("chat_id"))
        text, entities = self._render(params)
        markup = self._inline_markup(params.get("reply_markup"))
        message: JSONDict = {
            "message_id": chat.new_message_id(),
            "from": dict(BOT_USER),
            "chat": dict(chat.info),
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if markup:
            message["reply_markup"] = markup
        reply = params.get("reply_parameters")
        if isinstance(reply, dict) and reply.get("message_id") in chat.messages:
            replied = copy.deepcopy(chat.messages[reply["message_id"]])
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
        chat.messages[message["message_id"]] = message
        return message

    def _message_to_edit(self, params: JSONDict) -> JSONDict:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        chat = self._chats.get(chat_id)
        message = chat.messages.get(message_id) if chat else None
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != BOT_USER["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        if params.get("inline_message_id"):
            self._render(params)
            self._inline_markup(params.get("reply_markup"))
            return True  # inline messages are not tracked
        message = self._message_to_edit(params)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = self._render(params)
        # Like Telegram: editing the text without reply_markup removes the inline keyboard.
        markup = self._inline_markup(params.get("reply_markup"))
        if (
            text == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise ApiError(400, _NOT_MODIFIED)
        message["text"] = text
        self._set_optional(message, "entities", entities)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return message

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        markup = self._inline_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        message = self._message_to_edit(params)
        if markup == message.get("reply_markup"):
            raise ApiError(400, _NOT_MODIFIED)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return message

    @staticmethod
    def _set_optional(message: JSONDict, key: str, value: Any) -> None:
        if value:
            message[key] = value
        else:
            message.pop(key, None)

    def _delete_message(self, params: JSONDict) -> bool:
        chat = self._chats.get(params.get("chat_id", ""))
        message_id = params.get("message_id")
        if chat is None or message_id not in chat.messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        del chat.messages[message_id]
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = params.get("callback_query_id")
        if query_id not in self._open_callback_queries:
            raise ApiError(400, _QUERY_INVALID)
        text = params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_callback_queries.discard(query_id)
        return True

    def _answer_inline_query(self, params: JSONDict) -> bool:
        query_id = params.get("inline_query_id")
        if query_id not in self._open_inline_queries:
            raise ApiError(400, _QUERY_INVALID)
        results = params.get("results")
        if not isinstance(results, list):
            raise ApiError(400, "Bad Request: can't parse inline query results JSON object")
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        self._open_inline_queries.discard(query_id)
        return True

    def _get_chat_member(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for_send(params.get("chat_id"))
        user_id = _as_int(params.get("user_id"))
        if user_id is None:
            raise ApiError(400, "Bad Request: user_id is empty")
        user = dict(self._user(user_id))
        if chat.info["type"] == "private":
            if user_id != chat.info["id"]:
                raise ApiError(400, "Bad Request: user not found")
            return {"status": "member", "user": user}
        creator, *administrators = self._chat_admins.get(chat.info["id"], (1,))
        if user_id == creator:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in administrators:
            rights = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                      "can_restrict_members", "can_change_info", "can_invite_users",
                      "can_post_stories", "can_edit_stories", "can_delete_stories",
                      "can_pin_messages")
            return {"status": "administrator", "user": user, "can_be_edited": False,
                    "is_anonymous": False, "can_promote_members": False,
                    **dict.fromkeys(rights, True)}
        return {"status": "member", "user": user}

    def _send_chat_action(self, params: JSONDict) -> bool:
        self._chat_for_send(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True


class _ClientGone(Exception):
    """The bot hung up on a long poll (PTB cancels the pending getUpdates when it stops)."""
