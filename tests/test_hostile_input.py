"""Hostile input across the library: what any bytes, events, payloads or arguments may make an
engine or a helper raise, and the invariants no input may break (a read's boundaries never change
a result; what follows a stream's terminal event is ignored the same way in any read)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PROJECT_FIXTURES
from hypothesis import given
from hypothesis import strategies as st

import sseproto
from sseproto import StreamError

# The project's streams that complete, by dialect: the fixtures without an expected error.
COMPLETE_STREAMS = {
    dialect: sorted(
        path
        for path in (PROJECT_FIXTURES / folder).glob("*.sse")
        if '"error": null' in path.with_suffix(".expected.json").read_text()
    )
    for dialect, folder in [
        ("chat", "."),
        ("anthropic", "anthropic"),
        ("responses", "responses"),
    ]
}


def outcome(reads: list[bytes], dialect: Any, strict: bool = False) -> object:
    """What reading ``reads`` gives: the result as a dict, or the error's type and message."""
    try:
        return sseproto.accumulate(reads, dialect=dialect, strict=strict).to_dict()
    except StreamError as error:
        return type(error).__name__, str(error)


# Whole event blocks of any shape: what a server might send after its terminal event.
EVENT_NAMES = st.sampled_from(
    [
        "",
        "message",
        "error",
        "message_stop",
        "content_block_delta",
        "response.output_text.delta",
        "ping",
        "x\x00",
    ]
)
LINE = st.text(alphabet=st.characters(exclude_characters="\r\n", codec="utf-8"))
# Data lines that parse, but to no event of the stream: not an object, or an object out of place.
ODD_DATA = st.sampled_from(
    [
        "0",
        "[]",
        "null",
        '"x"',
        "{}",
        "[DONE]",
        '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}',
        '{"choices":[{"index":0,"delta":{"content":"x"}}]}',
        '{"error":{"message":"late"}}',
    ]
)
LATE_EVENTS = st.lists(
    st.tuples(EVENT_NAMES, LINE | ODD_DATA),
    min_size=1,
    max_size=3,
).map(
    lambda blocks: b"".join(
        (f"event: {name}\n" if name else "").encode() + f"data: {data}\n\n".encode()
        for name, data in blocks
    )
)


@pytest.mark.parametrize("dialect", ["chat", "anthropic", "responses"])
@given(data=st.data(), late=LATE_EVENTS)
def test_events_after_a_complete_stream_count_alike_in_its_last_read_or_a_later_one(
    dialect: str, data: st.DataObject, late: bytes
) -> None:
    body = data.draw(st.sampled_from(COMPLETE_STREAMS[dialect])).read_bytes()
    for named in (dialect, "auto"):
        assert outcome([body + late], named) == outcome([body, late], named)


ENGINES: dict[str, Any] = {
    "chat": sseproto.ChatAccumulator,
    "anthropic": sseproto.AnthropicAccumulator,
    "responses": sseproto.ResponsesAccumulator,
}
# A stream of each that strict mode accepts.
STRICT_STREAMS = {
    "chat": PROJECT_FIXTURES / "chat-text.sse",
    "anthropic": PROJECT_FIXTURES / "anthropic" / "code-execution-container.sse",
    "responses": PROJECT_FIXTURES / "responses" / "arguments-only-in-done.sse",
}


@pytest.mark.parametrize("dialect", ENGINES)
@pytest.mark.parametrize("late", [0, "x", [], None])
def test_a_payload_fed_after_the_terminal_event_is_ignored_whatever_it_is(
    dialect: str, late: object
) -> None:
    body = STRICT_STREAMS[dialect].read_bytes()
    lenient = ENGINES[dialect]()
    lenient.feed(body)
    assert lenient.state is sseproto.StreamState.DONE
    assert lenient.feed_chunk(late) == []
    strict = ENGINES[dialect](strict=True)
    strict.feed(body)
    with pytest.raises(sseproto.InvalidChunkError, match="follow"):
        strict.feed_chunk(late)


ALL_ENGINES: list[Any] = [*ENGINES.values(), sseproto.GeminiAccumulator, sseproto.AutoAccumulator]


