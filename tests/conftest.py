from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feed_server import FeedServer

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """A file or folder of the team's shared real-data sets; skips the test when absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not present: ../shared/data/{'/'.join(parts)}")
    return path


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()
