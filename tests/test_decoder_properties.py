"""Invariants of the decoder, checked by Hypothesis.

1. Chunking invariance: for any bytes and any split into reads, feeding the pieces gives exactly
   what feeding the whole gives (events, their offsets, the stream state, and any size error).
2. Round trip: events encoded with ``encode_event`` (with comments between them and any mix of
   LF / CR / CRLF line ends) and split anywhere decode to the same events.
3. The decoder agrees with the plain line-by-line oracle in ``reference_decoder`` on arbitrary input
   split arbitrarily, which holds whatever fast paths the decoder takes; and after every read it
   has dispatched exactly the events of the bytes read so far.
4. The typed-event fast path (``event:`` + ``data:`` blocks, the Anthropic and OpenAI Responses
   wire) gives exactly what the line-by-line path gives, on streams of that shape with every
   near miss mixed in, under any split; and it does fire on well-formed streams of valid UTF-8.
5. So does the data-only fast path (``data:`` blocks, the chat wire).
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass

import pytest
from conftest import real_fixture_files, require_real_fixtures
from hypothesis import example, given
from hypothesis import strategies as st
from reference_decoder import reference_decode

import sseproto.wire.decoder as decoder_module
from sseproto import (
    EventTooLargeError,
    ServerSentEvent,
    SSEDecoder,
    encode_comment,
    encode_event,
)

# Pieces that steer random bytes towards the interesting parts of the grammar.
INTERESTING = [
    b"data: ",
    b"data:",
    b"data",
    b"event: ",
    b"id: ",
    b"id:",
    b"retry: ",
    b"retry:",
    b"12",
    b":",
    b" ",
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"\r\r",
    b"\xef\xbb\xbf",
    b"\xef\xbb",
    b"\x00",
    "é".encode(),
    "€".encode(),
    "😀".encode(),
    b"\xe2\x82",
    b"\xf0\x9f\x98",
    b"\xff",
    b"\x80",
    b"\xc0\xaf",
    "\u2028".encode(),
    "\x85".encode(),
    b"\x0b\x0c\x1c",
]

biased_bytes = st.lists(
    st.one_of(st.sampled_from(INTERESTING), st.binary(max_size=6)), max_size=40
).map(b"".join)

arbitrary_bytes = st.one_of(biased_bytes, st.binary(max_size=200))

EOLS = [b"\n", b"\r", b"\r\n"]
# Any encodable text (surrogates cannot be encoded to UTF-8).
any_text = st.text(st.characters(codec="utf-8"))
value_text = st.text(st.characters(codec="utf-8"), max_size=12)


@st.composite
def sse_like_blocks(draw: st.DrawFn) -> list[bytes]:
    """Mostly well-formed blocks (the shapes a fast path looks for) with occasional oddities."""
    blocks: list[bytes] = []
    for _ in range(draw(st.integers(0, 12))):
        lines: list[bytes] = []
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(
                st.sampled_from(
                    ["data", "data", "data", "event", "id", "retry", "comment", "other", "raw"]
                )
            )
            value = draw(value_text).encode()
            if kind == "retry":
                value = draw(st.sampled_from([b"100", b"7", b"-1", b" 5", value]))
            if kind == "comment":
                lines.append(b":" + value)
            elif kind == "other":
                lines.append(draw(st.sampled_from([b"Data", b"foo", b"data "])) + b": " + value)
            elif kind == "raw":
                lines.append(draw(biased_bytes).replace(b"\r", b"").replace(b"\n", b""))
            else:
                sep = draw(st.sampled_from([b": ", b":", b":  "]))
                lines.append(kind.encode() + sep + value)
        eol = draw(st.sampled_from(EOLS))
        blocks.append(b"".join(line + eol for line in lines) + eol)
    return blocks


@st.composite
def sse_like_streams(draw: st.DrawFn) -> bytes:
    """Blocks from :func:`sse_like_blocks`, maybe after a BOM, maybe with an unfinished tail."""
    prefix = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf"]))
    tail = draw(st.sampled_from([b"", b"", b"data: unfinished", b"data: x\n", b"\r"]))
    return prefix + b"".join(draw(sse_like_blocks())) + tail


def split(stream: bytes, cuts: list[int]) -> list[bytes]:
    """Cut ``stream`` at the given positions (in any order, repeats give empty reads)."""
    bounds = [0, *sorted(cut % (len(stream) + 1) for cut in cuts), len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


cut_lists = st.lists(st.integers(min_value=0, max_value=10**6), max_size=12)


@dataclass
class Outcome:
    """Everything observable from feeding one stream."""

    events: list[ServerSentEvent]
    offsets: list[int]
    last_event_id: str
    retry: int | None
    events_dispatched: int
    offset: int
    error: tuple[int | None, int | None] | None = None


def run(chunks: list[bytes], max_event_size: int | None = None) -> Outcome:
    """Feed ``chunks`` to a fresh decoder, close it, and record everything observable."""
    decoder = SSEDecoder(max_event_size=max_event_size)
    events: list[ServerSentEvent] = []
    offsets: list[int] = []
    error: tuple[int | None, int | None] | None = None
    try:
        for chunk in chunks:
            produced = decoder.feed(chunk)
            first = decoder.events_dispatched - len(produced)
            for index in range(first, decoder.events_dispatched):
                offset = decoder.event_offset(index)
                assert offset is not None
                offsets.append(offset)
            events += produced
        assert decoder.close() == []
    except EventTooLargeError as exc:
        error = (exc.offset, exc.event_index)
    if error is not None:
        # Once failed, the stream's state is whatever it was; only the events and error matter.
        return Outcome(events, offsets, "", None, len(events), 0, error)
    return Outcome(
        events,
        offsets,
        decoder.last_event_id,
        decoder.retry,
        decoder.events_dispatched,
        decoder.offset,
    )


# --- 1. Chunking invariance ----------------------------------------------------------------------


@given(stream=arbitrary_bytes, cuts=cut_lists)
def test_chunking_never_changes_the_result(stream: bytes, cuts: list[int]) -> None:
    assert run(split(stream, cuts)) == run([stream])


@given(stream=sse_like_streams(), cuts=cut_lists)
def test_chunking_never_changes_the_result_on_event_streams(stream: bytes, cuts: list[int]) -> None:
    assert run(split(stream, cuts)) == run([stream])


@example(stream=b"\ndata: \n\n", cuts=[2], limit=1)
@given(stream=sse_like_streams(), cuts=cut_lists, limit=st.integers(1, 80))
def test_chunking_never_changes_where_the_size_limit_fails(
    stream: bytes, cuts: list[int], limit: int
) -> None:
    assert run(split(stream, cuts), limit) == run([stream], limit)


@example(blocks=[b"data: " + b"a" * 51 + b"\r\n\r\n"], slack=-1, back=1)
@given(blocks=sse_like_blocks().filter(bool), slack=st.integers(-1, 1), back=st.integers(0, 3))
def test_chunking_never_changes_the_size_limit_at_its_boundary(
    blocks: list[bytes], slack: int, back: int
) -> None:
    """The limit set at the largest block's size, give or take a byte; a read ends near its end."""
    stream = b"".join(blocks)
    largest = max(range(len(blocks)), key=lambda index: len(blocks[index]))
    limit = max(1, len(blocks[largest]) + slack)
    end = len(b"".join(blocks[: largest + 1]))
    assert run(split(stream, [max(0, end - back)]), limit) == run([stream], limit)


