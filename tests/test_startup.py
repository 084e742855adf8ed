"""Start-up steps of runtime.startup that run inside the event loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from runtime import startup


def worker_threads() -> set[str]:
    return {thread.name for thread in threading.enumerate() if thread.name.startswith("asyncio")}


async def test_the_worker_threads_are_all_started_before_they_are_needed() -> None:
    before = worker_threads()
    await startup.start_worker_threads()
    started = worker_threads() - before
    assert len(started) == startup.WORKER_THREADS
    await asyncio.gather(*(asyncio.to_thread(time.sleep, 0.01)
                           for _ in range(startup.WORKER_THREADS)))
    assert worker_threads() - before == started  # none started meanwhile
    await asyncio.get_running_loop().shutdown_default_executor()


class SlowIndex:
    """A newsroom whose search index is still being built when the bot is ready."""

    def __init__(self) -> None:
        self.built = asyncio.Event()

    async def indexed(self) -> None:
        await self.built.wait()


async def test_what_start_up_built_is_frozen_only_once_the_search_index_is_built(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen: list[bool] = []
    newsroom = SlowIndex()
    monkeypatch.setattr(startup.gc, "freeze", lambda: frozen.append(newsroom.built.is_set()))
    freezing = asyncio.ensure_future(startup.freeze_what_was_built(newsroom))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    assert frozen == []  # the index, built later, would be left to the collector's passes
    newsroom.built.set()
    await freezing
    assert frozen == [True]
