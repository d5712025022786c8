"""The decoder against WHATWG "Interpreting an event stream", one test per clause.

Every case is checked with :func:`check`, which feeds the stream whole, one byte at a time and split
in two at every position (plus a few seeded random splits), and compares the events, the decoder
state and the offset of every event with the expected values. The same expectations are also
checked against the plain oracle in ``reference_decoder`` so that the oracle used by the property
tests is itself held to the hand-written cases.
"""

from __future__ import annotations

import itertools
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from reference_decoder import reference_decode

from sseproto import (
    DEFAULT_MAX_EVENT_SIZE,
    MAX_RETRY,
    EventTooLargeError,
    ServerSentEvent,
    SSEDecoder,
    StreamError,
    iter_events,
)

BOM = b"\xef\xbb\xbf"


def ev(
    data: str, event: str = "message", id: str = "", retry: int | None = None
) -> ServerSentEvent:
    """Shorthand for an expected event."""
    return ServerSentEvent(event=event, data=data, id=id, retry=retry)


def chunkings(stream: bytes, seed: int = 0) -> Iterator[list[bytes]]:
    """Whole, byte by byte, in two at every position, and a few random multi-way splits."""
    yield [stream]
    yield [stream[i : i + 1] for i in range(len(stream))]
    for cut in range(len(stream) + 1):
        yield [stream[:cut], stream[cut:]]
    rng = random.Random(seed)
    for _ in range(8):
        cuts = sorted(rng.randrange(len(stream) + 1) for _ in range(rng.randrange(1, 6)))
        bounds = [0, *cuts, len(stream)]
        yield [stream[a:b] for a, b in itertools.pairwise(bounds)]


def decode(
    chunks: Iterable[bytes],
    *,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    after_feed: Callable[[SSEDecoder], None] | None = None,
) -> tuple[list[ServerSentEvent], list[int], SSEDecoder]:
    """Feed ``chunks`` then close; return the events, their offsets and the decoder.

    ``after_feed`` is called with the decoder after every read, to check its state mid-stream.
    """
    decoder = SSEDecoder(max_event_size=max_event_size)
    events: list[ServerSentEvent] = []
    offsets: list[int] = []
    for chunk in chunks:
        produced = decoder.feed(chunk)
        first = decoder.events_dispatched - len(produced)
        for index in range(first, decoder.events_dispatched):
            offset = decoder.event_offset(index)
            assert offset is not None
            offsets.append(offset)
        events.extend(produced)
        if after_feed is not None:
            after_feed(decoder)
    assert decoder.close() == [], "close() never dispatches: the final block is discarded"
    return events, offsets, decoder


def check(
    stream: bytes,
    expected: list[ServerSentEvent],
    *,
    last_event_id: str = "",
    retry: int | None = None,
    offsets: list[int] | None = None,
) -> None:
    """Assert the decoder (under every chunking) and the oracle both give the expected result.

    Mid-stream, after every read, the decoder must have dispatched exactly the events whose blank
    line has ended in the bytes fed so far (no waiting for the next read) and report the
    last-event-ID those blocks leave in force: both are what the oracle gives for that prefix.
    """
    oracle = reference_decode(stream)
    assert oracle.events == expected, "reference oracle disagrees with the hand-written case"
    assert (oracle.last_event_id, oracle.retry) == (last_event_id, retry)
    if offsets is not None:
        assert oracle.event_offsets == offsets
    prefixes = [reference_decode(stream[:end]) for end in range(len(stream) + 1)]

    def is_prompt(decoder: SSEDecoder) -> None:
        prefix = prefixes[decoder.offset]
        assert decoder.events_dispatched == len(prefix.events), decoder.offset
        assert decoder.last_event_id == prefix.last_event_id, decoder.offset

    for chunks in chunkings(stream):
        events, event_offsets, decoder = decode(chunks, after_feed=is_prompt)
        assert events == expected, chunks
        assert event_offsets == oracle.event_offsets, chunks
        assert decoder.last_event_id == last_event_id, chunks
        assert decoder.retry == retry, chunks
        assert decoder.events_dispatched == len(expected)
        assert decoder.offset == len(stream)


# --- 1. Decoding: UTF-8 with replacement --------------------------------------------------------


def test_valid_multibyte_text_survives_every_split() -> None:
    text = "é€😀 ж 中文"
    check(f"data: {text}\n\n".encode(), [ev(text)])


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"a\xffb", "a\ufffdb"),  # a byte that never occurs in UTF-8
        (b"\x80", "\ufffd"),  # a lone continuation byte
        (b"\xe2\x82", "\ufffd"),  # a truncated sequence ending the line: one maximal subpart
        (b"\xe2\x82x", "\ufffdx"),  # a truncated sequence followed by ASCII
        (b"\xf0\x9f\x98", "\ufffd"),  # a 4-byte sequence cut short
        (b"\xf0\x80\x80", "\ufffd\ufffd\ufffd"),  # invalid second byte: three subparts
        (b"\xc0\xaf", "\ufffd\ufffd"),  # overlong encoding
        (b"\xed\xa0\x80", "\ufffd\ufffd\ufffd"),  # an encoded surrogate
        (b"\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"),  # above U+10FFFF
    ],
)
def test_invalid_utf8_is_replaced_per_maximal_subpart(raw: bytes, text: str) -> None:
    check(b"data: " + raw + b"\ndata: ok\n\n", [ev(text + "\nok")])


