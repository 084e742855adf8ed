"""Trending topics: a few words or two-word phrases that many of the last day's headlines
hold, offered as buttons when a search finds nothing.

Apart from the index: it reads the index (document frequencies, the articles) but
has its own notion of a word worth offering (no headline filler, written as
headlines write it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

from digest.search.query import parse_query
from digest.tokens import STOPWORDS, WORD, fold, stem

if TYPE_CHECKING:
    from digest.search.index import SearchIndex

_TRENDING_WINDOW = timedelta(hours=24)
# Words that fill headlines of every topic: never offered as a trending topic.
_HEADLINE_FILLER = frozenset({
    "says", "said", "say", "new", "latest", "live", "update", "report", "video", "watch",
    "photo", "year", "day", "week", "today", "first", "last", "one", "two", "three", "may",
    "could", "amid", "top", "best", "make", "get", "set", "back", "big", "more", "over",
    "still",
})



def trending_topics(index: SearchIndex, limit: int, now: datetime | None) -> list[str]:
    """See `SearchIndex.trending`, which caches this per index version."""
    articles = index.articles()
    if limit <= 0 or not articles:
        return []
    end = now or max(a.published for a in articles)
    start = end - _TRENDING_WINDOW
    recent = _Headlines(a.title for a in articles if start <= a.published <= end)
    scored = sorted(
        ((len(held) * index.rarity(w), w) for w, held in recent.holders.items()
         if len(held) >= 2),
        reverse=True,
    )
    chosen: list[str] = []
    covered: set[int] = set()  # the headlines of the topics chosen so far
    for _, word in scored:
        if len(chosen) == limit:
            break
        held = recent.holders[word]
        if 2 * len(held & covered) >= len(held):
            continue  # mostly the same story as a topic already chosen ("finale")
        parts = recent.phrase(word) or (word,)
        label = " ".join(recent.surface(p) for p in parts)
        if index.search(parse_query(label), limit=1):  # its button must find something
            chosen.append(label)
            covered.update(*(recent.holders[p] for p in parts))
    return chosen


class _Headlines:
    """The informative words of some headlines: which headlines hold each word, which
    adjacent pairs of words they use, and how each word is written."""

    def __init__(self, titles: Iterable[str]) -> None:
        self.holders: dict[str, set[int]] = defaultdict(set)
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.forms: dict[str, Counter[str]] = defaultdict(Counter)
        for number, title in enumerate(titles):
            stems = [self._stem(raw) for raw in WORD.findall(title)]
            for word in stems:
                if word:
                    self.holders[word].add(number)
            self.pairs.update({(a, b) for a, b in pairwise(stems) if a and b and a != b})

    def _stem(self, raw: str) -> str | None:
        folded = fold(raw)
        if len(folded) < 3 or folded.isdigit() or folded in STOPWORDS:
            return None
        stemmed = stem(folded)
        if stemmed in _HEADLINE_FILLER or folded in _HEADLINE_FILLER:
            return None
        self.forms[stemmed][raw] += 1
        return stemmed

    def phrase(self, word: str) -> tuple[str, str] | None:
        """The two-word phrase that at least 60% of the headlines holding `word` use
        ("rare earths" for "rare"), if there is one."""
        best = max(((n, p) for p, n in self.pairs.items() if word in p), default=None)
        if best is None or best[0] < max(2, 0.6 * len(self.holders[word])):
            return None
        return best[1]

    def surface(self, word: str) -> str:
        """How headlines write a word: in lower case if at least a tenth of them do (Title
        Case headlines capitalize every word, but names are hardly ever lower case)."""
        forms = self.forms[word]
        lower = Counter({f: n for f, n in forms.items() if f.islower()})
        if lower.total() * 10 >= forms.total():
            return lower.most_common(1)[0][0]
        return forms.most_common(1)[0][0]
