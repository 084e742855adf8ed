"""When each chat's morning digest is due, in its own time zone.

A chat is due when its local digest time has passed today, it has not had a
scheduled digest for today's local date, and the time passed is within the
grace period. Deciding from the local *date* rather than from timer firings is
what makes the schedule hold whatever the clock does: the autumn DST hour that
repeats cannot send twice, a spring-forward gap cannot skip a day, a bot that
was down catches up on start-up (if within grace) and never sends twice.

Checking is done per distinct (zone, time) pair, not per chat, so a minute's
check over 100,000 chats costs a dictionary pass plus a few hundred zone
conversions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.models import Chat
from digest.times import parse_clock
from digest.timezones import OFFSET


@dataclass(frozen=True, slots=True)
class Due:
    chat: Chat
    local_date: date
    at: datetime  # when it fell due


@cache
def zone_of(name: str) -> tzinfo:
    """The tzinfo of a stored zone name (IANA or 'UTC±HH:MM'); UTC if it became unknown."""
    if match := OFFSET.fullmatch(name):
        offset = timedelta(hours=int(match[2]), minutes=int(match[3] or 0))
        return timezone(-offset if match[1] == "-" else offset, name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def due_chats(
    chats: Iterable[Chat], now: datetime, *, default_time: str, default_zone: str,
    grace: timedelta,
) -> list[Due]:
    """Chats whose scheduled digest for their current local date should go out now."""
    chats = list(chats)
    by_id = {chat.chat_id: chat for chat in chats}
    index = DueIndex(chats, default_time=default_time, default_zone=default_zone)
    return list(index.due(now, grace, by_id.get))


Slot = tuple[str, str]  # (zone name, "HH:MM"): the chats that fall due at the same instant


class DueIndex:
    """Which chats fall due when, so that a check costs O(chats due now), not O(chats).

    Chats that get digests are filed by their zone and time. A check looks at each slot
    (a few hundred in practice, not one per chat) and reads the members of a slot only
    once per local date, when the slot's time has come; a chat changed since the last
    check (`changed`, called by the store on every write) is filed again and, if its slot
    was already read today, looked at on its own.
    """

    def __init__(self, chats: Iterable[Chat], *, default_time: str,
                 default_zone: str) -> None:
        self._default_time = default_time
        self._default_zone = default_zone
        self._slots: dict[Slot, set[int]] = defaultdict(set)
        self._slot_of: dict[int, Slot] = {}
        self._read: dict[Slot, date] = {}  # slot -> local date whose members were read
        self._changed: set[int] = set()
        self.file_all(chats)

    def file_all(self, chats: Iterable[Chat]) -> None:
        """File chats as they are now (at start; in a thread before the first check)."""
        for chat in chats:
            self._file(chat.chat_id, chat)

    def changed(self, chat_id: int) -> None:
        """The chat was written or deleted; cheap, and safe from any thread."""
        self._changed.add(chat_id)

    def _file(self, chat_id: int, chat: Chat | None) -> Slot | None:
        old = self._slot_of.pop(chat_id, None)
        if old is not None:
            self._slots[old].discard(chat_id)
            if not self._slots[old]:
                del self._slots[old]
        if chat is None or not (chat.active and not chat.paused and chat.countries):
            return None
        slot = (chat.timezone or self._default_zone, chat.digest_time or self._default_time)
        self._slots[slot].add(chat_id)
        self._slot_of[chat_id] = slot
        return slot

    def due(self, now: datetime, grace: timedelta,
            current: Callable[[int], Chat | None]) -> Iterator[Due]:
        """Digests that fell due since the last check (or within `grace` before the first):
        each chat once per local date. `current` gives a chat as it is stored now. Lazy, so
        that a caller may yield to others between parts of a peak; the slots are chosen
        (and marked read) at once."""
        changed, self._changed = self._changed, set()
        refiled = {chat_id: self._file(chat_id, current(chat_id)) for chat_id in changed}
        windows: list[tuple[tuple[int, ...], tuple[date, datetime]]] = []
        for slot, members in self._slots.items():
            window = _window(slot, now, grace)
            if window is None or self._read.get(slot) == window[0]:
                continue
            self._read[slot] = window[0]
            windows.append((tuple(members), window))
        read_now = {chat_id for members, _ in windows for chat_id in members}
        for chat_id, own_slot in refiled.items():
            if own_slot is None or chat_id in read_now:
                continue
            window = _window(own_slot, now, grace)
            if window is not None and self._read.get(own_slot) == window[0]:  # read before
                windows.append(((chat_id,), window))
        return (due for members, window in windows for due in _unsent(members, window, current))


def _window(slot: Slot, now: datetime, grace: timedelta) -> tuple[date, datetime] | None:
    """The slot's local date and instant, if its digest is due at `now`."""
    local_date, scheduled = _scheduled(now, zone_of(slot[0]), slot[1])
    return (local_date, scheduled) if scheduled <= now <= scheduled + grace else None


def _unsent(chat_ids: Iterable[int], window: tuple[date, datetime],
            current: Callable[[int], Chat | None]) -> Iterator[Due]:
    day = window[0].isoformat()
    for chat_id in chat_ids:
        chat = current(chat_id)
        if chat is not None and chat.last_digest < day:
            yield Due(chat, window[0], window[1])


def _scheduled(now: datetime, zone: tzinfo, clock: str) -> tuple[date, datetime]:
    """Today's local date in `zone` and the UTC instant of the digest on that date.

    In a spring-forward gap the wall time does not exist; zoneinfo then resolves it
    with the offset from before the change, i.e. an hour later in real time."""
    local_date = now.astimezone(zone).date()
    hour, minute = parse_clock(clock) or (0, 0)
    local = datetime.combine(local_date, time(hour, minute), tzinfo=zone)
    return local_date, local.astimezone(now.tzinfo)
