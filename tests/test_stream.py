"""Iterating events out of sync and async sources of byte chunks."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import pytest
from conftest import PROJECT_FIXTURES
from hypothesis import given
from hypothesis import strategies as st
from reference_decoder import reference_decode

import sseproto
import sseproto.wire.iterate as iterate_module
from sseproto import (
    EventTooLargeError,
    IncompleteStreamError,
    RecordedTransportError,
    ServerSentEvent,
    StreamError,
    aiter_events,
    iter_events,
)

STREAM = b"id: 1\ndata: a\n\n: ping\n\nevent: e\ndata: b\r\ndata: c\r\n\r\ndata: \xe2\x82\xac\r\r"
EXPECTED = [
    ServerSentEvent(data="a", id="1"),
    ServerSentEvent(event="e", data="b\nc", id="1"),
    ServerSentEvent(data="€", id="1"),
]


def pieces(stream: bytes, size: int) -> list[bytes]:
    return [stream[i : i + size] for i in range(0, len(stream), size)]


class Source:
    """A source of chunks that records how far it has been read and whether it finished."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = list(chunks)
        self.read = 0
        self.finished = False

    def sync(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.read += 1
            yield chunk
        self.finished = True

    async def asynchronous(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.read += 1
            await asyncio.sleep(0)
            yield chunk
        self.finished = True


async def collect(source: AsyncIterator[bytes], **kwargs: int | None) -> list[ServerSentEvent]:
    return [event async for event in aiter_events(source, **kwargs)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_iter_events_in_any_chunk_size(size: int) -> None:
    assert list(iter_events(Source(pieces(STREAM, size)).sync())) == EXPECTED


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_aiter_events_in_any_chunk_size(size: int) -> None:
    assert asyncio.run(collect(Source(pieces(STREAM, size)).asynchronous())) == EXPECTED


def test_empty_sources_give_no_events() -> None:
    assert list(iter_events(iter([]))) == []
    assert list(iter_events([b"", b""])) == []
    assert asyncio.run(collect(Source([]).asynchronous())) == []


def test_reads_that_are_not_bytes_are_refused_saying_to_read_bytes() -> None:
    text_reads: Any = ["data: x\n\n"]
    mixed: Any = [b"data: a\n\n", "data: x\n\n"]
    unfinished: Any = ["data: x"]
    for reads in (text_reads, mixed, unfinished):
        with pytest.raises(TypeError, match=r"iter_bytes\(\), not iter_text\(\)"):
            list(iter_events(reads))
        with pytest.raises(TypeError, match=r"iter_bytes\(\), not iter_text\(\)"):
            asyncio.run(collect(Source(reads).asynchronous()))
    bad: Any
    for bad in (5, text_reads[0]):
        with pytest.raises(TypeError, match="an iterable of reads"):
            iter_events(bad)
    int_reads: Any = [5]
    with pytest.raises(TypeError, match="must be bytes, bytearray or memoryview"):
        list(iter_events(int_reads))
    with pytest.raises(TypeError, match="a sync iterable goes to the sync function"):
        aiter_events(text_reads)


def test_a_whole_body_is_one_read() -> None:
    async def acollect(body: bytes | bytearray | memoryview) -> list[ServerSentEvent]:
        return [event async for event in aiter_events(body)]

    for body in (STREAM, bytearray(STREAM), memoryview(STREAM)):
        assert list(iter_events(body)) == EXPECTED
        assert asyncio.run(acollect(body)) == EXPECTED
    assert list(iter_events([bytearray(STREAM[:9]), memoryview(STREAM[9:])])) == EXPECTED


def test_iter_events_is_lazy() -> None:
    source = Source([b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"])
    events = iter_events(source.sync())
    assert next(events) == ServerSentEvent(data="1")
    assert source.read == 1
    assert next(events) == ServerSentEvent(data="2")
    assert source.read == 2


def test_aiter_events_is_lazy() -> None:
    source = Source([b"data: 1\n\n", b"data: 2\n\n"])

    async def first() -> ServerSentEvent:
        return await aiter_events(source.asynchronous()).__anext__()

    assert asyncio.run(first()) == ServerSentEvent(data="1")
    assert source.read == 1


@pytest.mark.parametrize("tail", [b"data: unfinished", b"data: unfinished\n", b"data: x\r"])
def test_end_of_source_discards_the_unfinished_event(tail: bytes) -> None:
    chunks = [b"data: done\n\n", tail]
    source = Source(chunks)
    assert list(iter_events(source.sync())) == [ServerSentEvent(data="done")]
    assert source.finished
    asource = Source(chunks)
    assert asyncio.run(collect(asource.asynchronous())) == [ServerSentEvent(data="done")]
    assert asource.finished


def test_cr_at_the_end_of_a_chunk_is_joined_with_the_next_lf() -> None:
    chunks = [b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]
    expected = [ServerSentEvent(data="a\nb")]
    assert list(iter_events(chunks)) == expected
    assert asyncio.run(collect(Source(chunks).asynchronous())) == expected


def test_final_cr_ends_the_last_line() -> None:
    chunks = [b"data: a\n", b"\r"]
    assert list(iter_events(chunks)) == [ServerSentEvent(data="a")]
    assert asyncio.run(collect(Source(chunks).asynchronous())) == [ServerSentEvent(data="a")]


def test_size_limit_is_passed_through() -> None:
    chunks = [b"data: ok\n\n", b"data: " + b"x" * 100, b"\n\n"]
    events: list[ServerSentEvent] = []
    with pytest.raises(EventTooLargeError) as caught:
        events.extend(iter_events(chunks, max_event_size=50))
    assert events == [ServerSentEvent(data="ok")]
    assert (caught.value.offset, caught.value.event_index) == (10, 1)

    async def read() -> None:
        async for event in aiter_events(Source(chunks).asynchronous(), max_event_size=50):
            events.append(event)

    events.clear()
    with pytest.raises(EventTooLargeError):
        asyncio.run(read())
    assert events == [ServerSentEvent(data="ok")]
    assert list(iter_events(chunks, max_event_size=None))[1].data == "x" * 100


def test_size_error_in_the_last_chunk_is_raised_at_the_end() -> None:
    """The decoder defers an error that follows events in the same read; the end must raise it."""
    chunks = [b"data: ok\n\ndata: " + b"x" * 100 + b"\n\n"]
    events: list[ServerSentEvent] = []
    with pytest.raises(EventTooLargeError):
        events.extend(iter_events(chunks, max_event_size=50))
    assert events == [ServerSentEvent(data="ok")]
    events.clear()

    async def read() -> None:
        async for event in aiter_events(Source(chunks).asynchronous(), max_event_size=50):
            events.append(event)

    with pytest.raises(EventTooLargeError):
        asyncio.run(read())
    assert events == [ServerSentEvent(data="ok")]


def failing(reads: list[bytes], failure: Exception) -> Iterator[bytes]:
    yield from reads
    raise failure


async def afailing(reads: list[bytes], failure: Exception) -> AsyncIterator[bytes]:
    for read in reads:
        await asyncio.sleep(0)
        yield read
    raise failure


def failure_reading(
    reads: list[bytes], failure: Exception
) -> tuple[list[ServerSentEvent], BaseException, list[ServerSentEvent], BaseException]:
    """The events and the error of iter_events, then of aiter_events, over reads that fail."""
    events: list[ServerSentEvent] = []
    with pytest.raises(Exception) as caught:
        events.extend(iter_events(failing(reads, failure)))
    aevents: list[ServerSentEvent] = []

    async def read() -> None:
        async for event in aiter_events(afailing(reads, failure)):
            aevents.append(event)

    with pytest.raises(Exception) as acaught:
        asyncio.run(read())
    return events, caught.value, aevents, acaught.value


def test_a_failing_source_is_an_incomplete_stream_placed_where_it_stopped() -> None:
    # The events before the failure come first; then the error says where the stream stopped,
    # as accumulate's does, the source's exception as its cause.
    reads = [b"data: 1\n\ndata: 2", b"\n\ndata: 3"]
    for failure in (ConnectionError("reset"), KeyError("a bug of the source")):
        events, error, aevents, aerror = failure_reading(reads, failure)
        assert events == aevents == [ServerSentEvent(data="1"), ServerSentEvent(data="2")]
        for caught in (error, aerror):
            assert type(caught) is IncompleteStreamError and caught.__cause__ is failure
            assert f"failed with {type(failure).__name__} after 25 bytes" in str(caught)
            assert (caught.offset, caught.event_index, caught.partial) == (25, 2, None)


def test_reads_held_for_a_line_end_count_in_the_offset() -> None:
    # Small reads without a line end wait to be fed with the next one; the failure still counts
    # every byte the source gave.
    reads = [b"data: 1\n\n", b"da", b"ta", b": 2"]
    _, error, _, aerror = failure_reading(reads, ConnectionError("reset"))
    for caught in (error, aerror):
        assert isinstance(caught, IncompleteStreamError)
        assert (caught.offset, caught.event_index) == (len(b"".join(reads)), 1)


def test_the_sources_own_incomplete_stream_is_placed_and_other_verdicts_pass() -> None:
    own = IncompleteStreamError("cut short")
    _, error, _, aerror = failure_reading([b"data: 1\n\nda"], own)
    assert error is aerror is own and (own.offset, own.event_index) == (11, 1)
    # A place the source gave is kept.
    placed = IncompleteStreamError("cut short", offset=3, event_index=0)
    _, error, _, _ = failure_reading([b"data: 1\n\n"], placed)
    assert error is placed and (placed.offset, placed.event_index) == (3, 0)
    # Another StreamError is the source's own verdict, unchanged.
    verdict = StreamError("refused")
    _, error, _, aerror = failure_reading([b"data: 1\n\n"], verdict)
    assert error is aerror is verdict and (verdict.offset, verdict.event_index) == (None, None)


def test_a_replayed_transport_error_is_placed_as_accumulate_places_it() -> None:
    fixture = PROJECT_FIXTURES / "transport-error.sse"
    with pytest.raises(RecordedTransportError) as accumulated:
        sseproto.accumulate(sseproto.replay(fixture))
    for chunking in ("recorded", "byte", 5):
        with pytest.raises(RecordedTransportError) as caught:
            list(iter_events(sseproto.replay(fixture, chunking=chunking)))
        assert (caught.value.offset, caught.value.event_index) == (
            accumulated.value.offset,
            accumulated.value.event_index,
        )

        async def read(c: Any = chunking) -> None:
            async for _ in aiter_events(sseproto.areplay(fixture, chunking=c)):
                pass

        with pytest.raises(RecordedTransportError) as acaught:
            asyncio.run(read())
        assert acaught.value.event_index == accumulated.value.event_index


CHAT = (PROJECT_FIXTURES / "tool-call.sse").read_bytes()
DONE_AT = CHAT.index(b"data: [DONE]")


@given(st.integers(1, DONE_AT), st.lists(st.integers(1, DONE_AT - 1), max_size=12))
def test_where_a_cut_stream_stopped_never_depends_on_the_reads(cut: int, bounds: list[int]) -> None:
    body = CHAT[:cut]
    edges = sorted({0, cut, *(bound for bound in bounds if bound < cut)})
    reads = [body[start:end] for start, end in itertools.pairwise(edges)]
    with pytest.raises(IncompleteStreamError) as accumulated:
        sseproto.accumulate(failing(reads, ConnectionError("reset")))
    with pytest.raises(IncompleteStreamError) as caught:
        list(iter_events(failing(reads, ConnectionError("reset"))))
    place = (caught.value.offset, caught.value.event_index)
    assert place == (accumulated.value.offset, accumulated.value.event_index)
    assert place == (cut, len(list(iter_events(body))))


@pytest.mark.parametrize("limit", [0, -5])
def test_size_limit_is_validated_when_called(limit: int) -> None:
    with pytest.raises(ValueError):
        iter_events([], max_event_size=limit)
    with pytest.raises(ValueError):
        aiter_events(Source([]).asynchronous(), max_event_size=limit)


@pytest.mark.parametrize("limit", [0, -5])
def test_invalid_size_limit_fails_before_any_event(limit: int) -> None:
    with pytest.raises(ValueError):
        list(iter_events([b"data: x\n\n"], max_event_size=limit))
    with pytest.raises(ValueError):
        asyncio.run(collect(Source([b"data: x\n\n"]).asynchronous(), max_event_size=limit))


def test_an_oversized_line_fails_without_reading_much_past_the_limit() -> None:
    limit = 256 * 1024
    read = b"x" * 1024
    pulled = 0

    def endless_line() -> Iterator[bytes]:
        nonlocal pulled
        yield b"data: "
        while True:
            pulled += 1
            yield read

    with pytest.raises(EventTooLargeError) as caught:
        for _ in iter_events(endless_line(), max_event_size=limit):
            pass
    assert (caught.value.offset, caught.value.event_index) == (0, 0)
    # The limit plus at most one gathered batch of reads (64 KiB) and a read or two of slack.
    assert pulled * len(read) <= limit + 64 * 1024 + 2 * len(read)

    pulled = 0

    async def aendless_line() -> AsyncIterator[bytes]:
        for chunk in endless_line():
            yield chunk

    with pytest.raises(EventTooLargeError):
        asyncio.run(collect(aendless_line(), max_event_size=limit))
    assert pulled * len(read) <= limit + 64 * 1024 + 2 * len(read)


def test_many_reads_without_line_ends_then_events() -> None:
    chunks = [b"data: "] + [b"ab"] * 5000 + [b"\n\ndata: next\r", b"\r"]
    expected = [ServerSentEvent(data="ab" * 5000), ServerSentEvent(data="next")]
    assert list(iter_events(chunks)) == expected
    assert asyncio.run(collect(Source(chunks).asynchronous())) == expected


stream_pieces = st.lists(
    st.sampled_from([b"data: ", b"id: 1", b"event: e", b":", b"\r", b"\n", b"\r\n", "é".encode()])
    | st.binary(max_size=5),
    max_size=30,
)


@given(pieces=stream_pieces, cuts=st.lists(st.integers(0, 200), max_size=10))
def test_iterators_agree_with_the_oracle(pieces: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(pieces)
    bounds = [0, *sorted(cut % (len(stream) + 1) for cut in cuts), len(stream)]
    chunks = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    expected = reference_decode(stream).events
    assert list(iter_events(chunks)) == expected
    assert asyncio.run(collect(Source(chunks).asynchronous())) == expected


@given(
    pieces=stream_pieces,
    cuts=st.lists(st.integers(0, 200), max_size=10),
    piece=st.integers(1, 12),
    limit=st.none() | st.integers(1, 40),
)
def test_reads_fed_in_pieces_agree_with_the_whole_stream(
    pieces: list[bytes], cuts: list[int], piece: int, limit: int | None
) -> None:
    """Reads over the piece size (a whole body) are fed a piece at a time: with a tiny piece
    size every read is cut anywhere, and the events and any size error stay those of the whole
    stream fed at once."""
    stream = b"".join(pieces)
    bounds = [0, *sorted(cut % (len(stream) + 1) for cut in cuts), len(stream)]
    chunks = [stream[a:b] for a, b in itertools.pairwise(bounds)]

    def outcome(events: Iterable[ServerSentEvent]) -> tuple[list[ServerSentEvent], object]:
        seen: list[ServerSentEvent] = []
        try:
            seen.extend(events)
        except EventTooLargeError as exc:
            return seen, (exc.offset, exc.event_index)
        return seen, None

    async def acollect() -> tuple[list[ServerSentEvent], object]:
        seen: list[ServerSentEvent] = []
        try:
            async for event in aiter_events(Source(chunks).asynchronous(), max_event_size=limit):
                seen.append(event)
        except EventTooLargeError as exc:
            return seen, (exc.offset, exc.event_index)
        return seen, None

    expected = outcome(iter_events([stream], max_event_size=limit))
    saved = iterate_module._PIECE
    iterate_module._PIECE = piece
    try:
        assert outcome(iter_events(chunks, max_event_size=limit)) == expected
        assert asyncio.run(acollect()) == expected
    finally:
        iterate_module._PIECE = saved
