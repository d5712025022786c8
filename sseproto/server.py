"""Serving event streams: turn an async iterable of items into SSE bytes.

For a Starlette or FastAPI endpoint, :class:`sseproto.starlette.EventSourceResponse` is the whole
relay: it decides the status from the first item, tells failures, ends streams at shutdown and
drops clients that stop reading. :func:`event_stream` is the encoder underneath it, for a plain
``StreamingResponse`` or any other server::

    return StreamingResponse(event_stream(updates), headers=SSE_HEADERS)

What each item becomes (every event ends with its blank line, so a client sees it at once):

- :class:`~sseproto.ServerSentEvent`: the same event; its ``id`` is written only when it differs
  from the last-event-ID already in force on the output stream, so decoding gives back the same
  events, ids included.
- ``str``: a ``message`` event with that data; each line of a multi-line string is its own
  ``data:`` line.
- a ``dict`` (any mapping): a ``message`` event whose data is its JSON.
- ``bytes``: sent as they are, for events already encoded (by :func:`sseproto.encode_event`, or
  kept from an earlier stream): they must end with a blank line, so that nothing sent after them
  joins their last event.
- an update (of any dialect): an event named after its class, in snake case without a trailing
  ``Delta`` or ``Update`` (``content``, ``tool_call_arguments``, ``usage``, ``block_done``,
  ``grounding``, ``annotation_added``, ...), whose data is a JSON object of the update's fields in
  ``__match_args__`` order, result objects (a content block) written with their ``to_dict()``,
  e.g. ``event: content`` / ``data: {"choice": 0, "text": "Hi"}``. The end of the stream
  (:class:`~sseproto.StreamDone`) is ``event: done`` whose data is the dialect's own result,
  its ``to_dict()`` (a ``chat.completion``, an Anthropic Message, a Response, a Gemini
  response).

A failure once the stream has begun (the source raised, or an item cannot be sent) ends the
stream with ``event: stream_error`` (:data:`ERROR_EVENT`), not ``error``: a browser's
``EventSource`` fires its own ``error`` event, without data, whenever the connection fails, and
the two must not share listeners.

While the source is silent, a comment line is sent every ``keepalive`` seconds so that proxies and
load balancers do not close an idle connection. ``done=True`` ends the stream with
``data: [DONE]``, the terminator OpenAI-compatible clients wait for.

This module is plain asyncio and imports no web framework.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Mapping
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from ._adapter import check_seconds
from ._adapter_errors import BadResponseError
from .dialects.kit.errors import ProviderError
from .dialects.kit.updates import ChatUpdate, StreamDone
from .wire.encoder import encode_comment, encode_event
from .wire.errors import StreamError
from .wire.events import ServerSentEvent

__all__ = [
    "DEFAULT_KEEPALIVE",
    "ERROR_EVENT",
    "SSE_HEADERS",
    "ErrorHandling",
    "StreamItem",
    "event_stream",
]

StreamItem: TypeAlias = ServerSentEvent | str | bytes | Mapping[str, Any] | ChatUpdate
"""What a relayed source may yield: events, strings, JSON objects, encoded events, updates."""

ErrorHandling: TypeAlias = Literal["event", "raise"]
"""What a failure does once the stream has begun: end it with the error event, or propagate."""

#: The response headers of an event-stream endpoint.
SSE_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "Content-Type": "text/event-stream",
        # Each stream is generated once for one client: never store or replay it.
        "Cache-Control": "no-store",
        # nginx buffers proxied responses by default, which would hold events back until the
        # buffer fills; this header turns that off for this response only.
        "X-Accel-Buffering": "no",
        # No "Connection: keep-alive": it is hop-by-hop and forbidden in HTTP/2 responses.
    }
)

#: The name of the event that ends a stream which failed after it began.
ERROR_EVENT = "stream_error"

# 15 s: well under the 30-60 s idle limits of common proxies and load balancers, and rare enough
# to cost nothing.
DEFAULT_KEEPALIVE = 15.0

LOG = logging.getLogger("sseproto.server")

KEEPALIVE_COMMENT = encode_comment()
_DONE = encode_event("[DONE]")
# What bytes items may end with: a blank line in any of the stream's line-end styles.
_BLANK_LINE_ENDS = (b"\n\n", b"\r\n\r\n", b"\r\r")

# The word boundaries of a class name: before an upper-case letter that follows a lower-case one
# or a digit, and before the last capital of an acronym (``MCPTool``: ``mcp``, ``tool``).
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Suffixes that say an update is a piece of something, not what it is about.
_UPDATE_SUFFIX = re.compile(r"_(delta|update)$")
# The event name and data fields of each update class met so far (derived once per class: the
# relay writes about one event per upstream chunk).
_EVENT_SHAPES: dict[type[ChatUpdate], tuple[str, tuple[str, ...]]] = {}


def event_stream(
    source: AsyncIterable[StreamItem],
    *,
    keepalive: float | None = DEFAULT_KEEPALIVE,
    done: bool = False,
    errors: ErrorHandling = "event",
) -> AsyncGenerator[bytes, None]:
    """Encode ``source`` as an event stream, one ``bytes`` block per event or keep-alive.

    Args:
        source: the items to send, in order (see the module docstring for each type). It must be
            an async iterable: a sync one would block the event loop on every read.
        keepalive: seconds of silence from ``source`` after which a comment is sent (and again
            after each further such pause); None sends none. The source is advanced in a task of
            its own so that a slow source never delays a keep-alive.
        done: end with ``data: [DONE]`` (the OpenAI chat dialect) once ``source`` is exhausted.
        errors: what an exception from ``source``, or an item that cannot be sent, does:
            ``"event"`` ends the stream with :data:`ERROR_EVENT` (and logs the exception on the
            ``sseproto.server`` logger); ``"raise"`` lets it propagate.

    The error event's data is ``{"error": {...}}``: the provider's own error object for a
    :class:`~sseproto.ProviderError`, else ``type`` (the exception's class name) and
    ``message``: the message of a :class:`~sseproto.StreamError` (sseproto's own words about the
    upstream stream), but for a :class:`~sseproto.BadResponseError` only its ``status`` (its
    message quotes the upstream's answer to the server), for a ``StreamError`` caused by another
    exception (a failing source, as the readers wrap it) only that exception's class name and
    the bytes read, and for any other exception only its class name, since its text may carry
    what the client must not see (a URL with an API key, a path). No ``[DONE]`` follows it.

    When the returned generator is closed early (the client went away, the request task was
    cancelled), ``source`` is closed too.

    Raises:
        TypeError: at once, if ``source`` is not an async iterable.
        ValueError: at once, if ``keepalive`` is not a positive number or None, ``done`` not a
            bool, or ``errors`` neither ``"event"`` nor ``"raise"``.
    """
    check_options(source, keepalive=keepalive, done=done, errors=errors)
    return told(blocks(source, keepalive, done), errors)


def check_options(
    source: object, *, keepalive: float | None, done: bool, errors: ErrorHandling
) -> None:
    """Refuse, before any byte is sent, a source that is not async and settings out of range."""
    if not isinstance(source, AsyncIterable):
        kind = type(source).__name__
        hint = (
            " (a sync iterable: its reads would block the event loop; use the async client or "
            "an async generator)"
            if hasattr(source, "__iter__")
            else ""
        )
        raise TypeError(f"the source must be an async iterable, not {kind}{hint}")
    check_seconds("keepalive", keepalive)
    if not isinstance(done, bool):
        raise ValueError(f"done must be a bool, not {done!r}")
    if errors not in ("event", "raise"):
        raise ValueError(f'errors must be "event" or "raise", not {errors!r}')


class Failure:
    """The exception that ended the source, as the last step of :func:`blocks`."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


async def blocks(
    source: AsyncIterable[object], keepalive: float | None, done: bool
) -> AsyncGenerator[bytes | Failure, None]:
    """The stream's blocks: one per item, a comment per pause, ``[DONE]`` at the end if asked.

    A failure of the source comes as a last :class:`Failure` (it is the upstream's, told to the
    client); an item that cannot be sent raises (it is the caller's mistake).
    """
    encoder = _Encoder()
    steps = _paced(source, keepalive)
    try:
        async for step in steps:
            if isinstance(step, Failure):
                yield step
                return
            yield KEEPALIVE_COMMENT if step is _PAUSE else encoder.encode(step)
        if done:
            yield _DONE
    finally:
        # Left early (the client went away): close the source now rather than whenever the
        # event loop gets round to finalising it.
        await steps.aclose()


async def told(
    stream: AsyncGenerator[bytes | Failure, None], errors: ErrorHandling
) -> AsyncGenerator[bytes, None]:
    """The blocks of ``stream``, a failure told with the error event or raised, per ``errors``
    (whether the source failed or an item could not be sent)."""
    try:
        async for block in stream:
            if isinstance(block, Failure):
                if errors == "raise":
                    raise block.error
                yield error_event(block.error)
                return
            yield block
    except Exception as error:
        if errors == "raise":
            raise
        yield error_event(error)
    finally:
        await stream.aclose()


def error_event(error: Exception) -> bytes:
    """The event that ends a stream failed by ``error``, logged since only the client sees it."""
    LOG.error("relayed stream failed: %s", type(error).__name__, exc_info=error)
    return encode_event(_json({"error": error_detail(error)}), event=ERROR_EVENT)


def error_detail(error: Exception) -> object:
    """What the client is told about ``error``: see :func:`event_stream`."""
    if isinstance(error, ProviderError):
        return error.error
    if isinstance(error, BadResponseError):
        # Its message quotes the upstream's answer to the server (a 401's masked key, request
        # ids, the start of a proxy's page): the server's business, not the browser's.
        return {
            "type": "BadResponseError",
            "status": error.status,
            "message": f"the upstream answered status {error.status} instead of an event stream "
            "(details in the server log)",
        }
    if isinstance(error, StreamError):
        cause = error.__cause__
        if cause is not None and not isinstance(cause, StreamError):
            # A reader's words for a failing source quote its exception's text, which may carry
            # what the client must not see, as any foreign exception's may.
            after = "" if error.offset is None else f" after {error.offset} bytes"
            return {
                "type": type(error).__name__,
                "message": f"the stream failed with {type(cause).__name__}{after} (details in "
                "the server log)",
            }
        return {"type": type(error).__name__, "message": error.message}
    return {
        "type": type(error).__name__,
        "message": f"the stream failed ({type(error).__name__}; details in the server log)",
    }


class _Encoder:
    """Items to event blocks, keeping the last-event-ID in force on the output stream."""

    __slots__ = ("_last_id",)

    def __init__(self) -> None:
        # None once encoded bytes went out: their ids are unknown, so the next id is written.
        self._last_id: str | None = ""

    def encode(self, item: object) -> bytes:
        """One item's block; TypeError for an item (or an event's field) of no known type,
        ValueError for one that cannot be written."""
        if isinstance(item, ChatUpdate):
            return _encode_update(item)
        if isinstance(item, str):
            return encode_event(item)
        if isinstance(item, ServerSentEvent):
            # Spec: a block without an id field leaves the last-event-ID unchanged, so the id is
            # needed only when it changes.
            block = encode_event(
                item.data,
                event=None if item.event == "message" else item.event,
                id=None if item.id == self._last_id else item.id,
                retry=item.retry,
            )
            self._last_id = item.id
            return block
        if isinstance(item, Mapping):
            return encode_event(_json(item))
        if isinstance(item, bytes):
            if item and not item.endswith(_BLANK_LINE_ENDS):
                raise ValueError(
                    "bytes items are events already encoded and must end with a blank line; "
                    f"these end with {item[-20:]!r} (to relay a byte stream, pass "
                    "sseproto.aiter_events(reads) instead)"
                )
            self._last_id = None
            return item
        raise TypeError(
            "relayed items must be ServerSentEvent, str, dict, bytes or updates, "
            f"not {type(item).__name__}: {item!r:.80}"
        )


def _encode_update(update: ChatUpdate) -> bytes:
    if isinstance(update, StreamDone):
        return encode_event(_json(update.completion.to_dict()), event="done")
    kind = type(update)
    shape = _EVENT_SHAPES.get(kind)
    if shape is None:
        shape = _EVENT_SHAPES[kind] = _event_shape(kind)
    name, fields = shape
    return encode_event(_json({field: getattr(update, field) for field in fields}), event=name)


def _event_shape(kind: type[ChatUpdate]) -> tuple[str, tuple[str, ...]]:
    """The event name and data fields of an update class, derived from the class itself so that
    every update, of any dialect, has an event: ``ToolCallArgumentsDelta`` is
    ``tool_call_arguments``, ``BlockDone`` is ``block_done``."""
    name = _UPDATE_SUFFIX.sub("", _WORD_BOUNDARY.sub("_", kind.__name__).lower())
    fields: tuple[str, ...] = getattr(kind, "__match_args__", kind.__slots__)
    return name, fields


def _json(value: object) -> str:
    # NaN and Infinity are no JSON: a browser's JSON.parse rejects them.
    return json.dumps(value, default=_plain, allow_nan=False)


def _plain(value: object) -> object:
    """JSON for what ``json`` cannot write itself: the read-only mappings an update may hold, and
    the result objects (a content block), written as the provider's JSON by their ``to_dict()``."""
    if isinstance(value, Mapping):
        return dict(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"cannot encode {value!r:.80} as JSON")


class _Pause:
    """A silence of the source as long as the keep-alive interval."""

    __slots__ = ()


_PAUSE = _Pause()


async def _paced(
    source: AsyncIterable[object], interval: float | None
) -> AsyncGenerator[object, None]:
    """The items of ``source``, with :data:`_PAUSE` after every ``interval`` seconds of silence
    and the source's exception, if it raises one, as a last :class:`Failure`.

    The next item is awaited in a task that outlives a pause (cancelling the read of a pending
    item would lose it, or break the source); it is cancelled only when this generator closes.
    """
    iterator = aiter(source)
    pending: asyncio.Task[tuple[object] | None] | None = None
    try:
        while True:
            if interval is not None:
                if pending is None:
                    pending = asyncio.ensure_future(_next(iterator))
                finished, _ = await asyncio.wait({pending}, timeout=interval)
                if not finished:
                    yield _PAUSE
                    continue
            try:
                step = await _next(iterator) if pending is None else pending.result()
            except Exception as error:
                yield Failure(error)
                return
            pending = None
            if step is None:
                return
            yield step[0]
    finally:
        if pending is not None:
            pending.cancel()
            await asyncio.wait({pending})
        # Any iterator that can be closed is (an async generator, a streamed response).
        aclose = getattr(iterator, "aclose", None)
        if callable(aclose):
            await aclose()


async def _next(iterator: AsyncIterator[object]) -> tuple[object] | None:
    """The next item of ``iterator`` wrapped in a tuple, or None at its end."""
    try:
        return (await anext(iterator),)
    except StopAsyncIteration:
        return None

