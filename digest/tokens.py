"""Words as clustering, search, summaries and takes compare them: one fold (case and
accents), one stop-word list, one stemmer.

All must agree on what a word is (search finds what clustering grouped by, a summary
sentence repeats the headline by the same words), and measured quality (clustering F1,
search relevance) must not depend on which copy ran, so the definitions live here once.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def _marks() -> str:
    """The combining marks of the Basic Multilingual Plane as a regex class body. \\w leaves
    them out, which would cut Devanagari or Thai words apart at every vowel sign."""
    codes = [c for c in range(0x300, 0x10000) if unicodedata.category(chr(c))[0] == "M"]
    spans: list[list[int]] = []
    for code in codes:
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in spans)


# Numbers whole ("7.1", "1,500"), else runs of letters, digits and marks.
WORD = re.compile(rf"\d+(?:[.,]\d+)*|[\w{_marks()}]+")
_ACCENTS = dict.fromkeys(range(0x300, 0x370))  # combining diacritics of Latin, Greek, Cyrillic


def fold(text: str) -> str:
    """Casefolded, accents stripped: "Zürich", "ZURICH" and "zurich" are one word.

    Only the diacritics block is dropped: other combining marks (Devanagari vowel signs,
    Japanese voicing marks) are parts of letters there."""
    text = text.casefold()
    if text.isascii():  # most titles: skip the slow normalizations
        return text
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKD", text).translate(_ACCENTS))


# English and Russian (the labeled data), and the commonest of a few more languages.
STOPWORDS = frozenset(fold("""
    a about after all also an and any are as at be been before being but by can could did
    do does for from had has have he her his how if in into is it its just more most my no not
    now of on or other our out over she should so some such than that the their them then there
    these they this those to too under up very was we were what when where which while who will
    with would you your
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее
    мне было вот от меня еще нет о из ему когда даже ну ли если уже или ни быть был до вас вам
    там себя ей может они тут где есть для мы их чем была сам без себе под будет кто этот того
    этого какой при об после над через эти нас про них это также
    el la los las de del y en un una que por con para se su sus al lo es como pero
    le les des du et au aux une dans sur pour par pas ce qui ne est sont avec il elle
    der die das den dem und ein eine ist im zu mit von auf für nicht sich auch
    o os um uma em no na nos nas do da dos e com ao
""").split())


_PLURAL_EXCEPTIONS = frozenset({"news", "series", "species", "means", "physics", "economics"})
_IE_PLURALS = frozenset({"movies", "cookies", "rookies", "zombies", "selfies", "calories"})


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
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


def content_words(text: str, limit: int | None = None) -> list[str]:
    """The folded words of `text` that carry meaning: stop words and single letters dropped
    (single digits kept); at most `limit`."""
    found = WORD.findall(fold(text))
    return [w for w in found if (len(w) > 1 or w.isdigit()) and w not in STOPWORDS][:limit]


@lru_cache(maxsize=1 << 16)
def crude_stem(word: str, length: int) -> str:
    """`stem`, then cut to a prefix: enough to match most inflections in any language
    ("resigned", "resigns"), at the price of a few false friends."""
    return stem(word)[:length]