@given(stream=arbitrary_bytes)
def test_single_byte_reads_give_the_same_result(stream: bytes) -> None:
    assert run([stream[i : i + 1] for i in range(len(stream))]) == run([stream])


@given(stream=st.one_of(arbitrary_bytes, sse_like_streams()), cuts=cut_lists)
def test_events_are_dispatched_as_soon_as_their_block_ends(stream: bytes, cuts: list[int]) -> None:
    """After every read, the events so far are those of the bytes so far: none is held back."""
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in split(stream, cuts):
        events += decoder.feed(chunk)
        prefix = reference_decode(stream[: decoder.offset])
        assert events == prefix.events
        assert decoder.last_event_id == prefix.last_event_id


@example(data=b"data: x\r\n\r\n")
@example(data=b"a\r\n\r\n\r")
@example(data=b"a\r\n\r\n\n")
@given(data=st.one_of(arbitrary_bytes, sse_like_streams()))
def test_the_crlf_blank_line_search_finds_what_the_general_one_finds(data: bytes) -> None:
    """The one-search shortcut for CRLF streams gives the general search's answer on any bytes."""
    assert decoder_module._crlf_blank_line_end(data) == decoder_module._blank_line_end(data)


# --- 2. Round trip -------------------------------------------------------------------------------

field_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"))


