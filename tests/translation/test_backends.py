from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from digest.config import ConfigError, TranslateConfig
from digest.translation.backends import (
    DeepL,
    LibreTranslate,
    OpenAICompatible,
    Translator,
    make_translator,
)
from digest.translation.budget import DailyBudget, translate_batch
from digest.translation.http import TranslationError
from digest.translation.languages import language_name
from tests import translation_servers as fake
from tests.translation_servers import PREFIX, TranslationServer

KEY = "test-key-5f0c:fx"
TEXTS = ["Guten Morgen, Berlin", "Die Bahn streikt erneut", "Grüße aus München: „Regen“"]
NOON = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)

Factory = Callable[[httpx.AsyncClient, str, float], Translator]

BACKENDS: dict[str, Factory] = {
    "libretranslate": lambda client, base, timeout: LibreTranslate(
        client, url=base, api_key=KEY, timeout=timeout
    ),
    "deepl": lambda client, base, timeout: DeepL(client, url=base, api_key=KEY, timeout=timeout),
    "openai": lambda client, base, timeout: OpenAICompatible(
        client, url=base + "/v1", api_key=KEY, model="local-model", timeout=timeout
    ),
}


@pytest.fixture
def server() -> Iterator[TranslationServer]:
    running = TranslationServer().start()
    yield running
    running.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as shared:
        yield shared


def backend(
    name: str, client: httpx.AsyncClient, server: TranslationServer, timeout: float = 5.0
) -> Translator:
    return BACKENDS[name](client, server.base, timeout)


# --- every backend -------------------------------------------------------------------------


@pytest.mark.parametrize("name", BACKENDS)
async def test_a_batch_is_one_request_and_keeps_its_order(
    name: str, client: httpx.AsyncClient, server: TranslationServer
) -> None:
    translated = await backend(name, client, server).translate(TEXTS, "de", "en")
    assert translated == [PREFIX + text for text in TEXTS]
    assert len(server.requests) == 1


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("status", [429, 500, 503])
async def test_refusals_are_translation_errors_without_the_key(
    name: str, status: int, client: httpx.AsyncClient, server: TranslationServer
) -> None:
    server.status = status  # the error body echoes the key
    with pytest.raises(TranslationError) as error:
        await backend(name, client, server).translate(TEXTS, "de", "en")
    assert error.value.status == status
    assert f"HTTP {status}" in str(error.value)
    assert "Request refused" in str(error.value)  # the service's own words are kept
    assert KEY not in str(error.value)
    assert KEY not in repr(error.value)


@pytest.mark.parametrize("name", BACKENDS)
async def test_a_stalling_server_times_out(
    name: str, client: httpx.AsyncClient, server: TranslationServer
) -> None:
    server.stall = 1.0
    started = time.monotonic()
    with pytest.raises(TranslationError, match=r"no answer within 0\.2 s"):
        await backend(name, client, server, timeout=0.2).translate(TEXTS, "de", "en")
    assert time.monotonic() - started < 0.8


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("mode", fake.GARBAGE)
async def test_garbage_answers_are_translation_errors(
    name: str, mode: str, client: httpx.AsyncClient, server: TranslationServer
) -> None:
    server.mode = mode
    with pytest.raises(TranslationError) as error:
        await backend(name, client, server).translate(TEXTS, "de", "en")
    assert error.value.status is None
    assert KEY not in str(error.value)


@pytest.mark.parametrize("name", BACKENDS)
async def test_an_unreachable_service_is_a_translation_error(
    name: str, client: httpx.AsyncClient
) -> None:
    with socket.socket() as probe:  # a port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    translator = BACKENDS[name](client, f"http://127.0.0.1:{port}", 2.0)
    with pytest.raises(TranslationError, match="request failed"):
        await translator.translate(TEXTS, "de", "en")


@pytest.mark.parametrize("name", BACKENDS)
async def test_the_key_stays_out_of_reprs(name: str, client: httpx.AsyncClient) -> None:
    translator = BACKENDS[name](client, "http://127.0.0.1:9", 1.0)
    assert KEY not in repr(translator)
    assert KEY not in repr(TranslateConfig(api_key=KEY))


# --- the request formats -------------------------------------------------------------------


