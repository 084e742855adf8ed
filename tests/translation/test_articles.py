"""The translation pass over stored articles: batches, budget, failures that lose nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.models import Article
from digest.store import Store, TinyStore
from digest.translation.articles import Translations
from digest.translation.budget import DailyBudget
from digest.translation.http import TranslationError

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def article(n: int, language: str, title: str = "") -> Article:
    return Article(url=f"https://news.example/{language}/{n}", title=title or f"Titular {n}",
                   summary=f"Resumen {n}.", published=NOW - timedelta(minutes=n),
                   source=f"Outlet {language}", country="ES", language=language)


class FakeTranslator:
    """Prefixes "EN:" and records each request; can refuse one language or fail."""

    def __init__(self, failure: TranslationError | None = None, refuse: str = "") -> None:
        self.requests: list[tuple[str, list[str]]] = []
        self.failure = failure
        self.refuse = refuse

    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        self.requests.append((source, texts))
        if source == self.refuse:
            raise TranslationError(f"{source} is not supported", status=400)
        if self.failure is not None:
            raise self.failure
        return [f"EN:{text}" for text in texts]


def store_with(tmp_path: Path, articles: list[Article]) -> Store:
    store = TinyStore(tmp_path / "store.json")
    store.add_articles(articles)
    return store


async def test_untranslated_articles_are_translated_in_batches_per_language(
    tmp_path: Path,
) -> None:
    store = store_with(tmp_path, [article(n, "es") for n in range(5)]
                       + [article(9, "de"), article(10, "en", "Already English")])
    translator = FakeTranslator()
    passing = Translations(translator, DailyBudget(10_000), target="en", batch_size=4)
    report = await passing.run(store, NOW)

    assert len(report.translated) == 6
    assert not report.stopped
    # Newest first, two articles (titles then summaries) per request, one language each.
    assert [(source, len(texts)) for source, texts in translator.requests] == [
        ("es", 4), ("es", 4), ("es", 2), ("de", 2)]
    assert translator.requests[0][1] == ["Titular 0", "Titular 1", "Resumen 0.", "Resumen 1."]
    stored = {a.url: a for a in TinyStore(tmp_path / "store.json", read_only=True).articles()}
    spanish = stored["https://news.example/es/0"]
    assert (spanish.title, spanish.original_title) == ("EN:Titular 0", "Titular 0")
    assert (spanish.summary, spanish.original_summary) == ("EN:Resumen 0.", "Resumen 0.")
    assert stored["https://news.example/en/10"].title == "Already English"

    again = await passing.run(store, NOW)
    assert again.translated == []  # translated once only
    assert len(translator.requests) == 4


async def test_spent_budget_stops_and_the_rest_waits_for_tomorrow(tmp_path: Path) -> None:
    store = store_with(tmp_path, [article(n, "es") for n in range(4)])
    translator = FakeTranslator()
    one_batch = len("Titular 0Titular 1Resumen 0.Resumen 1.")
    passing = Translations(translator, DailyBudget(one_batch), target="en", batch_size=4)
    report = await passing.run(store, NOW)
    assert len(report.translated) == 2
    assert report.stopped == "daily translation budget spent"
    assert sum(a.translated for a in store.articles()) == 2  # the others kept as published

    tomorrow = await passing.run(store, NOW + timedelta(days=1))
    assert len(tomorrow.translated) == 2


async def test_a_failing_service_loses_nothing_and_is_retried(tmp_path: Path) -> None:
    store = store_with(tmp_path, [article(n, "es") for n in range(3)])
    failing = FakeTranslator(TranslationError("openai: HTTP 503", status=503))
    report = await Translations(failing, DailyBudget(10_000), target="en",
                                batch_size=10).run(store, NOW)
    assert report.translated == []
    assert "HTTP 503" in report.stopped
    assert len(store.articles()) == 3
    assert not any(a.translated for a in store.articles())

    failing.failure = None
    retried = await Translations(failing, DailyBudget(10_000), target="en",
                                 batch_size=10).run(store, NOW)
    assert len(retried.translated) == 3


async def test_a_refused_language_does_not_hold_up_the_others(tmp_path: Path) -> None:
    store = store_with(tmp_path, [article(1, "sw"), article(2, "es")])
    translator = FakeTranslator(refuse="sw")
    report = await Translations(translator, DailyBudget(10_000), target="en",
                                batch_size=10).run(store, NOW)
    assert [a.language for a in report.translated] == ["es"]
    assert report.refused == {"sw": "sw is not supported"}
    assert not report.stopped
