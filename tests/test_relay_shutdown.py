"""Graceful shutdown: uvicorn, run as a process of its own, gets SIGTERM while relay streams are
open; each ends at once with the shutdown event (or a 503 if it had not begun), its source is
closed, and the server exits instead of waiting for its clients to leave."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import httpx
from servers import decode_whole, relay_process

from sseproto.server import ERROR_EVENT

# No wait in this test may take longer than this; uvicorn without the relay's shutdown would wait
# for the endless stream forever.
BOUND = 15.0


def test_sigterm_ends_open_streams_at_once_with_the_shutdown_event() -> None:
    silent: list[httpx.Response] = []
    with relay_process() as (process, url), httpx.Client(timeout=BOUND) as client:
        with client.stream("GET", f"{url}/ticks") as ticking:
            lines = ticking.iter_lines()
            assert next(lines) == "data: 0"
            # A stream whose head waits for a first item that never comes.
            waiting = threading.Thread(
                target=lambda: silent.append(httpx.get(f"{url}/silent", timeout=BOUND))
            )
            waiting.start()
            deadline = time.monotonic() + BOUND
            while client.get(f"{url}/stats").json()["requests"].get("GET /silent") != 1:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            process.send_signal(signal.SIGTERM)
            rest = []
            for line in lines:  # a tick every 50 ms until the stream ends
                rest.append(line)
                assert time.monotonic() < deadline + BOUND, "the stream did not end"
            waiting.join(BOUND)
        events = decode_whole("\n".join([*rest, ""]).encode())
        assert events[-1].event == ERROR_EVENT
        assert events[-1].json()["error"]["type"] == "server_shutdown"
        assert all(event.event == "message" for event in events[:-1])
        assert silent[0].status_code == 503
        assert silent[0].json() == {
            "error": {"type": "server_shutdown", "message": "the server is shutting down"}
        }
        # The server exits (uvicorn raises the signal again once it has shut down).
        assert process.wait(BOUND) in (0, -signal.SIGTERM)
        assert process.stderr is not None
        assert "ticks closed" in process.stderr.read()


CHAINING = """
import asyncio, os, signal
from sseproto._shutdown import watching_shutdown

handled = []
signal.signal(signal.SIGINT, lambda number, frame: handled.append(number))

async def main():
    with watching_shutdown() as shutdown:
        # A signal left to its default action is not touched.
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert not shutdown.is_set()
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.wait_for(shutdown.wait(), 10)
    # A stream opened once the shutdown began is told at once.
    with watching_shutdown() as later:
        assert later.is_set()
    # A server started again in the same process installs its handler: its streams are open
    # until its own shutdown.
    signal.signal(signal.SIGINT, lambda number, frame: handled.append(number))
    with watching_shutdown() as again:
        assert not again.is_set()
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.wait_for(again.wait(), 10)

asyncio.run(main())
# The handler the stream found was called too: the server shuts down as it would have.
assert handled == [signal.SIGINT, signal.SIGINT], handled
"""


def test_the_chained_handler_wakes_streams_then_calls_the_servers_handler() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHAINING], capture_output=True, text=True, timeout=BOUND
    )
    assert result.returncode == 0, result.stderr