@st.composite
def encoded_events(draw: st.DrawFn) -> tuple[bytes, list[ServerSentEvent]]:
    """Encode random events and comments; return the stream and the events it must decode to."""
    stream: list[bytes] = []
    expected: list[ServerSentEvent] = []
    last_id = ""
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.booleans()):
            stream.append(encode_comment(draw(any_text)))
        data = draw(any_text)
        event = draw(st.none() | field_text)
        id = draw(st.none() | field_text.filter(lambda text: "\x00" not in text))
        retry = draw(st.none() | st.integers(min_value=0, max_value=2**40))
        stream.append(encode_event(data, event=event, id=id, retry=retry))
        if id is not None:
            last_id = id
        expected.append(
            ServerSentEvent(
                event=event or "message",
                data=re.sub("\r\n|\r", "\n", data),
                id=last_id,
                retry=retry,
            )
        )
    return b"".join(stream), expected


def with_line_ends(stream: bytes, choices: list[int]) -> bytes:
    """Replace each LF by LF, CR or CRLF, never putting a lone CR right before a lone LF.

    The encoder ends lines with LF only (CR cannot occur inside its lines), so every LF is a line
    end. A CR followed by an LF would be read as one CRLF and swallow a blank line.
    """
    lines = stream.split(b"\n")
    out = [lines[0]]
    previous = b""
    for line, choice in zip(lines[1:], itertools.cycle(choices or [0]), strict=False):
        eol = EOLS[choice]
        if previous == b"\r" and out[-1] == b"" and eol == b"\n":
            eol = b"\r\n"
        out.append(eol)
        out.append(line)
        previous = eol
    return b"".join(out)


@given(
    encoded=encoded_events(),
    eol_choices=st.lists(st.integers(0, 2), max_size=16),
    cuts=cut_lists,
)
def test_encoded_events_decode_to_themselves(
    encoded: tuple[bytes, list[ServerSentEvent]], eol_choices: list[int], cuts: list[int]
) -> None:
    stream, expected = encoded
    stream = with_line_ends(stream, eol_choices)
    outcome = run(split(stream, cuts))
    assert outcome.events == expected
    assert outcome.last_event_id == (expected[-1].id if expected else "")


# --- 3. Agreement with the line-by-line oracle ---------------------------------------------------


def assert_agrees_with_oracle(stream: bytes, cuts: list[int]) -> None:
    outcome = run(split(stream, cuts))
    oracle = reference_decode(stream)
    assert outcome.events == oracle.events
    assert outcome.offsets == oracle.event_offsets
    assert outcome.last_event_id == oracle.last_event_id
    assert outcome.retry == oracle.retry
    assert outcome.offset == len(stream)


@given(stream=arbitrary_bytes, cuts=cut_lists)
def test_agrees_with_the_oracle_on_arbitrary_bytes(stream: bytes, cuts: list[int]) -> None:
    assert_agrees_with_oracle(stream, cuts)


@given(stream=sse_like_streams(), cuts=cut_lists)
def test_agrees_with_the_oracle_on_event_streams(stream: bytes, cuts: list[int]) -> None:
    assert_agrees_with_oracle(stream, cuts)


@given(stream=sse_like_streams())
def test_agrees_with_the_oracle_in_one_read(stream: bytes) -> None:
    assert_agrees_with_oracle(stream, [])


