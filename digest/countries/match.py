"""Turning user text into countries: one name ("Japn", "🇬🇧", "the UK"), or a free-form
list ("Japan, Brazil and the US"), with suggestions for typos.

Every place that turns user text into a country (subscriptions, /timezone,
catalog checks) goes through `lookup` or `find_countries`, so "UK", "🇬🇧",
"Britain" and "United Kingdom" mean the same thing everywhere. Misspellings are
scored by rapidfuzz instead of a hand-written edit distance.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from digest.countries.dataset import (
    DROPPED,
    Country,
    Dataset,
    by_code,
    dataset,
    flag_code,
    flag_end,
    normalize,
)

# Words between names in "Japan and the US"; a code that is also an English word
# ("in", "no", "can") counts in a message only when written in capitals.
_STOPWORDS = frozenset({"and", "the", "or", "plus", "also"})
_WORDLIKE_CODES = frozenset(
    {"am", "as", "at", "be", "by", "do", "id", "in", "is", "it", "me", "my", "no", "so", "to"}
    | {"are", "arm", "can", "gin", "gum", "jam", "lie", "nor", "pan", "per"}
)

# rapidfuzz's token_sort_ratio (Indel similarity 0-100, words sorted first, so
# "korea south" is South Korea), tuned on the typos and non-words of
# tests/test_countries.py and a few dozen more: one slip in a name of 6+ letters
# scores 83 or more ("Japn" 89, "Columbia" 88, "Mexcio" 83); a short name with
# one wrong letter ("Kenia" 80) or a relative ("French" 67) is a suggestion;
# "lorem", "world" or "xyzzy" stay under 65 against every name.
_ACCEPT = 83.0
_SUGGEST = 65.0
_MARGIN = 3.0  # a typo as close to two countries ("Austrlia") is only a suggestion
_SPREAD = 10.0  # suggestions this far below the best one are noise ("Kenia": not Armenia)
_MAX_SUGGESTIONS = 3

# Bounds that keep hostile input cheap: no country name is longer than about 60
# characters, and nobody lists more than a few dozen countries in one message.
_MAX_QUERY_CHARS = 200
_MAX_FUZZY_CHARS = 60
_MAX_MESSAGE_CHARS = 4096
_MAX_TOKENS = 100
_MAX_FUZZY_CALLS = 30
_MAX_FUZZY_WINDOW = 4
_MAX_WORD_CHARS = 40

_TAG = re.compile(r"<[^<>]{0,64}>")
_PARTS = re.compile(r"[,;\n\r，、；]+")



@dataclass(frozen=True, slots=True)
class Lookup:
    """The answer to one typed name: a country, or at most three guesses, or neither."""

    country: Country | None
    suggestions: tuple[Country, ...] = ()


@dataclass(frozen=True, slots=True)
class Unknown:
    """A word of a message that is no country, with what it might have meant."""

    word: str
    suggestions: tuple[Country, ...]


@dataclass(frozen=True, slots=True)
class Found:
    """What a free-form message named: countries in the order given, once each."""

    countries: tuple[Country, ...]
    unknown: tuple[Unknown, ...]


_NOTHING = Lookup(None, ())


def lookup(text: str, *, typos: bool = True) -> Lookup:
    """The country meant by `text`, else suggestions when a typo is close but not certain.

    Codes and short words are matched exactly only: a two-letter typo has too
    many neighbours for a guess to be worth showing. Without `typos` only exact
    names, aliases, codes and flags count (in free text "Indiana" is not India).
    """
    if not isinstance(text, str) or len(text) > _MAX_QUERY_CHARS:
        return _NOTHING
    text = text.strip()
    code = flag_code(text)
    if code is not None:
        country = by_code(code)
        return Lookup(country) if country else _NOTHING
    key = normalize(_TAG.sub(" ", text))
    if not key:
        return _NOTHING
    data = dataset()
    code = data.exact.get(key) or data.compact.get(key.replace(" ", ""))
    if code is None and key.startswith("the "):
        code = data.exact.get(key[4:])
    if code is not None:
        return Lookup(data.by_code[code])
    return _fuzzy(key) if typos else _NOTHING




def find_countries(text: str) -> Found:
    """The countries named in a chat message such as "Japan, Brazil 🇩🇪 south korea us".

    Exact names win first, longest run of words first, so "south korea united
    states" needs no commas; only the words left over are read as typos, within
    one comma-separated item. An exact name may span a comma because ISO names
    contain one ("Korea, Republic of"). Filler ("and", "the") is skipped, and so
    is a code that is also an English word unless it is in capitals ("IN") or an
    item by itself ("/subscribe in", "jp, in": nothing else it could mean there).
    Only the first 100 words and flags are read.
    """
    if not isinstance(text, str):
        return Found((), ())
    tokens = list(_tokens(_TAG.sub(" ", text[:_MAX_MESSAGE_CHARS])))[:_MAX_TOKENS]
    data = dataset()
    hits: list[tuple[int, Country]] = []
    misses: list[tuple[int, Unknown]] = []
    leftover: list[int] = []
    words_in_part = Counter(token.part for token in tokens)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.key in _WORDLIKE_CODES and words_in_part[token.part] == 1:
            hits.append((i, data.by_code[data.exact[token.key]]))
            i += 1
            continue
        if token.flag:
            country = by_code(token.key)
            if country:
                hits.append((i, country))
            else:
                misses.append((i, Unknown(token.raw, ())))
            i += 1
            continue
        length, code = _longest_exact(tokens, i, data)
        if code is not None:
            hits.append((i, data.by_code[code]))
            i += length
            continue
        leftover.append(i)  # filler too: "trinidad and tobgo" is one typo
        i += 1
    guess = _Guesser()
    for run in _runs(tokens, leftover):
        for index, country, unknown in _read_run(tokens, run, guess):
            if country is not None:
                hits.append((index, country))
            elif unknown is not None:
                misses.append((index, unknown))
    countries = _unique(country for _, country in sorted(hits, key=lambda hit: hit[0]))
    unknowns = _unique_words(miss for _, miss in sorted(misses, key=lambda miss: miss[0]))
    return Found(countries, tuple(u for u in unknowns if not _is_named(u, countries)))




@dataclass(frozen=True, slots=True)
class _Token:
    raw: str  # as typed, for reporting
    key: str  # normalized word, or alpha-2 code for a flag
    part: int  # index of the comma-separated part it came from
    flag: bool = False


def _tokens(text: str) -> Iterator[_Token]:
    """Words and flags of a message; glued flags ("🇯🇵🇧🇷") are separate tokens."""
    for part, chunk in enumerate(_PARTS.split(text)):
        yield from _chunk_tokens(chunk, part)


def _chunk_tokens(chunk: str, part: int) -> Iterator[_Token]:
    word: list[str] = []
    i = 0
    while i < len(chunk):
        char = chunk[i]
        end = flag_end(chunk, i)
        if end:
            yield from _word_token(word, part)
            word = []
            raw = chunk[i:end]
            yield _Token(raw, flag_code(raw) or "", part, flag=True)
            i = end
            continue
        if _is_word_char(char):
            word.append(char)
        else:
            yield from _word_token(word, part)
            word = []
        i += 1
    yield from _word_token(word, part)


def _is_word_char(char: str) -> bool:
    if char.isalnum() or char in DROPPED:
        return True
    return unicodedata.category(char) in ("Mn", "Mc", "Me", "Cf")


def _word_token(chars: list[str], part: int) -> Iterator[_Token]:
    raw = "".join(char for char in chars if unicodedata.category(char) != "Cf")
    key = normalize(raw)
    if key:
        yield _Token(raw, key, part)


# --- matching -------------------------------------------------------------------------


def _longest_exact(tokens: list[_Token], start: int, data: Dataset) -> tuple[int, str | None]:
    """The longest run of words from `start` that is a name, alias or code.

    A single word may also be a name typed without its spaces ("SouthKorea");
    runs may not, or "to go" would be Togo.
    """
    for length in range(min(data.max_words, len(tokens) - start), 0, -1):
        run = tokens[start : start + length]
        if length == 1 and _ignorable(run[0]):
            return 1, None
        key = " ".join(token.key for token in run)
        code = data.exact.get(key) or (data.compact.get(key) if length == 1 else None)
        if code is not None:
            return length, code
    return 1, None


def _ignorable(token: _Token) -> bool:
    """Filler between names: "and", "the", a stray letter, "in" unless written "IN"."""
    if token.flag:
        return False
    if token.key in _STOPWORDS:
        return not (token.raw.isupper() and token.key in dataset().exact)
    if token.key in _WORDLIKE_CODES:
        return not token.raw.isupper()
    return len(token.key) < 2


def _runs(tokens: list[_Token], indexes: list[int]) -> Iterator[list[int]]:
    """Consecutive leftover words of one comma-separated part, read together as a typo."""
    run: list[int] = []
    for index in indexes:
        if run and (index != run[-1] + 1 or tokens[index].part != tokens[run[-1]].part):
            yield run
            run = []
        run.append(index)
    if run:
        yield run


class _Guesser:
    """Fuzzy matching for one message: a repeated word costs once, the total is bounded."""

    def __init__(self) -> None:
        self.left = _MAX_FUZZY_CALLS
        self.seen: dict[str, Lookup] = {}

    def __call__(self, key: str) -> Lookup | None:
        """The fuzzy result for `key`, or None once the message has used its budget."""
        if key not in self.seen:
            if self.left <= 0:
                return None
            self.left -= 1
            self.seen[key] = _fuzzy(key)
        return self.seen[key]


def _read_run(
    tokens: list[_Token], run: list[int], guess: _Guesser
) -> Iterator[tuple[int, Country | None, Unknown | None]]:
    """Typos in a run of unmatched words: the longest window that is one confident hit.

    Filler inside a window stays, so "trinidad and tobgo" is one typo of Trinidad
    and Tobago rather than "Togo"; once the message's budget is spent, the
    remaining words are reported unknown without suggestions.
    """
    i = 0
    while i < len(run):
        start = run[i]
        if _ignorable(tokens[start]):
            i += 1
            continue
        single = _NOTHING
        taken = 1
        for length in range(min(_MAX_FUZZY_WINDOW, len(run) - i), 0, -1):
            window = [tokens[index] for index in run[i : i + length]]
            result = guess(" ".join(token.key for token in window))
            if result is None:
                break
            if result.country is not None:
                single, taken = result, length
                break
            if length == 1:
                single = result
        if single.country is not None:
            yield start, single.country, None
        else:
            yield start, None, Unknown(_shorten(tokens[start].raw), single.suggestions)
        i += taken


def _fuzzy(key: str) -> Lookup:
    """A confident typo fix, or the closest names as suggestions."""
    letters = key.replace(" ", "")
    if len(letters) <= 3 or len(key) > _MAX_FUZZY_CHARS:
        return _NOTHING
    data = dataset()
    matches = process.extract(
        key,
        data.choices,
        scorer=fuzz.token_sort_ratio,
        processor=None,
        limit=12,
        score_cutoff=_SUGGEST,
    )
    best: dict[str, float] = {}
    for _choice, score, index in matches:
        code = data.choice_codes[index]
        best[code] = max(best.get(code, 0.0), score)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    if not ranked:
        return _NOTHING
    top_code, top_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if top_score >= _ACCEPT and top_score - runner_up >= _MARGIN:
        return Lookup(data.by_code[top_code])
    close = [code for code, score in ranked if score >= top_score - _SPREAD]
    return Lookup(None, tuple(data.by_code[code] for code in close[:_MAX_SUGGESTIONS]))


def _shorten(word: str) -> str:
    """Unknown words are echoed back to the chat; a pasted blob should not be."""
    return word if len(word) <= _MAX_WORD_CHARS else word[: _MAX_WORD_CHARS - 1] + "…"


def _unique(countries: Iterator[Country]) -> tuple[Country, ...]:
    return tuple(dict.fromkeys(countries))


def _unique_words(unknowns: Iterator[Unknown]) -> list[Unknown]:
    seen: dict[str, Unknown] = {}
    for unknown in unknowns:
        seen.setdefault(normalize(unknown.word) or unknown.word, unknown)
    return list(seen.values())


def _is_named(unknown: Unknown, countries: tuple[Country, ...]) -> bool:
    """An unknown word whose only guess was already recognized adds nothing to report."""
    return bool(unknown.suggestions) and set(unknown.suggestions) <= set(countries)
