"""Story clustering quality on labeled real data, and its speed on 15,000 articles.

    python -m benchmarks.clustering_eval

Data from ../shared/data (see each folder's MANIFEST.md):

- tgcontest-toloka/clustering_pairs: article pairs labeled "same event" or not by
  annotators (title + full text). Each pair is classified by
  `pair_similarities(...) >= THRESHOLD`, with term rarity learned from all of the pool's
  articles plus the same language's category-pool articles as background. THRESHOLD was
  chosen on the Russian pairs (the largest set); the English pairs are held out.
- uci-news-aggregator-sample: 6,366 English headlines (no summaries) from 1,948
  publishers, grouped by Google News into 87 stories. All are clustered with cluster()
  and scored by pairwise precision / recall / F1 against the STORY ids. Held out too.
  Google's stories are broader than events ("Titanfall" holds the launch, the reviews,
  the day-one patch and a live-action show), so recall is bounded well below 1 for a
  clusterer that should keep those apart, and precision is the number to watch.
- Speed, on 15,000 articles in 48 h or so, two ways: the UCI headlines (each summary is
  two other headlines of its story, so summaries share words as real ones do) repeated
  with times shifted by a day; and a worst case where almost nothing clusters, titles and
  summaries drawn from a 50,000-word vocabulary with Zipf frequencies, so about 15,000
  stories are open at once.
"""

from __future__ import annotations

import csv
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from digest.models import Article
from digest.stories.cluster import THRESHOLD, Story, cluster, pair_similarities

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TGCONTEST = DATA / "tgcontest-toloka"
UCI = DATA / "uci-news-aggregator-sample" / "uci-news-aggregator.csv"
SWEEP = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def prf(true_positive: int, predicted: int, actual: int) -> tuple[float, float, float]:
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _rows(path: Path) -> list[dict[str, str]]:
    # Toloka TSVs have no quoting: a quote character is text.
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def tgcontest_scores(language: str) -> list[tuple[float, bool]]:
    """(similarity, labeled same) for every labeled pair of one language."""
    articles: dict[tuple[str, str], Article] = {}

    def article(title: str, text: str) -> tuple[str, str]:
        if (title, text) not in articles:
            articles[title, text] = Article(
                url=f"https://tgcontest.example/{len(articles)}", title=title, summary=text,
                published=EPOCH, source="toloka", country="XX", language=language,
            )
        return title, text

    labeled = [
        (article(r["INPUT:first_title"], r["INPUT:first_text"]),
         article(r["INPUT:second_title"], r["INPUT:second_text"]),
         r["GOLDEN:quality"] == "OK")
        for path in sorted((TGCONTEST / "clustering_pairs").glob(f"{language}_*.tsv"))
        for r in _rows(path)
    ]
    for path in sorted((TGCONTEST / "categories").glob(f"{language}_*.tsv")):
        for r in _rows(path):
            article(r["INPUT:title"], r["INPUT:text"])
    position = {key: n for n, key in enumerate(articles)}
    scores = pair_similarities(
        list(articles.values()), [(position[a], position[b]) for a, b, _ in labeled]
    )
    return [(score, same) for score, (_, _, same) in zip(scores, labeled, strict=True)]


def pairs_prf(scores: Sequence[tuple[float, bool]], threshold: float) -> tuple[float, ...]:
    true_positive = sum(1 for s, same in scores if same and s >= threshold)
    predicted = sum(1 for s, _ in scores if s >= threshold)
    return prf(true_positive, predicted, sum(1 for _, same in scores if same))


def uci_articles() -> tuple[list[Article], dict[str, str]]:
    """The UCI headlines as articles (titles only), and each article id's STORY."""
    with UCI.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["TIMESTAMP"]]  # the last row is truncated
    articles, story_of = [], {}
    for r in rows:
        article = Article(
            url=f"{r['URL']}#{r['ID']}", title=r["TITLE"], summary="",
            published=datetime.fromtimestamp(int(r["TIMESTAMP"]) / 1000, UTC),
            source=r["PUBLISHER"], country="US", language="en",
        )
        articles.append(article)
        story_of[article.id] = r["STORY"]
    return articles, story_of