@given(
    stream=st.one_of(arbitrary_bytes, sse_like_streams()),
    cuts=cut_lists,
    segment=st.integers(1, 40),
)
def test_interpreting_in_segments_never_changes_the_result(
    stream: bytes, cuts: list[int], segment: int
) -> None:
    """A large read is interpreted a segment of whole blocks at a time (64 KiB in use); tiny
    segments cut these streams at every kind of blank line, and inside every kind of line end."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoder_module, "_SEGMENT", segment)
        assert_agrees_with_oracle(stream, cuts)


# --- 4. The typed-event fast path ---------------------------------------------------------------

# Type names as the APIs send them, and the edge cases of the field grammar.
event_types = st.one_of(
    st.sampled_from(
        [
            b"content_block_delta",
            b"ping",
            b"response.output_text.delta",
            b"message",
            b"",
            b" padded",
            b"a:b",
            "caf\u00e9".encode(),
            b"\xff\xfe",
            b"\xe2\x82",
        ]
    ),
    value_text.map(lambda text: text.replace("\r", "").replace("\n", "").encode()),
)
# Data values: JSON-like text, padded with spaces as Anthropic pads it, and any bytes but line ends.
data_values = st.one_of(
    st.sampled_from(
        [b'{"type": "ping"}', b'{"type":"message_stop"}       ', b"", b" ", b"data: x"]
    ),
    st.binary(max_size=12).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")),
)
# Blocks that are almost typed events, each of which must leave the fast path.
near_misses = st.sampled_from(
    [
        b"event: a\n",  # no data line: dispatches nothing
        b"event: a\ndata: 1\ndata: 2\n",  # two data lines
        b"event: a\nid: 7\ndata: x\n",
        b"data: x\nevent: a\n",  # data first
        b"event:a\ndata:x\n",  # no spaces
        b"event: a\ndata: x\nretry: 5\n",
        b": ping\nevent: a\ndata: x\n",
        b"data: plain\n",
        b"event: a\n\ndata: x\n",
        b"event: a\ndata: x\n\n",  # followed by an extra blank line
        b"event: a\ndata: x\ry\n",  # a lone CR: a line end too
        b"\n",
    ]
)


@st.composite
def typed_event_streams(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A typed-event stream with one line end throughout; near misses mixed in when drawn.

    Returns the stream and whether it is well formed (every block typed, LF or CRLF).
    """
    eol = draw(st.sampled_from(EOLS))
    well_formed = draw(st.booleans())
    blocks: list[bytes] = []
    for _ in range(draw(st.integers(1, 10))):
        if not well_formed and draw(st.integers(0, 3)) == 0:
            block = draw(near_misses)
        else:
            block = b"event: " + draw(event_types) + b"\ndata: " + draw(data_values) + b"\n"
        blocks.append(block.replace(b"\n", eol) + eol)
    tail = draw(st.sampled_from([b"", b"", b"event: cut", b"event: cut\ndata: x\n"]))
    return b"".join(blocks) + tail.replace(b"\n", eol), well_formed and eol != b"\r"


@example(typed=(b"event: a\n\nevent: b\ndata: 1\ndata: 2\n\n", False), cuts=[])
@given(typed=typed_event_streams(), cuts=cut_lists)
def test_typed_event_streams_agree_with_the_oracle(
    typed: tuple[bytes, bool], cuts: list[int]
) -> None:
    stream, _ = typed
    assert_agrees_with_oracle(stream, cuts)


# A data-less block and a two-line one: their line ends add up as if both were well formed.
@example(typed=(b"event: a\n\nevent: b\ndata: 1\ndata: 2\n\n", False))
@example(typed=(b"event: a\r\n\r\nevent: b\r\ndata: 1\r\ndata: 2\r\n\r\n", False))
@example(typed=(b"event: a\r\ndata: x\ry\r\n\r\n", False))
@given(typed=typed_event_streams())
def test_typed_fast_path_equals_the_line_by_line_path(typed: tuple[bytes, bool]) -> None:
    """Whenever the fast path takes a block, the spec's line-by-line reading gives the same."""
    stream, well_formed = typed
    complete = stream[: max(stream.rfind(b"\n\n") + 2, stream.rfind(b"\r\n\r\n") + 4, 0)]
    if not complete.startswith(b"event: "):
        return
    fast = SSEDecoder()._interpret_typed(complete)
    slow = SSEDecoder()._interpret_lines(complete.decode("utf-8", "replace"))
    if well_formed and complete.decode("utf-8", "ignore").encode() == complete:
        # Invalid UTF-8 is left to the line-by-line path, which replaces it.
        assert fast is not None, "the fast path must take every well-formed typed stream"
    if fast is not None:
        assert fast == slow


