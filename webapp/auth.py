"""Mini App launch data: checked as Telegram documents it, and signed for local use.

Telegram opens the app with `tgWebAppData` (the "init data", a query string) and
signs it with a key derived from the bot token: secret = HMAC-SHA256(key="WebAppData",
msg=token), hash = HMAC-SHA256(key=secret, msg=the other fields as sorted "k=v" lines).
The page sends the raw string with every API call; the user id is taken from it and
from nothing else, so a page cannot act for someone else.

Signing lives here too because console mode and the tests open the app without
Telegram and need launch data this very check accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode

MAX_AGE = timedelta(hours=24)
# A client clock a little ahead of ours is no forgery; one far ahead would extend the 24 h.
CLOCK_SKEW = timedelta(minutes=5)


class InitDataError(Exception):
    """The launch data is missing, malformed, forged or too old (the API answers 401)."""


@dataclass(frozen=True, slots=True)
class WebAppUser:
    """The Telegram user who opened the app, as the signed data names them."""

    id: int
    first_name: str = ""
    language_code: str = ""


def _secret(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields)).encode()


def _hash(fields: dict[str, str], token: str) -> str:
    return hmac.new(_secret(token), _check_string(fields), hashlib.sha256).hexdigest()


def verify_init_data(raw: str, token: str, *, now: datetime,
                     max_age: timedelta = MAX_AGE) -> WebAppUser:
    """The user of genuine, fresh launch data; `InitDataError` for anything else."""
    if not raw:
        raise InitDataError("no launch data")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("launch data is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("a field appears twice")
    received = fields.pop("hash", "")
    if not hmac.compare_digest(received.encode(), _hash(fields, token).encode()):
        raise InitDataError("bad signature")
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), tz=now.tzinfo)
    except (KeyError, ValueError, OverflowError, OSError):
        raise InitDataError("no valid auth_date") from None
    if not now - max_age <= signed_at <= now + CLOCK_SKEW:
        raise InitDataError("launch data expired")
    try:
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, ValueError, TypeError):
        raise InitDataError("no user in launch data") from None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise InitDataError("no user in launch data")
    return WebAppUser(user_id, str(user.get("first_name", "")),
                      str(user.get("language_code", "")))


def sign_init_data(user: WebAppUser, token: str, *, now: datetime, **extra: str) -> str:
    """Launch data for `user` as Telegram would send it, signed with `token`."""
    fields = {
        "auth_date": str(int(now.timestamp())),
        "user": json.dumps({"id": user.id, "first_name": user.first_name,
                            "language_code": user.language_code},
                           separators=(",", ":"), ensure_ascii=False),
        **extra,
    }
    return urlencode({**fields, "hash": _hash(fields, token)})


def launch_fragment(init_data: str, theme: dict[str, str] | None = None) -> str:
    """The URL fragment Telegram opens the app with: launch data, version, platform and,
    optionally, the theme's colours (as `bg_color`, `text_color`, ...)."""
    params = {"tgWebAppData": init_data, "tgWebAppVersion": "8.0", "tgWebAppPlatform": "web"}
    if theme:
        params["tgWebAppThemeParams"] = json.dumps(theme, separators=(",", ":"))
    return "#" + urlencode(params)
