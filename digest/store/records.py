"""The store's records as JSON documents, and their validation on load.

A record read from disk is checked field by field before it becomes a domain object, and
is never coerced: `"countries": "JP"` is not read as `('J', 'P')`, nor `"paused": "false"`
as paused. A missing field takes the dataclass default (older versions wrote fewer
fields); a field of the wrong type or out of range, or one this version does not know,
makes the record invalid (`BadRecord`). The store then logs it once, keeps it on disk as
it is and leaves it out, so one hand-edited chat cannot stop everyone else's digests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from digest.models import Article, Chat, Delivery, FeedState
from digest.times import parse_clock


class BadRecord(ValueError):
    """A record's field has a value this version never writes."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        super().__init__(f"field {field!r} is {_shown(value)}, expected {expected}")
        self.field = field
        self.value = value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


Check = tuple[Callable[[Any], bool], str]  # the test and, for the message, what passes it


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_iso_date(value: Any) -> bool:
    return isinstance(value, str) and _is_iso_date_text(value)


# The same few dates and times recur in every chat: checked once each, not 100,000 times.
@lru_cache(maxsize=4096)
def _is_iso_date_text(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


@lru_cache(maxsize=4096)
def _is_clock_text(value: str) -> bool:
    return value == "" or (value == value.strip() and parse_clock(value) is not None)


def _is_aware_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _is_texts(value: Any) -> bool:
    # The types are gathered in C: a chat's sent keys are checked 100,000 times at start.
    return isinstance(value, list) and set(map(type, value)) <= {str}


_COUNTRY = re.compile(r"[A-Z]{2}")


@lru_cache(maxsize=4096)
def _are_country_codes(codes: tuple[str, ...]) -> bool:
    return all(_COUNTRY.fullmatch(code) for code in codes)

TEXT: Check = (_is_text, "a string")
INT: Check = (_is_int, "an integer")
BOOL: Check = (lambda value: isinstance(value, bool), "true or false")
TEXTS: Check = (_is_texts, "a list of strings")
AWARE_TIME: Check = (_is_aware_time, "an ISO time with a UTC offset")
OPTIONAL_TIME: Check = (lambda value: value is None or _is_aware_time(value),
                        "null or an ISO time with a UTC offset")

CHAT_FIELDS: dict[str, Check] = {
    "chat_id": INT,
    "countries": (lambda value: _is_texts(value) and _are_country_codes(tuple(value)),
                  'a list of country codes such as ["JP"]'),
    "digest_time": (lambda value: isinstance(value, str) and _is_clock_text(value),
                    '"" (the default) or a time "HH:MM"'),
    "timezone": TEXT,  # a zone that became unknown is read as UTC by the schedule
    "paused": BOOL,
    "active": BOOL,
    "last_digest": (lambda value: value == "" or _is_iso_date(value),
                    '"" (never) or a date "YYYY-MM-DD"'),
    "sent": (lambda value: isinstance(value, dict) and all(map(_is_iso_date, value))
             and all(map(_is_texts, value.values())), 'an object {"YYYY-MM-DD": [key, ...]}'),
}
ARTICLE_FIELDS: dict[str, Check] = {
    "url": TEXT, "title": TEXT, "summary": TEXT, "published": AWARE_TIME, "source": TEXT,
    "country": TEXT, "language": TEXT, "image": TEXT, "original_title": TEXT,
    "original_summary": TEXT,
}
FEED_FIELDS: dict[str, Check] = {
    "feed": TEXT, "etag": TEXT, "last_modified": TEXT, "last_success": OPTIONAL_TIME,
    "last_attempt": OPTIONAL_TIME, "last_error": TEXT,
    "failures": (lambda value: _is_int(value) and value >= 0, "a count (0 or more)"),
}
DELIVERY_FIELDS: dict[str, Check] = {
    "chat_id": INT, "local_date": (_is_iso_date, 'a date "YYYY-MM-DD"'), "chunks": TEXTS,
    "keys": TEXTS, "delivered": (lambda value: _is_int(value) and value >= 0,
                                 "a count (0 or more)"),
    "preview": TEXT, "more": TEXTS,
}


def check(doc: Mapping[str, Any], fields: Mapping[str, Check], required: tuple[str, ...]
          ) -> None:
    """Raise BadRecord for the first field that is missing but required, unknown, or not
    what this version writes."""
    for name in required:
        if name not in doc:
            raise BadRecord(name, None, "to be present")
    for name, value in doc.items():
        if name not in fields:
            raise BadRecord(name, value, "no such field")
        test, expected = fields[name]
        if not test(value):
            raise BadRecord(name, value, expected)


def doc_id(chat_id: int) -> int:
    """TinyDB document ids must be positive; group chat ids are negative."""
    return chat_id * 2 if chat_id > 0 else -chat_id * 2 + 1


def chat_to_doc(chat: Chat) -> dict[str, Any]:
    doc = asdict(chat)
    doc["countries"] = list(chat.countries)
    return doc


_DEFAULT_CHAT = Chat(chat_id=0)  # the defaults of the fields a record leaves out


def chat_from_doc(doc: Mapping[str, Any]) -> Chat:
    check(doc, CHAT_FIELDS, ("chat_id",))
    defaults = _DEFAULT_CHAT
    return Chat(
        chat_id=doc["chat_id"],
        countries=tuple(doc.get("countries", defaults.countries)),
        digest_time=doc.get("digest_time", defaults.digest_time),
        timezone=doc.get("timezone", defaults.timezone),
        paused=doc.get("paused", defaults.paused),
        active=doc.get("active", defaults.active),
        last_digest=doc.get("last_digest", defaults.last_digest),
    )


def article_to_doc(article: Article) -> dict[str, Any]:
    doc = asdict(article)
    doc["published"] = article.published.astimezone(UTC).isoformat()
    return doc


def article_from_doc(doc: Mapping[str, Any]) -> Article:
    check(doc, ARTICLE_FIELDS, ("url", "title", "published", "source", "country"))
    return Article(**{**doc, "published": datetime.fromisoformat(doc["published"]),
                      "summary": doc.get("summary", "")})


def delivery_to_doc(delivery: Delivery) -> dict[str, Any]:
    doc = asdict(delivery)
    doc["chunks"], doc["keys"] = list(delivery.chunks), list(delivery.keys)
    doc["more"] = list(delivery.more)
    return doc


def delivery_from_doc(doc: Mapping[str, Any]) -> Delivery:
    check(doc, DELIVERY_FIELDS, ("chat_id", "local_date", "chunks", "keys"))
    return Delivery(chat_id=doc["chat_id"], local_date=doc["local_date"],
                    chunks=tuple(doc["chunks"]), keys=tuple(doc["keys"]),
                    delivered=doc.get("delivered", 0), preview=doc.get("preview", ""),
                    more=tuple(doc.get("more", ())))


def _time_or_none(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def feed_state_to_doc(feed: str, state: FeedState) -> dict[str, Any]:
    doc = asdict(state)
    for key in ("last_success", "last_attempt"):
        doc[key] = doc[key].isoformat() if doc[key] else None
    return {"feed": feed, **doc}


def feed_state_from_doc(doc: Mapping[str, Any]) -> tuple[str, FeedState]:
    """The feed's URL and its state."""
    check(doc, FEED_FIELDS, ("feed",))
    return doc["feed"], FeedState(
        etag=doc.get("etag", ""),
        last_modified=doc.get("last_modified", ""),
        last_success=_time_or_none(doc.get("last_success")),
        last_attempt=_time_or_none(doc.get("last_attempt")),
        last_error=doc.get("last_error", ""),
        failures=doc.get("failures", 0),
    )
