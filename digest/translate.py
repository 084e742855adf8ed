"""Machine translation of article texts into the product's language, in batches.

Many national outlets publish only in their own language while the digest
promises English, so titles and summaries go through a translation service.

- Pluggable: which service is used is a matter of price, quality and privacy
  (a self-hosted LibreTranslate or a local OpenAI-compatible model keeps the
  news on the machine; DeepL reads best). Every backend is a `Translator`
  that takes a list of texts and answers a list of the same length, so the
  caller never knows which one it talks to, and tests fake the far end only.
- Batches: one request carries many texts (titles and summaries of one
  source language), which costs one round trip instead of dozens and stays
  within the services' rate limits; `batch_size` bounds the request size.
- Budget: the paid services bill per character and the free ones cut off
  abusers, so `DailyBudget` caps the characters sent per UTC day (the day on
  which the services reset their own quotas). A batch that does not fit is not
  sent at all: half-translated batches would only cost money.
- Failures never lose articles: the caller stores an article untranslated
  first and asks for its translation afterwards. `TranslationError` (any HTTP
  error, 429, 5xx, timeout, network trouble, an answer of the wrong shape) and
  "over budget" (`None`) both just leave it untranslated until a later pass.

The API key travels in headers or the request body only: it never appears in
an error reason, a repr or a log line made from them.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

import httpx
import pycountry

from digest.config import ConfigError, TranslateConfig

AUTO = "auto"  # source language unknown: let the service detect it
_DETAIL_CHARS = 120


class TranslationError(Exception):
    """A batch could not be translated; `reason` is short and free of secrets."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status  # the HTTP status when the service refused the request


class Translator(Protocol):
    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        """`texts` translated from `source` to `target`, in the same order.

        `source` and `target` are ISO 639-1 codes ("de", "en"); `source` may be
        "auto". Raises `TranslationError` on any failure.
        """
        ...


# --- the backends -------------------------------------------------------------------------


@dataclass(frozen=True)
class LibreTranslate:
    """LibreTranslate (https://libretranslate.com or self-hosted): POST /translate."""

    client: httpx.AsyncClient
    _: KW_ONLY
    url: str = "https://libretranslate.com"
    api_key: str = field(default="", repr=False)
    timeout: float = 20.0

    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        payload: dict[str, object] = {
            "q": list(texts),
            "source": _libre_code(source),
            "target": _libre_code(target),
            "format": "text",
        }
        if self.api_key:
            payload["api_key"] = self.api_key
        answer = await _post_json(
            self.client, f"{self.url.rstrip('/')}/translate", payload,
            headers={}, seconds=self.timeout, name="libretranslate", secret=self.api_key,
        )
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if isinstance(translated, str) and len(texts) == 1:
            translated = [translated]
        return _checked(translated, len(texts), "libretranslate")


@dataclass(frozen=True)
class DeepL:
    """DeepL API v2 (Free: api-free.deepl.com, Pro: api.deepl.com): POST /v2/translate."""

    client: httpx.AsyncClient
    _: KW_ONLY
    url: str = "https://api-free.deepl.com"
    api_key: str = field(default="", repr=False)
    timeout: float = 20.0

    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        payload: dict[str, object] = {"text": list(texts), "target_lang": _deepl_target(target)}
        if _primary(source) != AUTO:  # without source_lang DeepL detects the language
            payload["source_lang"] = _deepl_code(source)
        answer = await _post_json(
            self.client, f"{self.url.rstrip('/')}/v2/translate", payload,
            headers={"Authorization": f"DeepL-Auth-Key {self.api_key}"},
            seconds=self.timeout, name="deepl", secret=self.api_key,
        )
        items = answer.get("translations") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise TranslationError("deepl: answer without a list of translations")
        return _checked(
            [item.get("text") if isinstance(item, dict) else None for item in items],
            len(texts), "deepl",
        )


@dataclass(frozen=True)
class OpenAICompatible:
    """A chat-completions API: OpenAI itself or a local server that speaks its protocol.

    The texts go as one JSON array and must come back as one, which keeps the
    order checkable: a model that merges, splits or skips items is caught by
    the length check instead of shifting every later translation by one.
    """

    client: httpx.AsyncClient
    _: KW_ONLY
    url: str = "https://api.openai.com/v1"
    api_key: str = field(default="", repr=False)
    model: str = "gpt-4o-mini"
    timeout: float = 20.0

    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        payload = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": _system_prompt(source, target, len(texts))},
                {"role": "user", "content": json.dumps(list(texts), ensure_ascii=False)},
            ],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        answer = await _post_json(
            self.client, f"{self.url.rstrip('/')}/chat/completions", payload,
            headers=headers, seconds=self.timeout, name="openai", secret=self.api_key,
        )
        try:
            content = answer["choices"][0]["message"]["content"]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            raise TranslationError("openai: answer without choices[0].message.content") from None
        if not isinstance(content, str):
            raise TranslationError("openai: the message has no text content")
        return _checked(_json_array(content), len(texts), "openai")


def make_translator(config: TranslateConfig, client: httpx.AsyncClient) -> Translator | None:
    """The configured backend on the shared client; None when translation is off.

    Raises `ConfigError` for DeepL without a key (load_config reports that too,
    but a `TranslateConfig` may also be built in code).
    """
    url, key, timeout = config.base_url, config.key, config.timeout_seconds
    match config.backend:
        case "none":
            return None
        case "libretranslate":
            return LibreTranslate(client, url=url, api_key=key, timeout=timeout)
        case "deepl":
            if not key:
                raise ConfigError("translate.api_key must be set for deepl")
            return DeepL(client, url=url, api_key=key, timeout=timeout)
        case "openai":
            return OpenAICompatible(
                client, url=url, api_key=key, model=config.chat_model, timeout=timeout
            )
    raise ConfigError(f"translate.backend: unknown backend {config.backend!r}")


