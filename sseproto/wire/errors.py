"""The error hierarchy's root, and the wire's own error.

Every error sseproto raises about its input is a :class:`StreamError`. Each one says what went wrong
and where (``offset``: byte offset in the stream; ``event_index``: the index of the event being
processed, counting dispatched events from 0) and, when a dialect was rebuilding a result, carries
what had been rebuilt so far in ``partial``. Any other exception escaping the library is a bug.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..dialects.kit.result import StreamResult

__all__ = ["EventTooLargeError", "StreamError"]


class StreamError(Exception):
    """Base class of every error sseproto raises about the stream it was given.

    Attributes:
        offset: byte offset in the stream where the problem was detected, or None if unknown.
        event_index: index of the event concerned (0 for the first event), or None.
        partial: the result rebuilt before the error (the dialect's own result object, which
            answers the :class:`StreamResult` view), when a dialect was reading the stream;
            None otherwise.
    """

    def __init__(
        self,
        message: str,
        *,
        offset: int | None = None,
        event_index: int | None = None,
        partial: StreamResult | None = None,
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
