"""Serving event streams: turn an async iterable of events, strings or updates into SSE bytes.

For a Starlette or FastAPI endpoint that relays a model's answer to a browser::

    import sseproto
    from starlette.responses import StreamingResponse
    from sseproto.server import SSE_HEADERS, event_stream

    async def chat(request):
        updates = sseproto.aiter_chat(upstream_bytes())
        return StreamingResponse(event_stream(updates), headers=SSE_HEADERS)

What each item becomes (every event ends with its blank line, so a client sees it at once):

- :class:`~sseproto.ServerSentEvent`: the same event; its ``id`` is written only when it differs
  from the last-event-ID already in force on the output stream, so decoding gives back the same
  events, ids included.
- ``str``: a ``message`` event with that data; each line of a multi-line string is its own
  ``data:`` line.
- an update (of any dialect): an event named after its class, in snake case without a trailing
  ``Delta`` or ``Update`` (``content``, ``tool_call_arguments``, ``usage``, ``block_done``,
  ``grounding``, ``annotation_added``, ...), whose data is a JSON object of the update's fields in
  ``__match_args__`` order, result objects (a content block) written with their ``to_dict()``,
  e.g. ``event: content`` / ``data: {"choice": 0, "text": "Hi"}``. The end of the stream
  (:class:`~sseproto.StreamDone`) is ``event: done`` whose data is the dialect's own result,
  its ``to_dict()`` (a ``chat.completion``, an Anthropic Message, a Response, a Gemini
  response). A browser listens with ``source.addEventListener("content", ...)``.

While the source is silent, a comment line is sent every ``keepalive`` seconds so that proxies and
load balancers do not close an idle connection. ``done=True`` ends the stream with
``data: [DONE]``, the terminator OpenAI-compatible clients wait for.

This module is plain asyncio and imports no web framework.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Mapping
from types import MappingProxyType
from typing import TypeVar

from ._adapter import check_seconds
from .dialects.kit.errors import ProviderError
from .dialects.kit.updates import ChatUpdate, StreamDone
from .wire.encoder import encode_comment, encode_event
from .wire.errors import StreamError
from .wire.events import ServerSentEvent

__all__ = ["DEFAULT_KEEPALIVE", "SSE_HEADERS", "event_stream"]

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

# 15 s: well under the 30-60 s idle limits of common proxies and load balancers, and rare enough
# to cost nothing.
DEFAULT_KEEPALIVE = 15.0

_KEEPALIVE_COMMENT = encode_comment()
_DONE = encode_event("[DONE]")

# The word boundaries of a class name: before an upper-case letter that follows a lower-case one
# or a digit, and before the last capital of an acronym (``MCPTool``: ``mcp``, ``tool``).
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Suffixes that say an update is a piece of something, not what it is about.
_UPDATE_SUFFIX = re.compile(r"_(delta|update)$")
# The event name and data fields of each update class met so far (derived once per class: the
# relay writes about one event per upstream chunk).
_EVENT_SHAPES: dict[type[ChatUpdate], tuple[str, tuple[str, ...]]] = {}

_Item = ServerSentEvent | str | ChatUpdate
_T = TypeVar("_T")


def event_stream(
    source: AsyncIterable[_Item],
    *,
    keepalive: float | None = DEFAULT_KEEPALIVE,
    done: bool = False,
) -> AsyncGenerator[bytes, None]:
    """Encode ``source`` as an event stream, one ``bytes`` block per event or keep-alive.

    Args:
        source: the events, strings and updates (of any dialect) to send, in order.
        keepalive: seconds of silence from ``source`` after which a comment is sent (and again
            after each further such pause); None sends none. The source is advanced in a task of
            its own so that a slow source never delays a keep-alive.
        done: end with ``data: [DONE]`` (the OpenAI chat dialect) once ``source`` is exhausted.

    When the returned generator is closed early (the client went away, the request task was
    cancelled), ``source`` is closed too.

    A :class:`~sseproto.StreamError` from ``source`` (the upstream model stream failed: a provider
    error, a truncated or invalid stream) is told to the client rather than cutting the
    connection: the stream ends with ``event: error`` whose data is ``{"error": {...}}``, the
    provider's own error object for a :class:`~sseproto.ProviderError`, else ``message`` and
    ``type`` (no ``[DONE]`` follows). sseproto's chat reader reports that event as a
    ``ProviderError``. Any other exception from ``source`` propagates unchanged.

    Raises:
        ValueError: if ``keepalive`` is not a positive number or None, or ``done`` not a bool;
            while streaming, for an event whose ``event`` or ``id`` cannot be written (see
            :func:`sseproto.encode_event`).
        TypeError: (while streaming) for an item of another type.
    """
    check_seconds("keepalive", keepalive)
    if not isinstance(done, bool):
        raise ValueError(f"done must be a bool, not {done!r}")
    return _encode(source, keepalive, done)


async def _encode(
    source: AsyncIterable[_Item], keepalive: float | None, done: bool
) -> AsyncGenerator[bytes, None]:
    last_id = ""  # the last-event-ID in force for a client reading what was sent so far
    items = source if keepalive is None else _with_pauses(source, keepalive)
    try:
        async for item in items:
            if item is None:
                yield _KEEPALIVE_COMMENT
            elif isinstance(item, ServerSentEvent):
                # Spec: a block without an id field leaves the last-event-ID unchanged, so the id
                # is needed only when it changes.
                yield encode_event(
                    item.data,
                    event=None if item.event == "message" else item.event,
                    id=None if item.id == last_id else item.id,
                    retry=item.retry,
                )
                last_id = item.id
            elif isinstance(item, str):
                yield encode_event(item)
            elif isinstance(item, ChatUpdate):
                yield _encode_update(item)
            else:
                raise TypeError(
                    "event_stream items must be ServerSentEvent, str or updates, "
                    f"not {type(item).__name__}: {item!r}"
                )
    except StreamError as error:
        yield _encode_error(error)
    else:
        if done:
            yield _DONE
    finally:
        # Left early (the client went away): close the source now rather than whenever the
        # event loop gets round to finalising it.
        if isinstance(items, AsyncGenerator):
            await items.aclose()


def _encode_error(error: StreamError) -> bytes:
    if isinstance(error, ProviderError):
        detail: object = error.error
    else:
        detail = {"message": error.message, "type": type(error).__name__}
    return encode_event(json.dumps({"error": detail}, default=_plain), event="error")


def _encode_update(update: ChatUpdate) -> bytes:
    if isinstance(update, StreamDone):
        return encode_event(json.dumps(update.completion.to_dict(), default=_plain), event="done")
    kind = type(update)
    shape = _EVENT_SHAPES.get(kind)
    if shape is None:
        shape = _EVENT_SHAPES[kind] = _event_shape(kind)
    name, fields = shape
    data = {field: getattr(update, field) for field in fields}
    return encode_event(json.dumps(data, default=_plain), event=name)


def _event_shape(kind: type[ChatUpdate]) -> tuple[str, tuple[str, ...]]:
    """The event name and data fields of an update class, derived from the class itself so that
    every update, of any dialect, has an event: ``ToolCallArgumentsDelta`` is
    ``tool_call_arguments``, ``BlockDone`` is ``block_done``."""
    name = _UPDATE_SUFFIX.sub("", _WORD_BOUNDARY.sub("_", kind.__name__).lower())
    fields: tuple[str, ...] = getattr(kind, "__match_args__", kind.__slots__)
    return name, fields


def _plain(value: object) -> object:
    """JSON for what ``json`` cannot write itself: the read-only mappings an update may hold, and
    the result objects (a content block), written as the provider's JSON by their ``to_dict()``."""
    if isinstance(value, Mapping):
        return dict(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"cannot encode {value!r} as JSON")


async def _with_pauses(source: AsyncIterable[_T], interval: float) -> AsyncIterator[_T | None]:
    """The items of ``source``, with None inserted after every ``interval`` seconds of silence.

    The next item is awaited in a task that outlives a pause (cancelling the read of a pending
    item would lose it, or break the source); it is cancelled only when this generator closes.
    """
    iterator = aiter(source)
    pending: asyncio.Task[tuple[_T] | None] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.create_task(_next(iterator))
            finished, _ = await asyncio.wait({pending}, timeout=interval)
            if not finished:
                yield None
                continue
            step, pending = pending.result(), None
            if step is None:
                return
            yield step[0]
    finally:
        if pending is not None:
            pending.cancel()
            await asyncio.wait({pending})
        if isinstance(iterator, AsyncGenerator):
            await iterator.aclose()


async def _next(iterator: AsyncIterator[_T]) -> tuple[_T] | None:
    """The next item of ``iterator`` wrapped in a tuple, or None at its end."""
    try:
        return (await anext(iterator),)
    except StopAsyncIteration:
        return None
