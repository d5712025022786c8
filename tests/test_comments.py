"""The decoder's comment hook: every comment line of every finished block, in order, whatever
the reads, and nothing else."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reference_decoder import BOM_BYTES, split_lines

from sseproto import SSEDecoder


def reference_comments(stream: bytes) -> list[str]:
    """The comments of ``stream`` as the specification reads its lines: the text after the
    colon less one leading space, for the lines of each block its blank line ends (an
    unfinished final block is discarded, as its events are)."""
    text = stream.removeprefix(BOM_BYTES).decode("utf-8", "replace")
    found: list[str] = []
    pending: list[str] = []
    for line in split_lines(text):
        if not line:
            found += pending
            pending = []
        elif line.startswith(":"):
            pending.append(line[2:] if line.startswith(": ") else line[1:])
    return found


def comments(reads: list[bytes]) -> list[str]:
    seen: list[str] = []
    decoder = SSEDecoder(on_comment=seen.append)
    for data in reads:
        decoder.feed(data)
    decoder.close()
    return seen


line = st.one_of(
    st.sampled_from([b"data: x", b"data: [DONE]", b"event: e", b"id: 1", b"retry: 5", b"data:"]),
    st.text(max_size=8).map(lambda text: b":" + text.replace("\r", "").replace("\n", "").encode()),
)
block = st.tuples(st.lists(line, max_size=4), st.sampled_from([b"\n", b"\r", b"\r\n"])).map(
    lambda parts: b"".join(item + parts[1] for item in parts[0]) + parts[1]
)
streams = st.tuples(
    st.sampled_from([b"", BOM_BYTES]),
    st.lists(block, max_size=10),
    st.sampled_from([b"", b": unfinished\n", b"data: x"]),
).map(lambda parts: parts[0] + b"".join(parts[1]) + parts[2])


@given(streams, st.lists(st.integers(0, 10**6), max_size=8))
def test_comments_never_depend_on_the_reads(stream: bytes, cuts: list[int]) -> None:
    bounds = [0, *sorted(cut % (len(stream) + 1) for cut in cuts), len(stream)]
    reads = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    assert comments(reads) == comments([stream]) == reference_comments(stream)


def test_the_text_after_the_colon_less_one_space() -> None:
    stream = b": keep-alive\n\n:ping\n\n:  two spaces\n\n:\n\ndata: a\n: inside\n\n"
    assert comments([stream]) == ["keep-alive", "ping", " two spaces", "", "inside"]


def test_comments_among_the_fast_paths_shapes_are_seen() -> None:
    # Runs of data-only and typed events, the shapes the decoder splits without reading lines.
    stream = (
        b"data: a\n\n: one\n\ndata: b\n\n"
        b"event: x\ndata: 1\n\n: two\r\n\r\n"
        b"event: y\r\ndata: 2\r\n\r\n: three\r\n\r\n"
    )
    assert comments([stream]) == ["one", "two", "three"]


def test_a_comment_is_reported_during_the_feed_that_ends_its_block() -> None:
    seen: list[str] = []
    decoder = SSEDecoder(on_comment=seen.append)
    assert decoder.feed(b": wait") == [] and seen == []
    assert decoder.feed(b"ing\n") == [] and seen == []
    events = decoder.feed(b"\ndata: a\n\n")
    assert seen == ["waiting"] and [event.data for event in events] == ["a"]


def test_a_hook_that_is_not_callable_is_refused() -> None:
    hook: Any = "print"
    with pytest.raises(TypeError, match="on_comment"):
        SSEDecoder(on_comment=hook)
