"""Reading a question: "/latest tariffs in Japan" or "what's new on rare earths?" becomes a
`Query`, the topic words and a country when it ends in "in Japan" / "from Japan".

Apart from the index so that handlers and the index share one reading of a question,
and the filler patterns (which change with how people ask) are not mixed with BM25.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from digest.countries import lookup

_MAX_QUERY_CHARS = 500


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
