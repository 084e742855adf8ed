"""Run `bot.py` as it is, measuring how long its event loop stalls.

    python -m benchmarks.loop_probe OUTFILE bot.py [bot arguments]

A thread asks the running loop every 10 ms to run a callback (`call_soon_threadsafe`) and
notes how late it runs: that is the longest time anything held the loop, e.g. how long a
user's message waited before its handler could start. Measuring starts once the loop has
run its first callback (the store's load before it is start-up, measured apart). The
longest stall so far is written to OUTFILE as JSON every second, so the figure survives
the process being stopped.
"""

from __future__ import annotations

import asyncio
import json
import runpy
import sys
import threading
import time
from pathlib import Path

PERIOD = 0.01  # seconds between probes


class Probe:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.max_ms = 0.0
        self.probes = 0
        self._written = 0.0

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        threading.Thread(target=self._run, args=(loop,), daemon=True).start()

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        started = False
        while not loop.is_closed():
            ran = threading.Event()
            sent = time.perf_counter()
            try:
                loop.call_soon_threadsafe(ran.set)
            except RuntimeError:
                return  # closed meanwhile
            if not ran.wait(timeout=120):
                continue
            late_ms = (time.perf_counter() - sent) * 1000
            if started:
                self.max_ms = max(self.max_ms, late_ms)
                self.probes += 1
            started = started or loop.is_running()
            if time.monotonic() - self._written >= 1:
                self._written = time.monotonic()
                self.out.write_text(json.dumps({"loop_stall_max_ms": round(self.max_ms, 1),
                                                "probes": self.probes}))
            time.sleep(PERIOD)


def main() -> None:
    out, script, *args = sys.argv[1:]
    probe = Probe(Path(out))
    watched: set[int] = set()

    class ProbedPolicy(asyncio.DefaultEventLoopPolicy):
        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            loop = super().new_event_loop()
            if id(loop) not in watched:
                watched.add(id(loop))
                probe.watch(loop)
            return loop

    asyncio.set_event_loop_policy(ProbedPolicy())
    sys.argv = [script, *args]
    sys.path.insert(0, str(Path(script).resolve().parent))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
