"""One long poller, or any number of processes in webhook mode, never both."""

from __future__ import annotations

import pytest

from digest.store.files import StoreError
from digest.store.postgres.receivers import hold


async def test_webhook_processes_share_and_exclude_a_poller(postgres_url: str) -> None:
    first = await hold(postgres_url, polling=False)
    second = await hold(postgres_url, polling=False)
    assert first is not None
    assert second is not None
    assert await hold(postgres_url, polling=True) is None
    await first.close()
    assert await hold(postgres_url, polling=True) is None  # the second still runs
    await second.close()
    poller = await hold(postgres_url, polling=True)
    assert poller is not None  # the lock went with the connections
    await poller.close()


async def test_a_poller_excludes_every_other_receiver(postgres_url: str) -> None:
    poller = await hold(postgres_url, polling=True)
    assert poller is not None
    assert await hold(postgres_url, polling=True) is None
    assert await hold(postgres_url, polling=False) is None
    await poller.close()


async def test_a_database_out_of_reach_is_one_line(tmp_path: object) -> None:
    with pytest.raises(StoreError, match="cannot use PostgreSQL at"):
        await hold(f"postgresql://u:secret@/db?host={tmp_path}", polling=True)
