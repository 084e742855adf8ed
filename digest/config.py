"""Typed configuration loaded from TOML.

Every section is a frozen dataclass whose fields are the keys of that section, so
the dataclasses are the single description of what a config file may hold: an
unknown key, a wrong type or a bad value becomes one `ConfigError` line naming
the file, the key and what was expected.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.times import parse_clock

DEFAULT_CONFIG_NAME = "config.toml"
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
TRANSLATE_KEY_ENV = "NEWSBOT_TRANSLATE_API_KEY"
DATABASE_URL_ENV = "NEWSBOT_DATABASE_URL"
STORAGE_BACKENDS = ("tinydb", "postgres")


class ConfigError(Exception):
    """A configuration problem, worded for the person who wrote the file."""


@dataclass(frozen=True)
class TelegramConfig:
    token: str = ""
    base_url: str = "https://api.telegram.org/bot"
    admins: tuple[int, ...] = ()
    webhook_url: str = ""  # empty: long polling; else received by the [webapp] server
    webhook_secret: str = ""


@dataclass(frozen=True)
class WebAppConfig:
    """The Mini App and the bot's one web server (also the webhook's, in webhook mode)."""

    url: str = ""  # the public address Telegram opens; empty: no Mini App
    listen: str = "127.0.0.1"
    port: int = 8080


@dataclass(frozen=True)
class StorageConfig:
    """Where chats, articles and what was sent are kept: TinyDB files (one process, nothing
    to install) or PostgreSQL (several processes, one or more machines)."""

    backend: str = "tinydb"  # tinydb or postgres
    path: str = "data/newsbot.json"  # tinydb: the main file; its folder holds the rest
    dsn: str = ""  # postgres: a libpq connection string or URL; never logged

    @property
    def database_url(self) -> str:
        """`dsn`, or the environment's, so the password need not sit in the file."""
        return self.dsn or os.environ.get(DATABASE_URL_ENV, "")


@dataclass(frozen=True)
class SourcesConfig:
    catalog: str = ""
    max_failing_share: float = 0.25


@dataclass(frozen=True)
class IngestConfig:
    interval_minutes: int = 30
    retention_days: int = 30
    timeout_seconds: float = 20.0
    concurrency: int = 16
    per_host: int = 2
    max_feed_mb: float = 5.0
    max_entries_per_feed: int = 200
    parse_timeout_seconds: float = 10.0


@dataclass(frozen=True)
class DigestConfig:
    time: str = "07:30"
    timezone: str = "UTC"
    stories_per_country: int = 5
    grace_hours: float = 3.0
    # Start a chat's digest up to this many minutes before its time, so that a large
    # audience due at once has it by then (the digest then holds news up to that start).
    deliver_early_minutes: int = 0


TRANSLATE_BACKENDS = ("none", "libretranslate", "deepl", "openai")
# Where each backend lives when [translate] url is empty.
TRANSLATE_URLS = {
    "libretranslate": "https://libretranslate.com",
    "deepl": "https://api-free.deepl.com",
    "openai": "https://api.openai.com/v1",
}
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEEPL_MAX_TEXTS = 50  # DeepL refuses a request with more texts than this


@dataclass(frozen=True)
class TranslateConfig:
    """Machine translation of articles that are not in the product's language.

    Empty `url`, `api_key` and `model` mean "the usual one": the properties below
    resolve them, so the file can stay short and the key can stay out of it.
    """

    backend: str = "none"  # none, libretranslate, deepl or openai
    url: str = ""
    api_key: str = field(default="", repr=False)  # kept out of logged reprs
    model: str = ""  # openai only
    target: str = "en"
    daily_characters: int = 200_000  # per UTC day
    batch_size: int = 20
    timeout_seconds: float = 20.0

    @property
    def base_url(self) -> str:
        """`url`, or the public service of the backend when it is empty."""
        return (self.url or TRANSLATE_URLS.get(self.backend, "")).rstrip("/")

    @property
    def key(self) -> str:
        """`api_key`, or the environment's, so the secret need not sit in the file."""
        return self.api_key or os.environ.get(TRANSLATE_KEY_ENV, "")

    @property
    def chat_model(self) -> str:
        return self.model or DEFAULT_OPENAI_MODEL


