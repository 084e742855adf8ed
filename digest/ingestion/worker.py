"""A worker process for the CPU-heavy steps: parsing feeds and clustering stories.

Both run beside the bot's event loop. A process rather than a thread because the
work holds the GIL: measured on 200 real feeds, the loop stalled up to 88 ms with
a parse thread and 13 ms with a parse process. One process serves both steps in
turn, so the bot costs one extra interpreter, not two. A process can also be
stopped mid-call, which a thread cannot: a call past its time limit ends with the
process, and a new one serves the next call.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")


class WorkerTimeout(Exception):
    """A call ran past its time limit; the process that ran it was stopped."""


def _ignore_interrupts() -> None:
    """Ctrl+C in a terminal interrupts the whole process group; the bot, not the worker,
    decides when the worker ends (else each Ctrl+C prints the worker's traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _load(module: str) -> None:
    importlib.import_module(module)


class WorkerProcess:
    """One process, started on first use and replaced if it dies or runs past a call's
    time limit (a hostile feed fails only the call that fed it)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._loaded: set[str] = set()  # modules imported in the current process

    async def run(self, function: Callable[..., T], *args: Any,
                  time_limit: float | None = None) -> T:
        """`function(*args)` in the worker; function and arguments must pickle. Past
        `time_limit` seconds the process is stopped and WorkerTimeout raised."""
        if self._pool is None:
            # spawn, not fork: forking a process that runs threads and an event loop is unsafe.
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_ignore_interrupts)
        loop = asyncio.get_running_loop()
        try:
            if time_limit is not None and function.__module__ not in self._loaded:
                # Starting the process and importing the function's module is not the
                # call's work: done first, without the limit.
                await loop.run_in_executor(self._pool, _load, function.__module__)
                self._loaded.add(function.__module__)
            return await asyncio.wait_for(
                loop.run_in_executor(self._pool, function, *args), time_limit)
        except TimeoutError:
            self.close()
            raise WorkerTimeout(f"took over {time_limit:g} s") from None
        except BrokenProcessPool:
            self.close()
            raise

    def close(self) -> None:
        """Stop the process now, abandoning a call in progress, and wait for it to end.

        Waiting matters: a pool left to shut down on its own at interpreter exit writes to
        pipes already closed ("Bad file descriptor")."""
        pool, self._pool = self._pool, None
        self._loaded.clear()
        if pool is None:
            return
        # ProcessPoolExecutor has no public way to stop a busy worker before Python 3.14.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
