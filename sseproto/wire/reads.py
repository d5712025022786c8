"""What the readers take as input: the raw bytes of a stream, as reads of any size.

A stream's body is bytes. Text (``iter_text()``, ``iter_lines()`` with its line ends stripped)
has lost what the decoder needs, and iterating one ``bytes`` object gives ints, so anything that
is not bytes-like is refused with a :class:`TypeError` saying what to pass instead (each read by
the decoder itself).

Reads without a line end are held and handed on joined to the next read that has one
(:func:`framed_reads`): the one policy of every reader, of events and of updates alike.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)

from .decoder import not_bytes

__all__ = [
    "HOLD",
    "BytesLike",
    "aframed_reads",
    "async_reads",
    "framed_reads",
    "not_bytes",
    "reads",
    "take_held",
]

BytesLike = bytes | bytearray | memoryview
"""One read of a stream's body."""

_BYTES_LIKE = (bytes, bytearray, memoryview)


def reads(chunks: Iterable[BytesLike] | BytesLike) -> Iterator[BytesLike]:
    """The reads of ``chunks``: an iterable of reads, or one whole body as a single read.

    Raises:
        TypeError: ``chunks`` is neither (a ``str``, an ``int``, ...).
    """
    if isinstance(chunks, _BYTES_LIKE):
        return iter((chunks,))
    if isinstance(chunks, str) or not isinstance(chunks, Iterable):
        raise TypeError(
            "expected the stream's bytes: an iterable of reads (response.iter_bytes(), a "
            f"replay(...), a list of bytes) or one bytes body, not {type(chunks).__name__}"
            f"{_hint(chunks)}"
        )
    return iter(chunks)


def _hint(chunks: object) -> str:
    """What was probably meant, for the two likely mistakes: text (or a file's path) given for
    the bytes, and an async iterable given to a sync reader."""
    if isinstance(chunks, str):
        return " (text has lost what decoding needs; a recorded file is read with replay(path))"
    if isinstance(chunks, AsyncIterable):
        return (
            " (an async iterable goes to the async function: aaccumulate, aiter_updates, "
            "aiter_events)"
        )
    return ""


def async_reads(chunks: AsyncIterable[BytesLike] | BytesLike) -> AsyncIterator[BytesLike]:
    """The reads of ``chunks``: an async iterable of reads, or one whole body as a single read.

    Raises:
        TypeError: ``chunks`` is neither (a sync iterable goes to the sync reader).
    """
    if isinstance(chunks, _BYTES_LIKE):
        return _one(chunks)
    if not isinstance(chunks, AsyncIterable):
        raise TypeError(
            "expected the stream's bytes: an async iterable of reads "
            "(response.content.iter_any(), an areplay(...)) or one bytes body, not "
            f"{type(chunks).__name__} (a sync iterable goes to the sync function: accumulate, "
            "iter_updates, iter_events)"
        )
    return aiter(chunks)


async def _one(body: BytesLike) -> AsyncIterator[BytesLike]:
    yield body


# Why reads without a line end are held, and how much. Such a read cannot complete an event (only
# a blank line does), so handing it on costs a call into the decoder (and the accumulator) for
# nothing; held, it costs a type check, two byte searches (LF, CR: a memchr each) and an append,
# and a stream arriving a few bytes at a time (a proxy flushing every token) pays that call once
# per line instead of once per read. Held bytes are handed on once they reach HOLD: that bounds
# what is held beyond the decoder's own size check (a line that never ends meets
# ``max_event_size`` at most HOLD bytes late) and the objects held (a few thousand reads at most),
# and 4 KiB held and joined is copied once, cheap beside the reads it saves calls for. They are
# also handed on before the end of the reads and before a read that is not bytes, and taken by
# the reader before it reports a failure of the source (take_held), so the reader has consumed
# every byte when it tells either: offsets stay exact, and every event still arrives with the
# read that completes it.
HOLD = 4096


def framed_reads(reads: Iterator[BytesLike], held: list[bytes]) -> Generator[BytesLike, None, None]:
    """The reads of ``reads``, those without a line end held in ``held`` (empty at the call) and
    handed on joined to the next read (see :data:`HOLD`). A read that is not ``bytes`` is handed
    on as it came, for the reader to refuse or copy. A failure of the source is raised as it
    came, the bytes still held left in ``held``: the reader takes them while it handles the
    failure (:func:`take_held`), before it reports it.
    """
    hold = held.append
    size = 0
    for data in reads:
        if data.__class__ is bytes:
            if 10 not in data and 13 not in data:  # LF, CR: a memchr each
                hold(data)
                size += len(data)
                if size < HOLD:
                    continue
                data = b""
            if held:
                hold(data)
                data = b"".join(held)
                held.clear()
                size = 0
        elif held:
            yield b"".join(held)
            held.clear()
            size = 0
        yield data
    if held:
        yield b"".join(held)


async def aframed_reads(
    reads: AsyncIterator[BytesLike], held: list[bytes]
) -> AsyncGenerator[BytesLike, None]:
    """The async twin of :func:`framed_reads`."""
    hold = held.append
    size = 0
    async for data in reads:
        if data.__class__ is bytes:
            if 10 not in data and 13 not in data:
                hold(data)
                size += len(data)
                if size < HOLD:
                    continue
                data = b""
            if held:
                hold(data)
                data = b"".join(held)
                held.clear()
                size = 0
        elif held:
            yield b"".join(held)
            held.clear()
            size = 0
        yield data
    if held:
        yield b"".join(held)


def take_held(held: list[bytes], feed: Callable[[bytes], object]) -> None:
    """Feed the bytes ``framed_reads`` still held when the source failed, to be called while
    the failure is handled: they came before it, so they are judged first, as a reader fed each
    read as it came judges them. Without a line end they complete no event; but a line they
    make longer than ``max_event_size`` is refused (:class:`EventTooLargeError`), raised then
    with the source's failure as its ``__context__``."""
    if held:
        feed(b"".join(held))
        held.clear()