@dataclass(frozen=True)
class LoggingConfig:
    level: str = "INFO"


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    translate: TranslateConfig = field(default_factory=TranslateConfig)
    webapp: WebAppConfig = field(default_factory=WebAppConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    origin: str = "built-in defaults"  # where the values came from, for messages

    @property
    def token(self) -> str:
        return self.telegram.token or os.environ.get(TOKEN_ENV, "")


# What Telegram accepts as a webhook's secret_token.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_TIMEOUT_SECONDS = 600
MAX_FEED_MB = 1024


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """The config named by `path`; without one, ./config.toml if present, else defaults."""
    if path is None:
        if not Path(DEFAULT_CONFIG_NAME).is_file():
            return Config()
        path = DEFAULT_CONFIG_NAME
    file = Path(path)
    try:
        # utf-8-sig: a byte-order mark, as some Windows editors write, is no reason to refuse
        raw = tomllib.loads(file.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read it ({exc.__class__.__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from None
    sections: dict[str, Any] = {}
    for name, value in raw.items():
        section_type = _field_types(Config).get(name)
        if section_type is None or name == "origin":
            raise ConfigError(f"{file}: unknown section [{name}]; expected one of {_known(Config)}")
        if not isinstance(value, dict):
            raise ConfigError(f"{file}: {name} must be a [{name}] table")
        sections[name] = _build_section(file, name, section_type, value)
    config = Config(**sections, origin=str(file))
    _validate(file, config)
    return config


def _field_types(cls: type) -> dict[str, typing.Any]:
    return typing.get_type_hints(cls)


def _known(cls: type) -> str:
    return ", ".join(f.name for f in dataclasses.fields(cls) if f.name != "origin")


def _build_section(file: Path, section: str, cls: type, values: dict[str, object]) -> object:
    types_ = _field_types(cls)
    kwargs = {}
    for key, value in values.items():
        if key not in types_:
            raise ConfigError(
                f"{file}: unknown key {section}.{key}; expected one of {_known(cls)}"
            )
        kwargs[key] = _coerce(file, f"{section}.{key}", types_[key], value)
    return cls(**kwargs)


def _coerce(file: Path, key: str, expected: object, value: object) -> object:
    """Check `value` against the field's type; TOML integers are accepted for floats."""
    if typing.get_origin(expected) is tuple:
        item_type = typing.get_args(expected)[0]
        if not isinstance(value, list) or not all(_is(item_type, v) for v in value):
            raise ConfigError(f"{file}: {key} must be a list of {item_type.__name__}")
        return tuple(value)
    if not _is(expected, value):
        raise ConfigError(
            f"{file}: {key} must be {_type_name(expected)}, not {_type_name(type(value))}"
        )
    if expected is float:
        assert isinstance(value, int | float)  # _is accepted it
        if not math.isfinite(value):
            raise ConfigError(f"{file}: {key} must be a finite number, not {value}")
        return float(value)
    return value


def _is(expected: object, value: object) -> bool:
    if isinstance(value, bool):
        return expected is bool
    if expected is float:
        return isinstance(value, int | float)
    return isinstance(expected, type) and isinstance(value, expected)


def _type_name(kind: object) -> str:
    return _TYPE_NAMES.get(kind) or str(getattr(kind, "__name__", kind))


_TYPE_NAMES: dict[object, str] = {
    str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _validate(file: Path, config: Config) -> None:
    def fail(key: str, expected: str) -> typing.NoReturn:
        raise ConfigError(f"{file}: {key} must be {expected}")

    if not config.telegram.base_url.startswith(("http://", "https://")):
        fail("telegram.base_url", 'an http(s) URL such as "https://api.telegram.org/bot"')
    if config.telegram.webhook_url and not config.telegram.webhook_url.startswith("https://"):
        fail("telegram.webhook_url", "an https:// URL (Telegram sends webhooks over HTTPS only)")
    if config.webapp.url and not config.webapp.url.startswith(("https://", "http://")):
        fail("webapp.url", "an https:// URL (http:// only for local testing), or empty")
    if config.telegram.webhook_url and not _WEBHOOK_SECRET.fullmatch(
            config.telegram.webhook_secret):
        fail("telegram.webhook_secret", "set in webhook mode: 1 to 256 letters, digits, _ or - "
             "(without it anyone could post updates to the bot)")
    if config.storage.backend not in STORAGE_BACKENDS:
        fail("storage.backend", 'one of "tinydb" or "postgres" '
             f'(got "{config.storage.backend}")')
    if config.storage.backend == "tinydb" and not config.storage.path.strip():
        fail("storage.path", "a file path")
    if config.storage.backend == "postgres" and not config.storage.database_url:
        fail("storage.dsn", f"set for postgres (or the environment's {DATABASE_URL_ENV}), "
             'e.g. "postgresql://newsbot@localhost/newsbot"')
    if parse_clock(config.digest.time) is None:
        fail("digest.time", f'a time of day as "HH:MM" (got "{config.digest.time}")')
    if not valid_timezone(config.digest.timezone):
        fail("digest.timezone", f'an IANA time zone such as "Asia/Tokyo" (got '
             f'"{config.digest.timezone}")')
    # Upper bounds keep values in what timers, timedeltas and sockets can take.
    for key, value, low, high in (
        ("webapp.port", config.webapp.port, 1, 65535),
        ("ingest.interval_minutes", config.ingest.interval_minutes, 1, 7 * 24 * 60),
        ("ingest.retention_days", config.ingest.retention_days, 1, 36500),
        ("ingest.concurrency", config.ingest.concurrency, 1, 1000),
        ("ingest.per_host", config.ingest.per_host, 1, 1000),
        ("ingest.max_entries_per_feed", config.ingest.max_entries_per_feed, 1, 100_000),
        ("digest.stories_per_country", config.digest.stories_per_country, 1, 100),
        ("digest.deliver_early_minutes", config.digest.deliver_early_minutes, 0, 180),
    ):
        if not low <= value <= high:
            fail(key, f"between {low} and {high}")
    if not 0 < config.ingest.timeout_seconds <= MAX_TIMEOUT_SECONDS:
        fail("ingest.timeout_seconds", f"a positive number of seconds, at most "
             f"{MAX_TIMEOUT_SECONDS}")
    if not 0 <= config.sources.max_failing_share <= 1:
        fail("sources.max_failing_share", "a share between 0 and 1")
    if not 0 <= config.digest.grace_hours <= 24:
        fail("digest.grace_hours", "a number of hours between 0 and 24")
    if not 0 < config.ingest.parse_timeout_seconds <= MAX_TIMEOUT_SECONDS:
        fail("ingest.parse_timeout_seconds", f"a positive number of seconds, at most "
             f"{MAX_TIMEOUT_SECONDS}")
    if not 0 < config.ingest.max_feed_mb <= MAX_FEED_MB:
        fail("ingest.max_feed_mb", f"a positive number of megabytes, at most {MAX_FEED_MB}")
    if config.logging.level.upper() not in _LOG_LEVELS:
        fail("logging.level", "one of " + ", ".join(_LOG_LEVELS))
    _validate_translate(config.translate, fail)


def _validate_translate(
    translate: TranslateConfig, fail: typing.Callable[[str, str], typing.NoReturn]
) -> None:
    if translate.backend not in TRANSLATE_BACKENDS:
        fail("translate.backend", "one of " + ", ".join(TRANSLATE_BACKENDS)
             + f' (got "{translate.backend}")')
    if translate.url and not translate.url.startswith(("http://", "https://")):
        fail("translate.url", "an http(s) URL, or empty for the backend's public service")
    if translate.target.split("-")[0].lower() != "en":
        fail("translate.target", f'"en" (or a variant such as "en-GB"): labels, language '
             f'detection and digests are in English only (got "{translate.target}")')
    for key, value in (
        ("translate.daily_characters", translate.daily_characters),
        ("translate.batch_size", translate.batch_size),
    ):
        if value < 1:
            fail(key, "at least 1")
    if translate.backend == "deepl" and translate.batch_size > DEEPL_MAX_TEXTS:
        fail("translate.batch_size", f"at most {DEEPL_MAX_TEXTS} with deepl (its request limit)")
    if not 0 < translate.timeout_seconds <= MAX_TIMEOUT_SECONDS:
        fail("translate.timeout_seconds", f"a positive number of seconds, at most "
             f"{MAX_TIMEOUT_SECONDS}")
    if translate.backend == "deepl" and not translate.key:
        fail("translate.api_key", f"set for deepl (or the environment's {TRANSLATE_KEY_ENV})")


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