def test_truncated_sequence_before_cr_is_replaced() -> None:
    check(b"data: x\xe2\x82\rdata: \xe2\x82\xac\r\r", [ev("x\ufffd\n€")])


def test_invalid_utf8_in_field_names_and_event_type() -> None:
    check(b"event: \xff\ndata: x\n\n\xffdata: y\n\n", [ev("x", event="\ufffd")])


# --- 2. BOM --------------------------------------------------------------------------------------


def test_leading_bom_is_removed() -> None:
    check(BOM + b"data: x\n\n", [ev("x")], offsets=[3])


def test_only_one_leading_bom_is_removed() -> None:
    # The second BOM becomes part of the first line's field name ("\ufeffdata"): unknown field.
    check(BOM + BOM + b"data: x\n\ndata: y\n\n", [ev("y")], offsets=[15])


def test_bom_after_the_first_byte_is_text() -> None:
    check(b"data: x\n\n" + BOM + b"data: y\n\n", [ev("x")])
    check(b"\n" + BOM + b"data: y\n\n", [])
    check(b"data: " + BOM + b"x\n\n", [ev("\ufeffx")])


def test_bom_prefix_only_streams() -> None:
    check(BOM, [])
    check(BOM + b"\n", [])
    check(BOM[:2], [])
    check(BOM[:1], [])


def test_partial_bom_is_not_removed() -> None:
    # EF BB followed by "d" is a truncated sequence: U+FFFD joins the field name.
    check(BOM[:2] + b"data: x\n\ndata: y\n\n", [ev("y")])
    check(BOM[:1] + b"data: x\n\ndata: y\n\n", [ev("y")])


def test_bom_split_across_reads() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    assert decoder.feed(b"\xbb") == []
    assert decoder.feed(b"\xbfdata: x\n\n") == [ev("x")]
    assert decoder.event_offset(0) == 3


# --- 3. Line ends --------------------------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_each_line_end(eol: bytes) -> None:
    stream = b"event: e" + eol + b"data: a" + eol + b"data: b" + eol + eol
    check(stream, [ev("a\nb", event="e")])


def test_mixed_line_ends() -> None:
    check(b"data: a\rdata: b\ndata: c\r\ndata: d\n\r\ndata: e\r\r", [ev("a\nb\nc\nd"), ev("e")])


def test_cr_ending_a_read_and_lf_starting_the_next_are_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r") == []
    assert decoder.feed(b"\ndata: y\r\n") == []
    assert decoder.feed(b"\r") + decoder.feed(b"\n") == [ev("x\ny")]
    assert decoder.feed(b"\n") == []
    assert decoder.close() == []


def test_cr_and_lf_separated_by_an_empty_read_are_one_line_end() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"data: x\r") + decoder.feed(b"") + decoder.feed(b"\ndata: y\n\n")
    assert events == [ev("x\ny")]


def test_lf_cr_is_two_line_ends() -> None:
    check(b"data: x\n\rdata: y\n\n", [ev("x"), ev("y")], offsets=[0, 9])


def test_cr_cr_lf_is_two_line_ends() -> None:
    check(b"data: x\r\r\ndata: y\r\n\r\n", [ev("x"), ev("y")], offsets=[0, 10])


def test_final_cr_ends_a_line() -> None:
    check(b"data: x\n\r", [ev("x")])
    check(b"data: x\r\r", [ev("x")])
    check(b"data: x\r\n\r", [ev("x")])


@pytest.mark.parametrize(
    "separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]
)
def test_other_line_separators_are_data(separator: str) -> None:
    sep = separator.encode()
    check(b"data: a" + sep + b"b\n\n", [ev(f"a{separator}b")])
    # Alone on a line it is a field name, not a blank line: nothing is dispatched.
    check(b"data: x\n" + sep + b"\n", [])
    check(b"data: x" + sep + sep + b"data: y\n\n", [ev(f"x{separator}{separator}data: y")])


# --- 4. Lines: comments, the first-colon split, lines without a colon ----------------------------


def test_comments_are_ignored() -> None:
    check(b": keep-alive\n\n:\n\n", [])
    check(b": c\ndata: x\n: c2\ndata: y\n:\n\n", [ev("x\ny")], offsets=[0])
    check(b":data: x\n\n", [])


def test_leading_space_before_colon_is_not_a_comment() -> None:
    check(b" :x\ndata: y\n\n", [ev("y")])
    check(b" data: x\n\n", [])


@pytest.mark.parametrize(
    ("line", "data"),
    [
        (b"data:x", "x"),
        (b"data: x", "x"),
        (b"data:  x", " x"),
        (b"data:   x  ", "  x  "),
        (b"data: x ", "x "),
        (b"data:\tx", "\tx"),
        (b"data: a:b: c", "a:b: c"),
        (b"data:: x", ": x"),
        (b"data:", ""),
        (b"data: ", ""),
        (b"data:  ", " "),
        (b"data", ""),
    ],
)
def test_field_value_split_at_first_colon(line: bytes, data: str) -> None:
    check(line + b"\n\n", [ev(data)])


