"""A relay app for the tests that run it as a server of its own (``uvicorn relay_app:app``): the
shutdown test and the browser test.

Its upstream is simulated: the project's ``chat-text`` fixture read in small pieces, with a long
content update added (so that a browser gets events split across reads), or cut after some
content (an upstream failure once streaming). It counts the requests of each path and keeps what
the browser page reports, both readable at ``/stats``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

import sseproto
from sseproto.server import StreamItem
from sseproto.starlette import EventSourceResponse

CHAT = (Path(__file__).resolve().parent.parent / "fixtures" / "chat-text.sse").read_bytes()
# Longer than any read a browser makes, and multi-byte, so that it arrives in many pieces.
LONG_TEXT = "é🙂 long " * 12000
# Where the simulated upstream fails: after the role chunk and the first word.
CUT_AT = CHAT.index(b"data:", CHAT.index(b"Bonjour"))

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
        Route("/ticks", ticks),
        Route("/silent", silent),
        Route("/report", report, methods=["POST"]),
        Route("/stats", stats),
    ]
)
