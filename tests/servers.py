"""Loopback HTTP servers for the adapter tests: real sockets on 127.0.0.1, ephemeral ports.

``serving()`` runs a small threaded stdlib server that answers each path with a scripted
:class:`Reply`: a status, headers, and body parts each sent as its own HTTP chunk (so the client
sees the flush boundaries the test chose), or unframed (with a Content-Length or ended by closing
the connection) and flushed part by part, with optional pauses. It records the requests it got
and notices when a client goes away in the middle of a reply. ``serving_app()`` runs an ASGI app
under uvicorn. Both stop and join every thread they started before returning.
"""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal

import uvicorn
from conftest import PROJECT_FIXTURES, real_fixture_files
from starlette.types import ASGIApp

from sseproto import ServerSentEvent, SSEDecoder, StreamError, StreamResult

__all__ = [
    "FRAMINGS",
    "Framing",
    "LoopbackServer",
    "Outcome",
    "Received",
    "Reply",
    "aoutcome",
    "chat_bodies",
    "decode_whole",
    "event_streams",
    "generated_streams",
    "outcome",
    "random_parts",
    "relay_process",
    "serve_randomly",
    "serving",
    "serving_app",
]

SSE_HEADERS = {"Content-Type": "text/event-stream"}

# How a reply's body end is told: chunked transfer encoding, a Content-Length, or closing.
Framing = Literal["chunked", "length", "close"]
FRAMINGS: tuple[Framing, ...] = ("chunked", "length", "close")

# No reply may keep a server thread busy longer than this, whatever the client does.
MAX_REPLY_SECONDS = 10.0


@dataclass
class Reply:
    """What the server sends for one path.

    Attributes:
        parts: the body, flushed part by part.
        status: the status code.
        headers: the response headers (the framing's are added).
        framing: how the body's end is told: ``"chunked"`` (one HTTP chunk per part),
            ``"length"`` (a Content-Length header) or ``"close"`` (closing the connection).
        delays: the pause before each part (a shorter sequence means no pause for the rest).
        head_delay: the pause before the status line.
        lockstep: send each part after the first only once the test called
            :meth:`LoopbackServer.proceed` (waits that time out are counted in ``late``).
        stall: a pause after the last part before the body ends.
        endless: after the parts, keep sending keep-alive comments until the client goes away.
        cut: after the parts, close the connection before the body's end: without the chunked
            body's last chunk, or one byte short of the Content-Length.
    """

    parts: Sequence[bytes] = ()
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: dict(SSE_HEADERS))
    framing: Framing = "chunked"
    delays: Sequence[float] = ()
    head_delay: float = 0.0
    lockstep: bool = False
    stall: float = 0.0
    endless: bool = False
    cut: bool = False


@dataclass
class Received:
    """A request as the server saw it."""

    method: str
    path: str
    headers: Message  # names compare case-insensitively
    body: bytes


class LoopbackServer:
    """The running stdlib server: set ``replies[path]``, read ``requests`` and ``disconnected``."""

    def __init__(self) -> None:
        self.url = ""
        # A reply, or a function making one from the request (for a stream that resumes).
        self.replies: dict[str, Reply | Callable[[Received], Reply]] = {}
        self.requests: list[Received] = []
        # Set when a client closed its connection while a reply was still being sent.
        self.disconnected = threading.Event()
        self.stopping = threading.Event()
        # Lockstep replies: one release per part the test is ready for; waits that timed out.
        self.ready = threading.Semaphore(0)
        self.late = 0

    def proceed(self) -> None:
        """Let a lockstep reply send its next part."""
        self.ready.release()

    def await_proceed(self) -> None:
        """Wait (boundedly) until the test lets a lockstep reply go on; count a wait in vain."""
        if not self.ready.acquire(timeout=OBSERVE_SECONDS):
            self.late += 1


def random_parts(body: bytes, rng: random.Random, *, max_part: int = 512) -> list[bytes]:
    """``body`` cut at random boundaries: single bytes, small pieces and larger runs mixed."""
    parts = []
    position = 0
    while position < len(body):
        size = rng.choice((1, rng.randint(1, 16), rng.randint(1, max_part)))
        parts.append(body[position : position + size])
        position += size
    return parts


def decode_whole(body: bytes) -> list[ServerSentEvent]:
    """The events of ``body`` decoded in one read: what every adapter must give."""
    decoder = SSEDecoder()
    return decoder.feed(body) + decoder.close()


# What reading a chat stream gave: the completion's dict, or the error's class and message.
Outcome = dict[str, object] | tuple[str, str]


def outcome(read: Callable[[], StreamResult]) -> Outcome:
    """The :data:`Outcome` of a read of a whole stream."""
    try:
        return read().to_dict()
    except StreamError as error:
        return type(error).__name__, str(error)


async def aoutcome(read: Awaitable[StreamResult]) -> Outcome:
    """The :data:`Outcome` of an asynchronous read of a whole stream."""
    try:
        return (await read).to_dict()
    except StreamError as error:
        return type(error).__name__, str(error)


def event_streams(seed: int) -> dict[str, bytes]:
    """The generated streams and the project's own fixtures, by name."""
    bodies = generated_streams(seed)
    for path in sorted(PROJECT_FIXTURES.glob("*.sse")):
        bodies[f"fixture-{path.stem}"] = path.read_bytes()
    return bodies


def chat_bodies() -> dict[str, bytes]:
    """Chat streams by name: a generated one, the project's chat fixtures, and the real
    recordings when they are present (some of which end in a provider error or are cut short:
    those outcomes must match too)."""
    bodies = {"generated-chat": generated_streams(seed=0)["chat"]}
    for path in sorted(PROJECT_FIXTURES.glob("chat*.sse")):
        bodies[f"fixture-{path.stem}"] = path.read_bytes()
    for path in real_fixture_files("openai-chat", "other-openai-compatible"):
        bodies[f"{path.parent.name}-{path.stem}"] = path.read_bytes()
    return bodies


