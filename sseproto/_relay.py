"""The relay response over plain ASGI: the status decided by the first item, then the stream, and
the four ways it ends (the source's end, the client leaving, the server shutting down, a client
that stopped reading).

Strategy. The response head is held back until the source has given its first item, or until the
first keep-alive is due: a source that fails before that (the upstream answered 401, 429 or 500)
gets a JSON error response with a proper status instead of a 200 and a cut. Once the head is out,
every failure is told with the error event. The stream runs in a task of its own, raced against
the client's disconnect and the server's shutdown, so that either ends it at once, whatever the
source is waiting for; cancelling that task closes the source (its ``finally`` runs), which is
how the upstream request is closed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Mapping,
    MutableMapping,
)
from typing import Any, TypeGuard

from ._adapter_errors import BadResponseError
from ._shutdown import watching_shutdown
from .server import (
    ERROR_EVENT,
    LOG,
    ErrorHandling,
    Failure,
    blocks,
    error_detail,
    told,
)
from .wire.encoder import encode_event

__all__ = ["DEFAULT_SEND_TIMEOUT", "relay"]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# 30 s: a client that reads an LLM stream takes its few hundred bytes a second at once; one that
# took nothing for this long, while the socket buffers were full, stopped reading.
DEFAULT_SEND_TIMEOUT = 30.0

_SHUTDOWN_DETAIL = {"type": "server_shutdown", "message": "the server is shutting down"}
_SHUTDOWN_EVENT = encode_event(json.dumps({"error": _SHUTDOWN_DETAIL}), event=ERROR_EVENT)
# The status of a failure before the first item that carries no HTTP status of its own: the
# relay is a gateway whose upstream failed (RFC 9110 15.6.3).
_BAD_GATEWAY = 502


class _SendTimeout(Exception):
    """The client took nothing for ``send_timeout`` seconds."""


class _ClientGone(Exception):
    """A send failed: the client went away while a message was sent (ASGI 2.4 raises OSError)."""


async def relay(
    source: AsyncIterable[object],
    *,
    status: int,
    headers: list[tuple[bytes, bytes]],
    keepalive: float | None,
    done: bool,
    errors: ErrorHandling,
    send_timeout: float | None,
    receive: Receive,
    send: Send,
) -> None:
    """Serve ``source`` as an event stream on one ASGI HTTP request (see the module docstring)."""
    stream = blocks(source, keepalive, done)
    response = _Response(send, status, headers, send_timeout)
    with watching_shutdown() as shutdown:
        streaming = asyncio.ensure_future(response.stream(stream, errors))
        leaving = asyncio.ensure_future(_disconnect(receive))
        stopping = asyncio.ensure_future(shutdown.wait())
        tasks: set[asyncio.Future[Any]] = {streaming, leaving, stopping}
        try:
            finished, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
            # Closes the source now if the stream was stopped between two reads of it.
            await stream.aclose()
    try:
        if streaming not in finished:
            if leaving not in finished:
                await response.end_for_shutdown()
            return
        error = streaming.exception()
        if error is not None:
            raise error
    except _SendTimeout:
        LOG.warning("relayed stream closed: the client read nothing for %s s", send_timeout)
    except _ClientGone:
        pass  # nobody is left to tell


async def _disconnect(receive: Receive) -> None:
    # The request body may still be unread: its messages come first.
    while (await receive())["type"] != "http.disconnect":
        pass


class _Response:
    """One response's head and body, each message sent within the send timeout."""

    __slots__ = ("_headers", "_send", "_send_timeout", "_status", "ended", "started")

    def __init__(
        self, send: Send, status: int, headers: list[tuple[bytes, bytes]], timeout: float | None
    ) -> None:
        self._send = send
        self._status = status
        self._headers = headers
        self._send_timeout = timeout
        self.started = False
        self.ended = False

    async def stream(
        self, stream: AsyncGenerator[bytes | Failure, None], errors: ErrorHandling
    ) -> None:
        """The whole response: a refusal if the source fails before its first item, else the
        head and every block. An item that cannot be sent raises before the head."""
        first = await anext(stream, b"")
        if isinstance(first, Failure):
            if errors == "raise":
                raise first.error
            await self.refuse(first.error)
            return
        await self._start(self._status, self._headers)
        if first:
            await self.body(first)
        async for block in told(stream, errors):
            await self.body(block)
        await self.body(b"", more=False)

    async def refuse(self, error: Exception) -> None:
        """A JSON error response for a source that failed before its first item."""
        LOG.error("relayed stream failed before it began", exc_info=error)
        status, retry_after = _refusal(error)
        await self._error_response(status, error_detail(error), retry_after)

    async def end_for_shutdown(self) -> None:
        """End the stream with the shutdown event, or answer 503 if it had not begun."""
        if self.ended:
            return
        if self.started:
            await self.body(_SHUTDOWN_EVENT, more=False)
        else:
            await self._error_response(503, _SHUTDOWN_DETAIL)

    async def _start(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        # Marked first: a stream stopped while its head is being sent must not send another.
        self.started = True
        await self._message({"type": "http.response.start", "status": status, "headers": headers})

    async def body(self, block: bytes, *, more: bool = True) -> None:
        # Marked first, as the head is: a stream stopped while its last message is being sent
        # must send nothing after it.
        self.ended = not more
        await self._message({"type": "http.response.body", "body": block, "more_body": more})

    async def _error_response(
        self, status: int, detail: object, retry_after: str | None = None
    ) -> None:
        body = json.dumps({"error": detail}, allow_nan=False).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        if retry_after is not None:
            headers.append((b"retry-after", retry_after.encode()))
        await self._start(status, headers)
        await self.body(body, more=False)

    async def _message(self, message: Message) -> None:
        # The send runs in a task of its own, waited on with asyncio.wait: asyncio.wait_for
        # before Python 3.12 loses a cancellation that arrives as the send completes, which
        # would leave the stream running (and its source open) after the client left.
        sending = asyncio.ensure_future(self._send(message))
        try:
            await asyncio.wait({sending}, timeout=self._send_timeout)
        finally:
            if not sending.done():
                sending.cancel()
                await asyncio.wait({sending})
        if sending.cancelled():
            raise _SendTimeout
        try:
            sending.result()
        except OSError as error:
            raise _ClientGone from error


def _refusal(error: Exception) -> tuple[int, str | None]:
    """The status and ``Retry-After`` to answer a source that failed before its first item.

    The upstream's own, when the failure carries them: sseproto's :class:`BadResponseError`, or
    a ``status_code`` on the exception or on its ``response`` (the OpenAI and Anthropic SDKs'
    status errors, httpx's and requests' ``HTTPStatusError``), with that response's headers.
    Else 502 and none.
    """
    if isinstance(error, BadResponseError):
        status: object = error.status
        headers: object = error.headers
    else:
        response = getattr(error, "response", None)
        status = getattr(error, "status_code", None)
        if not _is_error_status(status):
            status = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None)
    if not _is_error_status(status):
        return _BAD_GATEWAY, None
    retry_after = headers.get("retry-after") if isinstance(headers, Mapping) else None
    # Passed on only as plain text: a header value must never end the header early.
    if not (isinstance(retry_after, str) and retry_after.isascii() and retry_after.isprintable()):
        retry_after = None
    return status, retry_after


def _is_error_status(status: object) -> TypeGuard[int]:
    return isinstance(status, int) and not isinstance(status, bool) and 400 <= status <= 599
