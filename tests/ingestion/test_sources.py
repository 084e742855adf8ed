"""The source catalog: the built-in `digest/ingestion/sources.toml`, and custom catalogs."""

from __future__ import annotations

import html
import re
import tomllib
from collections import Counter
from pathlib import Path

import pycountry
import pytest

from digest.config import ConfigError
from digest.ingestion.sources import BUILT_IN_CATALOG, load_catalog
from digest.models import Source

# The snapshot of the public feed catalogs the built-in feeds were copied from.
FEED_CATALOGS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "feed-catalogs"

BARE_DOMAIN = re.compile(r"^(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)+/?$", re.IGNORECASE)
COUNTRY_HEADING = re.compile(r"^# --- (.+) ---$", re.MULTILINE)
# Countries a national-news bot cannot leave out; each needs at least two outlets.
BIG_COUNTRIES = (
    *("US", "CA", "MX", "BR"),
    *("GB", "DE", "FR", "RU", "UA"),
    *("JP", "CN", "IN", "KR", "ID", "PK"),
    *("NG", "ZA", "EG"),
    *("TR", "IL"),
    *("AU", "NZ"),
)


@pytest.fixture(scope="module")
def built_in() -> list[Source]:
    return load_catalog()


# --- the built-in catalog ----------------------------------------------------------------


def test_built_in_catalog_loads(built_in: list[Source]) -> None:
    assert built_in
    assert all(isinstance(source, Source) for source in built_in)
    assert load_catalog(BUILT_IN_CATALOG) == built_in


def test_built_in_covers_fifty_countries_with_two_sources_each(built_in: list[Source]) -> None:
    per_country = Counter(source.country for source in built_in)
    covered = sorted(country for country, count in per_country.items() if count >= 2)
    assert len(covered) >= 50, f"only {len(covered)} countries have two sources: {covered}"


@pytest.mark.parametrize("country", BIG_COUNTRIES)
def test_built_in_covers_the_big_countries(built_in: list[Source], country: str) -> None:
    assert sum(source.country == country for source in built_in) >= 2


def test_built_in_has_at_least_140_sources(built_in: list[Source]) -> None:
    assert len(built_in) >= 140


def test_built_in_feed_urls_are_unique() -> None:
    # Read the raw tables so that a duplicate is reported here even if loading changes.
    raw = tomllib.loads(BUILT_IN_CATALOG.read_text(encoding="utf-8"))
    feeds = Counter(table["feed"].strip() for table in raw["source"])
    assert [feed for feed, count in feeds.items() if count > 1] == []


def test_built_in_names_are_readable_not_domains(built_in: list[Source]) -> None:
    for source in built_in:
        assert source.name.strip(), source
        assert not BARE_DOMAIN.match(source.name), f"{source.name!r} is a domain, not a name"
        assert "://" not in source.name, source


def test_built_in_feeds_are_https(built_in: list[Source]) -> None:
    assert [s.feed for s in built_in if not s.feed.startswith("https://")] == []


def test_built_in_codes_are_valid(built_in: list[Source]) -> None:
    for source in built_in:
        assert pycountry.countries.get(alpha_2=source.country) is not None, source
        assert pycountry.languages.get(alpha_2=source.language) is not None, source


def test_built_in_homepages_are_urls(built_in: list[Source]) -> None:
    for source in built_in:
        assert source.homepage == "" or source.homepage.startswith("https://"), source


def test_built_in_is_grouped_by_country_in_alphabetical_order() -> None:
    text = BUILT_IN_CATALOG.read_text(encoding="utf-8")
    headings = COUNTRY_HEADING.findall(text)
    assert headings == sorted(headings)
    assert len(headings) == len(set(headings))
    # Every source sits under the heading of its own country and each heading names one country.
    sections = COUNTRY_HEADING.split(text)[1:]
    for heading, body in zip(sections[::2], sections[1::2], strict=True):
        codes = {table["country"] for table in tomllib.loads(body).get("source", [])}
        assert len(codes) == 1, f"{heading}: {codes}"


