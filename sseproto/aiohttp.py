"""Event streams over aiohttp: ``connect_sse`` and the :class:`EventSource` of a response.

The body is read with ``response.content.readany()``: each read as it arrives, whatever its
size, and, when a read timeout is in force, none waiting longer than it. aiohttp's line iteration
(``async for line in response.content``) would fail on any line longer than its 128 KiB limit,
and real events (base64 images, large tool results) are longer.

Example::

    async with aiohttp.ClientSession() as session:
        async with connect_sse(session, "POST", url, json=request) as source:
            async for event in source.aiter_sse():
                print(event.data)
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

import aiohttp
from multidict import CIMultiDict

from ._adapter import (
    SSE_REQUEST_HEADERS,
    AsyncEventSourceBase,
    Head,
    check_client,
    check_options,
    check_seconds,
    head_timeout,
    refuse_reader_options,
)
from ._connection import async_sse_connection
from ._resume import Backoff, afollow, check_last_event_id, refuse_recording
from .wire.decoder import DEFAULT_MAX_EVENT_SIZE, CommentHook
from .wire.events import ServerSentEvent

__all__ = ["EventSource", "afollow_sse", "connect_sse"]


class EventSource(AsyncEventSourceBase):
    """The event stream of an ``aiohttp.ClientResponse`` whose body was not read yet.

    A ``sock_read`` timeout of the session while the body streams (the ``idle_timeout`` of
    :func:`connect_sse`, which times each read itself too, since aiohttp stops timing a closed
    connection whose chunked framing broke) raises :class:`IdleTimeoutError`, and any other
    error of the connection, or the request's ``total`` timeout expiring,
    :class:`IncompleteStreamError`, each carrying the bytes received and, when chat updates are
    read, the completion rebuilt so far. Cancelling the task that reads it releases the response
    (closing the connection when the body was not read to the end).

    Args:
        response: the response to read.
        max_event_size, record, on_comment, check_content_type: as :func:`connect_sse` (the
            times of a recording count from this source's making).

    Attributes:
        response: the wrapped response (status, headers, ...).
    """

    client_name = f"aiohttp/{aiohttp.__version__}"

    def __init__(
        self,
        response: aiohttp.ClientResponse,
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
        response = self.response
        return Head(
            response.method, str(response.url), response.status, list(response.headers.items())
        )

    def _body(self) -> AsyncIterator[bytes]:
        return _arrived(self.response, self._read_timeout)

    def _is_read_timeout(self, error: Exception) -> bool:
        # sock_read expiring: the server went silent.
        return isinstance(error, aiohttp.SocketTimeoutError)

    def _is_transport_error(self, error: Exception) -> bool:
        # The connection dropped or the payload was malformed (ClientPayloadError,
        # ServerDisconnectedError, ...): every failure aiohttp reports is a ClientError. The
        # request's total timeout is the caller's deadline, not idleness: it cuts the body short
        # with a bare asyncio timeout.
        return isinstance(error, aiohttp.ClientError | asyncio.TimeoutError)

    async def aclose(self) -> None:
        """Release the response; aiohttp closes the connection if the body was not read whole."""
        self.response.release()


async def _arrived(
    response: aiohttp.ClientResponse, idle_timeout: float | None
) -> AsyncIterator[bytes]:
    """The body's reads as they arrive, none waiting longer than ``idle_timeout`` (when given);
    the bare timeout aiohttp raises when the request's total timeout expires says which timeout
    it was and how to lift it."""
    content = response.content
    try:
        while True:
            timer = None if idle_timeout is None else _idle_timer(content, idle_timeout)
            try:
                chunk = await content.readany()
            finally:
                if timer is not None:
                    timer.cancel()
            if not chunk:
                return
            yield chunk
    except asyncio.TimeoutError as error:
        if isinstance(error, aiohttp.ServerTimeoutError):
            raise
        raise asyncio.TimeoutError(
            "the request's total timeout expired (aiohttp's default session allows 300 s); "
            "pass timeout=aiohttp.ClientTimeout(total=None) for longer streams"
        ) from error


def _idle_timer(content: aiohttp.StreamReader, idle_timeout: float) -> asyncio.TimerHandle:
    """A timer that fails the pending read of ``content`` with aiohttp's own read timeout if
    nothing arrives within ``idle_timeout``.

    aiohttp's ``sock_read`` does the same, but stops timing once the connection is closed, and its
    parser can stall on a chunked body whose framing broke before the close: this timer ends that
    wait too. A callback re-armed per read, rather than a task or ``asyncio.wait_for`` around each
    read, costs no task and cannot swallow a cancellation of the reader."""
    received = content.total_bytes

    def expire() -> None:
        # Bytes or the end that arrived as the timer fired are the read's, not a timeout.
        if content.total_bytes == received and not content.is_eof():
            content.set_exception(
                aiohttp.SocketTimeoutError(f"no byte of the body arrived within {idle_timeout:g} s")
            )

    return asyncio.get_running_loop().call_later(idle_timeout, expire)


def _timeout(given: object, idle_timeout: float) -> aiohttp.ClientTimeout:
    """The request's timeout as aiohttp reads ``timeout=`` (none given: the session's; a number:
    the total), with ``sock_read`` set to ``idle_timeout``."""
    if given is None or (isinstance(given, int | float) and not isinstance(given, bool)):
        # aiohttp's own reading: a number (or None, no limit) is the total, nothing else set.
        base = aiohttp.ClientTimeout(total=given)
    elif isinstance(given, aiohttp.ClientTimeout):
        base = given
    else:
        raise TypeError(
            f"timeout must be a number of seconds, None or aiohttp.ClientTimeout, not {given!r}"
        )
    return aiohttp.ClientTimeout(
        total=base.total,
        connect=base.connect,
        sock_read=idle_timeout,
        sock_connect=base.sock_connect,
        ceil_threshold=base.ceil_threshold,
    )


@async_sse_connection
async def connect_sse(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    idle_timeout: float | None = None,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    record: str | os.PathLike[str] | None = None,
    on_comment: CommentHook | None = None,
    check_content_type: bool = True,
    **kwargs: Any,
) -> AsyncIterator[EventSource]:
    """Send an event-stream request and yield its :class:`EventSource`; the response is released
    when the block ends.

    ``kwargs`` go to ``session.request`` (``json=``, ``headers=``, ``timeout=``, ...). The request
    asks for ``text/event-stream`` and no caching unless the caller's ``headers`` say otherwise;
    the caller's headers are copied, never modified. ``timeout=`` is read as aiohttp reads it: an
    ``aiohttp.ClientTimeout``, or a number of seconds (or None) for the total. Note that aiohttp's
    default session timeout has ``total=300`` seconds, which ends longer streams with
    :class:`IncompleteStreamError`: pass ``timeout=aiohttp.ClientTimeout(total=None)`` (with an
    ``idle_timeout``) to read them.

    Args:
        idle_timeout: the longest wait, in seconds, for the response head and then for each next
            read of the body; longer raises :class:`IdleTimeoutError`. Replaces ``sock_read`` of
            the request's timeout, and the adapter times each read of the body with it as well
            (aiohttp's own timer stops once the connection is closed). None keeps the timeout
            as given (a ``sock_read`` in it is timed the same way).
        max_event_size: the largest event buffered (see :class:`sseproto.SSEDecoder`).
        record, on_comment, check_content_type: as :func:`sseproto.httpx.connect_sse`.

    Raises:
        ValueError: if ``idle_timeout`` or ``max_event_size`` is invalid.
        TypeError: if ``session`` is not an ``aiohttp.ClientSession``, ``timeout`` is none of
            the forms aiohttp accepts (with ``idle_timeout``), or ``record``, ``on_comment`` or
            ``check_content_type`` is of the wrong type.
        IdleTimeoutError: ``idle_timeout`` passed before the response head arrived.
    """
    check_client(session, aiohttp.ClientSession, "connect_sse")
    check_seconds("idle_timeout", idle_timeout)
    refuse_reader_options(kwargs, "aiter_updates")
    check_options(record=record, on_comment=on_comment, check_content_type=check_content_type)
    options = dict(kwargs)
    headers: CIMultiDict[str] = CIMultiDict(options.get("headers") or {})
    for name, value in SSE_REQUEST_HEADERS.items():
        headers.setdefault(name, value)
    options["headers"] = headers
    if idle_timeout is not None:
        options["timeout"] = _timeout(options.get("timeout", session.timeout), idle_timeout)
    async with AsyncExitStack() as stack:
        sent_at = time.monotonic()
        try:
            response = await stack.enter_async_context(session.request(method, url, **options))
        except aiohttp.SocketTimeoutError as error:
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
        timeout = options.get("timeout", session.timeout)
        read_timeout = timeout.sock_read if isinstance(timeout, aiohttp.ClientTimeout) else None
        source._note_request(sent_at=sent_at, read_timeout=read_timeout)
        yield source


def afollow_sse(
    session: aiohttp.ClientSession,
    url: str,
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
    """The events of a resumable GET event stream, reconnecting as browsers' ``EventSource``
    does: :func:`sseproto.httpx.follow_sse` over aiohttp (``kwargs`` go to every request).

    Raises:
        BadResponseError: a response other than an event stream, except a 204, which ends it.
        IncompleteStreamError, IdleTimeoutError, aiohttp.ClientError, TimeoutError: the last
            failure, after ``max_attempts`` reconnections in a row brought no event.
        ValueError: ``max_attempts``, ``max_delay`` or ``last_event_id`` is invalid (at the
            call), or
            ``idle_timeout`` or ``max_event_size`` (at the first connection).
        TypeError: ``record=`` was given, or an option is of the wrong type (at the call).
    """
    check_client(session, aiohttp.ClientSession, "afollow_sse")
    backoff = Backoff(max_attempts=max_attempts, max_delay=max_delay)
    refuse_recording(kwargs)
    check_last_event_id(last_event_id)
    check_options(record=None, on_comment=on_comment, check_content_type=check_content_type)

    def connect(extra: Mapping[str, str]) -> AbstractAsyncContextManager[EventSource]:
        headers: CIMultiDict[str] = CIMultiDict(kwargs.get("headers") or {})
        headers.update(extra)
        options = {**kwargs, "headers": headers}
        return connect_sse(
            session,
            "GET",
            url,
            idle_timeout=idle_timeout,
            max_event_size=max_event_size,
            on_comment=on_comment,
            check_content_type=check_content_type,
            **options,
        )

    return afollow(
        connect, last_event_id=last_event_id, backoff=backoff, is_connect_error=_is_unreachable
    )


def _is_unreachable(error: Exception) -> bool:
    # What aiohttp raises when no response came: a client error, or its total timeout.
    return isinstance(error, aiohttp.ClientError | asyncio.TimeoutError)
