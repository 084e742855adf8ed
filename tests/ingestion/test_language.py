from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime

import pytest

from digest.ingestion.language import MAX_TEXT, detect_language
from digest.ingestion.parse import parse_feed
from digest.models import Source
from tests.conftest import shared_data


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        (
            "Central bank holds interest rates steady",
            "The decision was expected by most economists, who see inflation easing slowly.",
            "en",
        ),
        (
            "El Gobierno aprueba la reforma de las pensiones",
            "La medida entrará en vigor el próximo año tras el acuerdo con los sindicatos.",
            "es",
        ),
        (
            "Bundesregierung beschließt neues Heizungsgesetz",
            "Die Regeln sollen ab dem kommenden Jahr für alle Neubauten gelten.",
            "de",
        ),
        ("政府は月曜日に新たな経済対策を発表した", "物価高への対応が柱となる。", "ja"),
        (
            "Правительство объявило о новых мерах поддержки",
            "Программа начнёт действовать с первого января.",
            "ru",
        ),
        (
            "أعلنت الحكومة عن خطة جديدة لدعم الاقتصاد",
            "وتشمل الخطة تخفيضات ضريبية للشركات الصغيرة.",
            "ar",
        ),
    ],
)
def test_sentences_in_each_language(title: str, summary: str, expected: str) -> None:
    declared = "fr"  # wrong for every one of them: only detection can get it right
    assert detect_language(title, summary, declared) == expected


def test_a_few_words_are_too_short_to_judge() -> None:
    assert detect_language("Brexit talks stall", "", "de") == "de"


def test_an_unsure_guess_keeps_the_declared_language() -> None:
    # A real blog title: long enough to try, but the detector's best guess is Latin at 0.58.
    assert detect_language("Phase-space quantum mechanics", "", "de") == "de"


@pytest.mark.parametrize(("title", "summary"), [("", ""), ("   ", "\n"), ("2026", "12:30")])
def test_empty_or_letterless_text_keeps_the_declared_language(title: str, summary: str) -> None:
    assert detect_language(title, summary, "pt") == "pt"


def test_huge_input_is_cheap() -> None:
    title = "Breaking news about the economy " * 100_000
    summary = "x" * 5_000_000
    detect_language("warm up the model once", "", "en")
    started = time.perf_counter()
    assert detect_language(title, summary, "es") == "en"
    assert time.perf_counter() - started < 0.5  # only the first MAX_TEXT characters are read
    assert len(title) > 100 * MAX_TEXT


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("asdf qwer zxcv uiop hjkl vbnm tyui", "fghj rtyu cvbn"),
        ("@@@ ### $$$ %%% ^^^ &&& *** ((( )))", "<<< >>> ||| \\\\\\ /// ~~~ ```"),
        ("Tokyo東京 Москва Berlin القاهرة 서울 Αθήνα", "München São Paulo 北京 Київ"),
        ("\ud800 lone surrogate halves \udfff in a feed title", "\x00\x01\x02 control bytes"),
        ("https://example.com/a/b?c=d&e=f#g", "mailto:someone@example.com"),
        ("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"),
    ],
)
def test_garbage_and_mixed_text_never_raise(title: str, summary: str) -> None:
    language = detect_language(title, summary, "en")
    assert len(language) == 2
    assert language.isascii()
    assert language.islower()


# Real feeds of the team's shared data, each declared with a wrong language on
# purpose: a mislabeled national feed, an English edition declared as the site's
# language, a neighbouring language or the same script.
REAL_FEEDS = [
    pytest.param(("feed-rs-fixtures", "rss2", "rss_2.0_spiegel.xml"), "en", "de", id="spiegel"),
    pytest.param(("feed-rs-fixtures", "rss2", "rss_2.0_ilgiornale.xml"), "en", "it",
                 id="il-giornale"),
    pytest.param(("feed-rs-fixtures", "rss2", "rss_2.0_ilmessaggero.xml"), "en", "it",
                 id="il-messaggero"),
    pytest.param(("rss-parser-tests", "input", "heise.atom"), "en", "de", id="heise-atom"),
    pytest.param(("rss-parser-tests", "input", "uolNoticias.rss"), "es", "pt", id="uol"),
    pytest.param(("miniflux-testdata", "parser", "encoding_ISO-8859-1.xml"), "en", "de",
                 id="golem-iso-8859-1"),
    pytest.param(("miniflux-testdata", "parser", "rdf_UTF8.xml"), "en", "de", id="heise-rdf"),
    pytest.param(("miniflux-testdata", "parser", "encoding_WINDOWS-1251.xml"), "uk", "ru",
                 id="russian-windows-1251"),
    pytest.param(("miniflux-testdata", "parser", "urdu_UTF8.xml"), "ar", "ur", id="bbc-urdu"),
    pytest.param(("miniflux-testdata", "parser", "no_encoding_ISO-8859-1.xml"), "en", "fr",
                 id="le-cercle-psy"),
    pytest.param(("fastfeedparser-real-feeds", "benchmark_data", "660a52f7dc6a1948.gz"), "es",
                 "en", id="el-pais-english"),
    pytest.param(("fastfeedparser-real-feeds", "benchmark_data", "14dda539770f94e3.gz"), "de",
                 "en", id="deutsche-welle-english"),
    pytest.param(("fastfeedparser-real-feeds", "benchmark_data", "1ee1c80e42551cd6.gz"), "en",
                 "de", id="german-blog"),
]


@pytest.mark.parametrize(("parts", "declared", "real"), REAL_FEEDS)
def test_real_feed_declared_wrong_comes_out_in_its_real_language(
    parts: tuple[str, ...], declared: str, real: str
) -> None:
    body = shared_data(*parts).read_bytes()
    if parts[-1].endswith(".gz"):
        body = gzip.decompress(body)
    source = Source("Mislabeled", "XX", "https://feed.example/rss", declared)
    articles = parse_feed(body, source, datetime(2026, 1, 1, tzinfo=UTC))
    assert articles
    right = sum(a.language == real for a in articles)
    assert right >= 0.8 * len(articles), [(a.language, a.title) for a in articles]
    assert {a.language for a in articles} <= {real, declared}  # never a third language
