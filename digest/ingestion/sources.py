"""The source catalog: which outlets' feeds are read, for which country.

The built-in catalog is `digest/ingestion/sources.toml`; `[sources] catalog` may name
another TOML file of `[[source]]` tables with the same keys.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pycountry

from digest.config import ConfigError
from digest.models import Source

BUILT_IN_CATALOG = Path(__file__).with_name("sources.toml")
_REQUIRED = ("name", "country", "feed", "language")
_OPTIONAL = ("homepage",)


def load_catalog(path: str | Path = "") -> list[Source]:
    """Every source of the catalog at `path` (the built-in one when empty), validated."""
    file = Path(path) if path else BUILT_IN_CATALOG
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such source catalog") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read the source catalog ({exc})") from None
    tables = raw.get("source", [])
    if set(raw) - {"source"} or not isinstance(tables, list):
        raise ConfigError(f"{file}: a source catalog holds only [[source]] tables")
    sources = [_source(file, index, table) for index, table in enumerate(tables, 1)]
    _reject_duplicate_feeds(file, sources)
    return sources


def _source(file: Path, index: int, table: dict[str, object]) -> Source:
    where = f"{file}: source #{index}"
    unknown = set(table) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        expected = ", ".join(_REQUIRED + _OPTIONAL)
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]}; expected {expected}")
    for key in _REQUIRED:
        if not isinstance(table.get(key), str) or not str(table[key]).strip():
            raise ConfigError(f"{where}: {key} must be a non-empty string")
    if not isinstance(table.get("homepage", ""), str):
        raise ConfigError(f"{where}: homepage must be a string")
    country = str(table["country"]).strip().upper()
    if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
        raise ConfigError(f"{where}: country must be an ISO 3166 alpha-2 code (got {country!r})")
    language = str(table["language"]).strip().lower()
    if len(language) != 2 or pycountry.languages.get(alpha_2=language) is None:
        raise ConfigError(f"{where}: language must be an ISO 639-1 code (got {language!r})")
    feed = str(table["feed"]).strip()
    if not feed.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: feed must be an http(s) URL")
    return Source(
        name=str(table["name"]).strip(),
        country=country,
        feed=feed,
        language=language,
        homepage=str(table.get("homepage", "")).strip(),
    )


def _reject_duplicate_feeds(file: Path, sources: list[Source]) -> None:
    seen: set[str] = set()
    for source in sources:
        if source.feed in seen:
            raise ConfigError(f"{file}: feed {source.feed} is listed twice")
        seen.add(source.feed)
