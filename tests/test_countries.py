from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import pycountry
import pytest

from digest.countries import (
    REGIONS,
    Country,
    Found,
    Lookup,
    Unknown,
    all_countries,
    by_code,
    dataset,
    find_countries,
    lookup,
    match,
    tables,
)

SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"


def country(code: str) -> Country:
    found = by_code(code)
    assert found is not None, code
    return found


def codes(found: Found) -> list[str]:
    return [country.code for country in found.countries]


# --- the data ---------------------------------------------------------------------------


def test_every_iso_country_is_there_once() -> None:
    assert sorted(c.code for c in all_countries()) == sorted(c.alpha_2 for c in pycountry.countries)


def test_all_countries_are_sorted_by_name_ignoring_accents() -> None:
    names = [country.name for country in all_countries()]
    assert names[:3] == ["Afghanistan", "Åland Islands", "Albania"]
    assert names.index("Côte d'Ivoire") < names.index("Croatia")


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("RU", "Russia"),
        ("KR", "South Korea"),
        ("KP", "North Korea"),
        ("IR", "Iran"),
        ("VN", "Vietnam"),
        ("US", "United States"),
        ("GB", "United Kingdom"),
        ("TW", "Taiwan"),
        ("BO", "Bolivia"),
        ("VE", "Venezuela"),
        ("TZ", "Tanzania"),
        ("SY", "Syria"),
        ("LA", "Laos"),
        ("MD", "Moldova"),
        ("CD", "DR Congo"),
        ("CG", "Congo"),
        ("PS", "Palestine"),
        ("VA", "Vatican City"),
        ("FM", "Micronesia"),
        ("BN", "Brunei"),
    ],
)
def test_short_names(code: str, name: str) -> None:
    assert by_code(code).name == name


def test_no_name_keeps_the_iso_comma_form() -> None:
    # Only two names list several places; none is "Moldova, Republic of".
    assert {c.code for c in all_countries() if "," in c.name} == {"BQ", "SH"}


def test_names_stay_distinct_without_spaces() -> None:
    """ "SouthKorea" is looked up with the spaces squeezed out; that must not merge names."""
    data = dataset.dataset()
    for key, code in data.exact.items():
        assert data.compact[key.replace(" ", "")] == code, key


@pytest.mark.parametrize(
    ("code", "official"),
    [
        ("GB", "United Kingdom of Great Britain and Northern Ireland"),
        ("KR", "Korea, Republic of"),  # pycountry has no official name: falls back to name
        ("JP", "Japan"),
    ],
)
def test_official_names(code: str, official: str) -> None:
    assert by_code(code).official_name == official


def test_alpha3_and_flag() -> None:
    japan = by_code("JP")
    assert (japan.alpha3, japan.flag) == ("JPN", "🇯🇵")


def test_every_flag_finds_its_country() -> None:
    for country in all_countries():
        assert lookup(country.flag).country == country


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("JP", "Asia"),
        ("BR", "Americas"),
        ("US", "Americas"),
        ("DE", "Europe"),
        ("RU", "Europe"),  # first zone Europe/Kaliningrad
        ("TR", "Europe"),  # Europe/Istanbul
        ("CY", "Asia"),  # Asia/Nicosia
        ("NG", "Africa"),
        ("EG", "Africa"),
        ("IL", "Asia"),
        ("AE", "Asia"),
        ("AU", "Oceania"),
        ("NZ", "Oceania"),
        ("ES", "Europe"),  # Europe/Madrid before Atlantic/Canary
        ("IS", "Europe"),  # override: Atlantic/Reykjavik
        ("CV", "Africa"),  # override: Atlantic/Cape_Verde
        ("MG", "Africa"),  # override: Indian/Antananarivo
        ("MV", "Asia"),  # override: Indian/Maldives
        ("SJ", "Europe"),  # Arctic/Longyearbyen
        ("AQ", "Antarctica"),
        ("BV", "Americas"),  # no zone at all
    ],
)
def test_regions(code: str, region: str) -> None:
    assert by_code(code).region == region


def test_every_region_is_a_display_region() -> None:
    assert {country.region for country in all_countries()} == set(REGIONS)


def test_every_region_override_is_needed() -> None:
    """The override table is for zones that name no continent; anything else is drift."""
    for code in tables.REGION_OVERRIDES:
        zones = by_code(code).zones
        assert not zones or zones[0].split("/")[0] not in tables.REGION_BY_ZONE_PREFIX, code


