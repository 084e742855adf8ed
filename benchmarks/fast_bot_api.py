"""A Bot API end for the delivery benchmark, fast enough not to be what it measures.

    python -m benchmarks.fast_bot_api [--per-second N]

The fake Bot API of the end-to-end tests (tests/e2e/fake_bot_api.py) models Telegram
closely, a thread per connection in the test's process: a few hundred requests a second on
a small machine. This one answers only what `bot.py worker` calls (getMe, sendMessage),
from one asyncio loop in a process of its own, on HTTP/1.1 keep-alive connections with
Content-Length bodies (what httpx sends). Like Telegram with paid broadcasts it answers
sendMessage with 429 and ``retry_after`` beyond N messages in any rolling second. It
counts the messages each chat got and the 429s; ``GET /stats`` reports them with the
process's CPU time from the first message to the last, so the benchmark can see how busy
the fake was.

It prints its base URL (for ``[telegram] base_url``) on the first line of its output and
serves until stopped. `BotAPIProcess` runs it from the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import sys
import time
from collections import Counter, deque
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import httpx

from tests.e2e.fake_bot_api import BOT_USER

Answer = tuple[int, dict[str, Any]]


class FastBotAPI:
    """The answers, the rate limit and the counts; `serve` puts them on a socket."""

    def __init__(self, per_second: int | None) -> None:
        self.per_second = per_second
        self.sends: deque[float] = deque()  # monotonic times of the last second's messages
        self.per_chat: Counter[int] = Counter()
        self.too_many = 0
        self.first = self.last = 0.0  # wall-clock times of the first and last message
        self.cpu_first = self.cpu_last = 0.0  # this process's CPU time at those
        self.message_ids = 0
        self.unknown: Counter[str] = Counter()

    def answer(self, method: str, params: dict[str, str]) -> Answer:
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method == "sendMessage":
            return self.send_message(params)
        self.unknown[method] += 1
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def send_message(self, params: dict[str, str]) -> Answer:
        now = time.monotonic()
        if self.per_second is not None:
            while self.sends and now - self.sends[0] >= 1.0:
                self.sends.popleft()
            if len(self.sends) >= self.per_second:
                self.too_many += 1
                retry = max(1, math.ceil(1.0 - (now - self.sends[0])))
                return 429, {"ok": False, "error_code": 429,
                             "description": f"Too Many Requests: retry after {retry}",
                             "parameters": {"retry_after": retry}}
            self.sends.append(now)
        chat_id = int(params["chat_id"])
        self.per_chat[chat_id] += 1
        self.last, self.cpu_last = time.time(), time.process_time()
        if not self.first:
            self.first, self.cpu_first = self.last, self.cpu_last
        self.message_ids += 1
        return 200, {"ok": True, "result": {
            "message_id": self.message_ids, "from": BOT_USER, "date": int(self.last),
            "chat": {"id": chat_id, "type": "private"}, "text": params.get("text", "")}}

    def stats(self) -> dict[str, Any]:
        """Chats by number of messages received, 429s, the first and last message."""
        received = Counter(self.per_chat.values())
        return {"chats_by_messages": {str(n): chats for n, chats in received.items()},
                "messages": sum(self.per_chat.values()), "too_many": self.too_many,
                "first": self.first, "last": self.last, "cpu": self.cpu_last - self.cpu_first,
                "unknown_methods": dict(self.unknown)}

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer one connection's requests in turn until the client hangs up."""
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *lines = head.split("\r\n")
                headers = dict(line.lower().split(":", 1) for line in lines if line)
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                target = request_line.split(" ")[1]
                if target == "/stats":
                    status, payload = 200, self.stats()
                else:
                    params = dict(parse_qsl(body.decode()))
                    status, payload = self.answer(target.rsplit("/", 1)[-1], params)
                data = json.dumps(payload).encode()
                writer.write(b"HTTP/1.1 %d -\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (status, len(data), data))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def main(per_second: int | None) -> None:
    api = FastBotAPI(per_second)
    server = await asyncio.start_server(api.serve, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}/bot", flush=True)
    await server.serve_forever()


class BotAPIProcess:
    """`FastBotAPI` in a process of its own, for a ``with`` block."""

    def __init__(self, per_second: int | None) -> None:
        limit = [] if per_second is None else ["--per-second", str(per_second)]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.fast_bot_api", *limit],
            stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        if not self.base_url:
            raise RuntimeError("the fast Bot API did not start")

    def stats(self) -> dict[str, Any]:
        server = self.base_url.removesuffix("/bot")
        return httpx.get(f"{server}/stats", timeout=10).raise_for_status().json()  # type: ignore[no-any-return]

    def __enter__(self) -> BotAPIProcess:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-second", type=int, help="sendMessage calls a rolling second "
                        "before 429 (default: no limit)")
    asyncio.run(main(parser.parse_args().per_second))
