"""Replaying a fixture as the reads of a live stream, split as recorded or any other way.

A replay is planned before the first byte is yielded: the body is cut into :class:`Piece` s (by
the recorded reads, whole, byte by byte, in reads of a fixed size, or at seeded random
boundaries), each with the time at which its last byte arrived when the fixture has timings. The
sync and async iterators only walk that plan, so they cannot disagree, and every argument is
checked at the call, before iteration starts.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from ._errors import RecordedTransportError
from ._fixture import Fixture, Recording, load_fixture

__all__ = ["CHUNKINGS", "Chunking", "Piece", "areplay", "plan", "play", "replay"]

ChunkingName = Literal["recorded", "whole", "byte", "random"]
Chunking = ChunkingName | int
CHUNKINGS: tuple[ChunkingName, ...] = ("recorded", "whole", "byte", "random")

# Random reads are drawn log-uniformly between 1 byte and this size, so one replay mixes single
# bytes (split UTF-8 sequences and CRLFs) with reads as large as a network's.
_LARGEST_RANDOM_READ = 4096


class Piece(NamedTuple):
    """One read of a replay: ``body[start:end]``, due ``seconds`` after the request when the
    fixture recorded timings (the arrival of its last byte), else None."""

    start: int
    end: int
    seconds: float | None


def replay(
    path: str | Path,
    *,
    chunking: Chunking = "recorded",
    seed: int | None = None,
    realtime: bool = False,
) -> Iterator[bytes]:
    """Yield the bytes of the fixture at ``path`` as a stream of reads.

    Args:
        path: the fixture's body (``NAME.sse``); its sidecar ``NAME.reads.jsonl`` is used when
            present.
        chunking: how to split the body: ``"recorded"`` (the reads of the sidecar; the whole
            body at once without one), ``"whole"``, ``"byte"`` (one byte per read), ``"random"``
            (seeded random reads from 1 byte to 4 KiB) or an int (reads of that many bytes).
        seed: the seed of ``"random"`` (None: a fresh random split on each call).
        realtime: sleep so that each read arrives when its last byte arrived in the recording.

    Raises:
        ValueError: at the call, for an invalid ``chunking`` or ``seed``, or ``realtime`` on a
            fixture without timings.
        OSError: at the call, when the fixture cannot be read.
        FixtureError: at the call, when the sidecar does not describe the body.
        RecordedTransportError: after the last byte, when the recording ended with a transport
            error.
    """
    fixture = load_fixture(path)
    pieces = plan(fixture, chunking=chunking, seed=seed, realtime=realtime)
    return play(fixture, pieces, realtime)


def areplay(
    path: str | Path,
    *,
    chunking: Chunking = "recorded",
    seed: int | None = None,
    realtime: bool = False,
) -> AsyncIterator[bytes]:
    """The async twin of :func:`replay` (``realtime`` waits with ``asyncio.sleep``)."""
    fixture = load_fixture(path)
    pieces = plan(fixture, chunking=chunking, seed=seed, realtime=realtime)
    return _aplay(fixture, pieces, realtime)


def plan(
    fixture: Fixture, *, chunking: Chunking, seed: int | None = None, realtime: bool = False
) -> list[Piece]:
    """Cut the fixture's body into the reads of a replay.

    Raises:
        ValueError: for an invalid ``chunking`` or ``seed``, or ``realtime`` without timings.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"seed must be an int or None, not {seed!r}")
    if seed is not None and chunking != "random":
        raise ValueError(f"seed applies to chunking='random' only, not {chunking!r}")
    if realtime and fixture.recording is None:
        raise ValueError(f"realtime replay needs recorded timings; {fixture.path} has no sidecar")
    size = len(fixture.body)
    if isinstance(chunking, bool) or not isinstance(chunking, int | str):
        raise ValueError(f"chunking must be one of {CHUNKINGS} or an int, not {chunking!r}")
    if isinstance(chunking, int):
        if chunking < 1:
            raise ValueError(f"chunking must be a positive read size, not {chunking}")
        bounds = _fixed(size, chunking)
    elif chunking == "recorded":
        if fixture.recording is not None:
            reads = fixture.recording.reads
            return [Piece(r.offset, r.offset + r.length, r.seconds) for r in reads]
        bounds = [(0, size)]
    elif chunking == "whole":
        bounds = [(0, size)]
    elif chunking == "byte":
        bounds = _fixed(size, 1)
    elif chunking == "random":
        bounds = _random(size, random.Random(seed))
    else:
        raise ValueError(f"chunking must be one of {CHUNKINGS} or an int, not {chunking!r}")
    return _timed(bounds, fixture.recording)


def _fixed(size: int, step: int) -> list[tuple[int, int]]:
    return [(start, min(start + step, size)) for start in range(0, size, step)]


def _random(size: int, rng: random.Random) -> list[tuple[int, int]]:
    bounds = []
    start = 0
    while start < size:
        length = int(2 ** rng.uniform(0, _LARGEST_RANDOM_READ.bit_length() - 1))
        bounds.append((start, min(start + length, size)))
        start += length
    return bounds


def _timed(bounds: Sequence[tuple[int, int]], recording: Recording | None) -> list[Piece]:
    """Give each piece the arrival time of its last byte (a byte cannot be replayed before it
    arrived), walking the recorded reads alongside."""
    if recording is None or not recording.reads:
        return [Piece(start, end, None) for start, end in bounds]
    reads = recording.reads
    pieces = []
    current = 0
    for start, end in bounds:
        last = max(end - 1, 0)
        while current < len(reads) - 1 and reads[current].offset + reads[current].length <= last:
            current += 1
        pieces.append(Piece(start, end, reads[current].seconds))
    return pieces


def play(fixture: Fixture, pieces: list[Piece], realtime: bool = False) -> Iterator[bytes]:
    """Yield the pieces of ``fixture`` (sleeping until each is due when ``realtime``), then
    raise the recorded transport error, if the recording ended with one."""
    body = fixture.body
    began = time.monotonic()
    for piece in pieces:
        if realtime and piece.seconds is not None:
            delay = began + piece.seconds - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        yield body[piece.start : piece.end]
    _raise_recorded_error(fixture)


async def _aplay(fixture: Fixture, pieces: list[Piece], realtime: bool) -> AsyncIterator[bytes]:
    body = fixture.body
    began = time.monotonic()
    for piece in pieces:
        if realtime and piece.seconds is not None:
            delay = began + piece.seconds - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        yield body[piece.start : piece.end]
    _raise_recorded_error(fixture)


def _raise_recorded_error(fixture: Fixture) -> None:
    recording = fixture.recording
    if recording is not None and recording.ending.kind == "error":
        raise RecordedTransportError(
            recording.ending.error_type or "",
            recording.ending.error_message or "",
            offset=len(fixture.body),
        )