@pytest.mark.parametrize(
    ("code", "zones"),
    [
        ("JP", ("Asia/Tokyo",)),
        ("FR", ("Europe/Paris",)),
        ("NZ", ("Pacific/Auckland", "Pacific/Chatham")),
        ("BV", ()),
    ],
)
def test_zones(code: str, zones: tuple[str, ...]) -> None:
    assert by_code(code).zones == zones


def test_zones_are_in_file_order_and_loadable() -> None:
    us = by_code("US").zones
    assert us[0] == "America/New_York"
    assert us[-1] == "Pacific/Honolulu"
    for country in all_countries():
        for zone in country.zones:
            assert ZoneInfo(zone).key == zone


@pytest.mark.parametrize("code", ["JP", "jp", " Jp "])
def test_by_code_ignores_case_and_spaces(code: str) -> None:
    assert by_code(code).name == "Japan"


@pytest.mark.parametrize("code", ["", "XX", "JPN", "J", "🇯🇵"])
def test_by_code_unknown(code: str) -> None:
    assert by_code(code) is None


# --- lookup -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # names, official names, codes
        ("Japan", "JP"),
        ("japan", "JP"),
        ("  SOUTH   korea ", "KR"),
        ("South-Korea", "KR"),
        ("SouthKorea", "KR"),
        ("Korea, Republic of", "KR"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("the Netherlands", "NL"),
        ("The Gambia", "GM"),
        ("the UK", "GB"),
        ("Kingdom of the Netherlands", "NL"),
        ("Guinea-Bissau", "GW"),
        ("Guinea", "GN"),
        ("Niger", "NE"),
        ("Nigeria", "NG"),
        ("St. Lucia", "LC"),
        ("Saint Kitts and Nevis", "KN"),
        ("jp", "JP"),
        ("JPN", "JP"),
        ("gbr", "GB"),
        ("IN", "IN"),
        # flags, including the tag-sequence flags of Britain's nations
        ("🇯🇵", "JP"),
        (" 🇧🇷 ", "BR"),
        (SCOTLAND, "GB"),
        # aliases
        ("USA", "US"),
        ("U.S.", "US"),
        ("America", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Korea", "KR"),
        ("Republic of Korea", "KR"),
        ("North Korea", "KP"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("Czech Republic", "CZ"),
        ("Czechia", "CZ"),
        ("Ivory Coast", "CI"),
        ("Côte d'Ivoire", "CI"),
        ("Cote d’Ivoire", "CI"),
        ("cote d ivoire", "CI"),
        ("Holland", "NL"),
        ("Burma", "MM"),
        ("Persia", "IR"),
        ("Vatican", "VA"),
        ("Holy See", "VA"),
        ("Macedonia", "MK"),
        ("Swaziland", "SZ"),
        ("East Timor", "TL"),
        ("Cape Verde", "CV"),
        ("DRC", "CD"),
        ("Congo-Kinshasa", "CD"),
        ("Congo", "CG"),
        ("UAE", "AE"),
        ("Emirates", "AE"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("turkiye", "TR"),
        ("Palestine", "PS"),
        ("Taiwan", "TW"),
        ("Hong Kong", "HK"),
        ("Macau", "MO"),
        # native names
        ("Brasil", "BR"),
        ("Deutschland", "DE"),
        ("España", "ES"),
        ("espana", "ES"),
        ("México", "MX"),
        ("Nippon", "JP"),
        ("日本", "JP"),
        ("中国", "CN"),
        ("Россия", "RU"),
        ("Italia", "IT"),
        ("Österreich", "AT"),
        ("Suisse", "CH"),
        ("Ελλάδα", "GR"),
        ("ελλαδα", "GR"),
        ("Éire", "IE"),
        ("Magyarország", "HU"),
        ("Česko", "CZ"),
        ("भारत", "IN"),
        ("한국", "KR"),
        ("Việt Nam", "VN"),
        ("ประเทศไทย", "TH"),
        # markup and invisible characters around a real name
        ("<b>Japan</b>", "JP"),
        ("Ja\u200bpan", "JP"),
        ("\u202eJapan", "JP"),
        ("\ufeffJapan\u200d", "JP"),
    ],
)
def test_lookup_exact(text: str, code: str) -> None:
    assert lookup(text) == Lookup(by_code(code), ())


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Japn", "JP"),
        ("Brazl", "BR"),
        ("Germny", "DE"),
        ("Argentia", "AR"),
        ("Columbia", "CO"),
        ("Mexcio", "MX"),
        ("Phillipines", "PH"),
        ("Kazakstan", "KZ"),
        ("Swizerland", "CH"),
        ("Untied Kingdom", "GB"),
        ("new zeland", "NZ"),
        ("korea south", "KR"),
        ("Ja\u200bpn", "JP"),
    ],
)
def test_lookup_fixes_small_typos(text: str, code: str) -> None:
    assert lookup(text) == Lookup(by_code(code), ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Austrlia", ["AU", "AT"]),  # as close to both: ask
        ("Nigera", ["NG", "NE"]),
        ("Irak", ["IR", "IQ"]),
        ("Japon", ["JP"]),
        ("French", ["FR"]),
        ("Kenia", ["KE"]),  # not Armenia or Estonia, which are much further off
    ],
)
def test_lookup_suggests_when_unsure(text: str, expected: list[str]) -> None:
    result = lookup(text)
    assert result.country is None
    assert [country.code for country in result.suggestions] == expected


