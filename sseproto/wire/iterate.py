"""Iterating events out of any sync or async source of bytes."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Generator, Iterable, Iterator
from typing import NoReturn

from .decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder, not_bytes
from .errors import source_failure
from .events import ServerSentEvent
from .reads import BytesLike, aframed_reads, async_reads, framed_reads, reads, take_held

__all__ = ["aiter_events", "iter_events"]


def iter_events(
    chunks: Iterable[BytesLike] | BytesLike,
    *,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> Generator[ServerSentEvent, None, None]:
    """Yield the events of a stream given as an iterable of byte chunks (reads of any size), or
    as one whole body. ``close()`` (after a ``break``) closes the source now, when it is a
    generator, so that its ``finally`` blocks run (a recording's sidecar is written, a response
    released).

    Raises:
        ValueError: at the call, if ``max_event_size`` is invalid.
        TypeError: at the call, if ``chunks`` is neither; while iterating, for a read that is
            not bytes-like (text from ``iter_text()``, ...).
        EventTooLargeError: an event exceeds ``max_event_size``.
        IncompleteStreamError: the source failed (after the events before the failure): the
            source's own ``IncompleteStreamError`` given the ``offset`` (bytes read) and
            ``event_index`` (events dispatched) it lacks, or a new one whose ``__cause__`` is
            what the source raised; another ``StreamError`` of the source passes unchanged.
    """
    # The decoder is built here, outside the generator, so a bad argument fails at the call.
    return _events(SSEDecoder(max_event_size=max_event_size), reads(chunks))


def aiter_events(
    chunks: AsyncIterable[BytesLike] | BytesLike,
    *,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> AsyncIterator[ServerSentEvent]:
    """Yield the events of a stream given as an async iterable of byte chunks, or as one whole
    body.

    Raises:
        ValueError: at the call, if ``max_event_size`` is invalid.
        TypeError: at the call, if ``chunks`` is neither; while iterating, for a read that is
            not bytes-like.
        EventTooLargeError, IncompleteStreamError: as :func:`iter_events`.
    """
    return _aevents(SSEDecoder(max_event_size=max_event_size), async_reads(chunks))


# A read larger than _PIECE (a whole body) is fed a piece at a time and each piece's events are
# handed out before the next is decoded: the events of a whole body are never all alive at once.
# Fed whole, a 6 MB body's 20,000 events sat in one list, and building that list (fresh memory,
# the garbage collector's passes over every event) cost more than decoding them.
_PIECE = 32 * 1024


def _events(
    decoder: SSEDecoder, chunks: Iterator[BytesLike]
) -> Generator[ServerSentEvent, None, None]:
    # Reads without a line end are held by the readers' one policy (framed_reads): they cannot
    # complete an event, and the decoder is called once per line end instead of once per read.
    feed = decoder.feed
    held: list[bytes] = []
    framed = framed_reads(chunks, held)
    ours: Exception | None = None  # an error of the decoder's or of a read's, not the source's
    try:
        for read in framed:
            try:
                chunk = read if read.__class__ is bytes else _as_bytes(read)
                if len(chunk) > _PIECE:
                    for piece in _pieces(chunk):
                        yield from feed(piece)
                else:
                    yield from feed(chunk)
            except Exception as error:
                ours = error
                raise
    except Exception as error:
        if error is ours:
            raise
        _raise_source_failure(decoder, error, held)
    finally:
        framed.close()
    yield from decoder.close()


async def _aevents(
    decoder: SSEDecoder, chunks: AsyncIterator[BytesLike]
) -> AsyncIterator[ServerSentEvent]:
    feed = decoder.feed
    held: list[bytes] = []
    framed = aframed_reads(chunks, held)
    ours: Exception | None = None
    try:
        async for read in framed:
            try:
                chunk = read if read.__class__ is bytes else _as_bytes(read)
                for piece in _pieces(chunk) if len(chunk) > _PIECE else (chunk,):
                    for event in feed(piece):
                        yield event
            except Exception as error:
                ours = error
                raise
    except Exception as error:
        if error is ours:
            raise
        _raise_source_failure(decoder, error, held)
    finally:
        await framed.aclose()
    for event in decoder.close():
        yield event


def _raise_source_failure(decoder: SSEDecoder, error: Exception, held: list[bytes]) -> NoReturn:
    """Raise the stream's error for ``error``, raised by the source after the reads the decoder
    took and the ``held`` ones it takes now, placed where the stream stopped as the readers of
    updates place theirs (:func:`~sseproto.wire.errors.source_failure`)."""
    take_held(held, decoder.feed)
    raise source_failure(error, offset=decoder.offset, event_index=decoder.events_dispatched)


def _pieces(chunk: bytes) -> Iterator[bytes]:
    """``chunk`` cut into pieces of _PIECE bytes (the last one shorter)."""
    for start in range(0, len(chunk), _PIECE):
        yield chunk[start : start + _PIECE]


def _as_bytes(read: object) -> bytes:
    # Checked before the line-end test, which would fail on text with a TypeError of its own.
    if not isinstance(read, bytes | bytearray | memoryview):
        raise not_bytes(read)
    return bytes(read)
