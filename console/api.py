"""The Bot API, answered in-process for console mode.

python-telegram-bot sends every request through a `BaseRequest`; this one
answers the methods the bot uses as Telegram would, and shows what the bot sent
on the terminal. Everything above it, the Bot object, the rate limiter, the
handlers, is the same code that talks to Telegram.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from itertools import count
from typing import Any

from telegram.request import BaseRequest, RequestData

from console.render import as_text, buttons_of, inline_result_lines, keyboard_lines

JSONDict = dict[str, Any]

BOT = {"id": 1, "is_bot": True, "first_name": "World news digest", "username": "newsdigest_bot",
       "can_join_groups": True, "can_read_all_group_messages": False,
       "supports_inline_queries": True}
USER: dict[str, Any] = {"id": 1000, "is_bot": False, "first_name": "You", "language_code": "en"}
CHAT = {"id": USER["id"], "type": "private", "first_name": USER["first_name"]}
# "@newsdigest_bot rare earths", or "@bot rare earths" for short: an inline query.
INLINE = re.compile(rf"@(?:{BOT['username']}|bot)\s+(\S.*)", re.IGNORECASE)


class ConsoleBotAPI(BaseRequest):
    """Answers Bot API calls locally; `show` receives each line to print."""

    def __init__(self, show: Callable[[str], None]) -> None:
        self._show = show
        self._message_ids = count(1)
        self._update_ids = count(1)
        self.buttons: list[JSONDict] = []  # of the newest message with a keyboard
        self.buttons_message: JSONDict | None = None
        self._inline_queries: dict[str, str] = {}  # id -> the text typed, for the answer
        self._methods: dict[str, Callable[[JSONDict], Any]] = {
            "getMe": lambda _: BOT,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
        }

    @property
    def read_timeout(self) -> float | None:
        return None  # answers are immediate

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        handler = self._methods.get(name)
        if handler is None:
            return 200, _ok(True)  # setMyCommands, deleteWebhook, sendChatAction...
        return 200, _ok(handler(params))

    # -- what the user does ---------------------------------------------------------------

    def message_update(self, text: str) -> JSONDict:
        """The user sends `text`; commands get their entity as Telegram adds it."""
        message: JSONDict = {"message_id": next(self._message_ids), "date": int(time.time()),
                             "chat": CHAT, "from": USER, "text": text}
        if text.startswith("/"):
            length = len(text.split()[0].encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": next(self._update_ids), "message": message}

    def inline_update(self, text: str) -> JSONDict | None:
        """`@bot words` typed as in a Telegram chat: an inline query; None for other text."""
        match = INLINE.fullmatch(text)
        if match is None:
            return None
        query_id = str(next(self._update_ids))
        self._inline_queries[query_id] = match[1]
        return {"update_id": next(self._update_ids), "inline_query": {
            "id": query_id, "from": USER, "query": match[1], "offset": "",
            "chat_type": "private"}}

    def button_update(self, number: int) -> JSONDict | None:
        """The user presses button `number` of the newest keyboard; None if there is none."""
        if not 1 <= number <= len(self.buttons) or self.buttons_message is None:
            return None
        button = self.buttons[number - 1]
        return {"update_id": next(self._update_ids), "callback_query": {
            "id": str(next(self._update_ids)), "from": USER, "chat_instance": "console",
            "message": self.buttons_message, "data": button.get("callback_data", "")}}

    # -- what the bot does ----------------------------------------------------------------

    def _send_message(self, params: JSONDict) -> JSONDict:
        message = self._message(next(self._message_ids), params)
        self._print(message, params, "")
        return message

    def _edit_message_text(self, params: JSONDict) -> JSONDict:
        message = self._message(int(params["message_id"]), params)
        self._print(message, params, "(edited) ")
        return message

    def _answer_callback_query(self, params: JSONDict) -> bool:
        if params.get("text"):
            self._show(f"» {params['text']}")
        return True

    def _answer_inline_query(self, params: JSONDict) -> bool:
        results = params.get("results") or []
        if isinstance(results, str):
            results = json.loads(results)
        query = self._inline_queries.pop(str(params.get("inline_query_id")), "")
        self._show("\n" + "\n".join(inline_result_lines(query, results)))
        return True

    def _message(self, message_id: int, params: JSONDict) -> JSONDict:
        text = as_text(str(params.get("text", "")), params.get("parse_mode"))
        message: JSONDict = {"message_id": message_id, "date": int(time.time()), "chat": CHAT,
                             "from": BOT, "text": text}
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if markup:
            message["reply_markup"] = markup
        return message

    def _print(self, message: JSONDict, params: JSONDict, prefix: str) -> None:
        if _as_bool(params.get("disable_notification")):
            prefix += "(silent) "
        preview = params.get("link_preview_options")
        if isinstance(preview, str):
            preview = json.loads(preview)
        picture = preview.get("url") if isinstance(preview, dict) else None
        self._show(f"\n{prefix}" + (f"[picture of {picture}]\n" if picture else "")
                   + message["text"])
        buttons = buttons_of(message.get("reply_markup"))
        shown = self.buttons_message
        if not buttons and shown is not None and shown["message_id"] == message["message_id"]:
            self.buttons, self.buttons_message = [], None  # its keyboard is gone
        if buttons:
            self.buttons, self.buttons_message = buttons, message
            for line in keyboard_lines(buttons):
                self._show(line)
            self._show("(type a number to press a button)")


def _as_bool(value: Any) -> bool:
    """Request values arrive as Python values or, form-encoded, as "true"/"false"."""
    return value is True or value == "true"


def _ok(result: Any) -> bytes:
    return json.dumps({"ok": True, "result": result}).encode()
