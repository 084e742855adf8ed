from __future__ import annotations

import pytest

from digest.text import plain_text, strip_boilerplate, title_key


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>One</p><p>Two</p>", "One Two"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("Tom &amp;amp; Jerry", "Tom & Jerry"),
        ("<script>steal()</script>Safe<style>p{}</style>", "Safe"),
        ("a\u200bb\u00adc", "abc"),
        ("line\x00break\x07", "line break"),
        ("<b>unclosed", "unclosed"),
        ("", ""),
    ],
)
def test_plain_text(markup: str, expected: str) -> None:
    assert plain_text(markup) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prices fell. The post Prices appeared first on Daily News.", "Prices fell."),
        ("Talks resumed. Continue reading...", "Talks resumed."),
        ("Shipments restarted [...]", "Shipments restarted"),
        ("Nothing to strip.", "Nothing to strip."),
    ],
)
def test_strip_boilerplate(text: str, expected: str) -> None:
    assert strip_boilerplate(text) == expected


def test_title_key_ignores_case_accents_and_punctuation() -> None:
    assert title_key("Élection: Macron WINS!") == title_key("election macron wins")
    assert title_key("Election Macron wins") != title_key("Election Macron loses")


def test_title_key_keeps_marks_of_non_latin_scripts() -> None:
    assert title_key("हिन्दी समाचार") == "हिन्दी समाचार"
    assert title_key("हिन्दी समाचार") != title_key("हन्द समचर")
    assert title_key("東京でニュース") == "東京でニュース"


@pytest.mark.parametrize(("markup", "text"), [
    ("Prices <rise> & fall at Tokyo fish market", "Prices <rise> & fall at Tokyo fish market"),
    ("Typhoon <Kong-rey> &amp; a List<T>", "Typhoon <Kong-rey> & a List<T>"),
    ("&lt;p&gt;Hello&lt;/p&gt;", "Hello"),
    ("&amp;lt;!-- SC_OFF --&amp;gt;&amp;lt;div class=&amp;quot;md&amp;quot;&amp;gt;Hi", "Hi"),
    ("<p>AT&amp;amp;T</p>", "AT&T"),
])
def test_text_is_read_as_html_only_when_it_holds_html(markup: str, text: str) -> None:
    assert plain_text(markup) == text
