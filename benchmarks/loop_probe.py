"""Run `bot.py` as it is, measuring how long its event loop stalls.

    python -m benchmarks.loop_probe OUTFILE bot.py [bot arguments]

A thread asks the running loop every 10 ms to run a callback (`call_soon_threadsafe`) and
notes how late it runs: that is the longest time anything held the loop, e.g. how long a
user's message waited before its handler could start. Measuring starts once the loop has
run its first callback (the store's load before it is start-up, measured apart). The
longest stall so far is written to OUTFILE as JSON every second, so the figure survives
the process being stopped.

To tell where a stall comes from, OUTFILE also gets the longest pause of the cyclic
garbage collector (`gc_pause_max_ms`, with its generation) and, for the longest stall, what
the loop's thread was running once it had held the loop for 50 ms (`stall_stack`: the
innermost frames, as seen when the probe thread next got the interpreter) and when
(`stall_at_s`, seconds after measuring began).
"""

from __future__ import annotations

import asyncio
import gc
import json
import runpy
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

PERIOD = 0.01  # seconds between probes
LOOK_AFTER = 0.05  # seconds a probe waits before looking at what holds the loop


class Probe:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.max_ms = 0.0
        self.probes = 0
        self.stack: list[str] = []
        self.stall_at_s = 0.0
        self.gc_max_ms = 0.0
        self.gc_generation = -1
        self._gc_began = 0.0
        self._written = 0.0
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_began = time.perf_counter()
            return
        ms = (time.perf_counter() - self._gc_began) * 1000
        if ms > self.gc_max_ms:
            self.gc_max_ms, self.gc_generation = ms, info["generation"]

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        threading.Thread(target=self._run, args=(loop,), daemon=True).start()

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        started = False
        began = time.perf_counter()
        while not loop.is_closed():
            ran = threading.Event()
            sent = time.perf_counter()
            try:
                loop.call_soon_threadsafe(ran.set)
            except RuntimeError:
                return  # closed meanwhile
            stack: list[str] = []
            if not ran.wait(timeout=LOOK_AFTER):
                stack = self._loop_stack(loop)
                if not ran.wait(timeout=120):
                    continue
            late_ms = (time.perf_counter() - sent) * 1000
            if not started:
                began = sent
            elif late_ms > self.max_ms:
                self.max_ms, self.stack, self.stall_at_s = late_ms, stack, sent - began
            self.probes += started
            started = started or loop.is_running()
            if time.monotonic() - self._written >= 1:
                self._written = time.monotonic()
                self.out.write_text(json.dumps({
                    "loop_stall_max_ms": round(self.max_ms, 1), "probes": self.probes,
                    "gc_pause_max_ms": round(self.gc_max_ms, 1),
                    "gc_generation": self.gc_generation, "stall_stack": self.stack,
                    "stall_at_s": round(self.stall_at_s, 1)}))
            time.sleep(PERIOD)

    @staticmethod
    def _loop_stack(loop: asyncio.AbstractEventLoop) -> list[str]:
        thread = getattr(loop, "_thread_id", None)
        frame = sys._current_frames().get(thread) if thread is not None else None
        if frame is None:
            return []
        return [f"{f.filename}:{f.lineno} {f.name}"
                for f in traceback.extract_stack(frame)[-12:]]


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