# --- budget and the batch step -----------------------------------------------------------


class DailyBudget:
    """Characters that may be sent per UTC day; in memory, so a restart starts afresh.

    A restart forgets what was spent today: at worst one extra day's budget,
    which the services' own quotas bound anyway, against a store write per batch.
    """

    def __init__(self, characters: int) -> None:
        self.characters = characters
        self._day: date | None = None
        self._spent = 0

    def remaining(self, now: datetime) -> int:
        self._roll(now)
        return self.characters - self._spent

    def take(self, chars: int, now: datetime) -> bool:
        """Spend `chars` of today's budget; False (spending nothing) when they do not fit."""
        if chars > self.remaining(now):
            return False
        self._spent += chars
        return True

    def give_back(self, chars: int, now: datetime) -> None:
        """Return characters a service refused to translate (it does not bill those)."""
        if self._day == _utc_day(now):
            self._spent = max(0, self._spent - chars)

    def _roll(self, now: datetime) -> None:
        day = _utc_day(now)
        if day != self._day:
            self._day, self._spent = day, 0


async def translate_batch(
    translator: Translator,
    budget: DailyBudget,
    texts: Sequence[str],
    source: str,
    target: str,
    now: datetime,
) -> list[str] | None:
    """One request for `texts`: their translations in order, or None when over budget.

    Blank texts are not sent (they come back as they were), nor is anything
    when `source` already is `target`. `TranslationError` propagates; when the
    service refused the request with an HTTP status, its characters are given
    back to the budget, while a timeout or a garbled answer keeps them spent
    because the service may have done, and billed, the work.
    """
    texts = list(texts)
    if _primary(source) == _primary(target):
        return texts
    positions = [i for i, text in enumerate(texts) if text.strip()]
    if not positions:
        return texts
    wanted = [texts[i] for i in positions]
    chars = sum(len(text) for text in wanted)
    if not budget.take(chars, now):
        return None
    try:
        translated = await translator.translate(wanted, source, target)
    except TranslationError as exc:
        if exc.status is not None:
            budget.give_back(chars, now)
        raise
    translated = _checked(translated, len(wanted), "translator")
    result = list(texts)
    for i, text in zip(positions, translated, strict=True):
        result[i] = text
    return result


# --- helpers -------------------------------------------------------------------------------


async def _post_json(
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


def _checked(items: object, expected: int, name: str) -> list[str]:
    """`items` when it is a list of `expected` strings; else the answer is unusable."""
    if not isinstance(items, list):
        raise TranslationError(f"{name}: answer without a list of translations")
    if len(items) != expected:
        raise TranslationError(f"{name}: {len(items)} translations for {expected} texts")
    if not all(isinstance(item, str) for item in items):
        raise TranslationError(f"{name}: a translation that is not text")
    return items


_FENCE = re.compile(r"^```[A-Za-z]*\s*(.*?)\s*```$", re.DOTALL)


def _json_array(content: str) -> object:
    """The JSON array in a model's answer, tolerating a ``` fence or words around it."""
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced[1]
    candidates = [text]
    start, end = text.find("["), text.rfind("]")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict) and len(value) == 1:  # {"translations": [...]}
            value = next(iter(value.values()))
        return value
    raise TranslationError("openai: the message holds no JSON array")


def _system_prompt(source: str, target: str, count: int) -> str:
    origin = "its original language" if _primary(source) == AUTO else language_name(source)
    return (
        "You translate news headlines and summaries. The user sends a JSON array of "
        f"{count} strings. Translate each item separately from {origin} to "
        f"{language_name(target)}, keeping names, numbers and quotations faithful and "
        "adding nothing. Answer ONLY with a JSON array of strings of the same length "
        f"({count}), in the same order: item i is the translation of item i."
    )


def language_name(code: str) -> str:
    """English name of an ISO 639-1 code ("de" -> "German"); the code itself if unknown."""
    found = pycountry.languages.get(alpha_2=_primary(code))
    if found is None:
        return code
    return re.sub(r"\s*\(.*?\)", "", found.name)  # "Modern Greek (1453-)" -> "Modern Greek"


def _primary(code: str) -> str:
    """"pt-BR" -> "pt"; "" -> "auto"."""
    return re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0] or AUTO


# Codes the services spell differently from ISO 639-1 (Norwegian is Bokmål there).
_LIBRE_CODES = {"no": "nb"}
_DEEPL_CODES = {"no": "NB"}
_DEEPL_TARGETS = {"EN": "EN-US"}  # a bare "EN" target is deprecated by DeepL


def _libre_code(code: str) -> str:
    primary = _primary(code)
    return _LIBRE_CODES.get(primary, primary)


def _deepl_code(code: str) -> str:
    primary = _primary(code)
    return _DEEPL_CODES.get(primary, primary.upper())


def _deepl_target(code: str) -> str:
    upper = code.strip().upper().replace("_", "-")
    return _DEEPL_TARGETS.get(upper, _DEEPL_CODES.get(upper.lower(), upper))


def _utc_day(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("an aware datetime is needed to know the UTC day")
    return now.astimezone(UTC).date()

