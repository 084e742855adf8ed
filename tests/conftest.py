from __future__ import annotations

import os
import uuid
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


POSTGRES_ENV = "NEWSBOT_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of a PostgreSQL server the tests may create databases on (CI starts a
    throwaway cluster: `.ci/postgres start DIR` prints the URL to export)."""
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        pytest.skip(f"no PostgreSQL for tests: set {POSTGRES_ENV} "
                    "(`.ci/postgres start DIR` starts a throwaway cluster and prints it)")
    return url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database of its own for one test, dropped afterwards."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    name = f"newsbot_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_conninfo(postgres_server, dbname=name)
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
