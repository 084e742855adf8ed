"""The daily character budget and the batch step that spends it.

The paid services bill per character and the free ones cut off abusers, so
`DailyBudget` caps the characters sent per UTC day; `translate_batch` sends one
batch only when it fits, since half-translated batches would only cost money.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from digest.translation.backends import Translator
from digest.translation.http import TranslationError, checked
from digest.translation.languages import primary


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
    if primary(source) == primary(target):
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
    translated = checked(translated, len(wanted), "translator")
    result = list(texts)
    for i, text in zip(positions, translated, strict=True):
        result[i] = text
    return result


def _utc_day(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("an aware datetime is needed to know the UTC day")
    return now.astimezone(UTC).date()
