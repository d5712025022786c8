"""Event streams over httpx: ``connect_sse`` and ``aconnect_sse``, the names httpx-sse users know.

The body is read with ``iter_bytes()`` / ``aiter_bytes()``: the raw bytes (decompressed when the
server compressed them), never httpx's charset-decoded text, because an event stream is UTF-8
whatever the Content-Type says and the decoder needs the exact bytes to locate its events.

Example::

    with httpx.Client() as client:
        with connect_sse(client, "POST", url, json=request) as source:
            for event in source.iter_sse():
                print(event.data)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from typing import Any

import httpx

from ._adapter import (
    SSE_REQUEST_HEADERS,
    AsyncEventSourceBase,
    SyncEventSourceBase,
    check_seconds,
    head_timeout,
)
from .wire.decoder import DEFAULT_MAX_EVENT_SIZE

__all__ = ["AsyncEventSource", "EventSource", "aconnect_sse", "connect_sse"]

# What httpx raises when the body cannot be read to its end: the connection failed or broke the
# protocol (TransportError), or the compressed body was corrupt (DecodingError).
_TRANSPORT_ERRORS = (httpx.TransportError, httpx.DecodingError)


class EventSource(SyncEventSourceBase):
    """The event stream of a streamed ``httpx.Response`` (from ``client.stream(...)`` or
    :func:`connect_sse`).

    A read timeout of the client while the body streams raises :class:`IdleTimeoutError`, and
    any other transport error :class:`IncompleteStreamError`, each carrying the bytes received
    and, when chat updates are read, the completion rebuilt so far.

    Args:
        response: a response opened with ``stream=True`` and not read yet.
        max_event_size: the largest event buffered (see :class:`sseproto.SSEDecoder`).

    Attributes:
        response: the wrapped response (status, headers, ...).
    """

    def __init__(
        self, response: httpx.Response, *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
    ) -> None:
        super().__init__(max_event_size=max_event_size)
        self.response = response

    def _head(self) -> tuple[int, str | None]:
        return self.response.status_code, self.response.headers.get("content-type")

    def _body(self) -> Iterator[bytes]:
        return self.response.iter_bytes()

    def _is_read_timeout(self, error: Exception) -> bool:
        return isinstance(error, httpx.ReadTimeout)

    def _is_transport_error(self, error: Exception) -> bool:
        return isinstance(error, _TRANSPORT_ERRORS)

    def close(self) -> None:
        """Close the response."""
        self.response.close()


class AsyncEventSource(AsyncEventSourceBase):
    """The event stream of a streamed ``httpx.Response`` from an ``httpx.AsyncClient``.

    The asynchronous twin of :class:`EventSource`; cancelling the task that reads it closes the
    response.

    Attributes:
        response: the wrapped response (status, headers, ...).
    """

    def __init__(
        self, response: httpx.Response, *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
    ) -> None:
        super().__init__(max_event_size=max_event_size)
        self.response = response

    def _head(self) -> tuple[int, str | None]:
        return self.response.status_code, self.response.headers.get("content-type")

    def _body(self) -> AsyncIterator[bytes]:
        return self.response.aiter_bytes()

    def _is_read_timeout(self, error: Exception) -> bool:
        return isinstance(error, httpx.ReadTimeout)

    def _is_transport_error(self, error: Exception) -> bool:
        return isinstance(error, _TRANSPORT_ERRORS)

    async def aclose(self) -> None:
        """Close the response."""
        await self.response.aclose()


@contextmanager
def connect_sse(
    client: httpx.Client,
    method: str,
    url: str | httpx.URL,
    *,
    idle_timeout: float | None = None,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    **kwargs: Any,
) -> Iterator[EventSource]:
    """Send an event-stream request and yield its :class:`EventSource`; the response is closed
    when the block ends.

    ``kwargs`` go to ``client.stream`` (``json=``, ``headers=``, ``params=``, ``timeout=``, ...).
    The request asks for ``text/event-stream`` and no caching unless the caller's ``headers``
    say otherwise; the caller's headers object is copied, never modified.

    Args:
        idle_timeout: the longest wait, in seconds, for the response head and then for each next
            read of the body; longer raises :class:`IdleTimeoutError`. Replaces the read part of
            the client's timeout for this request. None keeps the client's timeout.
        max_event_size: the largest event buffered (see :class:`sseproto.SSEDecoder`).

    Raises:
        ValueError: if ``idle_timeout`` or ``max_event_size`` is invalid.
        IdleTimeoutError: ``idle_timeout`` passed before the response head arrived.
    """
    options = _request_options(client, idle_timeout, kwargs)
    with ExitStack() as stack:
        try:
            response = stack.enter_context(client.stream(method, url, **options))
        except httpx.ReadTimeout as error:
            if idle_timeout is None:
                raise
            raise head_timeout() from error
        yield EventSource(response, max_event_size=max_event_size)


@asynccontextmanager
async def aconnect_sse(
    client: httpx.AsyncClient,
    method: str,
    url: str | httpx.URL,
    *,
    idle_timeout: float | None = None,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    **kwargs: Any,
) -> AsyncIterator[AsyncEventSource]:
    """The asynchronous twin of :func:`connect_sse`, for an ``httpx.AsyncClient``."""
    options = _request_options(client, idle_timeout, kwargs)
    async with AsyncExitStack() as stack:
        try:
            response = await stack.enter_async_context(client.stream(method, url, **options))
        except httpx.ReadTimeout as error:
            if idle_timeout is None:
                raise
            raise head_timeout() from error
        yield AsyncEventSource(response, max_event_size=max_event_size)


def _request_options(
    client: httpx.Client | httpx.AsyncClient, idle_timeout: float | None, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The caller's ``client.stream`` options with the event-stream headers and idle timeout."""
    check_seconds("idle_timeout", idle_timeout)
    options = dict(kwargs)
    headers = httpx.Headers(options.get("headers"))  # a copy: the caller's object is untouched
    for name, value in SSE_REQUEST_HEADERS.items():
        headers.setdefault(name, value)
    options["headers"] = headers
    if idle_timeout is not None:
        # The read timeout bounds each wait for the next bytes, which is what an idle timeout is.
        timeout = options.get("timeout", httpx.USE_CLIENT_DEFAULT)
        base = httpx.Timeout(client.timeout if timeout is httpx.USE_CLIENT_DEFAULT else timeout)
        options["timeout"] = httpx.Timeout(
            connect=base.connect, read=idle_timeout, write=base.write, pool=base.pool
        )
    return options
