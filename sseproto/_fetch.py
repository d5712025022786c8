"""Recording an HTTP exchange into a fixture with the standard library alone (``sseproto record``).

Strategy. ``http.client`` sends the request and the body is read with ``read1``: what has
arrived, as soon as it arrives, whatever the framing, so that the recorded reads are the network's.
The reads pass through :func:`~sseproto.fixtures.record.record`, which writes the fixture and
redacts the exchange, exactly as a recording made through an adapter. The standard library keeps
the command free of dependencies (sseproto has none): no client need be installed to record.

What ``http.client`` leaves unsaid is said here: a body shorter than its ``Content-Length`` ends
with :class:`http.client.IncompleteRead` (``read1`` would return an empty read, as at the end), so
a cut is recorded as a cut whatever the framing.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from . import __version__
from ._adapter import SSE_REQUEST_HEADERS, Head
from .fixtures.record import record

__all__ = ["CLIENT", "Exchange", "send"]

# The client a fixture recorded by the command names.
CLIENT = f"sseproto/{__version__} (http.client)"

# The most one read returns: what has arrived is returned at once, up to this size.
_READ_SIZE = 64 * 1024


class Exchange:
    """A request sent and the head of its response, its body not read yet.

    Attributes:
        head: the method, URL, status and headers.
    """

    def __init__(
        self,
        connection: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        head: Head,
        sent_at: float,
    ) -> None:
        self._connection = connection
        self._response = response
        self._sent_at = sent_at
        self.head = head

    def record(self, path: str | Path) -> None:
        """Read the body to its end, recording it into the fixture at ``path``, then close.

        Raises:
            OSError, http.client.HTTPException: the body could not be read to its end
                (``TimeoutError`` for the idle timeout); the fixture records it.
        """
        head = self.head
        try:
            with record(
                _reads(self._response),
                path,
                status=head.status,
                headers=head.headers,
                method=head.method,
                url=head.url,
                client=CLIENT,
                started=self._sent_at,
            ) as reads:
                for _ in reads:
                    pass
        finally:
            self.close()

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


def send(
    url: str,
    *,
    method: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
    idle_timeout: float | None,
) -> Exchange:
    """Send the request and read the head of its response.

    The request asks for ``text/event-stream`` and no caching unless ``headers`` say otherwise,
    and a body is sent as JSON unless they give a ``Content-Type``. ``idle_timeout`` bounds the
    connection and each wait for the next bytes (None: no bound).

    Raises:
        ValueError: ``url`` is not an http or https URL with a host (nothing is sent).
        OSError, http.client.HTTPException: the server could not be reached or broke the
            protocol before the response head.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http or https URL: {url!r}")
    port = parts.port  # ValueError for a port that is not a number
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, port, timeout=idle_timeout)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent_at = time.monotonic()
        # Sent header by header, so that a name given twice is sent twice.
        connection.putrequest(method, target)
        for name, value in _request_headers(headers, body):
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
    except BaseException:
        connection.close()
        raise
    return Exchange(
        connection, response, Head(method, url, response.status, response.getheaders()), sent_at
    )


def _request_headers(
    given: Sequence[tuple[str, str]], body: bytes | None
) -> list[tuple[str, str]]:
    """The caller's headers, after the defaults they do not set themselves."""
    names = {name.lower() for name, _ in given}
    defaults = dict(SSE_REQUEST_HEADERS)
    if body is not None:
        defaults["Content-Type"] = "application/json"
        defaults["Content-Length"] = str(len(body))
    added = [(name, value) for name, value in defaults.items() if name.lower() not in names]
    return added + list(given)


def _reads(response: http.client.HTTPResponse) -> Iterator[bytes]:
    """The body's bytes as they arrive; a cut before the promised length is an error."""
    while True:
        chunk = response.read1(_READ_SIZE)
        if not chunk:
            if response.length:
                # What Content-Length promised and never came: read1 alone would call it the end.
                raise http.client.IncompleteRead(b"", response.length)
            return
        yield chunk