def serve_randomly(
    server: LoopbackServer, bodies: dict[str, bytes], seed: int, *, max_part: int = 512
) -> None:
    """Serve each body at ``/<name>`` in random parts, with a short pause before a few of them."""
    rng = random.Random(seed)
    for name, body in bodies.items():
        parts = random_parts(body, rng, max_part=max_part)
        delays = [0.001 if rng.random() < 0.05 else 0.0 for _ in parts]
        server.replies[f"/{name}"] = Reply(parts=parts, delays=delays)


def generated_streams(seed: int) -> dict[str, bytes]:
    """Event streams exercising what a client adapter could get wrong, by name.

    Multi-byte UTF-8 (which random parts split inside characters), every line end, a BOM,
    comments, ids and retries, an unterminated last event, and an event far longer than
    aiohttp's 128 KiB line limit.
    """
    rng = random.Random(seed)
    words = ["tok", "é", "日本", "🙂", "a b", "\\u00e9", '\\"q\\"', "x" * 40]
    chat = b"".join(
        b'data: {"choices":[{"index":0,"delta":{"content":"%s"}}]}\n\n' % rng.choice(words).encode()
        for _ in range(300)
    )
    mixed = []
    for number in range(200):
        line_end = rng.choice((b"\n", b"\r\n", b"\r"))
        lines = [b": comment " + str(number).encode()] if rng.random() < 0.2 else []
        if rng.random() < 0.3:
            lines.append(b"event: kind" + str(number % 3).encode())
        if rng.random() < 0.2:
            lines.append(b"id: " + str(number).encode())
        if rng.random() < 0.1:
            lines.append(b"retry: " + str(rng.randint(0, 5000)).encode())
        for _ in range(rng.randint(1, 3)):
            lines.append(b"data:" + rng.choice(words).encode())
        mixed.append(line_end.join(lines) + line_end + line_end)
    return {
        "chat": chat + b"data: [DONE]\n\n",
        "mixed": b"\xef\xbb\xbf" + b"".join(mixed) + b"data: unterminated",
        "huge-event": b"data: " + b"\xc3\xa9" * 150_000 + b"\n\ndata: after\n\n",
        "empty": b"",
    }


def _handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received = Received(self.command, self.path, self.headers, self.rfile.read(length))
            server.requests.append(received)
            reply = server.replies.get(self.path, Reply(status=404, headers={}))
            if callable(reply):
                reply = reply(received)
            server.stopping.wait(reply.head_delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.status in (204, 304):
                # No body, so no framing: a client reading one after the head (aiohttp does,
                # by a race) would take the stream for cut and reconnect.
                self.send_header("Connection", "close")
                self.end_headers()
                return
            if reply.framing == "chunked":
                self.send_header("Transfer-Encoding", "chunked")
            elif reply.framing == "length":
                promised = sum(map(len, reply.parts)) + (1 if reply.cut else 0)
                self.send_header("Content-Length", str(promised))
            # One request per connection, so no thread waits on an idle keep-alive connection.
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                self._send_body(reply)
            except OSError:
                server.disconnected.set()

        def _send_body(self, reply: Reply) -> None:
            for number, part in enumerate(reply.parts):
                if number < len(reply.delays):
                    server.stopping.wait(reply.delays[number])
                if reply.lockstep and number > 0:
                    server.await_proceed()
                self._send_part(reply, part)
            server.stopping.wait(reply.stall)
            if reply.cut:
                return  # the connection closes with the body unfinished
            deadline = time.monotonic() + MAX_REPLY_SECONDS
            while reply.endless and not server.stopping.is_set() and time.monotonic() < deadline:
                self._send_part(reply, b": keep-alive\n\n")
                server.stopping.wait(0.005)
            if reply.framing == "chunked":
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        def _send_part(self, reply: Reply, part: bytes) -> None:
            if not part:
                return
            if reply.framing == "chunked":
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            else:
                self.wfile.write(part)
            self.wfile.flush()

    return Handler


class _Server(ThreadingHTTPServer):
    # The tests open dozens of connections at once; with the default backlog of 5 the kernel
    # drops the excess SYNs and the clients retry a second later.
    request_queue_size = 128
    daemon_threads = False
    block_on_close = True  # server_close() joins every handler thread


# Generous bound for "the server noticed" (a disconnect, a request): each wait returns as soon as
# it happens, so only a failing test waits this long.
OBSERVE_SECONDS = 5.0



@contextmanager
def serving() -> Iterator[LoopbackServer]:
    """Run a :class:`LoopbackServer` on 127.0.0.1 (ephemeral port) for the block."""
    state = LoopbackServer()
    httpd = _Server(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield state
    finally:
        state.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@contextmanager
def serving_app(app: ASGIApp) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (ephemeral port); yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        deadline = time.monotonic() + MAX_REPLY_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.005)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


@contextmanager
def relay_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``uvicorn relay_app:app`` as a process of its own on a loopback socket bound here (its
    stderr piped); the process and its base URL, once it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        command = [sys.executable, "-m", "uvicorn", "relay_app:app", "--fd", str(sock.fileno())]
        process = subprocess.Popen(
            [*command, "--app-dir", str(Path(__file__).parent), "--log-level", "warning"],
            pass_fds=[sock.fileno()],
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        deadline = time.monotonic() + MAX_REPLY_SECONDS
        while True:
            try:
                urllib.request.urlopen(f"{url}/stats", timeout=1.0).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.05)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
