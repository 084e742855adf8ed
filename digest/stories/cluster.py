"""Stories: the articles of many outlets and countries about one event, grouped.

A digest shows each event once, led by an article from the chat's own country,
with the other outlets' takes beside it. This module decides which articles are
about the same event and how stories are ordered for a chat; it is pure and
deterministic, so the same articles give the same stories, keys and order.

How articles are compared: each becomes a TF-IDF vector of its title and the
start of its summary (casefolded, accents stripped, stopwords dropped, words cut
to a short prefix so that "tariffs"/"tariff" and Russian case endings match),
joined with a vector of the title's character 4-grams (so "check-up" meets
"checkup" and "Zelensky" meets "Zelenskyy"). Term rarity (IDF) is learned from
the articles being clustered, so words every story uses ("government", "says")
weigh little; give it a day's news, not a handful of articles.

How stories form: articles are taken in publication order; each joins the open
story whose centroid it is most similar to (cosine >= threshold), or opens a new
one. A story stays open for `window` after its first article, so every story
spans at most `window`. Only stories sharing an informative word with the article
are compared (an inverted index): 15,000 articles take 1.5 to 3 s.

Why this and not the alternatives, tried on the UCI headlines: single-link over
similar pairs chained 5,876 of 6,366 headlines into one story; merging the
stories that a later article matches as well did worse than a lower threshold at
every precision, and a second pass merging similar stories did no better. The
price of the online scheme is order: two early articles that match each other
only through a later one stay apart. Its gift is that a story's key (its first
article) does not change when later articles join.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import chain
from operator import itemgetter

from digest.models import Article
from digest.tokens import content_words, crude_stem

WINDOW = timedelta(hours=48)
# Cosine between an article and a story's centroid needed to join the story. Chosen
# as the best pairwise F1 on the Russian tgcontest "same event?" pairs (215 pairs);
# English pairs and UCI stories are held out (benchmarks/clustering_eval.py).
THRESHOLD = 0.25

_TITLE_WEIGHT = 2.0  # a title states the event; a summary adds context and noise
_SUMMARY_WORDS = 60  # feeds that put the whole article in the summary add little past this
_STEM_LENGTH = 6  # prefix "stemming": crude and language-blind; 5 to 7 do best on Russian
_SHINGLE = 4
_SHINGLE_MARK = "#"  # words never contain it, so shingle and word keys cannot collide
_WORD_SHARE = 0.6  # similarity = 0.6 word cosine + 0.4 character-shingle cosine
# A word found in more open stories than this finds no candidates: it is too common to
# tell events apart, and following it would make the pass quadratic. (Quality on UCI is
# the same from 25 to 200; time is not.)
_BLOCK_MAX = 50
# Candidates are open stories sharing informative words. The best few by the cosine of
# those words alone are scored exactly, if that partial cosine reaches a quarter of the
# threshold: below, the rest of the vector cannot plausibly make up the difference.
_CANDIDATES = 8
_MIN_PARTIAL = 0.25
# Candidates are looked up under an article's heaviest words only (all of a story's words
# are indexed): all words cost 70% more time on unclusterable data for no better quality,
# 8 words lose Russian pairs whose shared words are in the summaries.
_BLOCKING_WORDS = 12


@dataclass(frozen=True, slots=True)
class Story:
    """Articles about one event, earliest first (ties broken by outlet, then article id)."""

    articles: tuple[Article, ...]
    # Computed once: digests for 100,000 chats ask for them millions of times.
    ids: frozenset[str] = field(init=False, repr=False, compare=False)
    # The first article's id: it stays the same while later articles join the story, so a
    # chat's memory of sent stories survives the next clustering.
    key: str = field(init=False, repr=False, compare=False)
    countries: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", frozenset(a.id for a in self.articles))
        object.__setattr__(self, "key", self.articles[0].id)
        object.__setattr__(self, "countries", frozenset(a.country for a in self.articles))

    @property
    def outlets(self) -> frozenset[str]:
        return frozenset(a.source for a in self.articles)

    @property
    def latest(self) -> datetime:
        return self.articles[-1].published


def cluster(
    articles: Iterable[Article], *, window: timedelta = WINDOW, threshold: float = THRESHOLD
) -> list[Story]:
    """Group articles about the same event; stories come in the order of their first article.

    Articles with the same id are taken once. See the module docstring for the method.
    """
    ordered = in_story_order(articles)
    return stories_of(ordered, group_positions(ordered, window=window, threshold=threshold))


def in_story_order(articles: Iterable[Article]) -> list[Article]:
    """The articles without repeated ids, in the order grouping takes them."""
    return sorted({a.id: a for a in articles}.values(), key=_order)


def group_positions(
    ordered: Sequence[Article], *, window: timedelta = WINDOW, threshold: float = THRESHOLD
) -> list[list[int]]:
    """cluster() as positions into `ordered` (from in_story_order): plain lists of numbers,
    cheap to send back from the worker process that does the clustering."""
    return [group.members for group in _group(ordered, _vectors(ordered), window, threshold)]


def stories_of(ordered: Sequence[Article], groups: Iterable[Sequence[int]]) -> list[Story]:
    return [Story(tuple(ordered[i] for i in members)) for members in groups]


def pair_similarities(articles: Sequence[Article], pairs: Iterable[tuple[int, int]]) -> list[float]:
    """The similarity that cluster() compares with its threshold, for pairs of indexes into
    `articles`. Term rarity is learned from all of `articles`, as cluster() learns it from
    its input. It exists so that labeled pairs can be scored (benchmarks, tests)."""
    vectors = _vectors(articles)
    return [_dot(vectors[i].terms, vectors[j].terms) for i, j in pairs]


def lead_for(story: Story, country: str) -> Article | None:
    """The story's first article from an outlet of `country`, or None if it has none.

    The first report rather than a "best" one: it credits who broke the story, and it
    does not change when later articles join, so a story is not re-led between digests.
    """
    return next((a for a in story.articles if a.country == country), None)


def alternatives(story: Story, lead: Article) -> list[Article]:
    """The other takes on the story, one per outlet (its first article), the lead's outlet
    excluded: other countries' outlets first (how others told it is the point), then the
    lead's country's, each in order of publication."""
    seen = {lead.source}
    home: list[Article] = []
    abroad: list[Article] = []
    for article in story.articles:
        if article.source in seen:
            continue
        seen.add(article.source)
        (home if article.country == lead.country else abroad).append(article)
    return abroad + home


def covered_by(story: Story, country: str) -> bool:
    """Whether any outlet of `country` reported the story ("not in US media" is False)."""
    return country in story.countries


_RECENCY_HALF_LIFE = timedelta(hours=12)
_NOVELTY_HALF_LIFE = timedelta(hours=24)


def rank(
    stories: Iterable[Story], country: str, *, now: datetime, sent_keys: frozenset[str]
) -> list[Story]:
    """The stories to offer a chat following `country`, best first.

    Kept: stories with an article from `country`'s outlets and not sent before. A story
    counts as sent when any of its article ids is in `sent_keys`, not only its key: the
    first article of a story may have left the clustered period since it was sent.

    Score = coverage x recency x novelty, where coverage = log2(1 + distinct outlets)
    (more outlets, more important, with diminishing returns), recency halves every 12 h
    since the latest article (still being reported) and novelty halves every 24 h since
    the first one (a story that broke this morning beats one running for two days). Ties
    go to the earlier key, so the order is deterministic.
    """

    def score(story: Story) -> float:
        coverage = math.log2(1 + len(story.outlets))
        recency = _halvings(now - story.latest, _RECENCY_HALF_LIFE)
        novelty = _halvings(now - story.articles[0].published, _NOVELTY_HALF_LIFE)
        return coverage * recency * novelty

    kept = [
        s
        for s in stories
        if covered_by(s, country) and sent_keys.isdisjoint(s.ids)
    ]
    return sorted(kept, key=lambda s: (-score(s), s.key))


def _halvings(age: timedelta, half_life: timedelta) -> float:
    return math.pow(0.5, max(age, timedelta(0)) / half_life)


def _order(article: Article) -> tuple[datetime, str, str]:
    return (article.published, article.source, article.id)


def _tokens(text: str, limit: int | None = None) -> list[str]:
    if limit is not None:
        text = text[: limit * 16]  # whole articles in summaries: cut before the slow part
    return content_words(text, limit)


def _stem(token: str) -> str:
    return crude_stem(token, _STEM_LENGTH)


@lru_cache(maxsize=1 << 16)
def _shingles(token: str) -> tuple[str, ...]:
    padded = f" {token} "
    return tuple(
        _SHINGLE_MARK + padded[i : i + _SHINGLE] for i in range(max(1, len(padded) - _SHINGLE + 1))
    )


def _terms(article: Article) -> tuple[dict[str, float], Counter[str]]:
    """Raw weights of an article's words (title ones count more) and title shingles."""
    title = _tokens(article.title)
    words: dict[str, float] = {t: _TITLE_WEIGHT * n for t, n in Counter(map(_stem, title)).items()}
    for term, n in Counter(map(_stem, _tokens(article.summary, _SUMMARY_WORDS))).items():
        words[term] = words.get(term, 0.0) + n
    return words, Counter(chain.from_iterable(map(_shingles, title)))


