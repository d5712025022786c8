"""The relay as a Starlette (and FastAPI) response: ``EventSourceResponse``, the name
sse-starlette users know.

Example::

    async def chat(request: Request) -> EventSourceResponse:
        body = await request.json()

        async def updates() -> AsyncIterator[sseproto.ChatUpdate]:
            async with client.chat.completions.with_streaming_response.create(
                **{**body, "stream": True}
            ) as upstream:
                async for update in sseproto.aiter_chat(upstream.iter_bytes()):
                    yield update

        return EventSourceResponse(updates())
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping

from starlette.background import BackgroundTask
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ._adapter import check_seconds
from ._relay import DEFAULT_SEND_TIMEOUT, relay
from .server import DEFAULT_KEEPALIVE, SSE_HEADERS, ErrorHandling, StreamItem, check_options

__all__ = ["DEFAULT_SEND_TIMEOUT", "EventSourceResponse"]


class EventSourceResponse(Response):
    """A response that relays ``source`` as an event stream (items as
    :func:`sseproto.server.event_stream` encodes them).

    - **The status waits for the first item**, or for the first keep-alive (``keepalive``
      seconds) if the source is slower: a source that fails before that (an upstream that
      answered 401, 429 or 500) gets a JSON ``{"error": {...}}`` response instead of a 200 and a
      cut connection. Its status is the upstream's own (a :class:`sseproto.BadResponseError`'s
      ``status``, or the ``status_code`` of the exception or of its ``response``, as the OpenAI
      and Anthropic SDKs and httpx raise), else 502 Bad Gateway. An item of a type that cannot be
      sent raises there, before any byte (the server answers 500).
    - **Once streaming**, any failure ends the stream with ``event: stream_error`` (see
      ``errors``).
    - **The client leaving** ends the stream at once and closes ``source`` (its ``finally``
      runs: an ``async with`` around the upstream request closes it).
    - **The server shutting down** (SIGTERM or SIGINT to a server that handles them, such as
      uvicorn) ends every open stream at once with ``event: stream_error`` whose error type is
      ``server_shutdown`` (a stream not begun yet gets a 503), so that the server does not wait
      for its clients to leave.
    - **A client that stops reading** is dropped after ``send_timeout`` seconds during which it
      took nothing, and ``source`` is closed.

    Args:
        source: the async iterable of items to send.
        status_code: the status of a stream that begins.
        headers: headers added to (or replacing) :data:`sseproto.server.SSE_HEADERS`.
        keepalive: seconds of silence after which a keep-alive comment is sent; None for none
            (the head then waits for the first item however long it takes).
        done: end with ``data: [DONE]`` once ``source`` is exhausted.
        errors: ``"event"`` tells a failure once streaming with the error event (and logs it on
            the ``sseproto.server`` logger); ``"raise"`` lets every exception of ``source``
            propagate, before the head or after it.
        send_timeout: seconds a single send may wait for the client to take data; None waits
            forever.
        background: a task run once the response is over, as for any Starlette response.

    Raises:
        TypeError: if ``source`` is not an async iterable.
        ValueError: for settings out of range.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        source: AsyncIterable[StreamItem],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        keepalive: float | None = DEFAULT_KEEPALIVE,
        done: bool = False,
        errors: ErrorHandling = "event",
        send_timeout: float | None = DEFAULT_SEND_TIMEOUT,
        background: BackgroundTask | None = None,
    ) -> None:
        check_options(source, keepalive=keepalive, done=done, errors=errors)
        check_seconds("send_timeout", send_timeout)
        self.source = source
        self.status_code = status_code
        self.keepalive = keepalive
        self.done = done
        self.errors: ErrorHandling = errors
        self.send_timeout = send_timeout
        self.background = background
        merged = MutableHeaders(headers=dict(SSE_HEADERS))
        merged.update(headers or {})
        self.init_headers(merged)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await relay(
            self.source,
            status=self.status_code,
            headers=self.raw_headers,
            keepalive=self.keepalive,
            done=self.done,
            errors=self.errors,
            send_timeout=self.send_timeout,
            receive=receive,
            send=send,
        )
        if self.background is not None:
            await self.background()
