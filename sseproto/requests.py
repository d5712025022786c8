"""Event streams over requests: ``connect_sse`` and the :class:`EventSource` of a response.

The body is read with ``response.iter_content(chunk_size=None)``: bytes (never requests' decoded
text) in the pieces they arrive in. A fixed chunk size would hold each event back until that
many bytes had come. Pieces arrive as they are sent when the server uses chunked transfer
encoding, as SSE servers speaking HTTP/1.1 do.

Example::

    with requests.Session() as session:
        with connect_sse(session, "POST", url, json=request) as source:
            for event in source.iter_sse():
                print(event.data)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ReadTimeoutError

from ._adapter import SSE_REQUEST_HEADERS, SyncEventSourceBase, check_seconds, head_timeout
from .wire.decoder import DEFAULT_MAX_EVENT_SIZE

__all__ = ["EventSource", "connect_sse"]


class EventSource(SyncEventSourceBase):
    """The event stream of a ``requests.Response`` requested with ``stream=True``.

    A read timeout while the body streams raises :class:`IdleTimeoutError`, and any other error
    of the connection :class:`IncompleteStreamError`, each carrying the bytes received and, when
    chat updates are read, the completion rebuilt so far.

    Args:
        response: a response requested with ``stream=True`` and not read yet.
        max_event_size: the largest event buffered (see :class:`sseproto.SSEDecoder`).

    Attributes:
        response: the wrapped response (status, headers, ...).
    """

    def __init__(
        self, response: requests.Response, *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
    ) -> None:
        super().__init__(max_event_size=max_event_size)
        self.response = response

    def _head(self) -> tuple[int, str | None]:
        return self.response.status_code, self.response.headers.get("Content-Type")

    def _body(self) -> Iterator[bytes]:
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


@contextmanager
def connect_sse(
    session: requests.Session,
    method: str,
    url: str,
    *,
    idle_timeout: float | None = None,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
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

    Raises:
        ValueError: if ``idle_timeout`` or ``max_event_size`` is invalid.
        IdleTimeoutError: ``idle_timeout`` passed before the response head arrived.
    """
    check_seconds("idle_timeout", idle_timeout)
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
        try:
            response = stack.enter_context(session.request(method, url, **options))
        except requests.ReadTimeout as error:
            if idle_timeout is None:
                raise
            raise head_timeout() from error
        yield EventSource(response, max_event_size=max_event_size)
