"""Launch data is checked as Telegram documents it: genuine and fresh, or refused."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from webapp.auth import InitDataError, WebAppUser, sign_init_data, verify_init_data

TOKEN = "123456:TEST-token"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ANN = WebAppUser(77, "Ann", "en")


def tampered(raw: str, **changes: str) -> str:
    fields = dict(parse_qsl(raw))
    fields.update(changes)
    return urlencode(fields)


def test_genuine_launch_data_names_its_user() -> None:
    raw = sign_init_data(ANN, TOKEN, now=NOW, query_id="AAH")
    assert verify_init_data(raw, TOKEN, now=NOW + timedelta(hours=23)) == ANN


def test_signature_follows_telegrams_recipe() -> None:
    """Written out from Telegram's documentation, independently of the module."""
    fields = {"auth_date": str(int(NOW.timestamp())), "query_id": "AAH",
              "user": '{"id":77,"first_name":"Ann"}'}
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields)).encode()
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check, hashlib.sha256).hexdigest()
    assert verify_init_data(urlencode(fields), TOKEN, now=NOW).id == 77


@pytest.mark.parametrize("forge", [
    pytest.param(lambda raw: tampered(raw, user='{"id":78,"first_name":"Ann"}'),
                 id="changed-user"),
    pytest.param(lambda raw: tampered(raw, query_id="OTHER"), id="changed-field"),
    pytest.param(lambda raw: tampered(raw, hash="0" * 64), id="bad-hash"),
    pytest.param(lambda raw: tampered(raw, extra="1"), id="added-field"),
    pytest.param(lambda raw: raw + "&hash=" + "0" * 64, id="second-hash"),
    pytest.param(lambda raw: sign_init_data(ANN, "654321:other-bot", now=NOW),
                 id="other-bots-token"),
    pytest.param(lambda raw: "", id="missing"),
    pytest.param(lambda raw: "not a query string", id="garbage"),
])
def test_forged_launch_data_is_refused(forge) -> None:  # type: ignore[no-untyped-def]
    raw = sign_init_data(ANN, TOKEN, now=NOW, query_id="AAH")
    with pytest.raises(InitDataError):
        verify_init_data(forge(raw), TOKEN, now=NOW)


@pytest.mark.parametrize("signed", [NOW - timedelta(hours=24, seconds=1),
                                    NOW + timedelta(hours=1)])
def test_stale_or_future_launch_data_is_refused(signed: datetime) -> None:
    raw = sign_init_data(ANN, TOKEN, now=signed)
    with pytest.raises(InitDataError, match="expired"):
        verify_init_data(raw, TOKEN, now=NOW)


def test_signed_data_without_a_user_is_refused() -> None:
    fields = {"auth_date": str(int(NOW.timestamp()))}
    check = f"auth_date={fields['auth_date']}".encode()
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check, hashlib.sha256).hexdigest()
    with pytest.raises(InitDataError, match="no user"):
        verify_init_data(urlencode(fields), TOKEN, now=NOW)