# --- 5. The data-only fast path ------------------------------------------------------------------

# Blocks that are almost single data lines, each of which must leave the fast path.
data_near_misses = st.sampled_from(
    [
        b"data: a\ndata: b\n",  # two data lines
        b"data:x\n",  # no space
        b"data: x\ry\n",  # a lone CR: a line end too
        b": c\ndata: x\n",
        b"id: 7\ndata: x\n",
        b"data: x\nretry: 5\n",
        b"event: a\ndata: x\n",
        b"data: x\n\n",  # followed by an extra blank line
        b"\n",
    ]
)


@st.composite
def data_only_streams(draw: st.DrawFn) -> tuple[bytes, bool]:
    """Complete ``data:`` blocks with one line end throughout; near misses mixed in when drawn.

    Returns the stream and whether it is well formed (every block one data line, LF or CRLF).
    """
    eol = draw(st.sampled_from(EOLS))
    well_formed = draw(st.booleans())
    blocks: list[bytes] = []
    for _ in range(draw(st.integers(1, 10))):
        if not well_formed and draw(st.integers(0, 3)) == 0:
            block = draw(data_near_misses)
        else:
            block = b"data: " + draw(data_values) + b"\n"
        blocks.append(block.replace(b"\n", eol) + eol)
    return b"".join(blocks), well_formed and eol != b"\r"


@given(data=data_only_streams(), cuts=cut_lists)
def test_data_only_streams_agree_with_the_oracle(data: tuple[bytes, bool], cuts: list[int]) -> None:
    stream, _ = data
    assert_agrees_with_oracle(stream, cuts)


@example(data=(b"data: a\n\ndata: b\ndata: c\n\n", False))
@example(data=(b"data: a\r\n\r\ndata: b\r\n\r\n\r\n", False))
@example(data=(b"data: a\r\n\r\ndata: x\ry\r\n\r\n", False))
@example(data=(b"data: x\ny\n\n", False))
@given(data=data_only_streams())
def test_data_only_fast_path_equals_the_line_by_line_path(data: tuple[bytes, bool]) -> None:
    """The fast path gives what the spec's line-by-line reading gives, and takes every
    well-formed block of valid UTF-8 (then the line-by-line path is never called)."""
    stream, well_formed = data
    slow = SSEDecoder()._interpret_lines(stream.decode("utf-8", "replace"))
    with pytest.MonkeyPatch.context() as patch:
        if well_formed and stream.decode("utf-8", "ignore").encode() == stream:

            def refuse(self: SSEDecoder, text: str) -> list[ServerSentEvent]:
                raise AssertionError("the fast path must take every well-formed data stream")

            patch.setattr(SSEDecoder, "_interpret_lines", refuse)
        assert SSEDecoder()._interpret(stream) == slow


# A read of a data-only stream is split whole, with the unfinished block before it: the last
# part is the next unfinished block, whatever it holds and wherever the read ends.
data_only_tails = st.sampled_from(
    [b"", b"d", b"data", b"data: ", b"data: x", b"data: x\n", b"data: x\r", b"id: 1", b"\n", b"\r"]
)


@st.composite
def data_only_reads(draw: st.DrawFn) -> tuple[list[bytes], bool]:
    """A data-only stream (near misses mixed in when drawn) with an unfinished tail, in reads
    that each end within the first line of a block: every read after the first continues an
    unfinished block. Returns the reads and whether the stream is well formed."""
    stream, well_formed = draw(data_only_streams())
    eol = b"\r\n" if b"\r\n" in stream else stream[-1:]
    tail = draw(data_only_tails)
    blocks = [block + eol + eol for block in stream.split(eol + eol)[:-1]]
    reads: list[bytes] = []
    read = b""
    for block in blocks:
        line = len(block.split(eol)[0])
        at = draw(st.integers(0, line)) if draw(st.booleans()) else None
        if at is None:
            read += block
        else:
            reads.append(read + block[:at])
            read = block[at:]
    reads.append(read + tail)
    return reads, well_formed and eol != b"\r" and tail in (b"", b"d", b"data", b"data: x")


