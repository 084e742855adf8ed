"""The bot's web server: its connections send small answers at once, and a taken port
fails the start with an error instead of ending the process."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.webserver import WebServer, listening_socket


async def test_connections_have_nagle_off() -> None:
    """With Nagle on, each answer after the first on a kept-alive connection waited about
    40 ms for the client's delayed ACK (the API measured 44 ms instead of under 1 ms)."""
    listener = listening_socket("127.0.0.1", 0)
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            connection = transport.get_extra_info("socket")
            accepted.set_result(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    async with server:
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        assert await asyncio.wait_for(accepted, 5) != 0
        writer.close()


async def test_a_taken_port_fails_the_start_clearly() -> None:
    first = WebServer([], "127.0.0.1", 0)
    await first.start()
    try:
        with pytest.raises(OSError, match="in use"):
            WebServer([], "127.0.0.1", first.port)
    finally:
        await first.stop()


@pytest.mark.parametrize("module", ["runtime.webserver", "runtime.context", "runtime.jobs"])
def test_a_runtime_module_imports_on_its_own(module: str) -> None:
    """A fresh interpreter, so no earlier import hides a cycle (runtime.context once went
    through the handlers back to itself)."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=root,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr

