"""What every HTTP-client adapter shares: request headers, the response check, and the reading loop.

Strategy. Each adapter (httpx, aiohttp, requests) only knows how to get five things from its
client's response: its head (the request's method and URL, the status and headers), an iterator
over the raw body bytes, whether an exception is the client's read timeout, whether it is another
of the client's transport errors, and how to close the response. :class:`SyncEventSourceBase` and
:class:`AsyncEventSourceBase` build everything else on those hooks, once: the check that the
response is an event stream at all, the translation of read timeouts into
:class:`IdleTimeoutError` and of other transport errors into :class:`IncompleteStreamError`, both
carrying what was received, the close of the response however the iteration ends (exhausted, left
early, an error, or a cancelled task), and the decoding itself. The options are applied there too,
the same for every client: recording the raw reads into a fixture (wrapped around the client's
body, so that what is recorded is what the client gave, its transport error included), a hook for
the comments (a decoder of their own over the same reads), and turning off the content-type
check. Updates and results are read by the loop of :func:`sseproto.accumulate`
(any dialect), which stops at the terminal event, closes the body however reading ends and gives
a failed read the result rebuilt so far.
"""

from __future__ import annotations

import math
import os
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from contextlib import aclosing, closing
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, NoReturn, overload

from ._adapter_errors import MAX_ERROR_BODY, BadResponseError, IdleTimeoutError
from .dialects.anthropic.result import AnthropicMessage
from .dialects.chat.completion import ChatCompletion
from .dialects.gemini.result import GeminiResponse
from .dialects.kit.drive import aiterate, arun, iterate, run
from .dialects.kit.errors import IncompleteStreamError
from .dialects.kit.result import StreamResult
from .dialects.kit.updates import ChatUpdate
from .dialects.readers import new_accumulator
from .dialects.registry import DialectChoice
from .dialects.responses.result import Response
from .fixtures.record import arecord, record
from .fixtures.redact import redact
from .wire.decoder import DEFAULT_MAX_EVENT_SIZE, CommentHook, SSEDecoder
from .wire.display import call_repr
from .wire.errors import StreamError, source_failure
from .wire.events import ServerSentEvent

__all__ = [
    "MAX_ERROR_BODY",
    "SSE_REQUEST_HEADERS",
    "AsyncEventSourceBase",
    "Head",
    "SyncEventSourceBase",
    "check_client",
    "check_options",
    "check_seconds",
    "head_timeout",
    "is_event_stream",
]

# The request headers of an event-stream request. Cache-Control: no-store keeps caching proxies
# from answering with (or holding back for) a stored copy of a stream that is never the same twice.
SSE_REQUEST_HEADERS = MappingProxyType({"Accept": "text/event-stream", "Cache-Control": "no-store"})


def check_seconds(name: str, value: float | None) -> None:
    """Raise ValueError unless ``value`` (the setting ``name``) is None or a positive, finite
    number of seconds."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive number of seconds or None, not {value!r}")


class Head(NamedTuple):
    """What an adapter tells of a response before its body: the request's method and URL, the
    status, and the headers as (name, value) pairs in the order received."""

    method: str
    url: str
    status: int
    headers: list[tuple[str, str]]

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header, or None without one."""
        return next((value for name, value in self.headers if name.lower() == "content-type"), None)


def check_options(
    *,
    record: str | os.PathLike[str] | None,
    on_comment: CommentHook | None,
    check_content_type: bool,
) -> None:
    """Raise TypeError for a reading option of the wrong type (before any request is sent)."""
    if record is not None and not isinstance(record, str | os.PathLike):
        raise TypeError(f"record must be a path (str or os.PathLike) or None, not {record!r}")
    if on_comment is not None and not callable(on_comment):
        raise TypeError(f"on_comment must be callable or None, not {on_comment!r}")
    if not isinstance(check_content_type, bool):
        raise TypeError(f"check_content_type must be a bool, not {check_content_type!r}")


