"""The library's error hierarchy.

Every error sseproto raises about its input is a :class:`StreamError`. Each one says what went wrong
and where (``offset``: byte offset in the stream; ``event_index``: the index of the event being
processed, counting dispatched events from 0) and, when a chat stream was being rebuilt, carries
what had been rebuilt so far in ``partial``. Any other exception escaping the library is a bug.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._completion import ChatCompletion

__all__ = [
    "BadResponseError",
    "EventTooLargeError",
    "FixtureError",
    "IdleTimeoutError",
    "IncompleteStreamError",
    "InvalidChunkError",
    "ProviderError",
    "RecordedTransportError",
    "StreamError",
]


class StreamError(Exception):
    """Base class of every error sseproto raises about the stream it was given.

    Attributes:
        offset: byte offset in the stream where the problem was detected, or None if unknown.
        event_index: index of the event concerned (0 for the first event), or None.
        partial: the chat completion rebuilt before the error, when a chat stream was being
            accumulated; None otherwise.
    """

    def __init__(
        self,
        message: str,
        *,
        offset: int | None = None,
        event_index: int | None = None,
        partial: ChatCompletion | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.event_index = event_index
        self.partial = partial

    def __str__(self) -> str:
        where = []
        if self.offset is not None:
            where.append(f"byte offset {self.offset}")
        if self.event_index is not None:
            where.append(f"event {self.event_index}")
        return f"{self.message} (at {', '.join(where)})" if where else self.message


class EventTooLargeError(StreamError):
    """A line or event is larger than the decoder's ``max_event_size``.

    Raised before the excess is buffered. ``offset`` is where the oversized event starts in the
    stream; ``event_index`` is the index it would have had.
    """

    def __init__(
        self, limit: int, *, offset: int | None = None, event_index: int | None = None
    ) -> None:
        super().__init__(
            f"event larger than max_event_size={limit} bytes",
            offset=offset,
            event_index=event_index,
        )
        self.limit = limit


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


class IdleTimeoutError(StreamError):
    """The server sent nothing for longer than the read timeout while the stream was open.

    ``offset`` is the number of body bytes received before the wait began; ``partial`` is the
    chat completion rebuilt from them when chat updates were being read. The HTTP client's own
    timeout exception is the ``__cause__``.
    """


class InvalidChunkError(StreamError):
    """A chat chunk that cannot be read, or (with ``strict=True``) that breaks OpenAI's documented
    ``chat.completion.chunk`` schema.

    Raised for a payload that is not JSON (also too deeply nested, or holding ``NaN``/``Infinity``),
    a value of the wrong type, and, in strict mode, every deviation from the documented stream.

    Attributes:
        path: JSON path of the offending value in the chunk, e.g. ``$.choices[0].delta.content``
            (``$`` is the payload itself).
        rule: the rule that was broken, in words.
    """

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$",
        offset: int | None = None,
        event_index: int | None = None,
        partial: ChatCompletion | None = None,
    ) -> None:
        super().__init__(
            f"invalid chunk at {path}: {rule}",
            offset=offset,
            event_index=event_index,
            partial=partial,
        )
        self.path = path
        self.rule = rule


class IncompleteStreamError(StreamError):
    """The input ended before ``data: [DONE]`` and before every choice had a finish_reason.

    The connection was most likely cut; ``partial`` holds everything received until then.
    ``offset`` and ``event_index`` say where the missing next event would have been: the stream
    bytes consumed (None when no bytes were fed, only events or parsed chunks) and the number of
    events received (the index that event would have had).
    """


class ProviderError(StreamError):
    """The provider reported an error inside the stream: a chunk carrying ``error``, or an
    ``event: error``.

    Whatever the same chunk carried besides the error (choices, usage) is already in ``partial``.

    Attributes:
        error: the provider's error object as sent (usually a dict with ``message``, ``type``,
            ``code``); the raw text when the payload was not JSON.
    """

    def __init__(
        self,
        error: object,
        *,
        offset: int | None = None,
        event_index: int | None = None,
        partial: ChatCompletion | None = None,
    ) -> None:
        message = error.get("message") if isinstance(error, dict) else None
        super().__init__(
            f"provider error: {message if isinstance(message, str) else error!r}",
            offset=offset,
            event_index=event_index,
            partial=partial,
        )
        self.error = error


class FixtureError(StreamError):
    """A recorded fixture whose files do not fit together: a read-boundary sidecar that cannot be
    read, or that describes a different body (its length or sha256 disagrees).

    Attributes:
        path: the file at fault.
    """

    def __init__(self, message: str, *, path: str, offset: int | None = None) -> None:
        super().__init__(f"{path}: {message}", offset=offset)
        self.path = path


class RecordedTransportError(StreamError):
    """A replayed recording ended the way the original did: with a transport error.

    Raised by ``replay`` after the last recorded byte, so code under test meets the failure it
    met live. ``offset`` is the number of body bytes received before the error.

    Attributes:
        error_type: the qualified name of the original exception's class (e.g.
            ``httpx.RemoteProtocolError``).
        error_message: the original exception's message.
    """

    def __init__(self, error_type: str, error_message: str, *, offset: int | None = None) -> None:
        super().__init__(
            f"the recorded stream ended with {error_type}: {error_message}", offset=offset
        )
        self.error_type = error_type
        self.error_message = error_message
