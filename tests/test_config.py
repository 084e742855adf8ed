from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from digest.config import Config, ConfigError, TranslateConfig, load_config

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config() == Config()


def test_config_toml_in_working_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text('[digest]\ntime = "06:15"\n')
    assert load_config().digest.time == "06:15"


def test_the_example_documents_the_defaults() -> None:
    example = load_config(ROOT / "config.example.toml")
    assert example == Config(origin=str(ROOT / "config.example.toml"))


def test_values_are_typed(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
[telegram]
admins = [1, 2]
[ingest]
timeout_seconds = 5
[digest]
timezone = "Asia/Tokyo"
"""))
    assert config.telegram.admins == (1, 2)
    assert config.ingest.timeout_seconds == 5.0
    assert isinstance(config.ingest.timeout_seconds, float)


def test_token_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:env")
    assert Config().token == "123:env"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[telegram]\ntokn = 'x'", "unknown key telegram.tokn; expected one of token, base_url"),
        ("[telgram]\n", "unknown section [telgram]"),
        ("telegram = 3", "telegram must be a [telegram] table"),
        ("[ingest]\ninterval_minutes = '30'", "ingest.interval_minutes must be an integer, not"),
        ("[ingest]\ninterval_minutes = true", "ingest.interval_minutes must be an integer"),
        ("[ingest]\ninterval_minutes = 0", "ingest.interval_minutes must be between 1 and"),
        ("[ingest]\nmax_entries_per_feed = 0", "ingest.max_entries_per_feed must be between 1"),
        ("[ingest]\nparse_timeout_seconds = 0", "ingest.parse_timeout_seconds must be a positive"),
        ("[ingest]\nmax_feed_mb = 1e308", "ingest.max_feed_mb must be a positive number of "
         "megabytes, at most 1024"),
        ("[ingest]\ntimeout_seconds = nan", "ingest.timeout_seconds must be a finite number"),
        ("[ingest]\ntimeout_seconds = inf", "ingest.timeout_seconds must be a finite number"),
        ("[webapp]\nport = 99999", "webapp.port must be between 1 and 65535"),
        ("[webapp]\nurl = 'bot.example.org'", "webapp.url must be an https:// URL"),
        ("[telegram]\nwebhook_url = 'https://bot.example.org/hook'",
         "telegram.webhook_secret must be set in webhook mode"),
        ("[telegram]\nwebhook_url = 'https://bot.example.org/hook'\nwebhook_secret = 'a b'",
         "telegram.webhook_secret must be set in webhook mode: 1 to 256 letters"),
        ("[telegram]\nadmins = ['me']", "telegram.admins must be a list of int"),
        ("[digest]\ntime = '25:00'", 'digest.time must be a time of day as "HH:MM"'),
        ("[digest]\ntimezone = 'Mars/Olympus'", "digest.timezone must be an IANA time zone"),
        ("[digest]\ntimezone = '../../etc/passwd'", "digest.timezone must be an IANA time zone"),
        ("[logging]\nlevel = 'LOUD'", "logging.level must be one of"),
        ("[telegram]\nbase_url = 'ftp://x'", "telegram.base_url must be an http(s) URL"),
        ("not toml at all", "not valid TOML"),
        ("[delivery]\nmessages_per_second = 0", "delivery.messages_per_second must be a positive"),
        ("[delivery]\nmessages_per_second = 31", "delivery.messages_per_second must be a "
         "positive number up to 30 (1000 with delivery.paid_broadcast = true)"),
        ("[delivery]\npaid_broadcast = true\nmessages_per_second = 1001",
         "delivery.messages_per_second must be a positive number up to 1000"),
        ("[delivery]\nlease_seconds = 0", "delivery.lease_seconds must be between 1 and 3600"),
    ],
)
def test_bad_values_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_paid_broadcast_allows_up_to_1000_messages_a_second(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[delivery]\npaid_broadcast = true\n"
                                         "messages_per_second = 1000\n"))
    assert config.delivery.paid_broadcast
    assert config.delivery.messages_per_second == 1000


def test_a_byte_order_mark_is_read_as_utf8_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_bytes(b"\xef\xbb\xbf[digest]\ntime = '06:15'\n")  # as Notepad saves UTF-8
    assert load_config(path).digest.time == "06:15"


def test_a_regional_english_target_is_english(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "[translate]\ntarget = 'en-GB'")).translate.target == (
        "en-GB")


def test_a_named_file_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "no such config file"),
        ("[digest]\ntimezone = 'Nowhere/City'", "digest.timezone"),
        ("[sources]\ncatalog = 'missing.toml'", "no such source catalog"),
        ("[ingest]\nmax_feed_mb = 1e308", "ingest.max_feed_mb"),
        ("[ingest]\ntimeout_seconds = nan", "ingest.timeout_seconds"),
        ("[webapp]\nport = 99999", "webapp.port"),
        ("[translate]\ntarget = 'es'", "translate.target"),
    ],
)
def test_command_line_reports_one_line_and_exit_code_2(
    tmp_path: Path, text: str | None, message: str
) -> None:
    path = tmp_path / "bot.toml"
    if text is not None:
        path.write_text(text)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(path), "sources"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


# --- [translate] ---------------------------------------------------------------------------


def test_translate_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSBOT_TRANSLATE_API_KEY", raising=False)
    translate = Config().translate
    assert translate == TranslateConfig()
    assert (translate.backend, translate.target, translate.daily_characters) == ("none", "en",
                                                                                 200_000)
    assert (translate.batch_size, translate.timeout_seconds) == (20, 20.0)
    assert translate.key == ""
    assert TranslateConfig(backend="libretranslate").base_url == "https://libretranslate.com"
    assert TranslateConfig(backend="deepl").base_url == "https://api-free.deepl.com"
    assert TranslateConfig(backend="openai").base_url == "https://api.openai.com/v1"
    assert TranslateConfig(backend="openai", url="http://127.0.0.1:8080/v1/").base_url == (
        "http://127.0.0.1:8080/v1"
    )
    assert TranslateConfig(backend="openai").chat_model == "gpt-4o-mini"


def test_translate_key_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_TRANSLATE_API_KEY", "env-key")
    assert TranslateConfig().key == "env-key"
    assert TranslateConfig(api_key="file-key").key == "file-key"


def test_translate_section_is_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
[translate]
backend = "deepl"
api_key = "k:fx"
batch_size = 50
timeout_seconds = 5
daily_characters = 500_000
"""))
    assert config.translate == TranslateConfig(
        backend="deepl", api_key="k:fx", batch_size=50, timeout_seconds=5.0,
        daily_characters=500_000,
    )
    assert isinstance(config.translate.timeout_seconds, float)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("backend = 'google'",
         "translate.backend must be one of none, libretranslate, deepl, openai (got \"google\")"),
        ("backend = 'deepl'", "translate.api_key must be set for deepl"),
        ("backend = 'deepl'\napi_key = 'k'\nbatch_size = 51",
         "translate.batch_size must be at most 50"),
        ("url = 'ftp://x'", "translate.url must be an http(s) URL"),
        ("target = ' '", 'translate.target must be "en" (or a variant such as "en-GB")'),
        ("target = 'es'", "labels, language detection and digests are in English only"),
        ("daily_characters = 0", "translate.daily_characters must be at least 1"),
        ("batch_size = 0", "translate.batch_size must be at least 1"),
        ("timeout_seconds = 0", "translate.timeout_seconds must be a positive number"),
        ("batch_size = 2.5", "translate.batch_size must be an integer, not a number"),
        ("apikey = 'k'", "unknown key translate.apikey; expected one of backend, url, api_key"),
    ],
)
def test_bad_translate_values_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.delenv("NEWSBOT_TRANSLATE_API_KEY", raising=False)
    path = write(tmp_path, "[translate]\n" + text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)
