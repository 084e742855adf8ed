"""The one text-analysis module: fold, stop words and stem as clustering, search, summaries
and takes all see them."""

from __future__ import annotations

import pytest

from digest.tokens import content_words, crude_stem, fold, stem


def test_fold_drops_case_and_accents_of_latin_greek_and_cyrillic() -> None:
    assert fold("Zürich") == fold("ZURICH") == "zurich"
    assert fold("Ελλάδα") == "ελλαδα"


def test_fold_keeps_marks_that_are_part_of_letters() -> None:
    assert fold("हिन्दी") == "हिन्दी"  # Devanagari vowel signs and virama stay


@pytest.mark.parametrize(("word", "expected"), [
    ("earths", "earth"), ("countries", "country"), ("taxes", "tax"), ("news", "news"),
    ("movies", "movie"), ("bus", "bus"), ("crisis", "crisis"), ("earthquake", "earthquake"),
])
def test_stem_takes_english_plurals_off_and_nothing_more(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_crude_stem_matches_inflections() -> None:
    assert crude_stem("resigned", 5) == crude_stem("resigns", 5)
    assert crude_stem("quotas", 6) == crude_stem("quota", 6)


def test_content_words_drop_stop_words_and_single_letters_in_several_languages() -> None:
    assert content_words("The Bank of Japan and a 7 % rate") == ["bank", "japan", "7", "rate"]
    assert content_words("Банк России и ставка") == ["банк", "россии", "ставка"]
    assert content_words("one two three four", limit=2) == ["one", "two"]