def test_line_without_colon_is_a_field_with_empty_value() -> None:
    check(b"data\ndata\n\n", [ev("\n")])
    check(b"event\ndata: x\n\n", [ev("x")])
    check(b"id: 1\ndata: x\n\nid\ndata: y\n\n", [ev("x", id="1"), ev("y")])


# --- 5. Fields ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line", [b"Data: x", b"DATA: x", b"data : x", b"dat: x", b"datas: x", b"data\x00: x"]
)
def test_field_names_are_compared_exactly(line: bytes) -> None:
    check(line + b"\n\n", [])


def test_unknown_and_miscased_fields_do_not_change_state() -> None:
    check(
        b"Event: e\nID: 5\nRetry: 5\nevent : e\nid : 5\nretry : 5\nfoo: bar\ndata: x\n\n",
        [ev("x")],
    )


def test_event_type() -> None:
    check(b"event: foo\ndata: x\n\n", [ev("x", event="foo")])
    check(b"event:  foo \ndata: x\n\n", [ev("x", event=" foo ")])
    check(b"data: x\nevent: late\n\n", [ev("x", event="late")])
    check(b"event: a\nevent: b\ndata: x\n\n", [ev("x", event="b")])


def test_event_type_defaults_to_message_and_resets_after_each_block() -> None:
    check(b"event: foo\ndata: x\n\ndata: y\n\n", [ev("x", event="foo"), ev("y")])
    check(b"event:\ndata: x\n\n", [ev("x")])
    check(b"event: \ndata: x\n\n", [ev("x")])
    check(b"event: a\nevent:\ndata: x\n\n", [ev("x")])
    # An event type in a data-less block does not leak into the next event.
    check(b"event: foo\n\ndata: x\n\n", [ev("x")])


def test_data_lines_join_with_lf() -> None:
    check(b"data: a\ndata: b\ndata: c\n\n", [ev("a\nb\nc")])
    check(b"data: a\nid: 1\ndata: b\n\n", [ev("a\nb", id="1")], last_event_id="1")


def test_nul_in_data_and_event_is_kept() -> None:
    check(b"event: a\x00b\ndata: c\x00d\n\n", [ev("c\x00d", event="a\x00b")])


def test_id_is_carried_by_the_event_and_persists() -> None:
    check(
        b"id: 1\ndata: x\n\ndata: y\n\n",
        [ev("x", id="1"), ev("y", id="1")],
        last_event_id="1",
    )
    check(b"id:  7 \ndata: x\n\n", [ev("x", id=" 7 ")], last_event_id=" 7 ")
    check(b"data: x\nid: 2\n\n", [ev("x", id="2")], last_event_id="2")


@pytest.mark.parametrize("reset", [b"id", b"id:", b"id: "])
def test_empty_id_resets_the_last_event_id(reset: bytes) -> None:
    check(b"id: 1\ndata: x\n\n" + reset + b"\ndata: y\n\n", [ev("x", id="1"), ev("y")])


def test_id_with_nul_is_ignored() -> None:
    check(
        b"id: 1\ndata: x\n\nid: a\x00b\ndata: y\n\nid: \x00\ndata: z\n\n",
        [ev("x", id="1"), ev("y", id="1"), ev("z", id="1")],
        last_event_id="1",
    )


def test_id_of_a_data_less_block_updates_the_state() -> None:
    check(b"id: 7\n\n", [], last_event_id="7")
    check(b"id: 7\n\ndata: x\n\n", [ev("x", id="7")], last_event_id="7", offsets=[7])
    check(b"id: 7\n\nid\n\n", [], last_event_id="")


def test_last_event_id_changes_when_the_block_ends() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 1\ndata: x\n\nid: 2\n")
    assert decoder.last_event_id == "1"
    decoder.feed(b"\n")
    assert decoder.last_event_id == "2"


def test_id_in_a_discarded_final_block_never_takes_effect() -> None:
    check(b"id: 1\ndata: x\n\nid: 2\ndata: y\n", [ev("x", id="1")], last_event_id="1")
    check(b"id: 2\n", [], last_event_id="")


@pytest.mark.parametrize(
    ("value", "retry"),
    [
        (b"1000", 1000),
        (b"0", 0),
        (b"007", 7),
        (b"0" * 30 + b"12", 12),
        (str(MAX_RETRY).encode(), MAX_RETRY),
        (str(MAX_RETRY + 1).encode(), MAX_RETRY),
        (b"123456789012345678901", MAX_RETRY),
    ],
)
def test_retry_with_ascii_digits_sets_the_reconnection_time(value: bytes, retry: int) -> None:
    check(b"retry: " + value + b"\ndata: x\n\n", [ev("x", retry=retry)], retry=retry)
    check(b"retry:" + value + b"\n\n", [], retry=retry)


