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
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import pairwise

from digest.countries import lookup
from digest.models import Article
from digest.tokens import STOPWORDS, WORD, fold

# BM25 constants as commonly used (Robertson; Lucene's defaults).
K1 = 1.2
B = 0.75
# Relevance gates, tuned on tests/test_search.py and on questions about the UCI stories.
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
_MAX_QUERY_CHARS = 500
_MAX_QUERY_TERMS = 32
_TRENDING_WINDOW = timedelta(hours=24)

# Two words written with a hyphen ("check-up", "rare-earth"); not after a dot, so that
# "U.S.-China" is not read as "s-china".
_HYPHENS = "-\u2010\u2011"
_COMPOUND = re.compile(rf"(?<![\w.])[^\W_]+(?:[{_HYPHENS}][^\W_]+)+")
_HYPHEN = re.compile(f"[{_HYPHENS}]")
_PLURAL_EXCEPTIONS = frozenset({"news", "series", "species", "means", "physics", "economics"})
_IE_PLURALS = frozenset({"movies", "cookies", "rookies", "zombies", "selfies", "calories"})
# Words that fill headlines of every topic: never offered as a trending topic.
_HEADLINE_FILLER = frozenset({
    "says", "said", "say", "new", "latest", "live", "update", "report", "video", "watch",
    "photo", "year", "day", "week", "today", "first", "last", "one", "two", "three", "may",
    "could", "amid", "top", "best", "make", "get", "set", "back", "big", "more", "over",
    "still",
})


@dataclass(frozen=True, slots=True)
class Query:
    """What a user asked about: topic words, and a country's code to keep to."""

    topic: str  # what is left after question words and filler; may be ""
    country: str | None  # ISO alpha-2 from an "in <country>" / "from <country>" ending


# --- reading a question ---------------------------------------------------------------

# Leading question words and filler, stripped one at a time, in any order ("hey, can you
# tell me the latest news about"). "in" and "from" are left for the country ending.
_LEADING = [
    r"/latest(?:@\w+)?",
    r"(?:hey|hi|hello|ok|okay|so|yo)",
    r"(?:please|pls|plz|kindly)",
    r"(?:can|could|would|will) you",
    r"(?:i(?:'d| would) like|i want|i wanna|i need|let me)(?: to)?",
    r"(?:tell|show|give|send|find|get|bring) (?:me|us)",
    r"(?:know|hear|read|see)",
    r"(?:what|how)(?:'s|s| is| are| was)?(?: the)?"
    r" (?:latest|newest|news|new|happening|going on|up)(?: with)?",
    r"(?:is|are) there",
    r"(?:what|how) about",
    r"(?:have|do) you (?:have|got)",
    r"(?:any|anything|something)(?: new| fresh| recent)?",
    r"(?:the )?(?:very )?(?:latest|newest|most recent|recent|breaking)",
    r"(?:news|updates?|headlines?|stories|story|articles?|developments?|coverage)",
]
# Only after one of the above: a topic may well start with "on" or "the".
_LEADING_AFTER = [r"(?:on|about|regarding|re:?|concerning|for|of|with|around)", r"the"]
_TRAILING = [
    r"(?:please|pls|plz|thanks|thank you|thx)",
    r"(?:today|right now|at the moment|these days|lately|recently|this week)",
    r"(?:news|updates|headlines|stories)",
]
_SEPARATORS = r"[\s,:;.!?…\-–—]*"


def _anchored_start(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(rf"^(?:{'|'.join(patterns)})(?![\w']){_SEPARATORS}", re.IGNORECASE)


_LEAD = _anchored_start(_LEADING)
_LEAD_AFTER = _anchored_start(_LEADING_AFTER)
_TRAIL = re.compile(rf"(?<![\w'])(?:{'|'.join(_TRAILING)})$", re.IGNORECASE)
_TRAIL_PUNCTUATION = re.compile(r"[\s?!.…,;:]+$")
# The last "in X" / "from X" (the greedy start skips earlier ones).
_WHERE = re.compile(r"^(?:.*\s)?(?P<word>in|from)\s+(?P<place>\S.*)$", re.IGNORECASE | re.DOTALL)
_PREPOSITION = re.compile(r"^(?:in|from|on|about)(?:\s+the)?(?:\s+|$)", re.IGNORECASE)
_CONTROLS = {"Cf": "", "Cc": " ", "Cs": " ", "Co": " ", "Cn": " "}
_QUOTES = "\"'“”‘’«»„「」"
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "´": "'"})
# Codes people write for a country; other 2- and 3-letter words after "in" are topics
# ("the latest in AI", "news in IT") even when they are also ISO codes.
_SHORT_NAMES = frozenset({"US", "USA", "UK", "UAE", "DRC"})


