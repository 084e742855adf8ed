"""One ingestion pass over the 200 real feeds of ../shared/data/fastfeedparser-real-feeds.

    python -m benchmarks.ingest_pass

The feeds (45 MB) are served by `python -m http.server` in another process, as
remote sites would be. Reports the pass's wall time and the event loop's worst
lag during it: a probe task sleeps 10 ms in a loop and records its overshoot,
which is what a chat user waiting for a reply would feel.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from digest.ingestion.fetch import FeedFetcher, make_client
from digest.ingestion.ingest import Ingestor
from digest.ingestion.worker import WorkerProcess
from digest.models import Source
from digest.store import Store, TinyStore

DATA = Path(__file__).resolve().parents[1].parent / "shared/data/fastfeedparser-real-feeds"


async def probe_lag(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.010)
        lags.append(time.perf_counter() - started - 0.010)


async def run(sources: list[Source], store: Store) -> None:
    lags: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(probe_lag(lags, stop))
    async with make_client(timeout=20) as client:
        worker = WorkerProcess()
        ingestor = Ingestor(store, sources, FeedFetcher(client, concurrency=16, per_host=16),
                            retention_days=36500, interval=timedelta(minutes=30), worker=worker)
        report = await ingestor.run_pass()
        worker.close()
    stop.set()
    await probe
    print(f"pass over {len(sources)} feeds: {report.summary()}")
    print(f"event loop lag during the pass: worst {max(lags) * 1000:.0f} ms, "
          f"p99 {sorted(lags)[int(len(lags) * 0.99)] * 1000:.0f} ms over {len(lags)} probes")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    files = sorted((DATA / "benchmark_data").glob("*.gz"))
    if not files:
        sys.exit(f"no feeds found under {DATA}")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for file in files:
            (root / file.name.removesuffix(".gz")).write_bytes(gzip.decompress(file.read_bytes()))
        size = sum(f.stat().st_size for f in root.iterdir()) / 1e6
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
             "--directory", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            sources = [
                Source(name=f"feed {n}", country="US", language="en",
                       feed=f"http://127.0.0.1:{port}/{file.name.removesuffix('.gz')}")
                for n, file in enumerate(files)
            ]
            print(f"{len(files)} feeds, {size:.0f} MB")
            asyncio.run(run(sources, TinyStore(root / "store" / "bench.json")))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