@pytest.mark.parametrize(
    ("value", "retry"),
    [(b"9" * 700, MAX_RETRY), (b"9" * 20_000, MAX_RETRY), (b"0" * 5000 + b"7", 7)],
)
def test_long_retry_is_honoured_whatever_the_int_digit_limit(value: bytes, retry: int) -> None:
    """sys.set_int_max_str_digits (or PYTHONINTMAXSTRDIGITS) below the value's length.

    A valid all-digit value is never ignored: a retry longer than MAX_RETRY still asks for the
    longest wait, so it is clamped to it rather than lost.
    """
    stream = b"retry: " + value + b"\ndata: x\n\nretry: " + value + b"\n"
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        for chunks in ([stream], [stream[:700], stream[700:]]):
            events, _, decoder = decode(chunks)
            assert events == [ev("x", retry=retry)]
            assert decoder.retry == retry
    finally:
        sys.set_int_max_str_digits(previous)


@pytest.mark.parametrize(
    "value",
    [
        "+5", "-5", " 5", "5 ", "1_000", "1.5", "\u0665", "\u00b2", "\uff15", "5\t", "0x10",
        "1e3", "", "five", "5\x00", "\u0bea",
    ],
)  # fmt: skip
def test_retry_other_than_ascii_digits_is_ignored(value: str) -> None:
    stream = b"retry: 7\n\nretry: " + value.encode() + b"\ndata: x\n\n"
    check(stream, [ev("x")], retry=7)
    check(b"retry: " + value.encode() + b"\n\n", [], retry=None)


def test_event_retry_comes_only_from_its_own_block() -> None:
    check(
        b"retry: 10\ndata: a\n\ndata: b\n\n"
        b"retry: 20\nretry: x\ndata: c\n\nretry: 30\n\ndata: d\n\n",
        [ev("a", retry=10), ev("b"), ev("c", retry=20), ev("d")],
        retry=30,
    )


def test_retry_takes_effect_when_its_block_ends() -> None:
    # Like the last-event-ID, the decoder's retry reflects the blocks completed so far; close()
    # applies a retry line of the unfinished block (see the next test).
    decoder = SSEDecoder()
    decoder.feed(b"retry: 5\n")
    assert decoder.retry is None
    decoder.feed(b"\n")
    assert decoder.retry == 5
    decoder.feed(b"data: x\nretry: 6\r")
    assert decoder.retry == 5
    assert decoder.feed(b"\r") == [ev("x", retry=6)]
    assert decoder.retry == 6


def test_retry_in_an_unfinished_final_block_still_sets_the_reconnection_time() -> None:
    # The spec applies retry as soon as its line ends; only the unfinished line is discarded.
    check(b"data: x\n\nretry: 5\ndata: y\n", [ev("x")], retry=5)
    check(b"data: x\n\nretry: 5", [ev("x")], retry=None)


# --- 6. Dispatch ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stream",
    [b"\n", b"\n\n\n\n", b"\r\n\r\n", b"\r\r\r", b"event: foo\n\n", b": c\n\n", b"foo: bar\n\n"],
)
def test_data_less_blocks_dispatch_nothing(stream: bytes) -> None:
    check(stream, [])


def test_data_less_blocks_between_events() -> None:
    check(
        b"data: a\n\n\n\n: ping\n\nevent: x\nretry: 9\n\ndata: b\n\n",
        [ev("a"), ev("b")],
        retry=9,
        offsets=[0, 38],
    )


@pytest.mark.parametrize(
    ("stream", "data"),
    [
        (b"data: x\n\n", "x"),
        (b"data: x\ndata:\n\n", "x\n"),
        (b"data:\ndata:\n\n", "\n"),
        (b"data:\n\n", ""),
        (b"data: x\ndata:\ndata:\n\n", "x\n\n"),
        (b"data:\ndata: x\n\n", "\nx"),
    ],
)
def test_exactly_one_trailing_lf_is_removed(stream: bytes, data: str) -> None:
    check(stream, [ev(data)])


# --- 7. End of stream ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [b"data: y", b"data: y\n", b"data: y\r", b"data: y\r\n", b"event: e\ndata: y\n", b"\xe2\x82"],
)
def test_unterminated_final_event_is_discarded(tail: bytes) -> None:
    check(b"data: x\n\n" + tail, [ev("x")])


def test_close_returns_nothing_and_is_idempotent() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\n\ndata: y\n") == [ev("x")]
    assert decoder.close() == []
    assert decoder.close() == []


def test_feed_after_close_is_an_error() -> None:
    decoder = SSEDecoder()
    decoder.close()
    with pytest.raises(RuntimeError):
        decoder.feed(b"data: x\n\n")


# --- Published test vectors (web-platform-tests, eventsource/format-*) --------------------------


def test_vector_field_parsing() -> None:
    stream = (
        b"data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\rdata_5\ndata:3\r"
        b"data:\r\n data:32\ndata:4\n\n"
    )
    check(stream, [ev("\x00\n 2\n1\n3\n\n4")])


def test_vector_newlines() -> None:
    check(b"data:test\r\ndata\ndata:test\r\n\r", [ev("test\n\ntest")])


def test_vector_data_before_final_empty_line() -> None:
    check(b"retry:1000\ndata:test1\n\nid:test\ndata:test", [ev("test1", retry=1000)], retry=1000)


# --- Known peer failures, one regression test each ----------------------------------------------