def check_client(
    client: object, expected: type, function: str, *, twin: tuple[type, str] | None = None
) -> None:
    """Raise TypeError, before any request is sent, for a client ``function`` cannot use: not an
    ``expected``, such as the synchronous client given to the asynchronous function, which would
    fail inside the client or contextlib in words that do not say so (or, a requests session in
    an aiohttp function, send a blocking request from the event loop). ``twin``: a client type
    and the function of the same adapter that takes it."""
    if isinstance(client, expected):
        return
    message = f"{function}'s client must be {_name(expected)}, not {_name(type(client))}"
    if twin is not None and isinstance(client, twin[0]):
        message += f" ({twin[1]} takes {_name(twin[0])})"
    raise TypeError(message)


def _name(kind: type) -> str:
    """A class named as users import it, by its package: ``httpx.Client``."""
    package = kind.__module__.partition(".")[0]
    return kind.__qualname__ if package == "builtins" else f"{package}.{kind.__qualname__}"


# The readers' own options, easily given to connect_sse beside its reading options.
_READER_OPTIONS = ("partial_json", "dialect", "strict")


def refuse_reader_options(request: dict[str, Any], reader: str) -> None:
    """Raise TypeError for a reader's option among ``connect_sse``'s request options (where it
    would reach the client), naming ``reader``, the method that takes it."""
    for name in _READER_OPTIONS:
        if name in request:
            raise TypeError(
                f"{name} is an option of the event source's readers, not of connect_sse: "
                f"source.{reader}({name}=...)"
            )


def is_event_stream(head: Head, check_content_type: bool) -> bool:
    """Whether a response with this head carries an event stream (its content type unchecked
    when ``check_content_type`` is False)."""
    # A 204 can carry no body, so no stream: EventSource stops on it, and so does follow_sse.
    if not 200 <= head.status < 300 or head.status == 204:
        return False
    if not check_content_type:
        return True
    content_type = head.content_type
    # RFC 9110 8.3.1: the media type is case-insensitive and may be followed by parameters
    # (a charset, which for text/event-stream is always UTF-8 whatever it says).
    return (
        content_type is not None
        and content_type.split(";", 1)[0].strip().lower() == "text/event-stream"
    )


