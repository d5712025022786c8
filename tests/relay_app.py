"""A relay app for the tests that run it as a server of its own (``uvicorn relay_app:app``): the
shutdown test and the browser test.

Its upstream is simulated: the project's ``chat-text`` fixture read in small pieces, with a long
content update added (so that a browser gets events split across reads), or cut after some
content (an upstream failure once streaming). It counts the requests of each path and keeps what
the browser page reports, both readable at ``/stats``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

import sseproto
from sseproto.server import StreamItem
from sseproto.starlette import EventSourceResponse

CHAT = (Path(__file__).resolve().parent.parent / "fixtures" / "chat-text.sse").read_bytes()
# Longer than any read a browser makes, and multi-byte, so that it arrives in many pieces.
LONG_TEXT = "é🙂 long " * 12000
# Where the simulated upstream fails: after the role chunk and the first word.
CUT_AT = CHAT.index(b"data:", CHAT.index(b"Bonjour"))

# A stream in every line-end style (CRLF, CR, LF), with a BOM, comments, multi-byte text, a field
# without a colon, an event without data and an unterminated last event, which /raw sends in
# these pieces, each a read of its own: cut between a CR and its LF, inside characters, inside a
# field name and right after a lone CR.
_RAW_TEXT = (
    "\ufeff: comment\r\n"
    "data: first\r\ndata: é 🙂 second line\r\n\r\n"
    "event: named\rdata:no space\r\r"
    "data\n\n"
    "event: no-data\n\n"
    "id: 5\nretry: 10\ndata:  two spaces\n\n"
    "data: 日本\r\n\r\n"
    "data: unterminated"
).encode()
_CUTS = [
    _RAW_TEXT.index(b"\n"),  # between the comment's CR and LF
    _RAW_TEXT.index(b"first\r\n") + 6,  # between a CR and its LF, with more of the event to come
    _RAW_TEXT.index("é".encode()) + 1,
    _RAW_TEXT.index("🙂".encode()) + 2,
    _RAW_TEXT.index(b"\r\n\r\n") + 1,
    _RAW_TEXT.index(b"\r\n\r\n") + 3,
    _RAW_TEXT.index(b"da", _RAW_TEXT.index(b"named")) + 2,
    _RAW_TEXT.index(b"\r\r") + 1,  # a lone CR, then the CR of the blank line
    _RAW_TEXT.index("日本".encode()) + 4,
    _RAW_TEXT.index("日本".encode()) + 7,  # between the CR and LF after 日本
]
RAW_PIECES = [_RAW_TEXT[start:end] for start, end in itertools.pairwise([0, *_CUTS, None])]
RAW = b"".join(RAW_PIECES)

# What the usual streaming guide's route sends (JSON.stringify({ content }) per delta, then
# [DONE]), which /guide sends in two pieces: cut inside the "é" of "Voilà", so inside a line too.
GUIDE_BODY = (
    'data: {"content":"Bonjour"}\n\ndata: {"content":" ! Voilà"}\n\ndata: [DONE]\n\n'
).encode()
_GUIDE_CUT = GUIDE_BODY.index("à".encode()) + 1
GUIDE_PIECES = [GUIDE_BODY[:_GUIDE_CUT], GUIDE_BODY[_GUIDE_CUT:]]

requests: Counter[str] = Counter()
reports: dict[str, Any] = {}


async def upstream_reads(fail: bool) -> AsyncIterator[bytes]:
    """The chat stream in 97-byte reads; with a long chunk added, or cut short if ``fail``."""
    if not fail:
        chunk = {"choices": [{"index": 0, "delta": {"content": LONG_TEXT}}]}
        yield sseproto.encode_event(json.dumps(chunk))
    body = CHAT[:CUT_AT] if fail else CHAT
    for start in range(0, len(body), 97):
        await asyncio.sleep(0.002)
        yield body[start : start + 97]
    if fail:
        raise ConnectionResetError("upstream connection reset")


async def updates(fail: bool) -> AsyncIterator[StreamItem]:
    # A short retry: a page that reconnected would do so while the test still watches.
    yield sseproto.ServerSentEvent(data="", event="hello", retry=100)
    async for update in sseproto.aiter_chat(upstream_reads(fail)):
        yield update


async def events(request: Request) -> EventSourceResponse:
    requests[f"GET {request.url.path}?{request.url.query}"] += 1
    return EventSourceResponse(updates(fail="fail" in request.query_params))


async def chat(request: Request) -> EventSourceResponse:
    body = await request.json()
    fail = bool(body.get("fail"))
    requests[f"POST {request.url.path} fail={fail} stream={body.get('stream')}"] += 1
    return EventSourceResponse(updates(fail))


async def refused(request: Request) -> EventSourceResponse:
    """An upstream that refuses the request: the relay answers with its status, in JSON."""
    requests[f"POST {request.url.path}"] += 1

    async def source() -> AsyncIterator[StreamItem]:
        raise sseproto.BadResponseError(
            status=401,
            content_type="application/json",
            body=b'{"error": {"message": "Incorrect API key provided: sk-...abcd"}}',
        )
        yield "never"

    return EventSourceResponse(source())


async def crashed(request: Request) -> EventSourceResponse:
    """An endpoint that fails before it returns the relay: the server's plain-text 500."""
    requests[f"POST {request.url.path}"] += 1
    raise RuntimeError("the endpoint failed before the relay began")


async def ticks(request: Request) -> EventSourceResponse:
    """An endless stream, for the shutdown test."""
    requests["GET /ticks"] += 1

    async def source() -> AsyncIterator[StreamItem]:
        try:
            number = 0
            while True:
                yield str(number)
                number += 1
                await asyncio.sleep(0.05)
        finally:
            print("ticks closed", file=sys.stderr, flush=True)

    return EventSourceResponse(source())


async def silent(request: Request) -> EventSourceResponse:
    """A stream whose first item never comes, for the shutdown test."""
    requests["GET /silent"] += 1

    async def source() -> AsyncIterator[StreamItem]:
        await asyncio.Event().wait()
        yield "never"

    return EventSourceResponse(source(), keepalive=None)


def _in_pieces(parts: list[bytes]) -> StreamingResponse:
    async def pieces() -> AsyncIterator[bytes]:
        for piece in parts:
            yield piece
            await asyncio.sleep(0.05)  # long enough for the browser to read each piece alone

    return StreamingResponse(pieces(), media_type="text/event-stream")


async def raw(request: Request) -> StreamingResponse:
    return _in_pieces(RAW_PIECES)


async def guide(request: Request) -> StreamingResponse:
    return _in_pieces(GUIDE_PIECES)


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse((Path(__file__).resolve().parent / "relay_page.html").read_text())


async def report(request: Request) -> Response:
    reports.update(await request.json())
    return Response(status_code=204)


async def stats(request: Request) -> JSONResponse:
    return JSONResponse({"requests": dict(requests), "reports": reports})


app = Starlette(
    routes=[
        Route("/", page),
        Route("/events", events),
        Route("/chat", chat, methods=["POST"]),
        Route("/refused", refused, methods=["POST"]),
        Route("/crashed", crashed, methods=["POST"]),
        Route("/raw", raw),
        Route("/guide", guide),
        Route("/ticks", ticks),
        Route("/silent", silent),
        Route("/report", report, methods=["POST"]),
        Route("/stats", stats),
    ]
)
