"""The error hierarchy's root, and the wire's own errors.

Every error sseproto raises about its input is a :class:`StreamError`. Each one says what went wrong
and where (``offset``: byte offset in the stream; ``event_index``: the index of the event being
processed, counting dispatched events from 0) and, when a dialect was rebuilding a result, carries
what had been rebuilt so far in ``partial``. Any other exception escaping the library is a bug.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..dialects.kit.result import StreamResult

__all__ = ["EventTooLargeError", "IncompleteStreamError", "StreamError", "source_failure"]


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

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its args and attributes without calling __init__ again (as Exception's own
        # reduce would): each subclass's __init__ takes other arguments than the message it
        # passes on, so pickling and copying an error would fail or garble it.
        return _rebuilt, (type(self), self.args), self.__dict__


def _rebuilt(kind: type[StreamError], args: tuple[object, ...]) -> StreamError:
    """An unpickled error before its attributes are restored: made without its ``__init__``."""
    return kind.__new__(kind, *args)


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


class IncompleteStreamError(StreamError):
    """The input ended before the stream was complete, or its source failed while it was read.

    For a dialect, complete means its terminal event arrived (chat: ``data: [DONE]``, or every
    choice finished). The connection was most likely cut; ``partial`` holds everything rebuilt
    until then. ``offset`` and ``event_index`` say where the missing next event would have been:
    the stream bytes consumed (None when no bytes were fed, only events or parsed chunks) and the
    number of events received (the index that event would have had).
    """


def source_failure(error: Exception, *, offset: int, event_index: int) -> StreamError:
    """The stream's error for ``error``, raised by the source of a stream's reads after
    ``offset`` bytes and ``event_index`` events: the readers of events, updates and results all
    raise this one.

    An :class:`IncompleteStreamError` (a cut body, an idle timeout, a replayed transport error)
    is given the ``offset`` and ``event_index`` it lacks; another :class:`StreamError` (an
    adapter's rejected response) is the source's own verdict and is returned unchanged; anything
    else (a dropped connection, whatever the client calls it) becomes a new
    :class:`IncompleteStreamError` whose ``__cause__`` is ``error``.
    """
    if isinstance(error, IncompleteStreamError):
        if error.offset is None:
            error.offset = offset
        if error.event_index is None:
            error.event_index = event_index
        return error
    if isinstance(error, StreamError):
        return error
    name = type(error).__qualname__
    module = type(error).__module__.partition(".")[0]
    if module != "builtins":
        name = f"{module}.{name}"
    failure = IncompleteStreamError(
        f"the source of the stream failed with {name} after {offset} bytes: {error}",
        offset=offset,
        event_index=event_index,
    )
    failure.__cause__ = error  # as ``raise failure from error`` sets it
    return failure