def _tf_idf(raw: Sequence[Mapping[str, float]], scale: float) -> list[dict[str, float]]:
    """Sublinear term weight times smoothed IDF, scaled to length `scale`."""
    df = Counter(chain.from_iterable(raw))
    n = len(raw)
    idf = {term: math.log((n + 1) / (count + 1)) + 1.0 for term, count in df.items()}
    log = math.log
    weighted = []
    for weights in raw:
        vector = {t: (1.0 + log(w)) * idf[t] for t, w in weights.items()}
        norm = math.sqrt(sum(x * x for x in vector.values())) or 1.0
        weighted.append({t: scale * x / norm for t, x in vector.items()})
    return weighted


@dataclass(frozen=True, slots=True)
class _Vector:
    """What grouping sees of an article."""

    terms: dict[str, float]  # words and shingles; a dot product is the blended similarity
    words: list[str]  # its word terms, under which the story holding it is indexed
    lookups: list[str]  # its heaviest words, under which candidate stories are looked up


@dataclass(slots=True)
class _Group:
    """A story being formed."""

    terms: dict[str, float]  # the sum of its articles' vectors: its centroid, up to length
    squared: float  # the sum's squared length
    opened: datetime  # its first article's time
    members: list[int] = field(default_factory=list)  # its articles' positions


