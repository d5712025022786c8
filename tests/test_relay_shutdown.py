"""Graceful shutdown: uvicorn, run as a process of its own, gets SIGTERM while relay streams are
open; each ends at once with the shutdown event (or a 503 if it had not begun), its source is
closed, and the server exits instead of waiting for its clients to leave."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from servers import decode_whole

from sseproto.server import ERROR_EVENT

TESTS = Path(__file__).resolve().parent
# No wait in this test may take longer than this; uvicorn without the relay's shutdown would wait
# for the endless stream forever.
BOUND = 15.0


@contextmanager
def relay_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``uvicorn relay_app:app`` on a loopback socket the test binds; the process and its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        command = [sys.executable, "-m", "uvicorn", "relay_app:app", "--fd", str(sock.fileno())]
        process = subprocess.Popen(
            [*command, "--app-dir", str(TESTS), "--log-level", "warning"],
            pass_fds=[sock.fileno()],
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        deadline = time.monotonic() + BOUND
        while True:
            try:
                httpx.get(f"{url}/stats", timeout=1.0)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.05)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


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