def test_no_spurious_empty_event_after_id() -> None:
    check(b"id: 1\n\n", [], last_event_id="1")
    check(b"data: x\n\nid: 2\n\ndata: y\n\n", [ev("x"), ev("y", id="2")], last_event_id="2")


def test_strict_utf8_decode_does_not_kill_the_stream() -> None:
    check(b"data: \xff\xfe\n\ndata: ok\n\n", [ev("\ufffd\ufffd"), ev("ok")])


def test_bom_is_stripped() -> None:
    check(BOM + b"event: e\ndata: x\n\n", [ev("x", event="e")])


def test_retry_is_not_parsed_with_int() -> None:
    for value in ("-5", "+5", " 5", "5 ", "1_000", "\u0665"):
        check(b"retry: " + value.encode() + b"\n\n", [], retry=None)


def test_unterminated_final_event_is_not_dispatched() -> None:
    check(b"data: x", [])
    check(b"data: x\n", [])


def test_trailing_cr_does_not_dispatch_the_unterminated_final_event() -> None:
    check(b"data: x\r", [])
    check(b"data: x\ndata: y\r", [])


def test_data_is_not_rstripped_or_lstripped() -> None:
    check(b"data:   x  \ndata:\ndata:\n\n", [ev("  x  \n\n")])
    check(b"data: \n\n", [ev("")])


def test_long_line_in_small_reads_is_linear() -> None:
    """One line of n bytes in 1 KiB reads must cost O(n), not O(n**2) (``buffer += chunk``).

    The cost of a 5 MB line is compared with that of a 10x smaller one. Linear code gives a ratio
    near 10; a quadratic buffer gives about 100. The guard is generous: the machine is shared.
    Only the reads are timed, in CPU time: re-copying a growing buffer happens there, while the
    final join and decode are single C calls whose cost on a loaded machine is dominated by fresh
    memory pages.
    """

    def cost(size: int) -> float:
        read = b"x" * 1024
        best = float("inf")
        for _ in range(3):
            decoder = SSEDecoder()
            started = time.process_time()
            decoder.feed(b"data: ")
            for _ in range(size // 1024):
                decoder.feed(read)
            best = min(best, time.process_time() - started)
            events = decoder.feed(b"\n\n")
            assert len(events) == 1
            assert len(events[0].data) == size // 1024 * 1024
        return best

    small, large = cost(500 * 1024), cost(5 * 1024 * 1024)
    assert large / small < 40


def test_long_stream_in_single_byte_reads_is_linear() -> None:
    def cost(count: int) -> float:
        stream = b"data: " + b"y" * count + b"\n\n"
        best = float("inf")
        for _ in range(3):
            decoder = SSEDecoder()
            started = time.process_time()
            events: list[ServerSentEvent] = []
            for i in range(len(stream)):
                events += decoder.feed(stream[i : i + 1])
            best = min(best, time.process_time() - started)
            assert events == [ev("y" * count)]
        return best

    small, large = cost(20_000), cost(200_000)
    assert large / small < 40


@pytest.mark.parametrize("prefix", [b"", b"data: a\n\nretry: 5\ndata: "])
def test_close_is_linear_in_the_unfinished_tail(prefix: bytes) -> None:
    """Ending the stream in the middle of a long line must cost O(n) (the tail is discarded).

    A 10x longer tail may cost at most 40x more (linear: ~10x; quadratic: ~100x), plus 1 ms of
    slack. Costs are this process's CPU time, which other processes on a loaded machine do not
    inflate; the longer tail is retried only while it looks too slow.
    """

    def close_cost(size: int) -> float:
        decoder = SSEDecoder()
        decoder.feed(prefix + b"x" * size)
        started = time.process_time()
        assert decoder.close() == []
        return time.process_time() - started

    small = min(close_cost(1_000) for _ in range(5))
    bound = 40 * small + 0.001
    assert any(close_cost(10_000) < bound for _ in range(3))


def test_lines_over_128_kib_are_accepted() -> None:
    line = "z" * (1024 * 1024)
    stream = f"data: {line}\n\n".encode()
    for size in (1024, 65536):
        events, _, _ = decode(stream[i : i + size] for i in range(0, len(stream), size))
        assert events == [ev(line)]


# --- max_event_size ------------------------------------------------------------------------------


def test_default_limit_is_generous() -> None:
    assert DEFAULT_MAX_EVENT_SIZE >= 16 * 1024 * 1024


@pytest.mark.parametrize("limit", [0, -1, 1.5, "1024", True])
def test_limit_is_validated_at_construction(limit: Any) -> None:
    with pytest.raises(ValueError):
        SSEDecoder(max_event_size=limit)


def test_events_under_the_limit_pass() -> None:
    limit = 1000
    stream = b"".join(f"id: {i}\ndata: {'a' * 400}\n\n".encode() for i in range(50))
    for chunks in ([stream], [stream[i : i + 7] for i in range(0, len(stream), 7)]):
        events, _, _ = decode(chunks, max_event_size=limit)
        assert len(events) == 50


@pytest.mark.parametrize("read", [1, 7, 100, 5000, 10**6])
def test_a_long_line_over_the_limit_raises(read: int) -> None:
    limit = 1000
    head = b"data: ok\n\n"
    stream = head + b"data: " + b"a" * (3 * limit) + b"\n\n"
    decoder = SSEDecoder(max_event_size=limit)
    events: list[ServerSentEvent] = []
    with pytest.raises(EventTooLargeError) as caught:
        for start in range(0, len(stream), read):
            events += decoder.feed(stream[start : start + read])
        decoder.close()
    assert events == [ev("ok")]
    error = caught.value
    assert isinstance(error, StreamError)
    assert error.limit == limit
    assert error.event_index == 1
    assert error.offset == len(head), "the offset is where the oversized event starts"
    # The excess was never buffered: the error came before the whole line was fed.
    assert decoder.offset <= max(read, len(head) + limit + read)
    # The decoder stays failed.
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"\n\n")
    with pytest.raises(EventTooLargeError):
        decoder.close()


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_limit_boundary_does_not_depend_on_chunking(eol: bytes) -> None:
    """Near the limit, whether an event passes (and where it fails) is the same for every split."""
    limit = 60
    for size in range(limit - 12, limit + 4):
        block = b"id: 1" + eol + b"data: " + b"a" * (size - 13) + eol + eol
        stream = b"data: ok" + eol + eol + block
        outcomes: set[object] = set()
        for chunks in chunkings(stream, seed=size):
            try:
                events, _, _ = decode(chunks, max_event_size=limit)
                outcomes.add(len(events))
            except EventTooLargeError as error:
                outcomes.add((error.offset, error.event_index))
        # An event's size is its lines with their line ends, plus one for the blank line that
        # ends it (one whatever its line end, so that a CR LF split across reads counts the same).
        if len(block) - len(eol) + 1 <= limit:
            assert outcomes == {2}, size
        else:
            assert outcomes == {(len(eol) * 2 + 8, 1)}, size


