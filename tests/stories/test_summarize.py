from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from digest.ingestion.parse import MAX_SUMMARY
from digest.models import Article
from digest.stories.summarize import sentences, summarize
from tests.conftest import shared_data

PUBLISHED = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def article(summary: str, title: str = "Cabinet approves budget") -> Article:
    return Article("https://news.example/a", title, summary, PUBLISHED, "Daily", "JP", "en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Abe met U.S. officials on Nov. 25 in Washington. Growth was 3.5% this year.",
            ["Mr. Abe met U.S. officials on Nov. 25 in Washington.", "Growth was 3.5% this year."],
        ),
        (
            "Sales rose in the U.S. The next day prices fell.",
            ["Sales rose in the U.S.", "The next day prices fell."],
        ),
        (
            'He said: "It is over." Then he left. "Why?" she asked. No. 10 was silent.',
            ['He said: "It is over."', "Then he left.", '"Why?" she asked.', "No. 10 was silent."],
        ),
        (
            "J. K. Rowling spoke to the FT. But Acme Inc. Shares did not move.",
            ["J. K. Rowling spoke to the FT.", "But Acme Inc. Shares did not move."],
        ),
        ("Prices fell... Then they rose!", ["Prices fell...", "Then they rose!"]),
        (
            "日本の首相が辞任した。新首相は明日選ばれる。",
            ["日本の首相が辞任した。", "新首相は明日選ばれる。"],
        ),
        ("  ", []),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_takes_the_first_two_sentences_that_fit() -> None:
    text = "The lower house passed the plan on Friday. Spending rises 4%. Critics objected."
    assert (
        summarize(article(text)) == "The lower house passed the plan on Friday. Spending rises 4%."
    )
    assert summarize(article(text), limit=60) == "The lower house passed the plan on Friday."


def test_sentence_mostly_made_of_the_headline_is_dropped() -> None:
    text = "The cabinet approved the budget on Friday. Spending rises 4% to a record."
    assert summarize(article(text)) == "Spending rises 4% to a record."


def test_long_first_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    text = "The cabinet approved an extraordinary budget of 110 trillion yen on Friday night."
    result = summarize(article(text), limit=40)
    assert result == "The cabinet approved an extraordinary…"
    assert len(result) <= 40


def test_sentence_repeating_the_headline_is_dropped() -> None:
    text = "Japan's cabinet approves budget. The plan adds 4 trillion yen for defence."
    result = summarize(article(text, title="Japan cabinet approves the budget"))
    assert result == "The plan adds 4 trillion yen for defence."


def test_summary_opening_with_the_headline_loses_it() -> None:
    text = "Cabinet approves budget The plan adds 4 trillion yen for defence."
    assert summarize(article(text)) == "The plan adds 4 trillion yen for defence."


@pytest.mark.parametrize(
    "prefix",
    [
        "TOKYO (Reuters) - ",
        "(Reuters) - ",
        "NEW YORK, Nov 25 (AP) — ",
        "LONDON — ",
        "By Jane Doe LONDON (Reuters) - ",
        "By Jane Doe ",
    ],
)
def test_dateline_and_byline_prefixes_are_stripped_not_the_sentence(prefix: str) -> None:
    text = f"{prefix}The yen fell to a 30-year low against the dollar."
    assert summarize(article(text)) == "The yen fell to a 30-year low against the dollar."


def test_hyphenated_words_are_no_dateline() -> None:
    text = "US-China trade talks resumed in Geneva."
    assert summarize(article(text)) == text


def test_boilerplate_sentences_are_dropped() -> None:
    text = (
        "Photo: AFP. By Jane Doe, BBC News. Click here for live updates. "
        "Subscribe to our newsletter. Read more: budget explained. "
        "The yen fell to a 30-year low (Photo: Getty Images) against the dollar."
    )
    assert summarize(article(text)) == "The yen fell to a 30-year low against the dollar."


def test_incomplete_second_sentence_is_not_added() -> None:
    text = "The yen fell to a record low. Traders expect the central bank to step in before…"
    assert summarize(article(text)) == "The yen fell to a record low."


@pytest.mark.parametrize("text", ["", "Read more.", "Photo: Reuters", "Cabinet approves budget."])
def test_nothing_usable_gives_empty_string(text: str) -> None:
    assert summarize(article(text)) == ""


# --- against human extractive summaries ------------------------------------------------

SAMPLE = 200
LIMIT = 300
MEASURED_SHARE = 0.62  # 240 of 387 chosen sentences are in the reference summary
FLOOR = 0.57


def _feed_summary(body: str) -> str:
    """The article body as ingestion would store it: one line, clipped like parse._clip."""
    if len(body) <= MAX_SUMMARY:
        return body
    cut = body[: MAX_SUMMARY - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > MAX_SUMMARY // 2 else cut).rstrip(" ,;:-") + "…"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_bbc_summaries_are_extractive_bounded_and_agree_with_references() -> None:
    root = shared_data("bbc-news-summary")
    paths = sorted((root / "News Articles").glob("*/*.txt"))
    if not paths:
        pytest.skip(f"no articles under {root}")
    sample = paths[:: max(1, len(paths) // SAMPLE)][:SAMPLE]
    chosen = in_reference = 0
    for path in sample:
        title, _, body = path.read_text(encoding="utf-8", errors="replace").partition("\n")
        body = _one_line(body)
        reference = _one_line(
            (root / "Summaries" / path.parent.name / path.name).read_text(
                encoding="utf-8", errors="replace"
            )
        )
        result = summarize(article(_feed_summary(body), title=title.strip()), LIMIT)
        assert result, path
        assert len(result) <= LIMIT, path
        for sentence in sentences(result):
            core = sentence.removesuffix("…")
            at = body.find(core)
            assert at >= 0, (path, sentence)  # taken from the article, word for word
            end = at + len(core)
            assert end == len(body) or not body[end].isalnum(), (path, sentence)  # no cut word
            chosen += 1
            in_reference += sentence in reference
    share = in_reference / chosen
    assert share >= FLOOR, f"{in_reference}/{chosen} = {share:.3f} chosen sentences in references"
