"""Start-up steps of runtime.startup that run inside the event loop."""

from __future__ import annotations

import asyncio
import threading
import time

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