@example(data=([b"data: a\n\nda", b"ta: b\n\n"], True))
@example(data=([b"data: a\r\n\r\ndata: b\r\n\r", b"\n"], False))
@example(data=([b"data: a\n", b"\ndata: b\n\n"], False))
@given(data=data_only_reads())
def test_data_only_reads_agree_with_the_oracle(data: tuple[list[bytes], bool]) -> None:
    """Each read of a data-only stream is taken whole by the fast path when it continues an
    unfinished block and ends within a block's first line: the events, their offsets and the
    stream's state are the oracle's."""
    reads, well_formed = data
    stream = b"".join(reads)
    oracle = reference_decode(stream)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoder_module, "_WHOLE_READ", 0)  # every read, however small
        if well_formed and stream.decode("utf-8", "ignore").encode() == stream:

            def refuse(self: SSEDecoder, data: bytes, cut: int) -> list[ServerSentEvent]:
                raise AssertionError("the fast path must take every read of this stream")

            patch.setattr(SSEDecoder, "_complete_blocks", refuse)
        outcome = run(reads)
    assert outcome.events == oracle.events
    assert outcome.offsets == oracle.event_offsets
    assert outcome.offset == len(stream)
    assert (outcome.last_event_id, outcome.retry) == (oracle.last_event_id, oracle.retry)


@given(data=data_only_reads(), cuts=cut_lists)
def test_data_only_reads_cut_anywhere_agree_with_the_oracle(
    data: tuple[list[bytes], bool], cuts: list[int]
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoder_module, "_WHOLE_READ", 0)
        assert_agrees_with_oracle(b"".join(data[0]), cuts)


@given(data=data_only_reads(), cuts=cut_lists, limit=st.integers(1, 80))
def test_data_only_reads_never_change_where_the_size_limit_fails(
    data: tuple[list[bytes], bool], cuts: list[int], limit: int
) -> None:
    stream = b"".join(data[0])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoder_module, "_WHOLE_READ", 0)
        assert run(split(stream, cuts), limit) == run(data[0], limit) == run([stream], limit)


def seeded_stream(seed: int, size: int) -> bytes:
    """A long stream of mostly LLM-shaped blocks, some huge, with every oddity mixed in."""
    rng = random.Random(seed)
    words = ["data: ", "é", "€", "😀", '{"a": 1}', " ", ":", "xyz"]
    oddities = [b"\xff", b"\xe2\x82", b"\xef\xbb\xbf", "\u2028".encode(), b"\x00", b"\r"]
    out: list[bytes] = []
    total = 0
    while total < size:
        eol = rng.choice([b"\n", b"\n", b"\r\n", b"\r"])
        lines: list[bytes] = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            kind = rng.random()
            if kind < 0.7:
                count = rng.choice([1, 8, 40, 600, 14_000]) if rng.random() < 0.02 else 6
                value = "".join(rng.choice(words) for _ in range(count)).encode()
                if rng.random() < 0.05:
                    value += rng.choice(oddities).replace(b"\r", b"")
                lines.append(b"data: " + value)
            elif kind < 0.8:
                lines.append(b": keep-alive")
            elif kind < 0.9:
                lines.append(f"id: {rng.randrange(1000)}".encode())
            else:
                lines.append(rng.choice([b"event: delta", b"retry: 250", b"retry: x", b"Data: no"]))
        block = b"".join(line + eol for line in lines) + eol
        if rng.random() < 0.02:
            block = b"\n" + block
        out.append(block)
        total += len(block)
    return b"".join(out) + b"data: unfinished"


def random_reads(stream: bytes, seed: int, low: int, high: int) -> list[bytes]:
    rng = random.Random(seed)
    reads: list[bytes] = []
    position = 0
    while position < len(stream):
        size = rng.randint(low, high)
        reads.append(stream[position : position + size])
        position += size
    return reads


