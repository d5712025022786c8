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

import os
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    AsyncExitStack,
    ExitStack,
)
from typing import Any

import httpx

from ._adapter import (
    SSE_REQUEST_HEADERS,
    AsyncEventSourceBase,
    Head,
    SyncEventSourceBase,
    check_client,
    check_options,
    check_seconds,
    head_timeout,
    refuse_reader_options,
)
from ._connection import async_sse_connection, sse_connection
from ._resume import Backoff, afollow, check_last_event_id, follow, refuse_recording
from .wire.decoder import DEFAULT_MAX_EVENT_SIZE, CommentHook
from .wire.events import ServerSentEvent

__all__ = [
    "AsyncEventSource",
    "EventSource",
    "aconnect_sse",
    "afollow_sse",
    "connect_sse",
    "follow_sse",
]

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
        max_event_size, record, on_comment, check_content_type: as :func:`connect_sse` (the
            times of a recording count from this source's making).

    Attributes:
        response: the wrapped response (status, headers, ...).
    """

    client_name = f"httpx/{httpx.__version__}"

    def __init__(
        self,
        response: httpx.Response,
        *,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        record: str | os.PathLike[str] | None = None,
        on_comment: CommentHook | None = None,
        check_content_type: bool = True,
    ) -> None:
        super().__init__(
            max_event_size=max_event_size,
            record=record,
            on_comment=on_comment,
            check_content_type=check_content_type,
        )
        self.response = response

    def _head(self) -> Head:
        return _head(self.response)

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

    client_name = f"httpx/{httpx.__version__}"

    def __init__(
        self,
        response: httpx.Response,
        *,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        record: str | os.PathLike[str] | None = None,
        on_comment: CommentHook | None = None,
        check_content_type: bool = True,
    ) -> None:
        super().__init__(
            max_event_size=max_event_size,
            record=record,
            on_comment=on_comment,
            check_content_type=check_content_type,
        )
        self.response = response

    def _head(self) -> Head:
        return _head(self.response)

    def _body(self) -> AsyncIterator[bytes]:
        return self.response.aiter_bytes()

    def _is_read_timeout(self, error: Exception) -> bool:
        return isinstance(error, httpx.ReadTimeout)

    def _is_transport_error(self, error: Exception) -> bool:
        return isinstance(error, _TRANSPORT_ERRORS)

    async def aclose(self) -> None:
        """Close the response."""
        await self.response.aclose()


@sse_connection
def connect_sse(
    client: httpx.Client,
    method: str,
    url: str | httpx.URL,
    *,
    idle_timeout: float | None = None,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    record: str | os.PathLike[str] | None = None,
    on_comment: CommentHook | None = None,
    check_content_type: bool = True,
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
        record: a fixture to record the response into (``NAME.sse``, its sidecar beside it),
            as :func:`sseproto.record` records: every read of the body as the client gave it,
            with its time counted from the request, the response's status and headers, the
            method, URL and client, credentials redacted; a rejected response's status,
            headers and the start of its body too.
        on_comment: called with the text of each comment of the stream (``: keep-alive``
            gives ``"keep-alive"``) when its block ends, before the events of the same read
            are delivered, whatever is read (events, updates or the result).
        check_content_type: False reads a 2xx response as an event stream whatever its
            ``Content-Type`` (for a server that mislabels its stream); the status is still
            checked.

    Raises:
        ValueError: if ``idle_timeout`` or ``max_event_size`` is invalid.
        TypeError: if ``client`` is not an ``httpx.Client`` (an ``httpx.AsyncClient`` goes to
            :func:`aconnect_sse`), or ``record``, ``on_comment`` or ``check_content_type`` is
            of the wrong type.
        IdleTimeoutError: ``idle_timeout`` passed before the response head arrived.
    """
    check_client(client, httpx.Client, "connect_sse", twin=(httpx.AsyncClient, "aconnect_sse"))
    refuse_reader_options(kwargs, "iter_updates")
    options = _request_options(client, idle_timeout, kwargs)
    check_options(record=record, on_comment=on_comment, check_content_type=check_content_type)
    with ExitStack() as stack:
        sent_at = time.monotonic()
        try:
            response = stack.enter_context(client.stream(method, url, **options))
        except httpx.ReadTimeout as error:
            if idle_timeout is None:
                raise
            raise head_timeout(idle_timeout) from error
        source = EventSource(
            response,
            max_event_size=max_event_size,
            record=record,
            on_comment=on_comment,
            check_content_type=check_content_type,
        )
        source._note_request(sent_at=sent_at, read_timeout=_read_timeout(response))
        yield source


@async_sse_connection
async def aconnect_sse(
    client: httpx.AsyncClient,
    method: str,
    url: str | httpx.URL,
    *,
    idle_timeout: float | None = None,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    record: str | os.PathLike[str] | None = None,
    on_comment: CommentHook | None = None,
    check_content_type: bool = True,
    **kwargs: Any,
) -> AsyncIterator[AsyncEventSource]:
    """The asynchronous twin of :func:`connect_sse`, for an ``httpx.AsyncClient``."""
    check_client(client, httpx.AsyncClient, "aconnect_sse", twin=(httpx.Client, "connect_sse"))
    refuse_reader_options(kwargs, "aiter_updates")
    options = _request_options(client, idle_timeout, kwargs)
    check_options(record=record, on_comment=on_comment, check_content_type=check_content_type)
    async with AsyncExitStack() as stack:
        sent_at = time.monotonic()
        try:
            response = await stack.enter_async_context(client.stream(method, url, **options))
        except httpx.ReadTimeout as error:
            if idle_timeout is None:
                raise
            raise head_timeout(idle_timeout) from error
        source = AsyncEventSource(
            response,
            max_event_size=max_event_size,
            record=record,
            on_comment=on_comment,
            check_content_type=check_content_type,
        )
        source._note_request(sent_at=sent_at, read_timeout=_read_timeout(response))
        yield source


def _utf8(headers: Mapping[str, str]) -> dict[bytes, bytes]:
    """The reconnection's headers in UTF-8, as browsers send a Last-Event-ID (httpx encodes a
    ``str`` value as ASCII, refusing an ID beyond it)."""
    return {name.encode(): value.encode() for name, value in headers.items()}


def follow_sse(
    client: httpx.Client,
    url: str | httpx.URL,
    *,
    last_event_id: str = "",
    max_attempts: int = 5,
    max_delay: float = 30.0,
    idle_timeout: float | None = None,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    on_comment: CommentHook | None = None,
    check_content_type: bool = True,
    **kwargs: Any,
) -> Iterator[ServerSentEvent]:
    """The events of a resumable GET event stream, reconnecting as browsers' ``EventSource``
    does: whenever a connection ends (cut, silent past ``idle_timeout``, or closed by the
    server), a new request is sent with ``Last-Event-ID`` after the server's ``retry`` (3 s
    without one), doubled for each attempt in a row that brings no event, capped at
    ``max_delay``, with jitter. Events are never delivered twice or half: a resuming server
    sends those after the ID. Only for streams that resume: an LLM's POST would start over.

    ``kwargs`` go to every request (``headers=``, ``params=``, ``timeout=``, ...).

    Args:
        last_event_id: the ID to resume after from the first request on.
        max_attempts: reconnections in a row that bring no event before giving up.
        max_delay: the longest wait between two connections, in seconds.
        idle_timeout, max_event_size, on_comment, check_content_type: as :func:`connect_sse`
            (there is no ``record``: a followed stream spans several responses, and a fixture
            holds one).

    Raises:
        BadResponseError: a response other than an event stream, except a 204, which ends the
            stream as it ends an ``EventSource``.
        IncompleteStreamError, IdleTimeoutError, httpx.TransportError: the last failure, after
            ``max_attempts`` reconnections in a row brought no event.
        ValueError: ``max_attempts``, ``max_delay`` or ``last_event_id`` is invalid (at the
            call), or
            ``idle_timeout`` or ``max_event_size`` (at the first connection).
        TypeError: ``record=`` was given, or an option is of the wrong type (at the call).
    """
    check_client(client, httpx.Client, "follow_sse", twin=(httpx.AsyncClient, "afollow_sse"))
    backoff = Backoff(max_attempts=max_attempts, max_delay=max_delay)
    refuse_recording(kwargs)
    check_last_event_id(last_event_id)
    check_options(record=None, on_comment=on_comment, check_content_type=check_content_type)

    def connect(extra: Mapping[str, str]) -> AbstractContextManager[EventSource]:
        headers = httpx.Headers(kwargs.get("headers"))
        headers.update(_utf8(extra))
        options = {**kwargs, "headers": headers}
        return connect_sse(
            client,
            "GET",
            url,
            idle_timeout=idle_timeout,
            max_event_size=max_event_size,
            on_comment=on_comment,
            check_content_type=check_content_type,
            **options,
        )

    return follow(
        connect, last_event_id=last_event_id, backoff=backoff, is_connect_error=_is_transport
    )


def afollow_sse(
    client: httpx.AsyncClient,
    url: str | httpx.URL,
    *,
    last_event_id: str = "",
    max_attempts: int = 5,
    max_delay: float = 30.0,
    idle_timeout: float | None = None,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    on_comment: CommentHook | None = None,
    check_content_type: bool = True,
    **kwargs: Any,
) -> AsyncIterator[ServerSentEvent]:
    """The asynchronous twin of :func:`follow_sse`, for an ``httpx.AsyncClient``."""
    check_client(client, httpx.AsyncClient, "afollow_sse", twin=(httpx.Client, "follow_sse"))
    backoff = Backoff(max_attempts=max_attempts, max_delay=max_delay)
    refuse_recording(kwargs)
    check_last_event_id(last_event_id)
    check_options(record=None, on_comment=on_comment, check_content_type=check_content_type)

    def connect(
        extra: Mapping[str, str],
    ) -> AbstractAsyncContextManager[AsyncEventSource]:
        headers = httpx.Headers(kwargs.get("headers"))
        headers.update(_utf8(extra))
        options = {**kwargs, "headers": headers}
        return aconnect_sse(
            client,
            "GET",
            url,
            idle_timeout=idle_timeout,
            max_event_size=max_event_size,
            on_comment=on_comment,
            check_content_type=check_content_type,
            **options,
        )

    return afollow(
        connect, last_event_id=last_event_id, backoff=backoff, is_connect_error=_is_transport
    )


def _is_transport(error: Exception) -> bool:
    return isinstance(error, _TRANSPORT_ERRORS)


def _head(response: httpx.Response) -> Head:
    return Head(
        response.request.method,
        str(response.request.url),
        response.status_code,
        response.headers.multi_items(),
    )


def _read_timeout(response: httpx.Response) -> float | None:
    """The read timeout the request was sent with, as httpx keeps it on the request."""
    timeout = response.request.extensions.get("timeout", {})
    read = timeout.get("read") if isinstance(timeout, dict) else None
    return read if isinstance(read, int | float) else None


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