@pytest.mark.parametrize("blank", [b"\n", b"\r\n", b"\r"])
def test_runs_of_blank_lines_are_not_events_and_do_not_count(blank: bytes) -> None:
    limit = 20
    block = b"data: " + b"a" * (limit - 8) + b"\n\n"
    assert len(block) == limit
    stream = blank * 100 + block + blank * 100 + block + blank * 100
    for chunks in ([stream], [stream[i : i + 7] for i in range(0, len(stream), 7)]):
        events, offsets, _ = decode(chunks, max_event_size=limit)
        assert events == [ev("a" * (limit - 8))] * 2
        run = 100 * len(blank)
        assert offsets == [run, run + limit + run]


@pytest.mark.parametrize("blank", [b"\n", b"\r\n", b"\r", b"\n\n\r\n"])
def test_size_error_offset_skips_leading_blank_lines(blank: bytes) -> None:
    limit = 50
    stream = blank + b"data: " + b"x" * 100 + b"\n\n"
    for chunks in chunkings(stream):
        with pytest.raises(EventTooLargeError) as caught:
            decode(chunks, max_event_size=limit)
        assert (caught.value.offset, caught.value.event_index) == (len(blank), 0), chunks


def test_many_short_lines_over_the_limit_raise() -> None:
    limit = 1000
    line = b"data: " + b"b" * 40 + b"\n"
    decoder = SSEDecoder(max_event_size=limit)
    with pytest.raises(EventTooLargeError) as caught:
        for _ in range(3 * limit // len(line)):
            decoder.feed(line)
    assert caught.value.event_index == 0


def test_events_before_an_oversized_one_are_returned_first() -> None:
    limit = 1000
    decoder = SSEDecoder(max_event_size=limit)
    assert decoder.feed(b"data: a\n\ndata: b\n\ndata: " + b"x" * (3 * limit)) == [ev("a"), ev("b")]
    with pytest.raises(EventTooLargeError) as caught:
        decoder.feed(b"\n\n")
    assert caught.value.event_index == 2


def test_an_oversized_comment_or_unknown_field_line_raises() -> None:
    limit = 1000
    for line in (b":" + b"c" * (3 * limit), b"foo: " + b"c" * (3 * limit)):
        decoder = SSEDecoder(max_event_size=limit)
        with pytest.raises(EventTooLargeError):
            for i in range(0, len(line), 100):
                decoder.feed(line[i : i + 100])


def test_huge_line_fails_fast_without_buffering_the_excess() -> None:
    """A 64 MiB line with a 1 MiB limit, in 64 KiB reads: it fails within the first ~1 MiB."""
    read = b"x" * (64 * 1024)
    limit = 1024 * 1024
    decoder = SSEDecoder(max_event_size=limit)
    fed = 0
    with pytest.raises(EventTooLargeError) as caught:
        decoder.feed(b"data: ")
        fed = 6
        for _ in range(1024):
            decoder.feed(read)
            fed += len(read)
    assert fed <= limit + 2 * len(read)
    assert caught.value.offset == 0
    assert caught.value.event_index == 0


def test_no_limit_accepts_large_events() -> None:
    decoder = SSEDecoder(max_event_size=None)
    payload = b"q" * (3 * 1024 * 1024)
    assert decoder.feed(b"data: " + payload + b"\n\n") == [ev(payload.decode())]
    small = SSEDecoder(max_event_size=1024 * 1024)
    with pytest.raises(EventTooLargeError):
        small.feed(b"data: " + payload + b"\n\n")


def peak_memory(work: Callable[[], None]) -> int:
    """The peak of memory allocated while ``work`` runs, in bytes."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_of_a_huge_line_over_the_limit_stays_near_the_limit() -> None:
    limit = 1024 * 1024

    def work() -> None:
        decoder = SSEDecoder(max_event_size=limit)
        read = b"x" * (64 * 1024)
        decoder.feed(b"data: ")
        with pytest.raises(EventTooLargeError):
            for _ in range(1024):
                decoder.feed(read)

    assert peak_memory(work) < 3 * limit


def test_memory_of_a_long_event_is_a_small_multiple_of_its_size() -> None:
    size = 5 * 1024 * 1024

    def work() -> None:
        decoder = SSEDecoder()
        read = b"x" * 1024
        decoder.feed(b"data: ")
        for _ in range(size // 1024):
            decoder.feed(read)
        assert len(decoder.feed(b"\n\n")[0].data) == size

    assert peak_memory(work) < 5 * size


def test_memory_of_a_long_stream_of_small_events_does_not_grow() -> None:
    """10 MB of events in 16 KiB reads: memory is bounded by a read, not by the stream."""
    read = (b"data: " + b"y" * 200 + b"\n\n") * 78

    def work() -> None:
        decoder = SSEDecoder()
        for _ in range(640):
            decoder.feed(read)

    assert peak_memory(work) < 1024 * 1024


@pytest.mark.parametrize("read_size", [1, 2, 5, 64, 255, 256, 4096])
def test_memory_of_an_event_in_tiny_reads_stays_within_twice_its_size(read_size: int) -> None:
    """A server dribbling a few bytes per write: the pending event costs about its own size.

    Each read is a fresh bytes object, as a network read is; held one by one, a 2-byte read
    would cost about 24 bytes per byte.
    """
    size = 40_000

    def work() -> None:
        decoder = SSEDecoder()
        decoder.feed(b"data: ")
        for _ in range(size // read_size):
            decoder.feed(b"x" * read_size)
        assert decoder.offset == 6 + size // read_size * read_size

    assert peak_memory(work) < 2 * size + read_size


def test_memory_of_iter_events_over_tiny_reads_stays_within_twice_the_event() -> None:
    size = 300_000

    def reads() -> Iterator[bytes]:
        yield b"data: "
        for _ in range(size // 2):
            yield b"x" * 2

    def work() -> None:
        assert list(iter_events(reads())) == []

    # Twice the event, plus what the iterator gathers before handing it over (64 KiB, copied).
    assert peak_memory(work) < 2 * size + 4 * 64 * 1024


def test_iter_events_over_one_whole_body_never_holds_all_its_events() -> None:
    """A whole body given as one read is decoded a piece at a time, each piece's events handed
    out before the next is decoded: consumed one by one, the events cost a piece's worth."""
    body = b"".join(b"data: %d %b\n\n" % (i, b"x" * 90) for i in range(40_000))

    def work() -> None:
        count = 0
        for _ in iter_events(body):
            count += 1
        assert count == 40_000

    # All alive at once, the events would cost about twice the body.
    assert peak_memory(work) < len(body) // 4


@pytest.mark.parametrize("event", [b"data:\n\n", b"data:\r\r", b"id:ab\ndata:\n\n"])
def test_one_read_of_many_tiny_events_costs_less_than_twenty_times_the_read(event: bytes) -> None:
    """The events themselves cost about ten times such a read; the work must not add as much.

    Interpreted at once, the lines of a huge read would cost another ten times it; they are
    interpreted a bounded segment at a time.
    """
    read = event * 30_000
    kept: list[list[ServerSentEvent]] = []

    def work() -> None:
        kept.append(SSEDecoder().feed(read))

    assert peak_memory(work) < 20 * len(read)
    assert len(kept[0]) == 30_000


def test_one_huge_read_with_events_of_every_size() -> None:
    sizes = [0, 1, 100, 70_000, 3, 200_000, 65_536, 65_535, 10]
    stream = b"".join(
        b"id: %d\r\n: c\r\ndata: %b\r\n\r\n" % (i, b"z" * size) for i, size in enumerate(sizes)
    )
    expected = [ev("z" * size, id=str(i)) for i, size in enumerate(sizes)]
    oracle = reference_decode(stream)
    assert oracle.events == expected
    cuts = sorted(random.Random(7).sample(range(len(stream)), 6))
    for chunks in (
        [stream],
        [stream[:70_100], stream[70_100:]],
        [stream[a:b] for a, b in itertools.pairwise([0, *cuts, len(stream)])],
    ):
        events, offsets, _ = decode(chunks)
        assert events == expected
        assert offsets == oracle.event_offsets


# --- Offsets, buffers ----------------------------------------------------------------------------


def _offsets_stream(eol: bytes) -> tuple[bytes, list[int]]:
    """A stream mixing comments, ids and blank runs, with the offset of each event worked out."""
    parts: list[bytes] = []
    expected: list[int] = []
    position = 0

    def add(block: bytes, *, is_event: bool) -> None:
        nonlocal position
        if is_event:
            expected.append(position)
        parts.append(block)
        position += len(block)

    add(b"data: first" + eol + eol, is_event=True)
    add(eol + eol, is_event=False)
    add(b": ping" + eol + b"id: 7" + eol + b"data: \xc3\xa9" + eol + eol, is_event=True)
    add(b"id: 8" + eol + eol, is_event=False)
    add(b"event: e" + eol + b"data: a" + eol + b"data: b" + eol + eol, is_event=True)
    add(b"retry: 5" + eol + eol, is_event=False)
    for i in range(5):
        add(f"data: {i}".encode() + eol + eol, is_event=True)
    add(b"data: unfinished" + eol, is_event=False)
    return b"".join(parts), expected


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_event_offsets_are_exact(eol: bytes) -> None:
    stream, expected = _offsets_stream(eol)
    assert reference_decode(stream).event_offsets == expected
    for chunks in chunkings(stream, seed=len(eol)):
        events, offsets, decoder = decode(chunks)
        assert offsets == expected, chunks
        assert len(events) == len(expected)
        assert decoder.offset == len(stream)


def test_event_offset_is_only_available_for_the_latest_feed() -> None:
    decoder = SSEDecoder()
    assert decoder.event_offset(0) is None
    assert decoder.feed(b"data: a\n\ndata: b\n\n") == [ev("a"), ev("b")]
    assert (decoder.event_offset(0), decoder.event_offset(1)) == (0, 9)
    assert decoder.event_offset(2) is None
    assert decoder.event_offset(-1) is None
    assert decoder.feed(b"data: c") == []
    assert decoder.feed(b"\n\n") == [ev("c")]
    assert decoder.events_dispatched == 3
    assert decoder.event_offset(2) == 18
    assert decoder.event_offset(0) is None
    assert decoder.event_offset(1) is None


def test_event_offset_lookups_are_linear() -> None:
    """Asking the offset of every event of one read costs O(events), not O(events**2).

    10x more events may cost at most 40x more (linear: ~10x; quadratic: ~100x), plus 1 ms of slack
    (in this process's CPU time, which a loaded machine does not inflate).
    """

    def lookup_cost(count: int) -> float:
        decoder = SSEDecoder()
        events = decoder.feed(b"data: x\n\n" * count)
        started = time.process_time()
        offsets = [decoder.event_offset(index) for index in range(len(events))]
        elapsed = time.process_time() - started
        assert offsets == list(range(0, 9 * count, 9))
        return elapsed

    small = min(lookup_cost(100) for _ in range(5))
    bound = 40 * small + 0.001
    assert any(lookup_cost(1_000) < bound for _ in range(3))


def test_event_offset_lookups_never_search_the_unfinished_block() -> None:
    """A read of the chat wire keeps its unfinished last block with the whole ones: the lookup
    reads only the whole ones, however long the unfinished line (10x longer may cost at most
    40x more, as above; searching it too would cost its length squared)."""

    def lookup_cost(length: int) -> float:
        decoder = SSEDecoder()
        events = decoder.feed(b"data: a\n\ndata: b\n\ndata: " + b"x" * length)
        started = time.process_time()
        offsets = [decoder.event_offset(index) for index in range(len(events))]
        elapsed = time.process_time() - started
        assert offsets == [0, 9]
        return elapsed

    small = min(lookup_cost(1_000) for _ in range(5))
    bound = 40 * small + 0.001
    assert any(lookup_cost(10_000) < bound for _ in range(3))


def test_offset_counts_every_byte_fed() -> None:
    decoder = SSEDecoder()
    assert decoder.offset == 0
    decoder.feed(BOM)
    assert decoder.offset == 3
    decoder.feed(b"data: x\r")
    decoder.feed(b"")
    decoder.feed(b"\n\npartial")
    assert decoder.offset == 3 + 8 + 9
    decoder.close()
    assert decoder.offset == 20


def test_feed_accepts_bytearray_and_memoryview() -> None:
    stream = b"id: 1\ndata: \xe2\x82\xac\n\ndata: two\n\n"
    expected = [ev("€", id="1"), ev("two", id="1")]
    big = b"junk" + stream + b"junk"
    view = memoryview(big)[4 : 4 + len(stream)]
    for chunks in (
        [bytearray(stream)],
        [memoryview(stream)],
        [view],
        [memoryview(bytearray(stream))[i : i + 3] for i in range(0, len(stream), 3)],
    ):
        decoder = SSEDecoder()
        events: list[ServerSentEvent] = []
        for chunk in chunks:
            events += decoder.feed(chunk)
        assert events == expected
        assert decoder.offset == len(stream)


def test_reused_buffer_does_not_corrupt_pending_bytes() -> None:
    """Callers reuse one receive buffer (readinto); the decoder must copy what it keeps."""
    buffer = bytearray(b"data: hel")
    decoder = SSEDecoder()
    assert decoder.feed(buffer) == []
    buffer[:] = b"XXXXXXXXX"
    assert decoder.feed(memoryview(bytearray(b"lo\n\n"))) == [ev("hello")]
    view_source = bytearray(b"data: a\r")
    assert decoder.feed(memoryview(view_source)) == []
    view_source[:] = b"data: b\n"
    assert decoder.feed(b"\ndata: c\n\n") == [ev("a\nc")]
