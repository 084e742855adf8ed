"""What a 409 Conflict while long polling means: the newcomer stops, the first goes on."""

from __future__ import annotations

import pytest
from telegram.error import Conflict, NetworkError

from runtime.polling import NEWCOMER_SECONDS, WARN_EVERY, PollingGuard

TERMINATED = ("Conflict: terminated by other getUpdates request; make sure that only one bot "
              "instance is running")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def guard_of(clock: Clock) -> tuple[PollingGuard, list[str]]:
    stops: list[str] = []
    guard = PollingGuard(lambda: stops.append("stop"), clock=clock)
    guard.begin()
    return guard, stops


def test_a_conflict_soon_after_polling_starts_stops_this_process(clock: Clock) -> None:
    guard, stops = guard_of(clock)
    clock.now += NEWCOMER_SECONDS / 2
    guard(Conflict(TERMINATED))
    assert stops == ["stop"]
    assert guard.failure is not None
    assert guard.failure.exit_code == 2
    assert guard.failure.line.startswith(
        "error: another process is already receiving this bot's updates by long polling")
    assert "webhook mode ([telegram] webhook_url)" in guard.failure.line
    guard(Conflict(TERMINATED))
    assert stops == ["stop"]  # once


def test_a_conflict_later_is_the_newcomers_to_resolve(
        clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    guard, stops = guard_of(clock)
    clock.now += NEWCOMER_SECONDS
    guard(Conflict(TERMINATED))
    clock.now += 1
    guard(Conflict(TERMINATED))
    assert stops == []
    assert guard.failure is None
    assert caplog.text.count("another process polled for this bot's updates") == 1
    clock.now += WARN_EVERY
    guard(Conflict(TERMINATED))
    assert caplog.text.count("another process polled for this bot's updates") == 2


def test_a_webhook_set_by_another_process_stops_a_poller_at_any_time(clock: Clock) -> None:
    guard, stops = guard_of(clock)
    clock.now += 3600
    guard(Conflict("Conflict: can't use getUpdates method while webhook is active; use "
                   "deleteWebhook to delete the webhook first"))
    assert stops == ["stop"]
    assert guard.failure is not None
    assert guard.failure.line.startswith("error: a webhook is set for this bot")


def test_the_window_counts_from_when_polling_starts(clock: Clock) -> None:
    stops: list[str] = []
    guard = PollingGuard(lambda: stops.append("stop"), clock=clock)
    clock.now += 600  # the Bot API was out of reach for a while
    guard.begin()
    clock.now += 1
    guard(Conflict(TERMINATED))
    assert stops == ["stop"]


def test_other_polling_errors_are_one_warning_line(
        clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    guard, stops = guard_of(clock)
    guard(NetworkError("Bad Gateway"))
    assert stops == []
    assert "polling for updates: Bad Gateway; trying again" in caplog.text