def parse_query(text: str) -> Query:
    """The topic and country of "/latest tariffs in Japan" or "what's new on rare earths?".

    Only the first 500 characters are read, so any message is cheap; a message of only
    filler or symbols has an empty topic.
    """
    if not isinstance(text, str):
        return Query("", None)
    if len(text) > _MAX_QUERY_CHARS:
        words = text[:_MAX_QUERY_CHARS].split()
        if not text[_MAX_QUERY_CHARS].isspace():
            words = words[:-1]  # no half word at the cut
        text = " ".join(words)
    text = _clean(text)
    text = _strip_filler(text)
    country = None
    where = _WHERE.match(text)
    if where:
        country = _country(where.group("place"))
        if country is not None:
            text = text[: where.start("word")].strip()
    text = _PREPOSITION.sub("", text)
    text = _strip_filler(text).strip(_QUOTES + " ")
    if not any(ch.isalnum() for ch in text):
        text = ""
    return Query(text, country)


def _clean(text: str) -> str:
    """One line, compatibility forms folded (full-width letters), invisible format
    characters dropped (a zero-width space inside a word), other controls and lone
    surrogates turned into spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    text = "".join(_CONTROLS.get(unicodedata.category(ch), ch) for ch in text)
    return " ".join(text.split())


def _strip_filler(text: str) -> str:
    stripped = False
    while True:
        text = _TRAIL_PUNCTUATION.sub("", text).strip(_QUOTES + " ")
        start = _LEAD.match(text) or (_LEAD_AFTER.match(text) if stripped else None)
        end = _TRAIL.search(text)
        if start and start.end() > 0:
            text, stripped = text[start.end():], True
        elif end and end.start() > 0:
            text = text[: end.start()]
        else:
            return text


def _country(place: str) -> str | None:
    place = place.strip(_QUOTES + " ")
    letters = place.replace(".", "")
    if len(letters) <= 3 and letters.upper() not in _SHORT_NAMES:
        return None
    found = lookup(place, typos=False).country
    return found.code if found else None


# --- words ----------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    """English plurals off ("earths", "countries", "taxes"); nothing more, so that
    "earthquake" stays apart from "earth" and "Japanese" from "Japan"."""
    if len(word) <= 3 or not word.endswith("s") or word in _PLURAL_EXCEPTIONS:
        return word
    if word.endswith("ies") and len(word) > 4 and word not in _IE_PLURALS:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


def _words(folded: str) -> list[str]:
    return [
        _stem(w) for w in WORD.findall(folded)
        if (len(w) > 1 or w.isdigit()) and w not in STOPWORDS
    ]


def _joined(compound: str) -> str:
    return _stem(_HYPHEN.sub("", compound))


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

    def remove(self, article_ids: Iterable[str]) -> None:
        """Forget articles (pruned from the store); unknown ids are ignored."""
        for article_id in article_ids:
            number = self._numbers.get(article_id)
            if number is not None:
                self._drop(number)

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
        found = self._find_trending(limit, now)
        self._trending = (key, found)
        return list(found)

    def _find_trending(self, limit: int, now: datetime | None) -> list[str]:
        if limit <= 0 or not self._articles:
            return []
        end = now or max(a.published for a in self._articles.values())
        start = end - _TRENDING_WINDOW
        recent = _Headlines(a.title for a in self._articles.values()
                            if start <= a.published <= end)
        count = len(self._articles)
        scored = sorted(
            ((len(held) * _idf(count, len(self._postings.get(w, ()))), w)
             for w, held in recent.holders.items() if len(held) >= 2),
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
            if self.search(parse_query(label), limit=1):  # its button must find something
                chosen.append(label)
                covered.update(*(recent.holders[p] for p in parts))
        return chosen


def _idf(count: int, df: int) -> float:
    """BM25's IDF in the form that is never negative (Lucene's)."""
    return math.log(1.0 + (count - df + 0.5) / (df + 0.5))


class _Headlines:
    """The informative words of some headlines: which headlines hold each word, which
    adjacent pairs of words they use, and how each word is written."""

    def __init__(self, titles: Iterable[str]) -> None:
        self.holders: dict[str, set[int]] = defaultdict(set)
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.forms: dict[str, Counter[str]] = defaultdict(Counter)
        for number, title in enumerate(titles):
            stems = [self._stem(raw) for raw in WORD.findall(title)]
            for stem in stems:
                if stem:
                    self.holders[stem].add(number)
            self.pairs.update({(a, b) for a, b in pairwise(stems) if a and b and a != b})

    def _stem(self, raw: str) -> str | None:
        folded = fold(raw)
        if len(folded) < 3 or folded.isdigit() or folded in STOPWORDS:
            return None
        stem = _stem(folded)
        if stem in _HEADLINE_FILLER or folded in _HEADLINE_FILLER:
            return None
        self.forms[stem][raw] += 1
        return stem

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
