"""The project's one country lookup: names, codes, aliases, flags, typos.

Every place that turns user text into a country (subscriptions, /timezone,
catalog checks) goes through `lookup` or `find_countries`, so "UK", "🇬🇧",
"Britain" and "United Kingdom" mean the same thing everywhere and a fix made
here is made for every command.

The data is not typed by hand: ISO 3166-1 names and codes come from pycountry,
each country's IANA zones from tzdata's `zone.tab`, and a display region is
derived from those zones. Only what the data gets wrong or cannot know is
written here: nicer short names, the aliases people actually type, and regions
for the few places whose zones are oceanic. Misspellings are scored by
rapidfuzz instead of a hand-written edit distance.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pycountry
from rapidfuzz import fuzz, process

REGIONS = ("Africa", "Americas", "Antarctica", "Asia", "Europe", "Oceania")

# Short names where pycountry's common name is still the ISO "Name, qualifier" form
# or is a mouthful nobody types or wants to read in a digest header.
_NAMES = {
    "BN": "Brunei",
    "CD": "DR Congo",
    "FK": "Falkland Islands",
    "FM": "Micronesia",
    "MF": "Saint Martin",
    "PS": "Palestine",
    "RU": "Russia",
    "SX": "Sint Maarten",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
}

# What people type besides the ISO names: old and colloquial names, parts that
# stand for the whole, and the major countries' own names for themselves.
_ALIASES = {
    "AE": ("UAE", "Emirates"),
    "AT": ("Österreich",),
    "BA": ("Bosnia",),
    "BE": ("Belgique", "België"),
    "BQ": ("Bonaire",),
    "BR": ("Brasil",),
    "CD": ("DRC", "Congo-Kinshasa", "Democratic Republic of the Congo"),
    "CG": ("Congo-Brazzaville",),
    "CH": ("Schweiz", "Suisse", "Svizzera"),
    "CI": ("Ivory Coast",),
    "CN": ("中国", "Zhongguo"),
    "CV": ("Cape Verde",),
    "CZ": ("Czech Republic", "Česko"),
    "DE": ("Deutschland",),
    "DK": ("Danmark",),
    "ES": ("España",),
    "FI": ("Suomi",),
    "FK": ("Falklands",),
    "GB": ("UK", "Britain", "Great Britain", "England", "Scotland", "Wales", "Northern Ireland"),
    "GR": ("Ελλάδα",),
    "HR": ("Hrvatska",),
    "HU": ("Magyarország",),
    "IE": ("Éire", "Republic of Ireland"),
    "IN": ("Bharat", "भारत"),
    "IR": ("Persia",),
    "IT": ("Italia",),
    "JP": ("Nippon", "Nihon", "日本"),
    "KP": ("DPRK",),
    "KR": ("Korea", "Republic of Korea", "한국", "대한민국"),
    "MK": ("Macedonia",),
    "MM": ("Burma",),
    "MO": ("Macau",),
    "MX": ("México",),
    "NL": ("Holland", "Nederland"),
    "NO": ("Norge",),
    "PL": ("Polska",),
    "PS": ("Palestine",),
    "RU": ("Россия",),
    "SA": ("Saudi",),
    "SE": ("Sverige",),
    "SH": ("Saint Helena",),
    "SZ": ("Swaziland",),
    "TH": ("ประเทศไทย",),
    "TL": ("East Timor",),
    "TR": ("Turkey",),
    "UA": ("Україна",),
    "US": ("US", "U.S.", "U.S.A.", "America", "United States of America"),
    "VA": ("Vatican", "Holy See"),
    "VN": ("Việt Nam",),
}

# zone.tab lists a country's zones in an order that "makes some geographical sense"
# and puts "the most populous timezones first" where it can (zone1970.tab's header),
# so the prefix of the first zone names the continent of the country's core:
# Europe/Madrid before Atlantic/Canary, Europe/Kaliningrad before Asia/Omsk.
_REGION_BY_ZONE_PREFIX = {
    "Africa": "Africa",
    "America": "Americas",
    "Arctic": "Europe",
    "Asia": "Asia",
    "Australia": "Oceania",
    "Europe": "Europe",
    "Pacific": "Oceania",
}

# Places whose first zone is oceanic (Atlantic/, Indian/), polar (Antarctica/) or
# which have no zone at all (BV, HM): the region follows the UN M49 geoscheme.
# There is no "Middle East": M49 puts Egypt in Africa and the Gulf in Asia, and
# zone.tab agrees, so Türkiye (Europe/Istanbul) is Europe and Cyprus is Asia.
_REGION_OVERRIDES = {
    "AQ": "Antarctica",
    "BM": "Americas",
    "BV": "Americas",
    "CC": "Oceania",
    "CV": "Africa",
    "CX": "Oceania",
    "FK": "Americas",
    "FO": "Europe",
    "GS": "Americas",
    "HM": "Oceania",
    "IO": "Africa",
    "IS": "Europe",
    "KM": "Africa",
    "MG": "Africa",
    "MU": "Africa",
    "MV": "Asia",
    "RE": "Africa",
    "SC": "Africa",
    "SH": "Africa",
    "TF": "Africa",
    "YT": "Africa",
}

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
_DROPPED = frozenset(".'’ʼ`")  # "U.S." is "us", "d'Ivoire" is "divoire"
_RI_A = 0x1F1E6  # REGIONAL INDICATOR SYMBOL LETTER A
_BLACK_FLAG = "\U0001f3f4"  # starts tag-sequence flags such as Scotland's
_TAG_CANCEL = "\U000e007f"
_TAG_OFFSET = 0xE0000  # TAG DIGIT ZERO is U+E0030, TAG LATIN SMALL LETTER Z is U+E007A
_TAG_0, _TAG_Z = _TAG_OFFSET + ord("0"), _TAG_OFFSET + ord("z")


@dataclass(frozen=True, slots=True)
class Country:
    """One ISO 3166-1 country as the bot shows and schedules it."""

    code: str  # alpha-2, upper case, e.g. "JP"
    alpha3: str
    name: str  # the short English name people use
    official_name: str
    flag: str
    region: str  # one of REGIONS
    zones: tuple[str, ...]  # IANA zones from zone.tab, principal zone first


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
    code = _flag_code(text)
    if code is not None:
        country = by_code(code)
        return Lookup(country) if country else _NOTHING
    key = _normalize(_TAG.sub(" ", text))
    if not key:
        return _NOTHING
    data = _data()
    code = data.exact.get(key) or data.compact.get(key.replace(" ", ""))
    if code is None and key.startswith("the "):
        code = data.exact.get(key[4:])
    if code is not None:
        return Lookup(data.by_code[code])
    return _fuzzy(key) if typos else _NOTHING


def by_code(code: str) -> Country | None:
    """The country with ISO alpha-2 `code`, in any case."""
    if not isinstance(code, str):
        return None
    return _data().by_code.get(code.strip().upper())


def all_countries() -> tuple[Country, ...]:
    """Every country, sorted by name as a reader expects ("Åland" under A)."""
    return _data().countries


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
    data = _data()
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
    unknown = _unique_words(miss for _, miss in sorted(misses, key=lambda miss: miss[0]))
    return Found(countries, tuple(u for u in unknown if not _is_named(u, countries)))


# --- data -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Data:
    countries: tuple[Country, ...]
    by_code: dict[str, Country]
    exact: dict[str, str]  # normalized name, alias or code -> alpha-2
    compact: dict[str, str]  # the same without spaces: "southkorea", "cotedivoire"
    choices: tuple[str, ...]  # names and aliases worth fuzzy matching
    choice_codes: tuple[str, ...]
    max_words: int


@functools.cache
def _data() -> _Data:
    """Built once on first use (about 250 countries, 1,000 keys, under 10 ms)."""
    zones = _zones()
    countries = []
    for record in pycountry.countries:
        code = record.alpha_2
        name = getattr(record, "common_name", None) or record.name
        countries.append(
            Country(
                code=code,
                alpha3=record.alpha_3,
                name=_NAMES.get(code, name),
                official_name=getattr(record, "official_name", None) or record.name,
                flag=_flag(code),
                region=_region(code, zones.get(code, ())),
                zones=zones.get(code, ()),
            )
        )
    countries.sort(key=lambda country: _normalize(country.name))
    by_code = {country.code: country for country in countries}

    exact: dict[str, str] = {}
    choices: dict[str, str] = {}
    for record in pycountry.countries:
        code = record.alpha_2
        for value in (code, record.alpha_3):
            exact[value.casefold()] = code
        names = {
            record.name,
            by_code[code].name,
            getattr(record, "common_name", ""),
            getattr(record, "official_name", ""),
            *_ALIASES.get(code, ()),
        }
        for name in filter(None, names):
            for key in _name_keys(name):
                exact.setdefault(key, code)
                if len(key) > 3:
                    choices.setdefault(key, code)
    # No two countries' keys differ only in spaces (tests check it), so squeezing is safe.
    compact = {key.replace(" ", ""): code for key, code in exact.items()}
    return _Data(
        countries=tuple(countries),
        by_code=by_code,
        exact=exact,
        compact=compact,
        choices=tuple(choices),
        choice_codes=tuple(choices.values()),
        max_words=max(key.count(" ") + 1 for key in exact),
    )


def _zones() -> dict[str, tuple[str, ...]]:
    """Country code -> IANA zones, read from the zone.tab that the tzdata package ships."""
    text = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, _coordinates, zone, *_comment = line.split("\t")
        zones.setdefault(code, []).append(zone)
    return {code: tuple(names) for code, names in zones.items()}


def _region(code: str, zones: tuple[str, ...]) -> str:
    if code in _REGION_OVERRIDES:
        return _REGION_OVERRIDES[code]
    prefix = zones[0].split("/")[0] if zones else ""
    if prefix not in _REGION_BY_ZONE_PREFIX:
        raise LookupError(f"no region for {code} (zone {zones[:1]}): add it to _REGION_OVERRIDES")
    return _REGION_BY_ZONE_PREFIX[prefix]


def _flag(code: str) -> str:
    return "".join(chr(_RI_A + ord(letter) - ord("A")) for letter in code)


def _name_keys(name: str) -> set[str]:
    """The normalized spellings of one name that should all find it."""
    keys = {_normalize(name), _normalize(re.sub(r"['’]", " ", name))}  # "cote d ivoire"
    keys |= {"st " + key[6:] for key in keys if key.startswith("saint ")}
    return {key for key in keys if key}


# --- text -----------------------------------------------------------------------------


def _normalize(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: what a name key looks like.

    Invisible characters (zero-width, direction marks, variation selectors) are
    dropped; anything that is not a letter, digit or spacing mark separates words.
    """
    out = []
    for char in unicodedata.normalize("NFKD", text.casefold()):
        if char in _DROPPED:
            continue
        category = unicodedata.category(char)
        if category in ("Mn", "Me", "Cf"):
            continue
        out.append(char if char.isalnum() or category == "Mc" else " ")
    return " ".join("".join(out).split())


