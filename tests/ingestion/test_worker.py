from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool

import pytest

from digest.ingestion.worker import WorkerProcess, WorkerTimeout

# The worker is a spawned process: it gets functions by reference, so they live at module
# level here, where it can import them.


class HostileFeed(Exception):
    pass


def fail(message: str) -> None:
    raise HostileFeed(message)


def die() -> None:
    os._exit(1)


def add(a: int, b: int) -> int:
    return a + b


@pytest.fixture(scope="module")
def worker() -> Iterator[WorkerProcess]:
    """One process for the module: starting one costs about a second."""
    process = WorkerProcess()
    yield process
    process.close()


async def test_runs_in_another_process_and_returns_the_result(worker: WorkerProcess) -> None:
    assert await worker.run(os.getpid) != os.getpid()
    assert await worker.run(add, 2, 3) == 5


async def test_the_process_is_kept_between_calls(worker: WorkerProcess) -> None:
    assert await worker.run(os.getpid) == await worker.run(os.getpid)


async def test_an_exception_in_the_worker_is_raised_in_the_caller(worker: WorkerProcess) -> None:
    with pytest.raises(HostileFeed, match="bad feed"):
        await worker.run(fail, "bad feed")
    assert await worker.run(add, 1, 1) == 2  # and the worker lives on


async def test_a_dead_process_fails_the_call_and_is_replaced(worker: WorkerProcess) -> None:
    before = await worker.run(os.getpid)
    with pytest.raises(BrokenProcessPool):
        await worker.run(die)
    after = await worker.run(os.getpid)
    assert after not in (before, os.getpid())
    assert await worker.run(add, 2, 2) == 4


def spin() -> None:
    while True:
        pass


async def test_a_call_past_its_time_limit_stops_the_process_which_is_replaced(
    worker: WorkerProcess,
) -> None:
    before = await worker.run(os.getpid)
    with pytest.raises(WorkerTimeout):
        await worker.run(spin, time_limit=0.2)
    after = await worker.run(os.getpid)
    assert after != before
    assert await worker.run(add, 3, 3) == 6
