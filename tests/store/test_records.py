"""Records are validated field by field on load and never coerced."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import pytest

from digest.models import Article, Chat, Delivery, FeedState
from digest.store.records import (
    ARTICLE_FIELDS,
    CHAT_FIELDS,
    DELIVERY_FIELDS,
    FEED_FIELDS,
    BadRecord,
    article_from_doc,
    article_to_doc,
    chat_from_doc,
    chat_to_doc,
    feed_state_from_doc,
    feed_state_to_doc,
)

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def names(cls: type) -> set[str]:
    return {field.name for field in fields(cls)}


def test_every_field_written_has_a_check() -> None:
    assert set(CHAT_FIELDS) == names(Chat) | {"sent"}
    assert set(ARTICLE_FIELDS) == names(Article)
    assert set(FEED_FIELDS) == names(FeedState) | {"feed"}
    assert set(DELIVERY_FIELDS) == names(Delivery)


def test_records_round_trip() -> None:
    chat = Chat(-100123, countries=("JP", "BR"), digest_time="06:45", timezone="Asia/Tokyo",
                paused=True, active=False, last_digest="2026-11-24")
    assert chat_from_doc(chat_to_doc(chat) | {"sent": {"2026-11-24": ["k"]}}) == chat
    article = Article(url="https://a.example/1", title="T", summary="S", published=NOW,
                      source="NHK", country="JP", language="en")
    assert article_from_doc(article_to_doc(article)) == article
    state = FeedState(etag='"e"', last_success=NOW, failures=2)
    assert feed_state_from_doc(feed_state_to_doc("https://a.example/rss", state)) == (
        "https://a.example/rss", state)


def test_missing_fields_take_the_defaults() -> None:
    assert chat_from_doc({"chat_id": 5}) == Chat(5)


@pytest.mark.parametrize(("field", "value"), [
    ("countries", "JP"), ("countries", ["jp"]), ("paused", "false"), ("active", 1),
    ("digest_time", 730), ("digest_time", "25:00"), ("digest_time", " 07:30"),
    ("last_digest", None), ("last_digest", "2026-13-01"), ("timezone", None),
    ("chat_id", "5"), ("chat_id", True), ("sent", {"yesterday": ["k"]}),
    ("sent", {"2026-11-25": "k"}), ("pasued", True),
])
def test_a_wrong_value_is_refused_not_coerced(field: str, value: Any) -> None:
    with pytest.raises(BadRecord) as refused:
        chat_from_doc({"chat_id": 5, field: value})
    assert refused.value.field == field
    assert repr(value) in str(refused.value)


def test_a_chat_record_needs_its_id_and_an_article_an_aware_time() -> None:
    with pytest.raises(BadRecord, match="'chat_id'"):
        chat_from_doc({"countries": ["JP"]})
    doc = {"url": "u", "title": "t", "published": "2026-11-25T08:00:00", "source": "s",
           "country": "JP"}
    with pytest.raises(BadRecord, match="'published'"):
        article_from_doc(doc)