async def test_libretranslate_request(client: httpx.AsyncClient, server: TranslationServer) -> None:
    await backend("libretranslate", client, server).translate(TEXTS, "de", "en")
    seen = server.requests[0]
    assert seen.path == "/translate"
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.body == {"q": TEXTS, "source": "de", "target": "en", "format": "text",
                         "api_key": KEY}


async def test_libretranslate_without_key_and_with_unknown_source(
    client: httpx.AsyncClient, server: TranslationServer
) -> None:
    translator = LibreTranslate(client, url=server.base + "/", timeout=5)
    await translator.translate(TEXTS, "auto", "en")
    await translator.translate(TEXTS, "no", "en")  # Norwegian is Bokmål there
    assert server.requests[0].path == "/translate"
    assert "api_key" not in server.requests[0].body
    assert server.requests[0].body["source"] == "auto"
    assert server.requests[1].body["source"] == "nb"


async def test_libretranslate_single_text_answered_as_a_string(
    client: httpx.AsyncClient, server: TranslationServer
) -> None:
    server.mode = fake.AS_STRING
    translated = await backend("libretranslate", client, server).translate(["Hallo"], "de", "en")
    assert translated == [PREFIX + "Hallo"]


async def test_deepl_request(client: httpx.AsyncClient, server: TranslationServer) -> None:
    await backend("deepl", client, server).translate(TEXTS, "de", "en")
    seen = server.requests[0]
    assert seen.path == "/v2/translate"
    assert seen.headers["Authorization"] == f"DeepL-Auth-Key {KEY}"
    assert seen.body == {"text": TEXTS, "source_lang": "DE", "target_lang": "EN-US"}


async def test_deepl_detects_an_unknown_source_and_keeps_a_regional_target(
    client: httpx.AsyncClient, server: TranslationServer
) -> None:
    await backend("deepl", client, server).translate(TEXTS, "auto", "en-gb")
    assert server.requests[0].body == {"text": TEXTS, "target_lang": "EN-GB"}