@pytest.mark.parametrize("engine", ALL_ENGINES)
@pytest.mark.parametrize("value", [None, 1, b"data", ["x"]])
def test_an_event_whose_name_or_data_is_not_text_is_a_type_error_and_changes_nothing(
    engine: Any, value: object
) -> None:
    events = list(sseproto.iter_events(STRICT_STREAMS["chat"].read_bytes()))
    accumulator = engine()
    for field in ("event", "data"):
        fields: dict[str, Any] = {"event": "message", "data": "{}", field: value}
        with pytest.raises(TypeError, match=f"whose {field} is a str"):
            accumulator.feed_event(sseproto.ServerSentEvent(**fields))
    if engine not in (sseproto.ChatAccumulator, sseproto.AutoAccumulator):
        return  # the stream below is a chat stream
    for event in events:
        accumulator.feed_event(event)
    expected = sseproto.accumulate(STRICT_STREAMS["chat"].read_bytes())
    assert accumulator.result().to_dict() == expected.to_dict()


def test_the_fixtures_table_is_not_empty() -> None:
    assert all(COMPLETE_STREAMS.values()), COMPLETE_STREAMS


# -- any damage to a real stream --------------------------------------------------------------

# Every project stream, whatever its dialect and outcome.
ALL_STREAMS = sorted(PROJECT_FIXTURES.rglob("*.sse"))


def blocks_of(body: bytes) -> list[bytes]:
    return [block + b"\n\n" for block in body.split(b"\n\n") if block]


@st.composite
def damaged_streams(draw: st.DrawFn) -> bytes:
    """A project stream damaged the ways a network, a proxy or a faulty server damages one."""
    body = draw(st.sampled_from(ALL_STREAMS)).read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        blocks = blocks_of(body)
        at = draw(st.integers(0, len(body)))
        damage = draw(st.integers(0, 7))
        if damage == 0:  # a byte changed
            byte = draw(st.integers(0, 255)).to_bytes(1, "big")
            body = body[:at] + byte + body[at + 1 :]
        elif damage == 1:  # cut short
            body = body[:at]
        elif damage == 2:  # bytes no stream holds: invalid UTF-8, NUL, a lone CR
            odd = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\0", b"\r"]))
            body = body[:at] + odd + body[at:]
        elif damage == 3 and blocks:  # an event repeated
            index = draw(st.integers(0, len(blocks) - 1))
            body = b"".join(blocks[: index + 1] + blocks[index:])
        elif damage == 4 and blocks:  # events reordered, the terminal one mid-stream too
            body = b"".join(draw(st.permutations(blocks)))
        elif damage == 5 and blocks:  # an event of another stream, another dialect's too
            other = blocks_of(draw(st.sampled_from(ALL_STREAMS)).read_bytes())
            index = draw(st.integers(0, len(blocks)))
            body = b"".join([*blocks[:index], draw(st.sampled_from(other)), *blocks[index:]])
        elif damage == 6 and blocks:  # an event dropped
            index = draw(st.integers(0, len(blocks) - 1))
            body = b"".join(blocks[:index] + blocks[index + 1 :])
        elif damage == 7:  # a line far longer than any event of the stream
            body = body[:at] + b"\ndata: " + b"x" * 70_000 + b"\n" + body[at:]
    return body


ACCUMULATORS: dict[str, Any] = {
    "auto": sseproto.AutoAccumulator,
    "chat": sseproto.ChatAccumulator,
    "anthropic": sseproto.AnthropicAccumulator,
    "responses": sseproto.ResponsesAccumulator,
    "gemini": sseproto.GeminiAccumulator,
}


def fed(accumulator: Any, reads: list[bytes]) -> object:
    """What feeding ``reads`` to ``accumulator`` then closing it gives: the result as a dict, or
    the error's type and message (checked to be located and to carry the partial result)."""
    try:
        for read in reads:
            accumulator.feed(read)
        return accumulator.result().to_dict()
    except StreamError as error:
        # Located, and carrying what was rebuilt (nothing only before auto decided a dialect).
        assert error.event_index is not None
        assert error.partial is not None or getattr(accumulator, "dialect", "") is None
        with pytest.raises(StreamError) as again:
            accumulator.result()
        assert again.value is error
        return type(error).__name__, str(error)


@given(
    body=damaged_streams(),
    dialect=st.sampled_from(sorted(ACCUMULATORS)),
    strict=st.booleans(),
    data=st.data(),
)
def test_a_damaged_stream_raises_only_stream_errors_told_alike_in_any_reads(
    body: bytes, dialect: str, strict: bool, data: st.DataObject
) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=8)))
    reads = [body[start:end] for start, end in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    engine = ACCUMULATORS[dialect]
    assert fed(engine(strict=strict), reads) == fed(engine(strict=strict), [body])
    if not strict:
        # The readers stop after the terminal event's read: strict mode's refusal of what
        # follows it in that read is the one thing a split may change (see the dialects page).
        assert outcome(reads, dialect) == outcome([body], dialect)
