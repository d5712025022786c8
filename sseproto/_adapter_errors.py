"""The errors of the HTTP adapters: a response that is no event stream, and a server gone silent."""

from __future__ import annotations

from .dialects.kit.errors import IncompleteStreamError
from .wire.errors import StreamError

__all__ = ["BadResponseError", "IdleTimeoutError"]


class BadResponseError(StreamError):
    """An HTTP response that cannot carry an event stream: a non-2xx status, or a content type
    other than ``text/event-stream``.

    APIs answer a bad request with a JSON error body, which decoded as an event stream would
    silently give no events; this error says what came back instead.

    Attributes:
        status: the HTTP status code.
        content_type: the response's ``Content-Type`` header, or None if it had none.
        body: the start of the response body (bounded: at most the first few KiB).
    """

    def __init__(self, *, status: int, content_type: str | None, body: bytes) -> None:
        excerpt = body[:200].decode("utf-8", "replace")
        super().__init__(
            f"expected a 2xx text/event-stream response, got status {status} with content type "
            f"{content_type!r} and body {excerpt!r}"
        )
        self.status = status
        self.content_type = content_type
        self.body = body


class IdleTimeoutError(IncompleteStreamError):
    """The server sent nothing for longer than the read timeout while the stream was open: the
    stream ended there, incomplete.

    ``offset`` is the number of body bytes received before the wait began; ``partial`` is the
    result rebuilt from them when updates or a result were being read. The HTTP client's own
    timeout exception is the ``__cause__``.
    """