def test_built_in_feeds_come_from_the_public_catalogs(built_in: list[Source]) -> None:
    if not FEED_CATALOGS.is_dir():
        pytest.skip(f"feed catalog snapshot not present: {FEED_CATALOGS}")
    texts = [
        path.read_text(encoding="utf-8")
        for path in sorted(FEED_CATALOGS.rglob("*"))
        if path.suffix in {".json", ".opml"}
    ]
    assert texts, f"no .json or .opml files in {FEED_CATALOGS}"
    # OPML escapes `&` as `&amp;` in attributes; JSON keeps URLs as they are.
    corpus = "\n".join(texts + [html.unescape(text) for text in texts])
    invented = [f"{s.country} {s.name}: {s.feed}" for s in built_in if s.feed not in corpus]
    assert invented == [], "feeds not found verbatim in the public catalogs"


# --- custom catalogs -----------------------------------------------------------------------

VALID = """\
[[source]]
name = "NHK News"
country = "JP"
feed = "https://www3.nhk.or.jp/rss/news/cat0.xml"
language = "ja"
homepage = "https://www3.nhk.or.jp/news/"

[[source]]
name = "Tagesschau"
country = "DE"
feed = "https://www.tagesschau.de/infoservices/alle-meldungen-100~rss2.xml"
language = "de"
"""

ONE = """\
[[source]]
name = "Tagesschau"
country = "DE"
feed = "https://www.tagesschau.de/infoservices/alle-meldungen-100~rss2.xml"
language = "de"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_catalog_loads(tmp_path: Path) -> None:
    sources = load_catalog(write(tmp_path, VALID))
    assert sources == [
        Source(
            name="NHK News",
            country="JP",
            feed="https://www3.nhk.or.jp/rss/news/cat0.xml",
            language="ja",
            homepage="https://www3.nhk.or.jp/news/",
        ),
        Source(
            name="Tagesschau",
            country="DE",
            feed="https://www.tagesschau.de/infoservices/alle-meldungen-100~rss2.xml",
            language="de",
        ),
    ]


def test_custom_catalog_accepts_a_plain_string_path(tmp_path: Path) -> None:
    assert len(load_catalog(str(write(tmp_path, VALID)))) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(ONE + 'region = "Europe"\n', r"unknown key region", id="unknown-key"),
        pytest.param(
            ONE.replace('name = "Tagesschau"\n', ""), r"name must be a non-empty", id="missing-name"
        ),
        pytest.param(
            ONE.replace('name = "Tagesschau"', 'name = "  "'),
            r"name must be a non-empty",
            id="blank-name",
        ),
        pytest.param(
            ONE.replace('"DE"', '"XX"'),
            r"country must be an ISO 3166 alpha-2 code.*XX",
            id="bad-country",
        ),
        pytest.param(
            ONE.replace('"de"', '"english"'),
            r"language must be an ISO 639-1 code.*english",
            id="bad-language",
        ),
        pytest.param(
            ONE.replace("https://www.tagesschau.de", "ftp://www.tagesschau.de"),
            r"feed must be an http\(s\) URL",
            id="non-http-feed",
        ),
        pytest.param(ONE + "\n" + ONE, r"is listed twice", id="duplicate-feed"),
        pytest.param("[[source]\nname = 1", r"cannot read the source catalog", id="invalid-toml"),
        pytest.param(
            'title = "mine"\n' + ONE, r"holds only \[\[source\]\] tables", id="other-top-level-key"
        ),
        pytest.param(
            'source = "Tagesschau"\n',
            r"holds only \[\[source\]\] tables",
            id="source-not-a-table-list",
        ),
    ],
)
def test_custom_catalog_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as error:
        load_catalog(path)
    assert str(path) in str(error.value)


def test_missing_catalog_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match="no such source catalog"):
        load_catalog(path)
