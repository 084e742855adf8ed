"""kill -9 at random moments: the store always loads and holds a prefix of the writes."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from digest.store import TinyStore

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import sys
from datetime import UTC, datetime, timedelta
from digest.models import Article
from digest.store import TinyStore

store = TinyStore(sys.argv[1])
batch = len({a.url.split("/")[3] for a in store.articles()})
day = datetime(2026, 11, 25, tzinfo=UTC)
while True:
    store.add_articles(
        Article(url=f"https://x.example/b{batch}/{n}", title=f"Batch {batch} item {n}",
                summary="s" * 200, published=day + timedelta(seconds=batch), source="X",
                country="JP", language="en")
        for n in range(50)
    )
    print("articles", batch, flush=True)
    store.update_chat(1, timezone=str(batch))
    print("chat", batch, flush=True)
    batch += 1
"""


def test_store_survives_sigkill_at_random_moments(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    rng = random.Random(20261125)
    confirmed_articles = confirmed_chat = -1
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        # The first write confirmed (start-up takes long on a busy machine), then a random
        # moment of further writing: the kill lands mid-write, not before the first one.
        first = child.stdout.readline()
        time.sleep(rng.uniform(0.05, 0.5))
        child.send_signal(signal.SIGKILL)
        output, _ = child.communicate(timeout=10)
        for line in (first + output).splitlines():
            kind, number = line.split()
            if kind == "articles":
                confirmed_articles = int(number)
            else:
                confirmed_chat = int(number)

        store = TinyStore(path)
        batches: dict[int, int] = {}
        for article in store.articles():
            batch = int(article.url.split("/")[3][1:])
            batches[batch] = batches.get(batch, 0) + 1
        assert sorted(batches) == list(range(len(batches))), "batches form a prefix"
        assert set(batches.values()) == {50}, "no batch is torn"
        # Everything confirmed is there; at most the write in flight may be there too.
        assert confirmed_articles + 1 <= len(batches) <= confirmed_articles + 2
        chat = store.chat(1)
        assert chat is not None
        assert int(chat.timezone) >= confirmed_chat
        store.close()
    assert confirmed_articles >= 6, "the writer made progress between kills"
    assert not list(tmp_path.rglob(".*.tmp")), "leftover temporary files are cleaned up"