def test_lookup_suggests_at_most_three() -> None:
    result = lookup("island")
    assert result.country is None
    assert len(result.suggestions) == 3


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "xx",  # two or three letters are codes only: no guessing
        "jq",
        "zzz",
        "ira",  # one letter short of Iran, but three letters are never guessed
        "jpa",
        "xyzzy",
        "lorem",
        "world",
        "x" * 5000,
        "Japan" * 1000,  # too long to be a name, even though it contains one
        "<i>" * 100 + "Japan",
        "😀",
        "🇽🇽",
        "🇯🇵🇧🇷",
        "\u200b\u200b",
        "\x00",
        "\x00\x00Ja",
        "مرحبا بالعالم",
        "<>",
        "....",
        "<script>alert(1)</script>",
        "<b" * 300,
        "\ud800",  # a lone surrogate, as a broken client may send
        "\U000e0067" * 50,  # tag characters without a flag
        "🏴" + "\U000e0067" * 9,  # a flag that never ends
        "🏴xy\U000e007f",  # a tag-flag frame around plain letters
        "🏴\U000e0031\U000e0032\U000e007f",  # a tag flag of digits
    ],
)
def test_lookup_finds_nothing(text: str) -> None:
    assert lookup(text) == Lookup(None, ())


def test_lookup_is_fast() -> None:
    lookup("Japan")  # build the index outside the timing
    start = time.perf_counter()
    for _ in range(1000):
        lookup("South Korea")
        lookup("jpn")
        lookup("🇯🇵")
    assert time.perf_counter() - start < 0.2  # about 2 microseconds each in practice
    start = time.perf_counter()
    for _ in range(100):
        lookup("x" * 5000)
        lookup("Germny")
    assert time.perf_counter() - start < 0.2


# --- find_countries ---------------------------------------------------------------------


def test_find_the_example_message() -> None:
    found = find_countries("Japan, Brazil 🇩🇪 kr south korea united states Japn xyzzy")
    assert codes(found) == ["JP", "BR", "DE", "KR", "US"]
    assert found.unknown == (Unknown("xyzzy", ()),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("south korea united states", ["KR", "US"]),
        ("united states of america united kingdom", ["US", "GB"]),
        ("bosnia and herzegovina trinidad and tobago", ["BA", "TT"]),
        ("guinea bissau guinea", ["GW", "GN"]),
        ("🇯🇵🇧🇷🇩🇪", ["JP", "BR", "DE"]),
        ("🇯🇵Japan,🇧🇷", ["JP", "BR"]),
        ("Brazil, japan; BRAZIL\nJP, 🇯🇵, nihon, 日本", ["BR", "JP"]),
        ("Japan and the US & Brazil", ["JP", "US", "BR"]),
        ("the Netherlands, the Gambia", ["NL", "GM"]),
        ("Korea, Republic of", ["KR"]),  # an ISO name may span its own comma
        ("U.S.A. U.K.", ["US", "GB"]),
        ("St Lucia St Kitts and Nevis", ["LC", "KN"]),
        ("SouthKorea NewZealand", ["KR", "NZ"]),
        (f"{SCOTLAND} wales", ["GB"]),
        ("IN, NO and AND", ["IN", "NO", "AD"]),  # capitals make a word a code
        ("japn and brazl", ["JP", "BR"]),
        ("untied kingdom, new zeland", ["GB", "NZ"]),
        ("trinidad and tobgo", ["TT"]),  # one typo, not "Togo"
    ],
)
def test_find_countries(text: str, expected: list[str]) -> None:
    found = find_countries(text)
    assert codes(found) == expected
    assert found.unknown == ()