@pytest.mark.parametrize(("low", "high"), [(1, 64), (1024, 16384), (60_000, 300_000)])
def test_agrees_with_the_oracle_on_a_long_seeded_stream(low: int, high: int) -> None:
    stream = seeded_stream(seed=high, size=400_000)
    oracle = reference_decode(stream)
    assert len(oracle.events) > 1000
    for chunks in ([stream], random_reads(stream, seed=low, low=low, high=high)):
        outcome = run(chunks)
        assert outcome.events == oracle.events
        assert outcome.offsets == oracle.event_offsets
        assert (outcome.last_event_id, outcome.retry) == (oracle.last_event_id, oracle.retry)


def test_agrees_with_the_oracle_on_real_recorded_streams() -> None:
    require_real_fixtures()
    files = real_fixture_files(
        "openai-chat", "openai-responses", "anthropic", "other-openai-compatible"
    )
    assert files
    for path in files:
        stream = path.read_bytes()
        oracle = reference_decode(stream)
        assert oracle.events, path
        for chunks in ([stream], random_reads(stream, seed=1, low=1, high=300)):
            outcome = run(chunks)
            assert outcome.events == oracle.events, path
            assert outcome.offsets == oracle.event_offsets, path


# A small read that completes one block of one data line (tiny reads of the chat wire) is taken
# by a path of its own, with the unfinished block before it.
@st.composite
def one_message_reads(draw: st.DrawFn) -> tuple[list[bytes], bool]:
    """A data-only stream (near misses mixed in when drawn), a BOM or not and an unfinished
    tail, in reads that each complete at most one block: each read runs from within a block's
    first line to within the next one's. Returns the reads and whether every read that
    completes a block is of the shape (well formed, LF or CRLF)."""
    stream, well_formed = draw(data_only_streams())
    eol = b"\r\n" if b"\r\n" in stream else stream[-1:]
    tail = draw(data_only_tails)
    blocks = [block + eol + eol for block in stream.split(eol + eol)[:-1]] + [tail]
    reads: list[bytes] = []
    previous = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf"]))  # a BOM or not
    for block in blocks:
        at = draw(st.integers(0, len(block.split(eol)[0])))
        reads.append(previous + block[:at])
        previous = block[at:]
    reads.append(previous)
    # A tail starting with a line end makes the blank line before it one line end longer.
    shaped = eol != b"\r" and tail in (b"", b"d", b"data", b"data: ", b"data: x")
    return [read for read in reads if read], well_formed and shaped


@example(data=([b"data: a\n", b"\ndata: b\n\n"], False))
@example(data=([b"data: a", b"\r\n\r\ndata: b", b"\r\n\r\n"], True))
@example(data=([b"data: a\r", b"\n\r\ndata: b\r\n\r\n"], False))
@example(data=([b"data: a\r", b"\n\ndata: b\n\n"], False))
@given(data=one_message_reads())
def test_one_message_reads_agree_with_the_oracle(data: tuple[list[bytes], bool]) -> None:
    """The events, their offsets and the stream's state are the oracle's; a well-formed stream
    of valid UTF-8 never needs the general path."""
    reads, well_formed = data
    stream = b"".join(reads)
    oracle = reference_decode(stream)
    with pytest.MonkeyPatch.context() as patch:
        if well_formed and stream.decode("utf-8", "ignore").encode() == stream:

            def refuse(self: SSEDecoder, data: bytes, cut: int) -> list[ServerSentEvent]:
                raise AssertionError("the fast path must take every read of this stream")

            patch.setattr(SSEDecoder, "_complete_blocks", refuse)
        outcome = run(reads)
    assert outcome.events == oracle.events
    assert outcome.offsets == oracle.event_offsets
    assert outcome.offset == len(stream)
    assert (outcome.last_event_id, outcome.retry) == (oracle.last_event_id, oracle.retry)


@given(data=one_message_reads(), cuts=cut_lists, limit=st.integers(1, 80))
def test_one_message_reads_never_change_where_the_size_limit_fails(
    data: tuple[list[bytes], bool], cuts: list[int], limit: int
) -> None:
    stream = b"".join(data[0])
    assert run(data[0], limit) == run(split(stream, cuts), limit) == run([stream], limit)