async def test_openai_request(client: httpx.AsyncClient, server: TranslationServer) -> None:
    await backend("openai", client, server).translate(TEXTS, "el", "en")
    seen = server.requests[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["Authorization"] == f"Bearer {KEY}"
    assert seen.body["model"] == "local-model"
    assert seen.body["temperature"] == 0
    system, user = seen.body["messages"]
    assert system["role"] == "system"
    assert "from Modern Greek to English" in system["content"]
    assert "ONLY with a JSON array" in system["content"]
    assert user == {"role": "user", "content": json.dumps(TEXTS, ensure_ascii=False)}
    assert "Grüße" in user["content"]


async def test_openai_without_key_sends_no_authorization(
    client: httpx.AsyncClient, server: TranslationServer
) -> None:
    translator = OpenAICompatible(client, url=server.base + "/v1", model="m", timeout=5)
    assert await translator.translate(TEXTS, "de", "en") == [PREFIX + t for t in TEXTS]
    assert "Authorization" not in server.requests[0].headers


async def test_openai_answer_in_a_json_fence(
    client: httpx.AsyncClient, server: TranslationServer
) -> None:
    server.mode = fake.FENCED
    translated = await backend("openai", client, server).translate(TEXTS, "de", "en")
    assert translated == [PREFIX + text for text in TEXTS]


def test_language_names_for_prompts() -> None:
    assert language_name("de") == "German"
    assert language_name("pt-BR") == "Portuguese"
    assert language_name("sw") == "Swahili"
    assert language_name("xx") == "xx"


# --- budget and batches --------------------------------------------------------------------


async def test_over_budget_sends_nothing(
    client: httpx.AsyncClient, server: TranslationServer
) -> None:
    translator = backend("deepl", client, server)
    budget = DailyBudget(sum(map(len, TEXTS)) + 5)
    assert await translate_batch(translator, budget, TEXTS, "de", "en", NOON) is not None
    assert await translate_batch(translator, budget, TEXTS, "de", "en", NOON) is None
    assert len(server.requests) == 1
    assert budget.remaining(NOON) == 5
    assert await translate_batch(translator, budget, ["Ja"], "de", "en", NOON) == [PREFIX + "Ja"]


async def test_a_batch_larger_than_the_whole_budget_is_never_sent(
    client: httpx.AsyncClient, server: TranslationServer
) -> None:
    budget = DailyBudget(3)
    translator = backend("libretranslate", client, server)
    assert await translate_batch(translator, budget, TEXTS, "de", "en", NOON) is None
    assert server.requests == []
    assert budget.remaining(NOON) == 3


def test_the_budget_resets_when_the_utc_day_changes() -> None:
    budget = DailyBudget(100)
    late = datetime(2024, 5, 6, 23, 59, tzinfo=UTC)
    assert budget.take(100, late)
    assert not budget.take(1, late)
    # 08:30 in Tokyo on the 7th is still the 6th in UTC: no new budget yet.
    assert not budget.take(1, datetime(2024, 5, 7, 8, 30, tzinfo=ZoneInfo("Asia/Tokyo")))
    assert budget.take(100, late + timedelta(minutes=2))
    assert not budget.take(1, late + timedelta(minutes=3))


def test_the_budget_needs_aware_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        DailyBudget(10).take(1, datetime(2024, 5, 6, 12, 0))  # noqa: DTZ001


async def test_a_refused_batch_gives_its_characters_back(
    client: httpx.AsyncClient, server: TranslationServer
) -> None:
    budget = DailyBudget(1000)
    server.status = 429
    with pytest.raises(TranslationError):
        await translate_batch(backend("deepl", client, server), budget, TEXTS, "de", "en", NOON)
    assert budget.remaining(NOON) == 1000


async def test_a_timed_out_batch_stays_spent(
    client: httpx.AsyncClient, server: TranslationServer
) -> None:
    budget = DailyBudget(1000)
    server.stall = 1.0
    translator = backend("openai", client, server, timeout=0.2)
    with pytest.raises(TranslationError):
        await translate_batch(translator, budget, TEXTS, "de", "en", NOON)
    assert budget.remaining(NOON) == 1000 - sum(map(len, TEXTS))


async def test_blank_texts_and_same_language_are_not_sent(
    client: httpx.AsyncClient, server: TranslationServer
) -> None:
    translator = backend("libretranslate", client, server)
    budget = DailyBudget(1000)
    texts = ["", "Hallo", "  ", "Welt"]
    assert await translate_batch(translator, budget, texts, "de", "en", NOON) == [
        "", PREFIX + "Hallo", "  ", PREFIX + "Welt"
    ]
    assert server.requests[0].body["q"] == ["Hallo", "Welt"]
    assert await translate_batch(translator, budget, ["Hello"], "en", "en", NOON) == ["Hello"]
    assert await translate_batch(translator, budget, [" "], "de", "en", NOON) == [" "]
    assert await translate_batch(translator, budget, [], "de", "en", NOON) == []
    assert len(server.requests) == 1
    assert budget.remaining(NOON) == 1000 - len("HalloWelt")


async def test_a_translator_that_loses_items_is_caught() -> None:
    class Lossy:
        async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
            return texts[:-1]

    with pytest.raises(TranslationError, match="1 translations for 2 texts"):
        await translate_batch(Lossy(), DailyBudget(100), ["a", "b"], "de", "en", NOON)


# --- from configuration --------------------------------------------------------------------


async def test_make_translator_follows_the_config(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_TRANSLATE_API_KEY", "from-env")
    assert make_translator(TranslateConfig(), client) is None
    libre = make_translator(TranslateConfig(backend="libretranslate", timeout_seconds=3), client)
    assert libre == LibreTranslate(client, url="https://libretranslate.com", api_key="from-env",
                                   timeout=3.0)
    deepl = make_translator(TranslateConfig(backend="deepl", url="https://api.deepl.com/",
                                            api_key="k"), client)
    assert deepl == DeepL(client, url="https://api.deepl.com", api_key="k", timeout=20.0)
    openai = make_translator(TranslateConfig(backend="openai"), client)
    assert openai == OpenAICompatible(client, url="https://api.openai.com/v1",
                                      api_key="from-env", model="gpt-4o-mini", timeout=20.0)


async def test_make_translator_wants_a_deepl_key(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSBOT_TRANSLATE_API_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"translate\.api_key"):
        make_translator(TranslateConfig(backend="deepl"), client)
