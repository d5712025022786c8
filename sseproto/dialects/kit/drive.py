"""Sync and async wrappers that run a :class:`ChatAccumulator` over an iterable of byte reads.

They do no I/O of their own: pass ``response.iter_bytes()`` (httpx, requests) or
``response.content.iter_any()`` (aiohttp), a replayed fixture, or any iterable of ``bytes``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

from ...wire.decoder import DEFAULT_MAX_EVENT_SIZE
from ...wire.errors import StreamError
from ..chat.accumulator import ChatAccumulator
from ..chat.completion import ChatCompletion
from .updates import ChatUpdate

__all__ = ["aaccumulate", "accumulate", "aiter_chat", "iter_chat"]


def accumulate(
    chunks: Iterable[bytes],
    *,
    strict: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> ChatCompletion:
    """Read a whole chat stream (its raw bytes, in reads of any size) and return the completion.

    Raises:
        StreamError: the stream was invalid, carried a provider error, or was cut short; the
            error's ``partial`` holds what was rebuilt.
    """
    accumulator = ChatAccumulator(strict=strict, max_event_size=max_event_size)
    for data in chunks:
        # No one reads the updates: let the accumulator skip building them.
        accumulator._feed_into(data, None)
    return accumulator.result()


async def aaccumulate(
    chunks: AsyncIterable[bytes],
    *,
    strict: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> ChatCompletion:
    """The async twin of :func:`accumulate`."""
    accumulator = ChatAccumulator(strict=strict, max_event_size=max_event_size)
    async for data in chunks:
        accumulator._feed_into(data, None)
    return accumulator.result()


def iter_chat(
    chunks: Iterable[bytes],
    *,
    strict: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> Iterator[ChatUpdate]:
    """Yield the :class:`ChatUpdate` objects of a chat stream as its bytes arrive.

    The last update of a complete stream is :class:`StreamDone`, whose ``completion`` is the
    rebuilt completion. An error is raised after every update produced before it was yielded.

    Raises:
        StreamError: as :func:`accumulate`.
    """
    accumulator = ChatAccumulator(strict=strict, max_event_size=max_event_size)
    for data in chunks:
        updates: list[ChatUpdate] = []
        try:
            accumulator._feed_into(data, updates)
        except StreamError:
            # The updates before the error in this read still reach the caller, then the error.
            yield from updates
            raise
        yield from updates
    yield from accumulator.close()


async def aiter_chat(
    chunks: AsyncIterable[bytes],
    *,
    strict: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> AsyncIterator[ChatUpdate]:
    """The async twin of :func:`iter_chat`."""
    accumulator = ChatAccumulator(strict=strict, max_event_size=max_event_size)
    async for data in chunks:
        updates: list[ChatUpdate] = []
        try:
            accumulator._feed_into(data, updates)
        except StreamError:
            for update in updates:
                yield update
            raise
        for update in updates:
            yield update
    for update in accumulator.close():
        yield update