def clustering_prf(stories: Iterable[Story], story_of: dict[str, str]) -> tuple[float, ...]:
    """Pairwise: a pair of articles is predicted same when in one story, actually same when
    it has one STORY id."""

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    true_positive = predicted = 0
    for story in stories:
        predicted += pairs(len(story.articles))
        labels = Counter(story_of[a.id] for a in story.articles)
        true_positive += sum(pairs(n) for n in labels.values())
    actual = sum(pairs(n) for n in Counter(story_of.values()).values())
    return prf(true_positive, predicted, actual)


def synthetic(count: int = 15_000) -> list[Article]:
    """UCI headlines with summaries made of their story's other headlines, repeated a day
    apart until `count` articles."""
    headlines, story_of = uci_articles()
    by_story: dict[str, list[Article]] = {}
    for a in headlines:
        by_story.setdefault(story_of[a.id], []).append(a)
    found = []
    for n in range(count):
        copy, base = divmod(n, len(headlines))
        a = headlines[base]
        siblings = by_story[story_of[a.id]]
        k = siblings.index(a)
        summary = " ".join(siblings[(k + d) % len(siblings)].title for d in (1, 2))
        found.append(Article(
            url=f"{a.url}/copy{copy}", title=a.title, summary=summary,
            published=a.published + timedelta(days=copy), source=a.source,
            country=f"C{n % 20}", language="en",
        ))
    return found


def unclusterable(count: int = 15_000, seed: int = 1) -> list[Article]:
    """Articles of random words with natural (Zipf) frequencies, spread over 48 h."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(4, 10))) for _ in range(50_000)]
    weights = list(accumulate(1 / rank for rank in range(1, len(vocabulary) + 1)))
    return [
        Article(
            url=f"https://random.example/{n}",
            title=" ".join(rng.choices(vocabulary, cum_weights=weights, k=8)),
            summary=" ".join(rng.choices(vocabulary, cum_weights=weights, k=30)),
            published=EPOCH + timedelta(seconds=rng.randrange(48 * 3600)),
            source=f"Outlet {n % 300}", country=f"C{n % 20}", language="en",
        )
        for n in range(count)
    ]


def timed(articles: list[Article]) -> str:
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        stories = cluster(articles)
        timings.append(time.perf_counter() - started)
    largest = max(len(s.articles) for s in stories)
    return f"best {min(timings):.2f} s of 3 ({len(stories)} stories, largest {largest})"


def main() -> None:
    if not DATA.exists():
        sys.exit(f"shared data not found at {DATA}")
    print(f"THRESHOLD = {THRESHOLD}\n")
    print("tgcontest pairs: threshold  precision  recall  F1")
    for language, role in (("ru", "tuning set"), ("en", "held out")):
        scores = tgcontest_scores(language)
        same = sum(1 for _, s in scores if s)
        print(f"  {language} ({len(scores)} pairs, {same} same; {role})")
        for threshold in SWEEP:
            p, r, f = pairs_prf(scores, threshold)
            mark = "  <-" if threshold == THRESHOLD else ""
            print(f"    {threshold:.2f}  {p:.3f}  {r:.3f}  {f:.3f}{mark}")

    articles, story_of = uci_articles()
    print(f"\nUCI ({len(articles)} headlines, {len(set(story_of.values()))} stories; held out):"
          " threshold  precision  recall  F1  stories")
    for threshold in SWEEP:
        stories = cluster(articles, threshold=threshold)
        p, r, f = clustering_prf(stories, story_of)
        mark = "  <-" if threshold == THRESHOLD else ""
        print(f"    {threshold:.2f}  {p:.3f}  {r:.3f}  {f:.3f}  {len(stories)}{mark}")

    print("\ncluster() on 15,000 articles:")
    print(f"    UCI headlines repeated: {timed(synthetic())}")
    print(f"    worst case, unclusterable: {timed(unclusterable())}")


if __name__ == "__main__":
    main()
