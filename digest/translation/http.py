"""One JSON exchange with a translation service, and what counts as a failure.

Every failure (HTTP status, timeout, network trouble, an answer of the wrong shape)
is a `TranslationError` whose reason never holds the API key, so the caller can log it.
"""

from __future__ import annotations

import asyncio

import httpx

_DETAIL_CHARS = 120


class TranslationError(Exception):
    """A batch could not be translated; `reason` is short and free of secrets."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status  # the HTTP status when the service refused the request


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    payload: object,
    *,
    headers: dict[str, str],
    seconds: float,
    name: str,
    secret: str,
) -> object:
    """POST `payload` as JSON and parse the answer; every failure is a `TranslationError`.

    httpx's timeout bounds each phase (connect, each read); `asyncio.timeout`
    bounds the whole exchange, so a server that drips bytes cannot hold a batch.
    """
    try:
        async with asyncio.timeout(seconds):
            response = await client.post(url, json=payload, headers=headers, timeout=seconds)
    except (TimeoutError, httpx.TimeoutException):
        raise TranslationError(f"{name}: no answer within {seconds:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeEncodeError) as exc:
        # The class name only: some messages quote the request, headers included.
        raise TranslationError(f"{name}: request failed ({exc.__class__.__name__})") from None
    if not response.is_success:
        detail = _redact(_error_detail(response), secret)
        reason = f"{name}: HTTP {response.status_code}" + (f" ({detail})" if detail else "")
        raise TranslationError(reason, status=response.status_code)
    try:
        return response.json()
    except ValueError:
        raise TranslationError(f"{name}: the answer is not JSON") from None


def _error_detail(response: httpx.Response) -> str:
    """The service's own short explanation, from the shapes the three backends use."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):  # OpenAI: {"error": {"message": ...}}
        error = error.get("message")
    text = error if isinstance(error, str) else body.get("message")  # LibreTranslate; DeepL
    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def checked(items: object, expected: int, name: str) -> list[str]:
    """`items` when it is a list of `expected` strings; else the answer is unusable."""
    if not isinstance(items, list):
        raise TranslationError(f"{name}: answer without a list of translations")
    if len(items) != expected:
        raise TranslationError(f"{name}: {len(items)} translations for {expected} texts")
    if not all(isinstance(item, str) for item in items):
        raise TranslationError(f"{name}: a translation that is not text")
    return items
