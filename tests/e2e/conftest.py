"""Fixtures for end-to-end tests: the real bot talks HTTP to a fake Bot API server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.fake_bot_api import FakeBotAPI


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta time periods.

    Without it, constructing ``telegram.error.RetryAfter`` (any 429) emits a
    PTBDeprecationWarning, which our warnings-as-errors config turns into the exception the
    bot sees instead of RetryAfter.
    """
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    """A started fake Bot API; fails the test if the fake itself hit a bug while serving."""
    with FakeBotAPI() as api:
        yield api
    assert not api.server_errors, "fake Bot API crashed:\n" + "\n".join(api.server_errors)
