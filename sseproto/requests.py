"""Event streams over requests: ``connect_sse`` and the :class:`EventSource` of a response.

The body is read with urllib3's ``response.raw.read1()``: the bytes (decompressed when the server
compressed them, never requests' charset-decoded text) that have arrived, as soon as they arrive,
whatever the framing. ``iter_content(chunk_size=None)`` streams only a chunked body: one sent
with a Content-Length or ended by closing the connection would come in one piece at its end, and
a stall or a cut before that end would lose every event already received. With a urllib3 older
than 2.2, which has no ``read1``, the body falls back to ``iter_content(chunk_size=None)``.

Example::

    with requests.Session() as session:
        with connect_sse(session, "POST", url, json=request) as source:
            for event in source.iter_sse():
                print(event.data)
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError
from urllib3.response import HTTPResponse

from ._adapter import (
    SSE_REQUEST_HEADERS,
    Head,
    SyncEventSourceBase,
    check_client,
    check_options,
    check_seconds,
    head_timeout,
    refuse_reader_options,
)
from ._connection import sse_connection
from ._resume import Backoff, check_last_event_id, follow, refuse_recording
from .wire.decoder import DEFAULT_MAX_EVENT_SIZE, CommentHook
from .wire.events import ServerSentEvent

__all__ = ["EventSource", "connect_sse", "follow_sse"]

# The most one read returns: what has arrived is returned at once, up to this size, so a large
# burst takes few reads and a single event is never held back waiting for more.
_READ_SIZE = 64 * 1024


class EventSource(SyncEventSourceBase):
    """The event stream of a ``requests.Response`` requested with ``stream=True``.

    A read timeout while the body streams raises :class:`IdleTimeoutError`, and any other error
    of the connection :class:`IncompleteStreamError`, each carrying the bytes received and, when
    chat updates are read, the completion rebuilt so far.

    Args:
        response: a response requested with ``stream=True`` and not read yet.
        max_event_size, record, on_comment, check_content_type: as :func:`connect_sse` (the
            times of a recording count from this source's making).

    Attributes:
        response: the wrapped response (status, headers, ...).
    """

    client_name = f"requests/{requests.__version__}"

    def __init__(
        self,
        response: requests.Response,
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
        raw = response.raw
        # urllib3 keeps a header sent twice as two pairs; requests' own mapping joins them.
        headers = raw.headers if isinstance(raw, HTTPResponse) else response.headers
        return Head(
            str(response.request.method),
            str(response.url),
            response.status_code,
            list(headers.items()),
        )

    def _body(self) -> Iterator[bytes]:
        raw = self.response.raw
        if isinstance(raw, HTTPResponse) and hasattr(raw, "read1"):
            return _arrived(raw)
        return self.response.iter_content(chunk_size=None)

    def _is_read_timeout(self, error: Exception) -> bool:
        # requests reports a read timeout in the middle of a body as a ConnectionError wrapping
        # urllib3's ReadTimeoutError (only the wait for the head raises requests' ReadTimeout).
        return isinstance(error, requests.ReadTimeout) or (
            isinstance(error, requests.ConnectionError)
            and bool(error.args)
            and isinstance(error.args[0], ReadTimeoutError)
        )

    def _is_transport_error(self, error: Exception) -> bool:
        # While a body streams, requests wraps urllib3's failures: a broken chunked encoding or
        # connection (ChunkedEncodingError, ConnectionError) or a corrupt compressed body.
        return isinstance(
            error,
            requests.ConnectionError
            | requests.exceptions.ChunkedEncodingError
            | requests.exceptions.ContentDecodingError,
        )

    def close(self) -> None:
        """Close the response."""
        self.response.close()


def _arrived(raw: HTTPResponse) -> Iterator[bytes]:
    """The body's bytes as they arrive, whatever its framing, with urllib3's errors wrapped in
    the requests exceptions ``iter_content`` raises for them, so that both ways of reading fail
    alike."""
    try:
        while chunk := raw.read1(_READ_SIZE, decode_content=True):
            yield chunk
    except ProtocolError as error:
        raise requests.exceptions.ChunkedEncodingError(error) from error
    except DecodeError as error:
        raise requests.exceptions.ContentDecodingError(error) from error
    except ReadTimeoutError as error:
        raise requests.ConnectionError(error) from error
    except SSLError as error:
        raise requests.exceptions.SSLError(error) from error


@sse_connection
def connect_sse(
    session: requests.Session,
    method: str,
    url: str,
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

    ``kwargs`` go to ``session.request`` (``json=``, ``headers=``, ``timeout=``, ...); the request
    is always streamed. It asks for ``text/event-stream`` and no caching unless the caller's
    ``headers`` say otherwise; the caller's headers are copied, never modified.

    Args:
        idle_timeout: the longest wait, in seconds, for the response head and then for each next
            read of the body; longer raises :class:`IdleTimeoutError`. Replaces the read part of
            ``timeout`` (its connect part is kept). None keeps ``timeout`` as given.
        max_event_size: the largest event buffered (see :class:`sseproto.SSEDecoder`).
        record, on_comment, check_content_type: as :func:`sseproto.httpx.connect_sse`.

    Raises:
        ValueError: if ``idle_timeout`` or ``max_event_size`` is invalid.
        TypeError: if ``session`` is not a ``requests.Session``, or ``record``, ``on_comment``
            or ``check_content_type`` is of the wrong type.
        IdleTimeoutError: ``idle_timeout`` passed before the response head arrived.
    """
    check_client(session, requests.Session, "connect_sse")
    check_seconds("idle_timeout", idle_timeout)
    refuse_reader_options(kwargs, "iter_updates")
    check_options(record=record, on_comment=on_comment, check_content_type=check_content_type)
    options = dict(kwargs)
    headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict(options.get("headers") or {})
    for name, value in SSE_REQUEST_HEADERS.items():
        headers.setdefault(name, value)
    options["headers"] = headers
    options["stream"] = True
    if idle_timeout is not None:
        # requests' timeout is a single number for both parts or a (connect, read) pair.
        timeout = options.get("timeout")
        connect = timeout[0] if isinstance(timeout, tuple) else timeout
        options["timeout"] = (connect, idle_timeout)
    with ExitStack() as stack:
        sent_at = time.monotonic()
        try:
            response = stack.enter_context(session.request(method, url, **options))
        except requests.ReadTimeout as error:
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
        source._note_request(sent_at=sent_at, read_timeout=_read_timeout(options.get("timeout")))
        yield source


def follow_sse(
    session: requests.Session,
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
) -> Iterator[ServerSentEvent]:
    """The events of a resumable GET event stream, reconnecting as browsers' ``EventSource``
    does: :func:`sseproto.httpx.follow_sse` over requests (``kwargs`` go to every request).

    Raises:
        BadResponseError: a response other than an event stream, except a 204, which ends it.
        IncompleteStreamError, IdleTimeoutError, requests.ConnectionError, requests.Timeout: the
            last failure, after ``max_attempts`` reconnections in a row brought no event.
        ValueError: ``max_attempts``, ``max_delay`` or ``last_event_id`` is invalid (at the
            call), or
            ``idle_timeout`` or ``max_event_size`` (at the first connection).
        TypeError: ``record=`` was given, or an option is of the wrong type (at the call).
    """
    check_client(session, requests.Session, "follow_sse")
    backoff = Backoff(max_attempts=max_attempts, max_delay=max_delay)
    refuse_recording(kwargs)
    check_last_event_id(last_event_id)
    check_options(record=None, on_comment=on_comment, check_content_type=check_content_type)

    def connect(extra: Mapping[str, str]) -> AbstractContextManager[EventSource]:
        headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict(kwargs.get("headers") or {})
        # In UTF-8, as browsers send a Last-Event-ID (http.client encodes a str as Latin-1).
        headers.update({name: value.encode() for name, value in extra.items()})
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

    return follow(
        connect, last_event_id=last_event_id, backoff=backoff, is_connect_error=_is_unreachable
    )


def _read_timeout(timeout: object) -> float | None:
    """The read part of requests' ``timeout=``: one number for both parts, or a pair."""
    read = timeout[1] if isinstance(timeout, tuple) and len(timeout) == 2 else timeout
    return read if isinstance(read, int | float) and not isinstance(read, bool) else None


def _is_unreachable(error: Exception) -> bool:
    # What requests raises when no response came: the connection failed or timed out.
    return isinstance(error, requests.ConnectionError | requests.Timeout)