@pytest.mark.parametrize("separator", [", ", ";", "\n", "、"])
def test_find_reads_typos_within_one_item(separator: str) -> None:
    assert codes(find_countries("untied states")) == ["US"]
    found = find_countries(f"untied{separator}states")
    assert codes(found) == []
    assert [unknown.word for unknown in found.unknown] == ["untied", "states"]


def test_find_reports_an_unknown_word_once() -> None:
    assert find_countries("Xyzzy, xyzzy; XYZZY") == Found((), (Unknown("Xyzzy", ()),))


def test_wordlike_codes_are_codes() -> None:
    assert all(by_code(word) or lookup(word).country for word in match._WORDLIKE_CODES)
    assert not match._WORDLIKE_CODES & match._STOPWORDS


@pytest.mark.parametrize(("text", "expected"), [
    ("in", ["IN"]), ("jp, in", ["JP", "IN"]), ("no; can", ["NO", "CA"]), ("in japan", ["JP"]),
])
def test_a_wordlike_code_alone_in_its_item_is_a_code(text: str, expected: list[str]) -> None:
    assert codes(find_countries(text)) == expected


def test_find_ignores_words_that_are_codes_in_lower_case() -> None:
    found = find_countries("news in brazil, no japan")
    assert codes(found) == ["BR", "JP"]
    assert [unknown.word for unknown in found.unknown] == ["news"]


def test_find_reports_unknown_words_with_suggestions() -> None:
    found = find_countries("Japan, Austrlia, xyzzy, Austrlia")
    assert codes(found) == ["JP"]
    assert found.unknown == (
        Unknown("Austrlia", (country("AU"), country("AT"))),
        Unknown("xyzzy", ()),
    )


def test_find_reports_an_invalid_flag() -> None:
    found = find_countries("🇽🇽 japan")
    assert codes(found) == ["JP"]
    assert found.unknown == (Unknown("🇽🇽", ()),)


def test_find_drops_a_guess_that_was_named_anyway() -> None:
    assert find_countries("bosnia herzegovina") == Found((country("BA"),), ())


def test_find_reports_words_without_invisible_characters() -> None:
    found = find_countries("Ja\u200bpn, xy\u200bzzy, 🏴xy\U000e007f")
    assert codes(found) == ["JP"]
    assert [unknown.word for unknown in found.unknown] == ["xyzzy", "xy"]


@pytest.mark.parametrize(
    "text",
    ["", "   ", ", ; \n", "and the", "a b c", "😀😀", "\x00\u200b", "\ud800", "<b" * 2000],
)
def test_find_nothing(text: str) -> None:
    assert find_countries(text) == Found((), ())


def test_find_shortens_a_long_unknown_word() -> None:
    (unknown,) = find_countries("q" * 4096).unknown
    assert len(unknown.word) == 40
    assert unknown.word.endswith("…")


def test_find_in_a_full_length_message_is_bounded_and_fast() -> None:
    find_countries("Japan")  # build the index outside the timing
    message = ("Japan, Brazl, xyzzy, " * 300)[:4096]
    start = time.perf_counter()
    found = find_countries(message)
    garbage = find_countries(" ".join(f"qx{i}zv" for i in range(1000))[:4096])
    assert time.perf_counter() - start < 0.2
    assert codes(found) == ["JP", "BR"]
    assert found.unknown == (Unknown("xyzzy", ()),)
    assert len(garbage.unknown) == match._MAX_TOKENS


def test_find_stops_guessing_when_the_budget_is_spent() -> None:
    words = [f"kenya{a}{b}" for a in "xyz" for b in "abcdefghijklmn"]  # each one a typo of Kenya
    found = find_countries(" ".join(words))
    assert codes(found) == ["KE"]
    assert found.unknown  # the words after the budget, reported without guessing
    assert all(unknown.suggestions == () for unknown in found.unknown)
    assert found.unknown[-1].word == words[-1]


def test_find_stops_reading_after_the_token_cap() -> None:
    found = find_countries("Japan " + "qq " * match._MAX_TOKENS + "Brazil")
    assert codes(found) == ["JP"]
