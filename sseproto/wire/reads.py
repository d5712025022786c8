"""What the readers take as input: the raw bytes of a stream, as reads of any size.

A stream's body is bytes. Text (``iter_text()``, ``iter_lines()`` with its line ends stripped)
has lost what the decoder needs, and iterating one ``bytes`` object gives ints, so anything that
is not bytes-like is refused with a :class:`TypeError` saying what to pass instead (each read by
the decoder itself).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

from .decoder import not_bytes

__all__ = ["BytesLike", "async_reads", "not_bytes", "reads"]

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