def _vectors(articles: Sequence[Article]) -> list[_Vector]:
    """The word and shingle parts are unit vectors scaled by the square roots of their
    shares, so one dot product gives 0.6 x word cosine + 0.4 x shingle cosine."""
    raw = [_terms(a) for a in articles]
    words = _tf_idf([w for w, _ in raw], math.sqrt(_WORD_SHARE))
    shingles = _tf_idf([s for _, s in raw], math.sqrt(1.0 - _WORD_SHARE))
    return [_Vector(w | s, list(w), _heaviest(w)) for w, s in zip(words, shingles, strict=True)]


def _heaviest(words: dict[str, float]) -> list[str]:
    ranked = sorted(words.items(), key=itemgetter(1), reverse=True)  # stable: ties in text order
    return [term for term, _ in ranked[:_BLOCKING_WORDS]]


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(a[t] * b[t] for t in a.keys() & b.keys())


def _group(
    articles: Sequence[Article], vectors: Sequence[_Vector], window: timedelta, threshold: float
) -> list[_Group]:
    """Articles, in time order, each join the open story whose centroid is most similar
    (cosine >= threshold) or open a new one; a story is open for `window` after its first
    article."""
    groups: list[_Group] = []
    postings: dict[str, set[int]] = defaultdict(set)  # word -> open stories holding it
    closed = 0  # stories below this number are too old for this and all later articles
    for position, (article, vector) in enumerate(zip(articles, vectors, strict=True)):
        while closed < len(groups) and groups[closed].opened < article.published - window:
            for term in groups[closed].terms:
                if term[0] != _SHINGLE_MARK:
                    postings[term].discard(closed)
            closed += 1
        terms = vector.terms
        partial: dict[int, float] = defaultdict(float)
        for term in vector.lookups:
            posting = postings.get(term)
            if posting and len(posting) <= _BLOCK_MAX:
                weight = terms[term]
                for g in posting:
                    partial[g] += weight * groups[g].terms[term]
        floor = threshold * _MIN_PARTIAL
        ranked = [(-p / math.sqrt(groups[g].squared), g) for g, p in partial.items()]
        best, best_score, best_dot = len(groups), threshold, 0.0
        for _, g in heapq.nsmallest(_CANDIDATES, [r for r in ranked if -r[0] >= floor]):
            dot = _dot(terms, groups[g].terms)
            score = dot / math.sqrt(groups[g].squared)
            if score > best_score or (score == best_score and g < best):
                best, best_score, best_dot = g, score, dot
        if best == len(groups):
            groups.append(_Group({}, 0.0, article.published))
        group = groups[best]
        total = group.terms
        for term, x in terms.items():
            total[term] = total.get(term, 0.0) + x
        # |S + v|^2 = |S|^2 + 2 S.v + |v|^2
        group.squared += 2 * best_dot + sum(x * x for x in terms.values())
        group.members.append(position)
        for term in vector.words:
            postings[term].add(best)
    return groups
