"""Iterating events out of any sync or async source of bytes."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

from ._decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ._events import ServerSentEvent

__all__ = ["aiter_events", "iter_events"]


def iter_events(
    chunks: Iterable[bytes], *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
) -> Iterator[ServerSentEvent]:
    """Yield the events of a stream given as an iterable of byte chunks (reads of any size).

    Raises:
        ValueError: at the call, if ``max_event_size`` is invalid.
    """
    # The decoder is built here, outside the generator, so a bad argument fails at the call.
    return _events(SSEDecoder(max_event_size=max_event_size), chunks)


def aiter_events(
    chunks: AsyncIterable[bytes], *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
) -> AsyncIterator[ServerSentEvent]:
    """Yield the events of a stream given as an async iterable of byte chunks.

    Raises:
        ValueError: at the call, if ``max_event_size`` is invalid.
    """
    return _aevents(SSEDecoder(max_event_size=max_event_size), chunks)


def _events(decoder: SSEDecoder, chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()


async def _aevents(
    decoder: SSEDecoder, chunks: AsyncIterable[bytes]
) -> AsyncIterator[ServerSentEvent]:
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.close():
        yield event