class _EventSourceBase(ABC):
    """What the sync and async event sources share: the settings, the read-once flag, and the
    hooks that describe a client's response and its errors."""

    # The client's name and version, as a recording's sidecar keeps it ("httpx/0.28.1").
    client_name = ""

    def __init__(
        self,
        *,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        record: str | os.PathLike[str] | None = None,
        on_comment: CommentHook | None = None,
        check_content_type: bool = True,
    ) -> None:
        # Made now so that the settings are checked at once, not at the first read.
        self._decoder = SSEDecoder(max_event_size=max_event_size, on_comment=on_comment)
        check_options(record=record, on_comment=on_comment, check_content_type=check_content_type)
        self._record = None if record is None else Path(record)
        self._on_comment = on_comment
        self._check_content_type = check_content_type
        self._last_event_id = ""
        self._max_event_size = max_event_size
        self._read_by: str | None = None  # the method that read the stream, once one did
        self._block_ended = False  # the connect_sse block that gave it ended (see _end_block)
        # When the request was sent (time.monotonic()) and the read timeout it was sent with,
        # as the adapter's connect_sse tells them; a source made from a response counts its
        # recorded times from its making.
        self._requested_at = time.monotonic()
        self._read_timeout: float | None = None

    def _note_request(self, *, sent_at: float, read_timeout: float | None) -> None:
        """Record when the request was sent and the read timeout in force (for connect_sse)."""
        self._requested_at = sent_at
        self._read_timeout = read_timeout

    def _claim(self, method: str) -> None:
        """Mark the stream as being read by ``method``; raise RuntimeError if it already was,
        or if its response was closed by the end of its block."""
        self._check_block()
        if self._read_by is not None:
            raise RuntimeError(
                f"this event stream was already read by {self._read_by}(): a response's body "
                "can be read only once, so keep what that call gave"
            )
        self._read_by = method

    def _end_block(self) -> None:
        """Note that the ``connect_sse`` block that gave this source ended, closing its response:
        a read after it is the caller's mistake, told as such rather than as a failed stream."""
        self._block_ended = True

    def _check_block(self) -> None:
        if self._block_ended:
            raise RuntimeError(
                "this event source's response was closed when its connect_sse(...) block ended: "
                "read the event source inside the block (iterate its updates there, rather than "
                "returning them)"
            )

    @abstractmethod
    def _head(self) -> Head:
        """The request's method and URL, the response's status and headers."""

    @abstractmethod
    def _is_read_timeout(self, error: Exception) -> bool:
        """Whether ``error``, raised while reading the body, is the client's read timeout."""

    @abstractmethod
    def _is_transport_error(self, error: Exception) -> bool:
        """Whether ``error``, raised while reading the body and not a read timeout, is one of
        the client's transport errors (the connection cut, a malformed or undecodable body)."""

    def _exchange(self, head: Head) -> dict[str, Any]:
        """What a recording of this response keeps about the exchange."""
        return {
            "status": head.status,
            "headers": head.headers,
            "method": head.method,
            "url": head.url,
            "client": self.client_name,
            "started": self._requested_at,
        }

    def _comment_tap(self) -> SSEDecoder | None:
        """A decoder that only reports the comments of the reads it is fed, for the readers of
        updates (which decode with the accumulator's own decoder); None without a hook."""
        if self._on_comment is None:
            return None
        return SSEDecoder(max_event_size=self._max_event_size, on_comment=self._on_comment)

    @property
    def last_event_id(self) -> str:
        """The last event ID of the stream read by ``iter_sse`` so far (``""`` before any
        ``id:`` field): what a reconnecting client sends as ``Last-Event-ID``. While an event
        is being handled it is that event's ``id``; once the events of a read are all handled,
        it includes ids set after them (a block with an ``id:`` and no data dispatches
        nothing), so after the loop, however it ended, it is where the stream stopped."""
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds the server last set with ``retry:`` (None if
        it never did), as read by ``iter_sse``."""
        return self._decoder.retry

    def __repr__(self) -> str:
        # The request and the response's head (the URL redacted, as a recording's is), and
        # whether the stream was read; never raises, whatever the response is.
        name = type(self).__name__
        try:
            head = self._head()
        except Exception:
            return f"{name}(response={getattr(self, 'response', None)!r})"
        fields: list[tuple[str, object]] = [
            ("method", head.method),
            ("url", redact(head.url)),
            ("status", head.status),
            ("content_type", head.content_type),
        ]
        if self._read_by is not None:
            fields.append(("read", True))
        if self._last_event_id:
            fields.append(("last_event_id", self._last_event_id))
        return call_repr(name, fields, omit_empty=False)


class SyncEventSourceBase(_EventSourceBase):
    """An event stream read from a blocking HTTP client's response.

    Reading it checks the response first (:class:`BadResponseError` for a non-2xx status or a
    content type other than ``text/event-stream``), and closes the response however the reading
    ends: at the end of the stream, on an error, or when the loop is left early. A response can
    be read once.

    Args:
        max_event_size: passed to :class:`SSEDecoder`: the largest event buffered.

    Raises:
        ValueError: if ``max_event_size`` is invalid.
    """

    @abstractmethod
    def _body(self) -> Iterator[bytes]:
        """The raw (content-decoded, never charset-decoded) body bytes, as they arrive."""

    @abstractmethod
    def close(self) -> None:
        """Close the response (and with it the connection, if the body was not read to the end)."""

    if not TYPE_CHECKING:  # at run time only: a type checker tells these mistakes itself

        def __iter__(self) -> NoReturn:
            raise TypeError(
                f"{type(self).__name__} is not iterable: iterate source.iter_sse() for its "
                "events or source.iter_updates() for typed updates, or call "
                "source.accumulate() for the result"
            )

        def __aiter__(self) -> NoReturn:
            raise TypeError(
                f"{type(self).__name__} reads synchronously: `for event in source.iter_sse():`"
            )

        def __getattr__(self, name: str) -> NoReturn:
            raise _twin_error(self, name, _SYNC_TWIN, "reads synchronously")

    def iter_sse(self) -> Generator[ServerSentEvent, None, None]:
        """The events of the stream, as they arrive.

        Raises:
            BadResponseError: the response is not an event stream.
            IdleTimeoutError: the client's read timeout expired while waiting for more bytes.
            IncompleteStreamError: a transport error of the client, or any other exception
                of the body, ended it (the error is its ``__cause__``). Like the idle timeout,
                it says where the stream stopped: ``offset`` (bytes received) and
                ``event_index`` (events dispatched), as :func:`sseproto.iter_events` does.
            EventTooLargeError: an event exceeds ``max_event_size``.
            RuntimeError: the stream was already read (raised at the call).
        """
        self._claim("iter_sse")
        return self._events()

    def _events(self) -> Generator[ServerSentEvent, None, None]:
        decoder = self._decoder
        ours: Exception | None = None  # an error of the decoder's, not of the body's
        with closing(self._chunks(comments=False)) as chunks:
            try:
                for chunk in chunks:
                    try:
                        for event in decoder.feed(chunk):
                            self._last_event_id = event.id  # not yet the ids later in the read
                            yield event
                    except Exception as error:
                        ours = error
                        raise
                    self._last_event_id = decoder.last_event_id
            except Exception as error:
                if error is ours:
                    raise
                _raise_placed(error, decoder)
        yield from decoder.close()

    def iter_updates(
        self, *, dialect: DialectChoice = "auto", strict: bool = False, partial_json: bool = False
    ) -> Generator[ChatUpdate, None, None]:
        """The updates of the stream, as they arrive (as :func:`sseproto.iter_updates`: the
        dialect decided from the first data event unless named; the last update of a complete
        stream is ``StreamDone``; ``partial_json=True`` gives the tool-call updates their
        parsed arguments as they arrive). Reading stops at the terminal event, and the response
        is closed however the iteration ends.

        Raises:
            BadResponseError, IdleTimeoutError, IncompleteStreamError, RuntimeError: as
                :meth:`iter_sse`; an idle timeout or a transport error carries the result
                rebuilt so far in ``partial``.
            StreamError: the stream was invalid, carried a provider error, was cut short or is
                not a stream of the dialect, after the updates before it.
            ValueError: as :func:`sseproto.accumulate`, at the call.
        """
        return self._updates("iter_updates", dialect, strict, partial_json)

    def iter_chat(
        self, *, strict: bool = False, partial_json: bool = False
    ) -> Generator[ChatUpdate, None, None]:
        """The updates of a chat stream: ``iter_updates(dialect="chat", ...)``."""
        return self._updates("iter_chat", "chat", strict, partial_json)

    def _updates(
        self, method: str, dialect: DialectChoice, strict: bool, partial_json: bool
    ) -> Generator[ChatUpdate, None, None]:
        """The updates of the stream, read by ``method`` (the name a second read will quote)."""
        accumulator = new_accumulator(
            dialect,
            strict=strict,
            max_event_size=self._max_event_size,
            partial_json=partial_json,
        )
        self._claim(method)
        return iterate(accumulator, self._chunks())

    @overload
    def accumulate(self, *, dialect: Literal["chat"], strict: bool = ...) -> ChatCompletion: ...
    @overload
    def accumulate(
        self, *, dialect: Literal["anthropic"], strict: bool = ...
    ) -> AnthropicMessage: ...
    @overload
    def accumulate(self, *, dialect: Literal["responses"], strict: bool = ...) -> Response: ...
    @overload
    def accumulate(self, *, dialect: Literal["gemini"], strict: bool = ...) -> GeminiResponse: ...
    @overload
    def accumulate(self, *, dialect: DialectChoice = ..., strict: bool = ...) -> StreamResult: ...
    def accumulate(self, *, dialect: DialectChoice = "auto", strict: bool = False) -> StreamResult:
        """Read the whole stream and return its result (as :func:`sseproto.accumulate`).

        Raises:
            The errors of :meth:`iter_updates`.
        """
        accumulator = new_accumulator(dialect, strict=strict, max_event_size=self._max_event_size)
        self._claim("accumulate")
        return run(accumulator, self._chunks())

    def _chunks(self, *, comments: bool = True) -> Generator[bytes, None, None]:
        """The checked body bytes, the client's timeouts and transport errors translated;
        recorded when asked, and with their comments reported unless ``comments`` is False
        (the caller's decoder reports them)."""
        body: Iterator[bytes] | None = None
        try:
            self._check_block()  # a reader made in the block, iterated after it
            head = self._head()
            body = self._body()
            if self._record is not None:
                body = record(body, self._record, **self._exchange(head))
            if not is_event_stream(head, self._check_content_type):
                start, cause = _read_start(body, lambda error: _is_client_error(self, error))
                raise _rejection(head, start) from cause
            tap = self._comment_tap() if comments else None
            received = 0
            try:
                for chunk in body:
                    received += len(chunk)
                    if tap is not None:
                        tap = _tapped(tap, chunk)
                    yield chunk
            except Exception as error:
                failure = _read_failure(self, error, received)
                if failure is None:
                    raise
                raise failure from error
        finally:
            if isinstance(body, Generator):
                body.close()
            self.close()


class AsyncEventSourceBase(_EventSourceBase):
    """An event stream read from an asynchronous HTTP client's response.

    The asynchronous twin of :class:`SyncEventSourceBase`: the same check, the same errors, and the
    response is closed however the reading ends, including when the task is cancelled.
    """

    @abstractmethod
    def _body(self) -> AsyncIterator[bytes]:
        """The raw (content-decoded, never charset-decoded) body bytes, as they arrive."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close the response (and with it the connection, if the body was not read to the end)."""

    if not TYPE_CHECKING:

        def __aiter__(self) -> NoReturn:
            raise TypeError(
                f"{type(self).__name__} is not iterable: `async for event in "
                "source.aiter_sse():` for its events or source.aiter_updates() for typed "
                "updates, or `await source.aaccumulate()` for the result"
            )

        def __iter__(self) -> NoReturn:
            raise TypeError(
                f"{type(self).__name__} reads asynchronously: `async for event in "
                "source.aiter_sse():`"
            )

        def __getattr__(self, name: str) -> NoReturn:
            raise _twin_error(self, name, _ASYNC_TWIN, "reads asynchronously")

    def aiter_sse(self) -> AsyncGenerator[ServerSentEvent, None]:
        """The events of the stream, as they arrive.

        Raises:
            BadResponseError: the response is not an event stream.
            IdleTimeoutError: the client's read timeout expired while waiting for more bytes.
            IncompleteStreamError: a transport error of the client, or any other exception
                of the body, ended it (the error is its ``__cause__``). Like the idle timeout,
                it says where the stream stopped: ``offset`` (bytes received) and
                ``event_index`` (events dispatched), as :func:`sseproto.iter_events` does.
            EventTooLargeError: an event exceeds ``max_event_size``.
            RuntimeError: the stream was already read (raised at the call).
        """
        self._claim("aiter_sse")
        return self._events()

    async def _events(self) -> AsyncGenerator[ServerSentEvent, None]:
        decoder = self._decoder
        ours: Exception | None = None
        async with aclosing(self._chunks(comments=False)) as chunks:
            try:
                async for chunk in chunks:
                    try:
                        for event in decoder.feed(chunk):
                            self._last_event_id = event.id  # not yet the ids later in the read
                            yield event
                    except Exception as error:
                        ours = error
                        raise
                    self._last_event_id = decoder.last_event_id
            except Exception as error:
                if error is ours:
                    raise
                _raise_placed(error, decoder)
        for event in decoder.close():
            yield event

    def aiter_updates(
        self, *, dialect: DialectChoice = "auto", strict: bool = False, partial_json: bool = False
    ) -> AsyncGenerator[ChatUpdate, None]:
        """The updates of the stream, as they arrive (the async twin of
        :meth:`SyncEventSourceBase.iter_updates`)."""
        return self._updates("aiter_updates", dialect, strict, partial_json)

    def aiter_chat(
        self, *, strict: bool = False, partial_json: bool = False
    ) -> AsyncGenerator[ChatUpdate, None]:
        """The updates of a chat stream: ``aiter_updates(dialect="chat", ...)``."""
        return self._updates("aiter_chat", "chat", strict, partial_json)

    def _updates(
        self, method: str, dialect: DialectChoice, strict: bool, partial_json: bool
    ) -> AsyncGenerator[ChatUpdate, None]:
        """The updates of the stream, read by ``method`` (the name a second read will quote)."""
        accumulator = new_accumulator(
            dialect,
            strict=strict,
            max_event_size=self._max_event_size,
            partial_json=partial_json,
        )
        self._claim(method)
        return aiterate(accumulator, self._chunks())

    @overload
    async def aaccumulate(
        self, *, dialect: Literal["chat"], strict: bool = ...
    ) -> ChatCompletion: ...
    @overload
    async def aaccumulate(
        self, *, dialect: Literal["anthropic"], strict: bool = ...
    ) -> AnthropicMessage: ...
    @overload
    async def aaccumulate(
        self, *, dialect: Literal["responses"], strict: bool = ...
    ) -> Response: ...
    @overload
    async def aaccumulate(
        self, *, dialect: Literal["gemini"], strict: bool = ...
    ) -> GeminiResponse: ...
    @overload
    async def aaccumulate(
        self, *, dialect: DialectChoice = ..., strict: bool = ...
    ) -> StreamResult: ...
    async def aaccumulate(
        self, *, dialect: DialectChoice = "auto", strict: bool = False
    ) -> StreamResult:
        """Read the whole stream and return its result (as :func:`sseproto.aaccumulate`).

        Raises:
            The errors of :meth:`aiter_updates`.
        """
        accumulator = new_accumulator(dialect, strict=strict, max_event_size=self._max_event_size)
        self._claim("aaccumulate")
        return await arun(accumulator, self._chunks())

    async def _chunks(self, *, comments: bool = True) -> AsyncGenerator[bytes, None]:
        """The asynchronous twin of :meth:`SyncEventSourceBase._chunks`."""
        body: AsyncIterator[bytes] | None = None
        try:
            self._check_block()
            head = self._head()
            body = self._body()
            if self._record is not None:
                body = arecord(body, self._record, **self._exchange(head))
            if not is_event_stream(head, self._check_content_type):
                start, cause = await _aread_start(body, lambda error: _is_client_error(self, error))
                raise _rejection(head, start) from cause
            tap = self._comment_tap() if comments else None
            received = 0
            try:
                async for chunk in body:
                    received += len(chunk)
                    if tap is not None:
                        tap = _tapped(tap, chunk)
                    yield chunk
            except Exception as error:
                failure = _read_failure(self, error, received)
                if failure is None:
                    raise
                raise failure from error
        finally:
            # An abandoned client iterator would otherwise be finalised later by the event loop,
            # after the response it reads from is gone.
            if isinstance(body, AsyncGenerator):
                await body.aclose()
            await self.aclose()


def _raise_placed(error: Exception, decoder: SSEDecoder) -> NoReturn:
    """Raise the error for a body that failed with ``error`` while read as events, placed where
    the stream stopped, as every reader places it (:func:`~sseproto.wire.errors.source_failure`)."""
    raise source_failure(error, offset=decoder.offset, event_index=decoder.events_dispatched)


# How an async source does what each sync reading method does, and the other way round.
_ASYNC_TWIN = {
    "iter_sse": "async for event in source.aiter_sse()",
    "iter_updates": "async for update in source.aiter_updates()",
    "iter_chat": "async for update in source.aiter_chat()",
    "accumulate": "await source.aaccumulate()",
    "close": "await source.aclose()",
}
_SYNC_TWIN = {
    "aiter_sse": "for event in source.iter_sse()",
    "aiter_updates": "for update in source.iter_updates()",
    "aiter_chat": "for update in source.iter_chat()",
    "aaccumulate": "source.accumulate()",
    "aclose": "source.close()",
}


def _twin_error(source: object, name: str, twins: dict[str, str], reads: str) -> AttributeError:
    """The error for ``source.name``, which it lacks: naming the twin it has when ``name`` is
    the other kind of source's reading method."""
    message = f"{type(source).__name__!r} object has no attribute {name!r}"
    twin = twins.get(name)
    if twin is not None:
        message += f": it {reads}, use `{twin}`"
    return AttributeError(message, name=name, obj=source)


def _rejection(head: Head, start: bytes) -> BadResponseError:
    return BadResponseError(
        status=head.status, content_type=head.content_type, body=start, headers=head.headers
    )


def _tapped(tap: SSEDecoder, chunk: bytes) -> SSEDecoder | None:
    """Feed ``chunk`` to the comment decoder; stop tapping (None) once it fails: the reader's own
    decoder meets the same fault in the same bytes and reports it with the stream's context."""
    try:
        tap.feed(chunk)
    except StreamError:
        return None
    return tap


def _is_client_error(source: SyncEventSourceBase | AsyncEventSourceBase, error: Exception) -> bool:
    return source._is_read_timeout(error) or source._is_transport_error(error)


def _read_failure(
    source: SyncEventSourceBase | AsyncEventSourceBase,
    error: Exception,
    received: int,
) -> StreamError | None:
    """What to raise for ``error``, raised by the client after ``received`` body bytes: the
    library's error for the client's timeouts and transport errors, None for anything else.
    The reading loop adds the result rebuilt so far and the event index."""
    if source._is_read_timeout(error):
        timeout = source._read_timeout
        within = "the read timeout" if timeout is None else f"{timeout:g} s (the read timeout)"
        return IdleTimeoutError(
            f"the server sent nothing for {within} after {received} bytes",
            timeout=timeout,
            offset=received,
        )
    if source._is_transport_error(error):
        # A body cut short is an incomplete stream whatever the client calls it.
        name = f"{type(error).__module__.partition('.')[0]}.{type(error).__qualname__}"
        return IncompleteStreamError(
            f"the body ended with {name} after {received} bytes: {error}", offset=received
        )
    return None


def head_timeout(idle_timeout: float) -> IdleTimeoutError:
    """The error for an idle timeout that expired before the response head arrived."""
    return IdleTimeoutError(
        f"the server sent no response head within idle_timeout={idle_timeout:g} s",
        timeout=idle_timeout,
        offset=0,
    )


def _read_start(
    body: Iterator[bytes], is_client_error: Callable[[Exception], bool]
) -> tuple[bytes, Exception | None]:
    """The start of a rejected response's body, and the client error that cut it short if one
    did: the rejection is what the caller needs to hear about, with whatever body arrived."""
    start = bytearray()
    try:
        for chunk in body:
            start += chunk
            if len(start) >= MAX_ERROR_BODY:
                break
    except Exception as error:
        if not is_client_error(error):
            raise
        return bytes(start[:MAX_ERROR_BODY]), error
    return bytes(start[:MAX_ERROR_BODY]), None


async def _aread_start(
    body: AsyncIterator[bytes], is_client_error: Callable[[Exception], bool]
) -> tuple[bytes, Exception | None]:
    """The asynchronous twin of :func:`_read_start`."""
    start = bytearray()
    try:
        async for chunk in body:
            start += chunk
            if len(start) >= MAX_ERROR_BODY:
                break
    except Exception as error:
        if not is_client_error(error):
            raise
        return bytes(start[:MAX_ERROR_BODY]), error
    return bytes(start[:MAX_ERROR_BODY]), None
