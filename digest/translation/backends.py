"""Machine translation of article texts into the product's language, in batches.

Many national outlets publish only in their own language while the digest
promises English, so titles and summaries go through a translation service.

- Pluggable: which service is used is a matter of price, quality and privacy
  (a self-hosted LibreTranslate or a local OpenAI-compatible model keeps the
  news on the machine; DeepL reads best). Every backend is a `Translator`
  that takes a list of texts and answers a list of the same length, so the
  caller never knows which one it talks to, and tests fake the far end only.
- Batches and budget (digest.translation.budget): one request carries many
  texts of one source language, and a daily character budget caps spending.
- Failures never lose articles: the caller stores an article untranslated
  first and asks for its translation afterwards; a `TranslationError`
  (digest.translation.http) just leaves it untranslated until a later pass.

The API key travels in headers or the request body only: it never appears in
an error reason, a repr or a log line made from them.
"""

from __future__ import annotations

import json
import re
from dataclasses import KW_ONLY, dataclass, field
from typing import Protocol

import httpx

from digest.config import ConfigError, TranslateConfig
from digest.translation.http import TranslationError, checked, post_json
from digest.translation.languages import (
    AUTO,
    deepl_code,
    deepl_target,
    language_name,
    libre_code,
    primary,
)


class Translator(Protocol):
    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        """`texts` translated from `source` to `target`, in the same order.

        `source` and `target` are ISO 639-1 codes ("de", "en"); `source` may be
        "auto". Raises `TranslationError` on any failure.
        """
        ...


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
            "source": libre_code(source),
            "target": libre_code(target),
            "format": "text",
        }
        if self.api_key:
            payload["api_key"] = self.api_key
        answer = await post_json(
            self.client, f"{self.url.rstrip('/')}/translate", payload,
            headers={}, seconds=self.timeout, name="libretranslate", secret=self.api_key,
        )
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if isinstance(translated, str) and len(texts) == 1:
            translated = [translated]
        return checked(translated, len(texts), "libretranslate")


@dataclass(frozen=True)
class DeepL:
    """DeepL API v2 (Free: api-free.deepl.com, Pro: api.deepl.com): POST /v2/translate."""

    client: httpx.AsyncClient
    _: KW_ONLY
    url: str = "https://api-free.deepl.com"
    api_key: str = field(default="", repr=False)
    timeout: float = 20.0

    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        payload: dict[str, object] = {"text": list(texts), "target_lang": deepl_target(target)}
        if primary(source) != AUTO:  # without source_lang DeepL detects the language
            payload["source_lang"] = deepl_code(source)
        answer = await post_json(
            self.client, f"{self.url.rstrip('/')}/v2/translate", payload,
            headers={"Authorization": f"DeepL-Auth-Key {self.api_key}"},
            seconds=self.timeout, name="deepl", secret=self.api_key,
        )
        items = answer.get("translations") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise TranslationError("deepl: answer without a list of translations")
        return checked(
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
        answer = await post_json(
            self.client, f"{self.url.rstrip('/')}/chat/completions", payload,
            headers=headers, seconds=self.timeout, name="openai", secret=self.api_key,
        )
        try:
            content = answer["choices"][0]["message"]["content"]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            raise TranslationError("openai: answer without choices[0].message.content") from None
        if not isinstance(content, str):
            raise TranslationError("openai: the message has no text content")
        return checked(_json_array(content), len(texts), "openai")


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
    origin = "its original language" if primary(source) == AUTO else language_name(source)
    return (
        "You translate news headlines and summaries. The user sends a JSON array of "
        f"{count} strings. Translate each item separately from {origin} to "
        f"{language_name(target)}, keeping names, numbers and quotations faithful and "
        "adding nothing. Answer ONLY with a JSON array of strings of the same length "
        f"({count}), in the same order: item i is the translation of item i."
    )
