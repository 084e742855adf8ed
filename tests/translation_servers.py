"""A local HTTP server that plays the translation services: LibreTranslate, DeepL, OpenAI.

It answers each backend's real request format on that backend's path, records
every request it gets, and can be told to misbehave (an HTTP status, a stall,
garbage), so tests run the real client code over real HTTP.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from console.local_http import LocalHandler, LocalHTTPServer

PREFIX = "EN:"  # a "translation" is the text behind this prefix, so order can be checked

# What the server does with the next requests (set `TranslationServer.mode`):
OK = "ok"
FENCED = "fenced"  # openai: the array inside a ```json fence
AS_STRING = "as-string"  # libretranslate: a single text answered as a string, not a list
NOT_JSON = "not-json"
WRONG_SHAPE = "wrong-shape"  # JSON, but not where the backend puts translations
SHORT = "short"  # one translation fewer than texts
NOT_TEXT = "not-text"  # numbers instead of strings
GARBAGE = (NOT_JSON, WRONG_SHAPE, SHORT, NOT_TEXT)


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON body


class TranslationServer(LocalHTTPServer):
    """Plays all three backends at once: the path of a request says which one is meant.

    `status` other than 200 answers that status with the backend's own error
    body, which echoes the API key the request carried (a careless server
    might), so tests can check that the key never reaches an error message.
    `stall` waits that many seconds before answering.
    """

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.mode = OK
        self.status = 200
        self.stall = 0.0
        server = self

        class Handler(LocalHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
                server.requests.append(Seen(self.path, dict(self.headers), body))
                if server.stall:
                    time.sleep(server.stall)
                self.answer(*server.answer(
                    self.path, self.headers.get("Authorization", ""), body))

        super().__init__(Handler)

    def answer(self, path: str, authorization: str, body: Any) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request, following `mode` and `status`."""
        if path.endswith("/chat/completions"):
            backend = "openai"
        elif path == "/v2/translate":
            backend = "deepl"
        elif path == "/translate":
            backend = "libretranslate"
        else:
            return 404, "text/plain", b"not found"
        if not isinstance(body, dict):
            return 400, "text/plain", b"not JSON"
        if self.status != 200:
            key = body.get("api_key") or authorization.split(" ")[-1]
            return self.status, "application/json", _json(_error(backend, self.status, key))
        if self.mode == NOT_JSON:
            return 200, "text/html", b"<html><body>Service temporarily moved</body></html>"
        texts = _texts(backend, body)
        translations: list[Any] = [PREFIX + text for text in texts]
        if self.mode == SHORT:
            translations = translations[:-1]
        elif self.mode == NOT_TEXT:
            translations = list(range(len(texts)))
        return 200, "application/json", _json(self._wrap(backend, body, translations))

    def _wrap(self, backend: str, body: dict[str, Any], translations: list[Any]) -> object:
        if backend == "libretranslate":
            if self.mode == WRONG_SHAPE:
                return {"translation": translations}
            if self.mode == AS_STRING and len(translations) == 1:
                return {"translatedText": translations[0]}
            return {"translatedText": translations}
        if backend == "deepl":
            if self.mode == WRONG_SHAPE:
                return {"translations": {"text": translations}}
            source = body.get("source_lang", "DE")
            return {"translations": [
                {"detected_source_language": source, "text": text} for text in translations
            ]}
        content = json.dumps(translations, ensure_ascii=False)
        if self.mode == FENCED:
            content = f"```json\n{content}\n```"
        elif self.mode == WRONG_SHAPE:
            content = "I am sorry, I cannot translate these headlines."
        return {
            "id": "chatcmpl-local",
            "object": "chat.completion",
            "model": body.get("model", ""),
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }],
        }


def _texts(backend: str, body: dict[str, Any]) -> list[str]:
    if backend == "libretranslate":
        q = body.get("q", [])
        return [q] if isinstance(q, str) else list(q)
    if backend == "deepl":
        return list(body.get("text", []))
    return list(json.loads(body["messages"][-1]["content"]))


def _error(backend: str, status: int, key: str) -> object:
    message = f"Request refused ({status}) for key {key}"
    if backend == "libretranslate":
        return {"error": message}
    if backend == "deepl":
        return {"message": message}
    return {"error": {"message": message, "type": "rate_limit_exceeded", "code": None}}


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()