def _flag_code(text: str) -> str | None:
    """The alpha-2 code of `text` when it is exactly one flag emoji, valid or not."""
    if len(text) == 2 and all(_is_indicator(char) for char in text):
        return "".join(chr(ord(char) - _RI_A + ord("A")) for char in text)
    if text.startswith(_BLACK_FLAG) and text.endswith(_TAG_CANCEL) and len(text) >= 4:
        tags = text[1:-1]
        if all(_TAG_0 <= ord(char) <= _TAG_Z for char in tags):
            # Subdivision flags: England, Scotland and Wales are "gbeng", "gbsct", "gbwls".
            return "".join(chr(ord(char) - _TAG_OFFSET) for char in tags[:2]).upper()
    return None


def _is_indicator(char: str) -> bool:
    return _RI_A <= ord(char) <= _RI_A + 25


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
        flag_end = _flag_end(chunk, i)
        if flag_end:
            yield from _word_token(word, part)
            word = []
            raw = chunk[i:flag_end]
            yield _Token(raw, _flag_code(raw) or "", part, flag=True)
            i = flag_end
            continue
        if _is_word_char(char):
            word.append(char)
        else:
            yield from _word_token(word, part)
            word = []
        i += 1
    yield from _word_token(word, part)


def _flag_end(chunk: str, i: int) -> int:
    """End index of the flag starting at `i`, or 0 when none starts there."""
    if _is_indicator(chunk[i]) and i + 1 < len(chunk) and _is_indicator(chunk[i + 1]):
        return i + 2
    if chunk[i] == _BLACK_FLAG:
        end = chunk.find(_TAG_CANCEL, i + 1, i + 10)
        if end > i + 2 and _flag_code(chunk[i : end + 1]):
            return end + 1
    return 0


def _is_word_char(char: str) -> bool:
    if char.isalnum() or char in _DROPPED:
        return True
    return unicodedata.category(char) in ("Mn", "Mc", "Me", "Cf")


def _word_token(chars: list[str], part: int) -> Iterator[_Token]:
    raw = "".join(char for char in chars if unicodedata.category(char) != "Cf")
    key = _normalize(raw)
    if key:
        yield _Token(raw, key, part)


# --- matching -------------------------------------------------------------------------


def _longest_exact(tokens: list[_Token], start: int, data: _Data) -> tuple[int, str | None]:
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
        return not (token.raw.isupper() and token.key in _data().exact)
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
    data = _data()
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
        seen.setdefault(_normalize(unknown.word) or unknown.word, unknown)
    return list(seen.values())


def _is_named(unknown: Unknown, countries: tuple[Country, ...]) -> bool:
    """An unknown word whose only guess was already recognized adds nothing to report."""
    return bool(unknown.suggestions) and set(unknown.suggestions) <= set(countries)
