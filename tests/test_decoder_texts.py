"""SSEDecoder._texts_feed: the same decoding as feed(), the data-only events given as their data.

Fed the same reads, a decoder and one whose ``feed`` ``_texts_feed()`` turned to texts must agree
read by read: each read's events are equal, or the texts are the data of events that are all of
type ``"message"`` with the id in force and no retry; the errors, offsets, ids, retry and event
counts are the same; and one read never mixes texts and events.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_decoder_properties import arbitrary_bytes, cut_lists, split, sse_like_streams

import sseproto.wire.decoder as decoder_module
from sseproto import EventTooLargeError, ServerSentEvent, SSEDecoder


@st.composite
def data_only_streams(draw: st.DrawFn) -> bytes:
    """The chat wire (one ``data:`` line a block, LF or CRLF throughout), long enough for the
    whole-read path, with now and then what leaves it: an id, a comment, a second data line,
    a lone CR, invalid UTF-8, a retry."""
    eol = draw(st.sampled_from([b"\n", b"\r\n"]))
    blocks = []
    for _ in range(draw(st.integers(1, 30))):
        value = draw(st.sampled_from([b'{"c":"x"}', b"[DONE]", "é😀".encode(), b"", b" a "]))
        block = b"data: " + value * draw(st.integers(1, 16)) + eol
        if not draw(st.integers(0, 7)):
            odd = [b"id: 7", b": ping", b"data: more", b"retry: 5", b"data: \xff", b"data: a\rb"]
            block = draw(st.sampled_from(odd)) + eol + block
        blocks.append(block + eol)
    tail = draw(st.sampled_from([b"", b"data: unfinished", b"data: x" + eol]))
    return b"".join(blocks) + tail


def _outcome(call: Any, chunk: bytes) -> tuple[Any, Any]:
    try:
        return call(chunk), None
    except EventTooLargeError as error:
        return None, (str(error), error.offset, error.event_index)


def assert_same(chunks: list[bytes], max_event_size: int | None = None) -> None:
    events = SSEDecoder(max_event_size=max_event_size)
    texts = SSEDecoder(max_event_size=max_event_size)
    feed_texts = texts._texts_feed()
    for chunk in chunks:
        expected, failure = _outcome(events.feed, chunk)
        got, failed = _outcome(feed_texts, chunk)
        assert failed == failure
        if failure is not None:
            return
        kinds = {type(item) for item in got}
        assert len(kinds) <= 1
        if kinds == {str}:
            last = texts.last_event_id
            assert expected == [ServerSentEvent("message", text, last, None) for text in got]
        else:
            assert got == expected
        assert texts.last_event_id == events.last_event_id
        assert texts.retry == events.retry
        assert texts.offset == events.offset
        assert texts.events_dispatched == events.events_dispatched
        first = events.events_dispatched - len(expected)
        for index in range(first - 1, events.events_dispatched + 1):
            assert texts.event_offset(index) == events.event_offset(index)
    assert _outcome(lambda _: texts.close(), b"") == _outcome(lambda _: events.close(), b"")
    assert texts.retry == events.retry


streams = st.one_of(data_only_streams(), sse_like_streams(), arbitrary_bytes)


@given(stream=streams, cuts=cut_lists)
def test_feed_texts_decodes_as_feed_does(stream: bytes, cuts: list[int]) -> None:
    assert_same(split(stream, cuts))


@given(stream=data_only_streams(), cuts=cut_lists, limit=st.integers(1, 400))
def test_feed_texts_fails_where_feed_fails(stream: bytes, cuts: list[int], limit: int) -> None:
    assert_same(split(stream, cuts), max_event_size=limit)


@given(stream=streams, cuts=cut_lists, segment=st.integers(1, 40))
def test_segments_of_a_large_read_never_mix_texts_and_events(
    stream: bytes, cuts: list[int], segment: int
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoder_module, "_SEGMENT", segment)
        assert_same(split(stream, cuts))


def test_data_only_reads_are_given_as_texts() -> None:
    feed_texts = SSEDecoder()._texts_feed()
    body = b"".join(b'data: {"n":%d}\n\n' % n for n in range(200))
    cut = body.index(b'data: {"n":150}')
    assert feed_texts(body[:cut]) == [f'{{"n":{n}}}' for n in range(150)]
    # A comment takes the read off the data-only path: events, as feed() gives them.
    assert feed_texts(b": ping\n\n" + body[cut:]) == [
        ServerSentEvent("message", f'{{"n":{n}}}') for n in range(150, 200)
    ]
    # Only that decoder gives texts.
    events = [ServerSentEvent("message", f'{{"n":{n}}}') for n in range(200)]
    assert SSEDecoder().feed(body) == events


def test_a_small_read_completing_one_event_is_given_as_its_text() -> None:
    # The commonest read of all that completes anything: one data line and its blank line.
    feed_texts = SSEDecoder()._texts_feed()
    assert feed_texts(b'data: {"n":') == []
    assert feed_texts(b'1}\n\ndata: {"n"') == ['{"n":1}']
    assert feed_texts(b':2}\r\n\r\n') == ['{"n":2}']
    assert SSEDecoder().feed(b'data: {"n":3}\n\n') == [ServerSentEvent("message", '{"n":3}')]
