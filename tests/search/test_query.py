"""Reading a question into a topic and a country."""

from __future__ import annotations

import time

import pytest

from digest.search.query import Query, parse_query

# --- parse_query ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/latest rare earths", Query("rare earths", None)),
        ("rare earths", Query("rare earths", None)),
        ("/latest tariffs in Japan", Query("tariffs", "JP")),
        ("tariffs in Japan", Query("tariffs", "JP")),
        ("what's the latest on rare earths?", Query("rare earths", None)),
        ("What’s the latest on rare earths?", Query("rare earths", None)),
        ("news about the Taiwan Strait", Query("Taiwan Strait", None)),
        ("latest from Japan", Query("", "JP")),
        ("latest news about bitcoin please", Query("bitcoin", None)),
        ("tell me about rare-earth exports", Query("rare-earth exports", None)),
        ("any news on the Fed?", Query("Fed", None)),
        ("what is happening in Japan?", Query("", "JP")),
        ("what is happening in Rome", Query("Rome", None)),
        ("hey, can you tell me the latest news about bitcoin in the US?", Query("bitcoin", "US")),
        ("news from the UK", Query("", "GB")),
        ("Ukraine war news from Russia", Query("Ukraine war", "RU")),
        ("is there any news on Flappy Bird", Query("Flappy Bird", None)),
        ("what about tariffs", Query("tariffs", None)),
        ("Japan news", Query("Japan", None)),
        ("“Titanfall”", Query("Titanfall", None)),
        # "in" followed by something that is no country stays in the topic...
        ("the fall of Rome in 1990s", Query("the fall of Rome in 1990s", None)),
        ("the fall of Rome in 1990s in Japan", Query("the fall of Rome in 1990s", "JP")),
        ("rare earths from China in 2024", Query("rare earths from China in 2024", None)),
        # ...and so do codes that are words or topics ("AI" is Anguilla, "IT" Italy).
        ("latest in AI", Query("AI", None)),
        ("news in IT", Query("IT", None)),
        ("news from space", Query("space", None)),
        # Places are read exactly: "Indiana" is not a typo for India.
        ("floods in Indiana", Query("floods in Indiana", None)),
        # Names that start like filler keep their words.
        ("New Zealand", Query("New Zealand", None)),
        ("Top Gun", Query("Top Gun", None)),
        ("SoftBank", Query("SoftBank", None)),
    ],
)
def test_parse_query(text: str, expected: Query) -> None:
    assert parse_query(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "?", "please", "latest", "latest news", "what's the latest?", "/latest",
     "any news?", "latest on", "in", "🔥🔥🔥", "👨\u200d👩\u200d👧 news", "\u200b\u200f"],
)
def test_only_filler_or_symbols_is_an_empty_query(text: str) -> None:
    assert parse_query(text) == Query("", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ｔａｒｉｆｆｓ in Ｊａｐａｎ", Query("Tariffs", "JP")),  # full-width letters
        ("rare\u200b earths", Query("rare earths", None)),  # zero-width space
        ("bit\u200bcoin", Query("bitcoin", None)),
        ("tariffs\ud800 in Japan", Query("tariffs", "JP")),  # a lone surrogate
        ("latest on São Paulo floods 🌧️", Query("São Paulo floods 🌧️", None)),
        ("news about Москва", Query("Москва", None)),
    ],
)
def test_odd_unicode(text: str, expected: Query) -> None:
    assert parse_query(text) == expected


def test_long_input_is_cut_before_any_work() -> None:
    # The country is past the first 500 characters: it is never read.
    query = parse_query("rare earths " + "x" * 3_980 + " in Japan")
    assert query.country is None
    assert len(query.topic) <= 500
    started = time.perf_counter()
    for text in ("latest " * 600, "in " * 1_400, "a-" * 2_000, "🔥" * 4_000, "in Japan " * 450):
        parse_query(text)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("text", ["latest " * 600, " " * 4_000, "\u200b" * 4_000, "?" * 4_000])
def test_long_input_of_filler_is_empty(text: str) -> None:
    assert parse_query(text) == Query("", None)
