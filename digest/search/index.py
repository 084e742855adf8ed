"""Topic queries: "the latest on rare earths", answered from the articles in memory.

A question is read into a `Query` (the topic words, and a country when it ends in
"in Japan" / "from Japan"), then answered by `SearchIndex.search` in two steps:

1. **Relevance gates.** Articles are scored with BM25 over their title and summary
   (title words count double). An article is relevant only if it holds query words
   carrying at least `COVERAGE` of the query's total IDF weight, and scores at least
   `RELATIVE` of the best relevant article. The first gate is the one that matters:
   "rare earths" must not be answered by a newer "Earth Day" or "Rare footage"
   headline, each of which holds half of the query at most. Rare words weigh more,
   so a common word of a longer query ("tariffs on Japanese cars") may be missing.
   The second drops passing mentions deep in long summaries.
2. **Recency** then orders the relevant articles, newest first: the user asked for
   the latest story on a topic, not the best-matching one of last week.

Why a hand-written index: the bot adds each ingestion pass's articles and drops
pruned ones, a few hundred at a time, to an index of some 15,000. BM25 libraries
build immutable indexes (every pass would re-index everything) or bring numpy and
a vocabulary of their own; postings in plain dicts take a page of code,
update in place, and answer a query in a few milliseconds.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from digest.models import Article
from digest.search.query import Query
from digest.search.trending import trending_topics
from digest.tokens import STOPWORDS, WORD, fold, stem

# BM25 constants as commonly used (Robertson; Lucene's defaults).
K1 = 1.2
B = 0.75
# Relevance gates, tuned on tests/search/test_index.py and on questions about the UCI stories.
# At 0.6, "American Airlines JetBlue" was answered by a newer "American Airlines got $425M
# for landing rights" (two of three words, 62% of the weight); from 0.7 up it needs
# JetBlue. 0.7 to 0.9 gave the same answers there; 0.7 still lets a query of four words
# lose one of average weight. A word may be missing only when it carries under 30% of the
# weight, so one- and two-word queries of similar words need every word.
# 0.5 of the best score keeps an article whose summary alone holds every query word
# (0.7 of a short title match) and drops one that mentions them once in a long summary.
COVERAGE = 0.7
RELATIVE = 0.5

_TITLE_WEIGHT = 2  # a title states what an article is about; a summary adds context
_SUMMARY_WORDS = 100  # feeds that put a whole article in the summary add noise past this
_MAX_QUERY_TERMS = 32

# Two words written with a hyphen ("check-up", "rare-earth"); not after a dot, so that
# "U.S.-China" is not read as "s-china".
_HYPHENS = "-\u2010\u2011"
_COMPOUND = re.compile(rf"(?<![\w.])[^\W_]+(?:[{_HYPHENS}][^\W_]+)+")
_HYPHEN = re.compile(f"[{_HYPHENS}]")
# --- words ----------------------------------------------------------------------------


def _words(folded: str) -> list[str]:
    return [
        stem(w) for w in WORD.findall(folded)
        if (len(w) > 1 or w.isdigit()) and w not in STOPWORDS
    ]


def _joined(compound: str) -> str:
    return stem(_HYPHEN.sub("", compound))


def _document_terms(text: str) -> list[str]:
    """Words of a title or summary, plus each hyphenated compound joined ("check-up"
    gives check and checkup), so that either spelling in a query finds it."""
    folded = fold(text)
    terms = _words(folded)
    if any(h in folded for h in _HYPHENS):
        terms.extend(_joined(m.group()) for m in _COMPOUND.finditer(folded))
    return terms


def _query_terms(topic: str) -> list[str]:
    """The distinct terms of a topic. A compound counts as its parts when it has two
    informative ones ("rare-earth" finds "rare earth" too), else as one joined word
    ("check-up" and "e-mail" find "checkup" and "email")."""
    folded = fold(topic)
    terms: list[str] = []
    position = 0
    for match in _COMPOUND.finditer(folded):
        terms.extend(_words(folded[position : match.start()]))
        parts = _words(match.group())
        terms.extend(parts if len(parts) >= 2 else [_joined(match.group())])
        position = match.end()
    terms.extend(_words(folded[position:]))
    return list(dict.fromkeys(terms))[:_MAX_QUERY_TERMS]


def _article_terms(article: Article) -> Counter[str]:
    """Term weights of an article: title words count `_TITLE_WEIGHT` times. A translated
    article is found by its original words too (a reader may search "Bundestag" or a
    name as the outlet spelled it); a word in both counts once per field."""
    titles = {*_document_terms(article.title), *_document_terms(article.original_title)}
    weights = Counter(dict.fromkeys(titles, _TITLE_WEIGHT))
    summaries: list[str] = []
    for text in (article.summary, article.original_summary):
        summary = text[: _SUMMARY_WORDS * 12]  # cut before the slow part
        summaries.extend(_document_terms(summary)[:_SUMMARY_WORDS])
    weights.update(summaries)
    return weights


# --- the index ------------------------------------------------------------------------


class SearchIndex:
    """Incremental BM25 inverted index over articles (title weighted above summary).

    Articles get small internal numbers; postings map a term to {number: weighted term
    frequency}. Removing an article tokenizes it again rather than keeping its terms:
    pruning is rare, memory is not free.
    """

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}  # article id -> number
        self._articles: dict[int, Article] = {}
        self._ids: dict[int, str] = {}  # Article.id hashes the URL on each call
        self._lengths: dict[int, int] = {}
        self._postings: dict[str, dict[int, int]] = {}
        self._by_country: dict[str, set[int]] = defaultdict(set)
        self._total_length = 0
        self._next = 0
        self._version = 0
        self._trending: tuple[tuple[int, int, datetime | None], list[str]] | None = None

    @classmethod
    def of(cls, articles: Iterable[Article]) -> SearchIndex:
        """An index of `articles`, e.g. the store's at start-up (about 0.5 s for 15,000,
        so callers build it off the event loop)."""
        index = cls()
        index.add(articles)
        return index

    def __len__(self) -> int:
        return len(self._articles)

    def add(self, articles: Iterable[Article]) -> None:
        """Index articles; one already indexed with the same id is replaced only if it
        changed, so adding a pass's articles twice changes nothing."""
        for article in articles:
            article_id = article.id
            number = self._numbers.get(article_id)
            if number is not None:
                if self._articles[number] == article:
                    continue
                self._drop(number)
            self._insert(article_id, article)

    def _insert(self, article_id: str, article: Article) -> None:
        number = self._next
        self._next += 1
        terms = _article_terms(article)
        for term, weight in terms.items():
            posting = self._postings.get(term)
            if posting is None:
                posting = self._postings[term] = {}
            posting[number] = weight
        length = sum(terms.values())
        self._numbers[article_id] = number
        self._ids[number] = article_id
        self._articles[number] = article
        self._lengths[number] = length
        self._by_country[article.country].add(number)
        self._total_length += length
        self._version += 1

    def _drop(self, number: int) -> None:
        article = self._articles.pop(number)
        for term in _article_terms(article):
            posting = self._postings[term]
            del posting[number]
            if not posting:
                del self._postings[term]
        del self._numbers[self._ids.pop(number)]
        self._total_length -= self._lengths.pop(number)
        countries = self._by_country[article.country]
        countries.discard(number)
        if not countries:
            del self._by_country[article.country]
        self._version += 1

    def search(self, query: Query, *, limit: int = 10) -> list[Article]:
        """Articles about the query's topic (from its country, if one is given), newest
        first. Without topic words: the country's newest articles, or none."""
        if limit <= 0:
            return []
        allowed = self._by_country.get(query.country, set()) if query.country else None
        terms = _query_terms(query.topic)
        if not terms:
            if allowed is None:
                return []
            newest = heapq.nlargest(limit, allowed, key=self._recency)
            return [self._articles[n] for n in newest]
        scores = self._relevant(terms, allowed)
        ranked = heapq.nlargest(
            limit, scores, key=lambda n: (self._articles[n].published, scores[n], self._ids[n])
        )
        return [self._articles[n] for n in ranked]

    def _recency(self, number: int) -> tuple[datetime, str]:
        return self._articles[number].published, self._ids[number]

    def _relevant(self, terms: list[str], allowed: set[int] | None) -> dict[int, float]:
        """BM25 scores of the articles that pass both relevance gates.

        Only the postings of the rarest terms are walked: the commoner ones together
        carry less than the needed weight, so an article holding none of the rare ones
        cannot pass, and the common ones ("year", "says") are looked up for candidates
        alone instead of walking postings that hold most of the index."""
        count = len(self._articles)
        if not count:
            return {}
        postings = [self._postings.get(t, {}) for t in terms]
        weighted = sorted(((_idf(count, len(p)), p) for p in postings),
                          key=lambda pair: pair[0], reverse=True)
        total = sum(idf for idf, _ in weighted)
        needed = COVERAGE * total - 1e-9
        candidates: set[int] = set()
        rest = total
        for idf, posting in weighted:
            if rest < needed:
                break
            candidates.update(posting)
            rest -= idf
        if allowed is not None:
            candidates &= allowed
        average = self._total_length / count
        scores: dict[int, float] = {}
        for number in candidates:
            norm = K1 * (1.0 - B + B * self._lengths[number] / average)
            score = covered = 0.0
            for idf, posting in weighted:
                tf = posting.get(number)
                if tf:
                    score += idf * tf * (K1 + 1.0) / (tf + norm)
                    covered += idf
            if covered >= needed:
                scores[number] = score
        if not scores:
            return {}
        floor = RELATIVE * max(scores.values())
        return {n: score for n, score in scores.items() if score >= floor}

    def trending(self, limit: int = 5, *, now: datetime | None = None) -> list[str]:
        """A few words or two-word phrases in many headlines of the 24 hours before `now`
        (default: the newest article), as written ("rare earths", "Japan"), for "nothing
        found" buttons. A word scores by how many of those headlines hold it times its
        rarity in the whole index, so "says" loses to "earthquake"; each one offered
        finds articles when asked about."""
        key = (self._version, limit, now)
        if self._trending is not None and self._trending[0] == key:
            return list(self._trending[1])
        found = trending_topics(self, limit, now)
        self._trending = (key, found)
        return list(found)

    def articles(self) -> list[Article]:
        """Every indexed article, in no particular order."""
        return list(self._articles.values())

    def rarity(self, term: str) -> float:
        """The IDF of a term (as `_query_terms` or `stem` make them) in the whole index."""
        return _idf(len(self._articles), len(self._postings.get(term, ())))



def _idf(count: int, df: int) -> float:
    """BM25's IDF in the form that is never negative (Lucene's)."""
    return math.log(1.0 + (count - df + 0.5) / (df + 0.5))

