"""The translation pass: stored articles not yet in the reader's language, translated.

It runs after an ingestion pass has stored its articles, so a failing, slow or
exhausted translator never loses or delays one: the pass stops, the articles
stay as published (digests mark their language), and the next pass takes up
what is still untranslated, newest first.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from digest.models import Article
from digest.store import Store
from digest.translation.backends import Translator
from digest.translation.budget import DailyBudget, translate_batch
from digest.translation.http import TranslationError

log = logging.getLogger(__name__)

# A summary is translated up to here: a digest shows about 300 characters of it, and the
# budget counts characters sent.
SUMMARY_CHARS = 600


@dataclass
class TranslationReport:
    translated: list[Article] = field(default_factory=list)
    stopped: str = ""  # why the pass ended early, if it did
    refused: dict[str, str] = field(default_factory=dict)  # language -> the service's answer


class Translations:
    """Translates titles and summaries in batches, one source language per request."""

    def __init__(self, translator: Translator, budget: DailyBudget, *, target: str,
                 batch_size: int) -> None:
        """`batch_size` counts texts per request, as services limit them (DeepL: 50); an
        article sends two, its title and its summary."""
        self._translator = translator
        self._budget = budget
        self._target = target
        self._batch_size = max(1, batch_size // 2)

    async def run(self, store: Store, now: datetime) -> TranslationReport:
        report = TranslationReport()
        pending: dict[str, list[Article]] = defaultdict(list)
        for article in store.articles():  # newest first
            if article.language not in ("", self._target) and not article.translated:
                pending[article.language].append(article)
        for language, articles in pending.items():
            for start in range(0, len(articles), self._batch_size):
                batch = articles[start: start + self._batch_size]
                try:
                    done = await self._translate(batch, language, now)
                except TranslationError as exc:
                    if exc.status is not None and exc.status != 429 and exc.status < 500:
                        # Refused for this language (unsupported, say): the others go on.
                        report.refused[language] = exc.reason
                        break
                    report.stopped = f"translator failed: {exc.reason}"
                    return report
                if done is None:
                    report.stopped = "daily translation budget spent"
                    return report
                report.translated.extend(await asyncio.to_thread(store.replace_articles, done))
        return report

    async def _translate(self, batch: list[Article], language: str, now: datetime
                         ) -> list[Article] | None:
        texts = [a.title for a in batch] + [a.summary[:SUMMARY_CHARS] for a in batch]
        result = await translate_batch(self._translator, self._budget, texts, language,
                                       self._target, now)
        if result is None:
            return None
        titles, summaries = result[: len(batch)], result[len(batch):]
        return [
            replace(a, title=title, summary=summary, original_title=a.title,
                    original_summary=a.summary)
            for a, title, summary in zip(batch, titles, summaries, strict=True)
        ]
