"""The readers over any accumulator: what a stream that is not the one expected becomes, what the
readers accept, where they stop, what a failing source carries, and auto-detection."""

from __future__ import annotations

import asyncio
import gc
import gzip
import itertools
import json
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PROJECT_FIXTURES, REAL_FIXTURES, real_fixture_files, require_real_fixtures
from hypothesis import given
from hypothesis import strategies as st
from reference_decoder import reference_decode
from servers import Reply

import sseproto
from sseproto import (
    AutoAccumulator,
    ChatAccumulator,
    ChatCompletion,
    ChatUpdate,
    ContentDelta,
    EventTooLargeError,
    GeminiResponse,
    IncompleteStreamError,
    InvalidChunkError,
    ProviderError,
    RecordedTransportError,
    ServerSentEvent,
    StreamDone,
    StreamError,
    UnexpectedStreamError,
    UsageUpdate,
)
from sseproto._cli import main as cli
from sseproto.dialects.kit.detect import recognise
from sseproto.dialects.registry import ACCUMULATORS
from sseproto.fixtures.format import sidecar_path
from sseproto.httpx import connect_sse
from sseproto.server import event_stream
from sseproto.wire.reads import HOLD, aframed_reads, framed_reads


def chunk(content: str | None = None, finish: str | None = None, **top: Any) -> bytes:
    delta = {} if content is None else {"content": content}
    payload = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **top,
    }
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


DONE = b"data: [DONE]\n\n"
BODY = chunk("Hel") + chunk("lo", "stop") + DONE


def pieces(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


async def areads(reads: Iterable[bytes]) -> AsyncIterator[bytes]:
    for data in reads:
        await asyncio.sleep(0)
        yield data


def failure_of(read: Any) -> StreamError:
    with pytest.raises(StreamError) as caught:
        read()
    return caught.value


# -- a stream that is no chat stream ----------------------------------------------------------


def test_only_done_is_not_a_complete_chat_stream() -> None:
    error = failure_of(lambda: sseproto.accumulate([DONE], dialect="chat"))
    assert isinstance(error, UnexpectedStreamError)
    assert "not an OpenAI chat stream: only data: [DONE] came" in str(error)
    assert isinstance(error.partial, ChatCompletion) and error.partial.choices == ()


def test_a_json_object_that_is_no_chunk_then_done_is_refused_saying_what_it_was() -> None:
    error = failure_of(
        lambda: sseproto.accumulate([b'data: {"hello":"world"}\n\n', DONE], dialect="chat")
    )
    assert isinstance(error, UnexpectedStreamError)
    assert "a JSON object with keys 'hello'" in str(error)
    # Without [DONE], the same: never an IncompleteStreamError about a cut.
    accumulator = ChatAccumulator()
    accumulator.feed(b'data: {"hello":"world"}\n\n')
    with pytest.raises(UnexpectedStreamError, match="'hello'"):
        accumulator.close()


def test_a_vendor_event_before_the_first_chunk_is_still_read() -> None:
    completion = sseproto.accumulate([b'data: {"note":"warming up"}\n\n', BODY], dialect="chat")
    assert completion.choices[0].message.content == "Hello"
    assert completion.extras == {"note": "warming up"}


def test_a_non_streaming_chat_completion_is_refused_by_name() -> None:
    whole = {
        "id": "c1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}}],
    }
    body = b"data: " + json.dumps(whole).encode() + b"\n\n" + DONE
    error = failure_of(lambda: sseproto.accumulate([body], dialect="chat"))
    assert isinstance(error, UnexpectedStreamError)
    assert "non-streaming chat.completion" in str(error)
    assert (error.offset, error.event_index) == (0, 0)


def relay_output(body: bytes, *, done: bool) -> bytes:
    async def relay() -> bytes:
        updates = sseproto.aiter_updates(areads([body]))
        return b"".join([block async for block in event_stream(updates, done=done)])

    return asyncio.run(relay())


@pytest.mark.parametrize("done", [False, True])
def test_the_relay_output_is_refused_as_relay_output(done: bool) -> None:
    relayed = relay_output(BODY, done=done)
    assert relayed.startswith(b"event: content\n")
    for dialect in ("chat", "auto"):
        error = failure_of(lambda d=dialect: list(sseproto.iter_updates([relayed], dialect=d)))
        assert isinstance(error, UnexpectedStreamError)
        assert "sseproto's relay server" in str(error), dialect


def test_sseproto_check_fails_streams_that_carry_no_chat_chunk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = {
        "done-only": DONE,
        "not-chunks": b'data: {"hello":"world"}\n\n' + DONE,
        "relay": relay_output(BODY, done=True),
    }
    for name, body in bodies.items():
        (tmp_path / f"{name}.sse").write_bytes(body)
    paths = [str(tmp_path / f"{name}.sse") for name in bodies]
    assert cli(["check", *paths]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and not any(" ok" in line.lower() for line in lines), lines


# -- a body in which no event arrived ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"id": "chatcmpl-1", "object": "chat.completion", "choices": []}', "it is JSON"),
        (b"<html><body>Bad gateway</body></html>", "HTML"),
        (b"just some text", "not an event stream"),
        (bytes(range(256)) * 40, "not an event stream"),
        (b'data: {"choices":[]}data: {"choices":[]}data: [DONE]', "line ends were stripped"),
        # Read with httpx's iter_raw() (not decompressed), or recorded from a server that
        # compressed what was not asked to be.
        (gzip.compress(b'data: {"choices":[]}\n\n' * 20), "it is gzip-compressed"),
    ],
)
@pytest.mark.parametrize("dialect", ["chat", "auto", "gemini", "responses"])
def test_no_event_in_a_body_says_so_with_its_size_and_start(
    body: bytes, says: str, dialect: Any
) -> None:
    error = failure_of(lambda: sseproto.accumulate(pieces(body, 100), dialect=dialect))
    assert type(error) is UnexpectedStreamError
    assert f"no event in {len(body)} bytes" in str(error)
    assert says in str(error)
    assert repr(body[:20].decode("utf-8", "replace"))[:-1] in str(error)
    # A named dialect's error carries its empty result, as any of its errors does.
    assert (error.partial is None) == (dialect == "auto")


@pytest.mark.parametrize("dialect", ["chat", "auto", "gemini", "responses"])
def test_a_json_error_body_is_a_provider_error_carrying_it(dialect: Any) -> None:
    body = b'{"error": {"message": "Incorrect API key", "type": "invalid_request_error"}}'
    error = failure_of(lambda: sseproto.accumulate([body], dialect=dialect))
    assert isinstance(error, ProviderError)
    assert isinstance(error.error, dict) and error.error["message"] == "Incorrect API key"


@pytest.mark.parametrize("dialect", ["chat", "auto", "gemini", "responses"])
def test_a_gemini_error_array_is_a_provider_error_carrying_it(dialect: Any) -> None:
    # What Gemini answers to a request sent without ?alt=sse: a JSON array, errors included.
    body = (
        b'[{"error": {"code": 401, "message": "API key not valid.", '
        b'"status": "UNAUTHENTICATED"}}]\n'
    )
    error = failure_of(lambda: sseproto.accumulate(pieces(body, 10), dialect=dialect))
    assert isinstance(error, ProviderError)
    assert error.error == {
        "code": 401,
        "message": "API key not valid.",
        "status": "UNAUTHENTICATED",
    }
    assert "provider error: API key not valid. (code: 401, status: UNAUTHENTICATED)" in str(error)
    assert (error.offset, error.event_index) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [
        b'[{"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}]',
        b'[{"error": {"code": 401}}, {"error": {"code": 401}}]',
        b"[]",
    ],
)
def test_a_json_array_body_hints_at_gemini_without_alt_sse(body: bytes) -> None:
    error = failure_of(lambda: sseproto.accumulate([body]))
    assert type(error) is UnexpectedStreamError
    assert "it is a JSON array" in str(error) and "a Gemini request without ?alt=sse" in str(error)


@pytest.mark.parametrize("dialect", ["chat", "auto", "gemini", "responses"])
def test_an_empty_body_and_one_cut_in_its_first_event_are_incomplete(dialect: Any) -> None:
    empty = failure_of(lambda: sseproto.accumulate([], dialect=dialect))
    assert isinstance(empty, IncompleteStreamError)
    assert "before its first byte" in str(empty)
    cut = failure_of(lambda: sseproto.accumulate([BODY[:30]], dialect=dialect))
    assert isinstance(cut, IncompleteStreamError)
    assert "inside its first event" in str(cut) and "no event in 30 bytes" in str(cut)


@pytest.mark.parametrize("dialect", ["chat", "auto", "anthropic", "gemini", "responses"])
@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            b": ping\n\n" * 3,
            "only comments came, the keep-alives a server sends while it waits "
            "(3 of them, the first ': ping')",
        ),
        (
            b"\xef\xbb\xbf\r\n: keep-alive\r\n\r\n",
            "only comments came, the keep-alives a server sends while it waits (': keep-alive')",
        ),
        (b":\n\n: pi", "only comments came"),
        (
            b": ping\n\n" * 1000,
            "its first 4096 bytes are only comments, the keep-alives a server "
            "sends while it waits (512 of them, the first ': ping')",
        ),
        (b"\n\r\n", "only blank lines came"),
        (b": hi\n\nid: 7\nretry: 10\n\nevent: x\r\r", "only blocks without a data line came"),
    ],
)
def test_a_stream_without_a_data_line_is_told_as_such(dialect: Any, body: bytes, says: str) -> None:
    for reads in ([body], pieces(body, 3)):
        error = failure_of(lambda r=reads: sseproto.accumulate(r, dialect=dialect))
        assert isinstance(error, IncompleteStreamError)
        assert f"the stream ended with no event in {len(body)} bytes: {says}" in str(error)
        assert "inside its first event" not in str(error)
        assert (error.offset, error.event_index) == (len(body), 0)


@pytest.mark.parametrize(
    "body", [b': ping\n\ndata: {"choi', b": ping\n\nid: 1\nda", b"id: 1\nretry: 5\n"]
)
def test_a_keep_alive_then_a_cut_event_is_still_cut_inside_it(body: bytes) -> None:
    error = failure_of(lambda: sseproto.accumulate([body]))
    assert isinstance(error, IncompleteStreamError)
    assert "the stream ended inside its first event" in str(error)


@pytest.mark.parametrize(
    ("path", "dialect", "says"),
    [
        ("anthropic/sonnet45-text.sse", "anthropic", "message_start"),
        ("openai-responses/gpt4o-text.sse", "responses", "response.created"),
        ("gemini/flash25-max-tokens.sse", "gemini", "candidates"),
    ],
)
def test_a_stream_of_another_dialect_read_as_chat_is_named(
    path: str, dialect: str, says: str
) -> None:
    require_real_fixtures()
    body = (REAL_FIXTURES / path).read_bytes()
    error = failure_of(lambda: sseproto.accumulate([body], dialect="chat"))
    assert isinstance(error, UnexpectedStreamError)
    assert error.detected == dialect and says in str(error)
    assert (error.offset, error.event_index) == (0, 0)
    # The chat engine itself says the same, for those who feed it directly.
    accumulator = ChatAccumulator()
    with pytest.raises(UnexpectedStreamError, match="not an OpenAI chat stream"):
        accumulator.feed(body)


@pytest.mark.parametrize(
    ("named", "body", "found"),
    [
        ("gemini", BODY, "an OpenAI chat stream, not a Gemini stream"),
        ("responses", BODY, "an OpenAI chat stream, not an OpenAI Responses stream"),
        ("gemini", b'data: {"type":"response.created"}\n\n', "an OpenAI Responses stream"),
        ("responses", b'data: {"candidates":[]}\n\n', "a Gemini stream, not an OpenAI"),
    ],
)
def test_a_named_dialect_refuses_another_by_name(named: Any, body: bytes, found: str) -> None:
    error = failure_of(lambda: sseproto.accumulate(pieces(body, 10), dialect=named))
    assert isinstance(error, UnexpectedStreamError) and found in str(error)
    assert (error.offset, error.event_index) == (0, 0)
    empty = ACCUMULATORS[named]().snapshot()
    assert empty is not None and error.partial is not None
    assert error.partial.to_dict() == empty.to_dict()


# -- what the readers accept ------------------------------------------------------------------


def test_reads_that_are_not_bytes_are_refused_saying_what_to_pass() -> None:
    accumulator = ChatAccumulator()
    bad: Any
    for bad in (5, "data: x\n\n", None):
        for feed in (accumulator.feed, sseproto.SSEDecoder().feed, AutoAccumulator().feed):
            with pytest.raises(TypeError, match="must be bytes, bytearray or memoryview"):
                feed(bad)
        for dialect in ("chat", "gemini", "responses", "auto"):
            with pytest.raises(TypeError, match="must be bytes, bytearray or memoryview"):
                sseproto.accumulate([bad], dialect=dialect)
    text_reads: Any = ["data: x\n\n"]
    with pytest.raises(TypeError, match=r"iter_bytes\(\), not iter_text\(\)"):
        sseproto.accumulate(text_reads)
    for bad in ("data: x\n\n", 5):
        with pytest.raises(TypeError, match="an iterable of reads"):
            sseproto.accumulate(bad)
        with pytest.raises(TypeError, match="an iterable of reads"):
            sseproto.iter_updates(bad)
    sync_reads: Any = [BODY]
    with pytest.raises(TypeError, match="a sync iterable goes to the sync function"):
        asyncio.run(sseproto.aaccumulate(sync_reads))
    # The accumulator is untouched by a refused read.
    accumulator.feed(BODY)
    assert accumulator.result().choices[0].message.content == "Hello"


def test_the_likely_wrong_inputs_are_told_what_to_pass_instead() -> None:
    # A file's path (or text) for the bytes: replay(path) reads a recording.
    path: Any = str(PROJECT_FIXTURES / "chat-text.sse")
    for reader in (sseproto.accumulate, sseproto.iter_updates, sseproto.iter_events):
        with pytest.raises(TypeError, match=r"not str \(.*replay\(path\)"):
            reader(path)
    # An async source to a sync reader, and the other way round, name the functions to use.
    asynchronous: Any = sseproto.areplay(PROJECT_FIXTURES / "chat-text.sse")
    with pytest.raises(TypeError, match="async function: aaccumulate, aiter_updates, aiter_events"):
        sseproto.accumulate(asynchronous)
    synchronous: Any = sseproto.replay(PROJECT_FIXTURES / "chat-text.sse")
    with pytest.raises(TypeError, match="sync function: accumulate, iter_updates, iter_events"):
        sseproto.aiter_updates(synchronous)
    # Lines of text (httpx's iter_lines()).
    lines: Any = BODY.decode().splitlines()
    with pytest.raises(TypeError, match=r"not iter_text\(\) or iter_lines\(\)"):
        sseproto.accumulate(lines)
    # Events already decoded, and payloads already parsed, are no bytes; they go to an
    # accumulator one by one, as the docs say, and give the stream's result.
    events: Any = list(sseproto.iter_events(BODY))
    with pytest.raises(TypeError, match=r"not ServerSentEvent: .* not the events decoded"):
        sseproto.accumulate(events)
    payloads: Any = [json.loads(event.data) for event in events if event.data != "[DONE]"]
    with pytest.raises(TypeError, match=r"not dict: .* not the payloads parsed"):
        sseproto.accumulate(payloads)
    by_event, by_payload = AutoAccumulator(), AutoAccumulator()
    for event in events:
        by_event.feed_event(event)
    for payload in payloads:
        by_payload.feed_chunk(payload)
    expected = sseproto.accumulate(BODY)
    assert by_event.result() == by_payload.result() == expected


def test_a_whole_bytes_body_is_one_read() -> None:
    expected = sseproto.accumulate([BODY], dialect="chat")
    for body in (BODY, bytearray(BODY), memoryview(BODY)):
        assert sseproto.accumulate(body, dialect="chat") == expected
        assert list(sseproto.iter_chat(body)) == list(sseproto.iter_chat([BODY]))
    assert asyncio.run(sseproto.aaccumulate(BODY, dialect="chat")) == expected


# -- updates before an error, feeding after close ---------------------------------------------


def test_feed_into_keeps_the_updates_produced_before_an_error() -> None:
    error_chunk = b'data: {"error": {"message": "boom"}}\n\n'
    updates: list[ChatUpdate] = []
    with pytest.raises(ProviderError):
        ChatAccumulator().feed(chunk("a") + chunk("b") + error_chunk, into=updates)
    assert updates == [ContentDelta(0, "a"), ContentDelta(0, "b")]
    # One event can produce updates before its error too: a chunk carrying content and error.
    both = json.loads(chunk("c")[6:])
    both["error"] = {"message": "boom"}
    feeds: list[Callable[[ChatAccumulator, list[ChatUpdate]], object]] = [
        lambda a, into: a.feed_chunk(both, into=into),
        lambda a, into: a.feed_event(ServerSentEvent(data=json.dumps(both)), into=into),
    ]
    for feed in feeds:
        updates = []
        with pytest.raises(ProviderError):
            feed(ChatAccumulator(), updates)
        assert updates == [ContentDelta(0, "c")]
    # The returned list is the one given.
    given_list: list[ChatUpdate] = []
    assert ChatAccumulator().feed(chunk("x"), into=given_list) is given_list


def test_feeding_after_close_raises_with_the_partial() -> None:
    accumulator = ChatAccumulator()
    accumulator.feed(BODY)
    accumulator.close()
    for late in (lambda: accumulator.feed(chunk("x")), lambda: accumulator.feed_chunk({})):
        error = failure_of(late)
        assert "once the stream is closed" in str(error)
        assert error.partial == accumulator.result()
        assert (error.offset, error.event_index) == (len(BODY), 3)


# -- a failing source -------------------------------------------------------------------------


def failing(reads: list[bytes], failure: Exception) -> Iterator[bytes]:
    yield from reads
    raise failure


async def afailing(reads: list[bytes], failure: Exception) -> AsyncIterator[bytes]:
    for data in reads:
        yield data
    raise failure


READERS: dict[str, Callable[..., Any]] = {
    "accumulate": lambda reads, **kw: sseproto.accumulate(reads, **kw),
    "iter_updates": lambda reads, **kw: list(sseproto.iter_updates(reads, **kw)),
}
AREADERS: dict[str, Callable[..., Any]] = {
    "aaccumulate": lambda reads, **kw: asyncio.run(sseproto.aaccumulate(reads, **kw)),
    "aiter_updates": lambda reads, **kw: asyncio.run(_collect(sseproto.aiter_updates(reads, **kw))),
}


EVENT_READERS: dict[str, Callable[..., Any]] = {
    "iter_events": lambda reads, **kw: list(sseproto.iter_events(reads, **kw)),
    "aiter_events": lambda reads, **kw: asyncio.run(
        _collect(sseproto.aiter_events(_async(reads), **kw))
    ),
}


async def _collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


async def _async(reads: Iterator[bytes]) -> AsyncIterator[bytes]:
    for data in reads:
        yield data


@pytest.mark.parametrize("dialect", ["chat", "auto"])
def test_a_source_failure_carries_the_partial_offset_and_event_index(dialect: str) -> None:
    reads = [chunk("Hel"), chunk("lo")]
    for name, read in READERS.items():
        cause = ConnectionResetError("reset by peer")
        error = failure_of(lambda r=read, c=cause: r(failing(reads, c), dialect=dialect))
        assert type(error) is IncompleteStreamError, name
        assert error.__cause__ is cause and "ConnectionResetError" in str(error)
        assert (error.offset, error.event_index) == (len(b"".join(reads)), 2)
        assert isinstance(error.partial, ChatCompletion)
        assert error.partial.choices[0].message.content == "Hello"
    for name, aread in AREADERS.items():
        cause = ConnectionResetError("reset by peer")
        error = failure_of(lambda r=aread, c=cause: r(afailing(reads, c), dialect=dialect))
        assert type(error) is IncompleteStreamError and error.__cause__ is cause, name
        assert isinstance(error.partial, ChatCompletion) and error.event_index == 2


def test_replaying_a_recorded_transport_error_meets_the_live_failure() -> None:
    fixture = PROJECT_FIXTURES / "transport-error.sse"
    body = fixture.read_bytes()
    live = ChatAccumulator()
    live.feed(body)
    for chunking in ("recorded", "whole", 7):
        error = failure_of(
            lambda c=chunking: sseproto.accumulate(sseproto.replay(fixture, chunking=c))
        )
        # The class the adapters raise for a cut body, with what it carries.
        assert isinstance(error, IncompleteStreamError)
        assert isinstance(error, RecordedTransportError)
        assert error.error_type and error.error_message
        assert error.offset == len(body)
        assert error.event_index == live.events_received
        assert error.partial == live.snapshot()
    async_error = failure_of(
        lambda: asyncio.run(sseproto.aaccumulate(sseproto.areplay(fixture), dialect="chat"))
    )
    assert isinstance(async_error, RecordedTransportError)
    assert async_error.partial == live.snapshot()


# -- the end: the terminal event, and the source closed ---------------------------------------


class Source:
    """A generator source that records how far it was read and whether it was closed."""

    def __init__(self, reads: list[bytes], then: int = 0) -> None:
        self.reads = reads
        self.then = then  # keep-alive comments sent after the reads
        self.read = 0
        self.closed = False

    def sync(self) -> Iterator[bytes]:
        try:
            for data in [*self.reads, *[b": keep-alive\n\n"] * self.then]:
                self.read += 1
                yield data
        finally:
            self.closed = True

    async def asynchronous(self) -> AsyncIterator[bytes]:
        try:
            for data in [*self.reads, *[b": keep-alive\n\n"] * self.then]:
                self.read += 1
                yield data
        finally:
            self.closed = True


@pytest.mark.parametrize("dialect", ["chat", "auto"])
def test_reading_stops_at_done_and_closes_the_source(dialect: Any) -> None:
    reads = pieces(BODY, 20)
    expected = sseproto.accumulate(BODY, dialect="chat")
    for name, read in READERS.items():
        source = Source(reads, then=1000)
        generator = source.sync()  # held, so only the reader can have closed it
        result = read(generator, dialect=dialect)
        assert source.read == len(reads) and source.closed, name
        assert result == expected or result[-1] == StreamDone(expected)

    async def read_async(source: Source) -> bool:
        generator = source.asynchronous()
        assert await sseproto.aaccumulate(generator, dialect=dialect) == expected
        return source.closed  # before asyncio.run finalises what is left open

    async def iterate_async(source: Source) -> bool:
        generator = source.asynchronous()
        updates = [update async for update in sseproto.aiter_updates(generator)]
        assert updates[-1] == StreamDone(expected)
        return source.closed

    for reader in (read_async, iterate_async):
        source = Source(reads, then=1000)
        assert asyncio.run(reader(source)), reader
        assert source.read == len(reads), reader


def test_a_generator_source_is_closed_when_reading_stops_early_or_fails() -> None:
    source = Source([chunk("a"), chunk("b"), chunk("c")])
    generator = source.sync()  # held, so only the reader can have closed it
    updates = sseproto.iter_updates(generator)
    assert next(updates) == ContentDelta(0, "a")
    updates.close()  # the consumer leaves early
    assert source.closed and source.read == 1
    source = Source([chunk("a"), b'data: {"error": {"message": "x"}}\n\n', chunk("c")])
    generator = source.sync()
    with pytest.raises(ProviderError):
        sseproto.accumulate(generator)
    assert source.closed and source.read == 2

    async def fail(source: Source) -> bool:
        generator = source.asynchronous()
        with pytest.raises(InvalidChunkError):
            await sseproto.aaccumulate(generator)
        return source.closed

    source = Source([chunk("a"), b"data: {not json}\n\n", chunk("c")])
    assert asyncio.run(fail(source)) and source.read == 2


# -- reads without a line end ---------------------------------------------------------------


def _without_line_ends(data: bytes) -> bytes:
    return data.replace(b"\n", b"x").replace(b"\r", b"x")


@given(
    st.lists(
        st.one_of(
            st.binary(max_size=40).map(_without_line_ends),
            st.binary(min_size=1, max_size=3000).map(_without_line_ends),
            st.binary(max_size=40),
            st.builds(bytearray, st.binary(max_size=8)),
        ),
        max_size=40,
    )
)
def test_reads_without_a_line_end_are_held_until_the_next_that_has_one(reads: list[Any]) -> None:
    handed = list(framed_reads(iter(reads), []))
    assert asyncio.run(_collect(aframed_reads(_async(iter(reads)), []))) == handed
    assert b"".join(handed) == b"".join(reads)
    assert [data for data in handed if type(data) is not bytes] == [
        data for data in reads if type(data) is not bytes
    ]
    # Where a read with a line end, or one that is not bytes, ends; where one that is not
    # bytes starts.
    ends, others = set(), set()
    position = 0
    for data in reads:
        if type(data) is not bytes:
            others.add(position)
        position += len(data)
        if type(data) is not bytes or b"\n" in data or b"\r" in data:
            ends.add(position)
    # What is handed on ends where such a read ends, before a read that is not bytes, at the
    # end, or once HOLD bytes are held; and never holds such a read's end back.
    position = 0
    for data in handed:
        start, position = position, position + len(data)
        assert position in ends | others | {len(b"".join(reads))} or len(data) >= HOLD
        assert not [end for end in ends if start < end < position]


def test_bytes_held_without_a_line_end_count_when_the_source_fails() -> None:
    reads = [chunk("Hel"), b"data: {", b'"id": "c1"']
    for name, read in READERS.items():
        cause = ConnectionResetError()
        error = failure_of(lambda r=read, c=cause: r(failing(reads, c), dialect="chat"))
        assert type(error) is IncompleteStreamError, name
        assert (error.offset, error.event_index) == (len(b"".join(reads)), 1), name
    for name, aread in AREADERS.items():
        cause = ConnectionResetError()
        error = failure_of(lambda r=aread, c=cause: r(afailing(reads, c), dialect="chat"))
        assert type(error) is IncompleteStreamError, name
        assert (error.offset, error.event_index) == (len(b"".join(reads)), 1), name
    # The readers of events hold by the same policy, and place the failure alike.
    for name, events in EVENT_READERS.items():
        cause = ConnectionResetError()
        error = failure_of(lambda e=events, c=cause: e(failing(reads, c)))
        assert type(error) is IncompleteStreamError, name
        assert (error.offset, error.event_index) == (len(b"".join(reads)), 1), name


@given(held=st.lists(st.integers(1, 150), min_size=1, max_size=6))
def test_held_bytes_too_large_for_an_event_are_the_error_and_the_source_failure_its_context(
    held: list[int],
) -> None:
    """The source gives a line too long for max_event_size in reads without a line end, held,
    then fails: every reader raises what a reader fed each read as it came raises (the
    EventTooLargeError, at the same place), and the source's failure rides along as its
    __context__."""
    limit = 300  # the first event fits
    line = b"data: " + b"x" * (sum(held) + limit)
    cuts = list(itertools.accumulate(held))
    reads = [chunk("Hel")] + [line[start:end] for start, end in itertools.pairwise([0, *cuts])]
    reads.append(line[cuts[-1] :])
    # Read by read, unheld: the line is refused before the source's failure comes.
    unheld = AutoAccumulator(max_event_size=limit)
    expected = failure_of(lambda: [unheld.feed(data) for data in reads])
    assert type(expected) is EventTooLargeError
    for name, read in {**READERS, **EVENT_READERS}.items():
        cause = ConnectionResetError("reset")
        error = failure_of(lambda r=read, c=cause: r(failing(reads, c), max_event_size=limit))
        assert type(error) is EventTooLargeError, name
        assert (error.offset, error.event_index) == (expected.offset, expected.event_index), name
        assert error.__context__ is cause and error.__cause__ is None, name
    # The event readers' async twin takes the sync source above; the update readers' here.
    for name, aread in AREADERS.items():
        cause = ConnectionResetError("reset")
        error = failure_of(lambda r=aread, c=cause: r(afailing(reads, c), max_event_size=limit))
        assert type(error) is EventTooLargeError, name
        assert (error.offset, error.event_index) == (expected.offset, expected.event_index), name
        assert error.__context__ is cause and error.__cause__ is None, name


def test_a_line_that_never_ends_still_meets_the_size_limit() -> None:
    for name, reader in READERS.items():
        source = Source([b"x"] * 100_000)
        with pytest.raises(EventTooLargeError):
            reader(source.sync(), dialect="chat", max_event_size=100)
        # Read no further than HOLD bytes past the limit.
        assert source.read <= 100 + HOLD, name
    for name, events in EVENT_READERS.items():
        source = Source([b"x"] * 100_000)
        with pytest.raises(EventTooLargeError):
            events(source.sync(), max_event_size=100)
        assert source.read <= 100 + HOLD, name


# Streams of every dialect, text and tool arguments, read with each line end and a BOM or not.
_TIMELY_STREAMS = [
    PROJECT_FIXTURES / "reasoning-text-tool-call.sse",
    PROJECT_FIXTURES / "anthropic" / "mcp-tool-use.sse",
    PROJECT_FIXTURES / "gemini" / "function-calls-whole.sse",
    PROJECT_FIXTURES / "responses" / "custom-tool-call.sse",
]


@given(
    path=st.sampled_from(_TIMELY_STREAMS),
    line_end=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    bom=st.booleans(),
    cuts=st.lists(st.integers(0, 1 << 16), max_size=40),
)
def test_every_event_and_update_arrives_with_the_read_that_completes_it(
    path: Path, line_end: bytes, bom: bool, cuts: list[int]
) -> None:
    """No reader holds back what a read completes, however the reads hold, join or split
    the bytes: each event (each update) is handed out before the next read is taken, and not
    before the read that completes it. What a read completes is told by the prefix of the
    stream it ends, read whole: the oracle's events, an accumulator's updates."""
    body = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", line_end)
    stream = b"\xef\xbb\xbf" + body if bom else body
    ends = sorted({cut % (len(stream) + 1) for cut in cuts} - {0} | {len(stream)})
    reads = [stream[start:end] for start, end in itertools.pairwise([0, *ends])]
    # Where each event and update is due: the end of the first read whose prefix completes it.
    events_due: list[int] = []
    updates_due: list[int] = []
    for end in ends:
        completed = len(reference_decode(stream[:end]).events)
        events_due += [end] * (completed - len(events_due))
        completed = len(AutoAccumulator().feed(stream[:end]))
        updates_due += [end] * (completed - len(updates_due))

    taken = 0

    def source() -> Iterator[bytes]:
        nonlocal taken
        taken = 0
        for data in reads:
            taken += len(data)
            yield data

    async def asource() -> AsyncIterator[bytes]:
        for data in source():
            yield data

    async def arrivals(items: AsyncIterator[Any]) -> list[int]:
        return [taken async for _ in items]

    assert [taken for _ in sseproto.iter_events(source())] == events_due
    assert asyncio.run(arrivals(sseproto.aiter_events(asource()))) == events_due
    # The updates of the end of input (StreamDone) come after the last read.
    updates = [taken for _ in sseproto.iter_updates(source())]
    assert updates[: len(updates_due)] == updates_due
    updates = asyncio.run(arrivals(sseproto.aiter_updates(asource())))
    assert updates[: len(updates_due)] == updates_due


def test_a_record_wrapper_finishes_its_sidecar_when_the_reader_fails(tmp_path: Path) -> None:
    path = tmp_path / "failed.sse"
    body = chunk("a") + b'data: {"error": {"message": "x"}}\n\n'
    gc.disable()  # the sidecar must not wait for a collection of the recording generator
    try:
        with pytest.raises(ProviderError):
            sseproto.accumulate(sseproto.record(iter([body, chunk("never read")]), path))
        lines = sidecar_path(path).read_text(encoding="utf-8").splitlines()
    finally:
        gc.enable()
    assert json.loads(lines[-1])["end"] == "closed"
    with pytest.raises(ProviderError):
        sseproto.accumulate(sseproto.replay(path))


def test_an_adapter_returns_at_done_while_the_server_keeps_the_stream_open(server: Any) -> None:
    server.replies["/s"] = Reply(parts=[BODY], endless=True)
    with httpx.Client() as client, connect_sse(client, "GET", f"{server.url}/s") as source:
        completion = source.accumulate(dialect="chat")
    assert completion.choices[0].message.content == "Hello"
    # The client hung up while the server was still sending keep-alives after [DONE].
    assert server.disconnected.wait(10)


# -- auto-detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "recognised"),
    [
        ({"type": "message_start", "message": {}}, "anthropic"),
        ({"type": "ping"}, "anthropic"),
        ({"type": "error", "error": {}}, "anthropic"),
        ({"type": "error", "sequence_number": 1, "message": "x"}, "responses"),
        ({"type": "response.created", "response": {}}, "responses"),
        ({"type": "keepalive"}, "keepalive"),
        ({"type": 5}, "keepalive"),
        ({"object": "chat.completion.chunk"}, "chat"),
        ({"object": "", "choices": [], "prompt_filter_results": []}, "chat"),
        ({"choices": [{"index": 0, "message": {}}]}, "chat.completion"),
        ({"candidates": []}, "gemini"),
        ({"usageMetadata": {}}, "gemini"),
        ({"promptFeedback": {}}, "gemini"),
        ({"candidates": [], "object": "x"}, None),
        ({"choice": 0, "text": "Hi"}, "relay"),
        ({"error": {"message": "x"}}, "error"),
        ({"hello": "world"}, None),
        ([1, 2], None),
    ],
)
def test_each_payload_is_recognised_by_the_dialect_rules(payload: Any, recognised: Any) -> None:
    assert recognise(payload) == recognised


def readable_fixtures() -> list[Path]:
    return [
        *sorted(PROJECT_FIXTURES.glob("*.sse")),
        *real_fixture_files(
            "openai-chat", "other-openai-compatible", "gemini", "openai-responses", "anthropic"
        ),
    ]


@pytest.mark.parametrize("path", readable_fixtures(), ids=lambda path: path.stem)
def test_auto_gives_what_the_named_dialect_gives(path: Path) -> None:
    body = path.read_bytes()
    dialect: Any = {
        "gemini": "gemini",
        "openai-responses": "responses",
        "anthropic": "anthropic",
    }.get(path.parent.name, "chat")
    auto: Any = None
    named: Any = None
    try:
        auto = sseproto.accumulate(pieces(body, 61))
    except StreamError as error:
        auto = (type(error), str(error), error.partial)
    try:
        named = sseproto.accumulate([body], dialect=dialect)
    except StreamError as error:
        named = (type(error), str(error), error.partial)
    assert auto == named
    if not isinstance(auto, tuple):
        assert auto.dialect == dialect


@given(st.integers(1, 400), st.sampled_from(sorted(PROJECT_FIXTURES.glob("*.sse"))))
def test_auto_updates_never_depend_on_the_reads(size: int, path: Path) -> None:
    body = path.read_bytes()

    def updates(reads: list[bytes]) -> tuple[list[ChatUpdate], Any]:
        seen: list[ChatUpdate] = []
        try:
            for update in sseproto.iter_updates(reads):
                seen.append(update)
        except StreamError as error:
            return seen, (type(error), error.offset, error.event_index)
        return seen, None

    assert updates(pieces(body, size)) == updates([body])


def test_naming_no_dialect_is_a_value_error() -> None:
    unknown: Any = "sse"
    with pytest.raises(ValueError, match="dialect must be one of auto, chat") as caught:
        sseproto.accumulate(BODY, dialect=unknown)
    assert str(caught.value).endswith("not 'sse'")


# What a reader says to dialect=None: what it says to any name that is no dialect.
NONE_REFUSED = "dialect must be one of auto, chat, anthropic, responses, gemini, not None"


def test_none_as_the_dialect_is_refused_as_any_unknown_name_by_every_reader() -> None:
    # DialectChoice holds no None: it is not read as "auto", which is the word for any dialect.
    none: Any = None
    readers: list[Callable[[], object]] = [
        lambda: sseproto.accumulate(BODY, dialect=none),
        lambda: asyncio.run(sseproto.aaccumulate(BODY, dialect=none)),
        lambda: sseproto.iter_updates(BODY, dialect=none),
        lambda: sseproto.aiter_updates(BODY, dialect=none),
    ]
    for read in readers:
        with pytest.raises(ValueError) as caught:
            read()
        assert str(caught.value) == NONE_REFUSED


def test_none_as_the_dialect_is_refused_by_the_adapters_methods(server: Any) -> None:
    server.replies["/n"] = Reply(parts=[BODY])
    none: Any = None
    with httpx.Client() as client, connect_sse(client, "GET", f"{server.url}/n") as source:
        for read in (
            lambda: source.accumulate(dialect=none),
            lambda: source.iter_updates(dialect=none),
        ):
            with pytest.raises(ValueError) as caught:
                read()
            assert str(caught.value) == NONE_REFUSED


@pytest.mark.parametrize(
    ("name", "says"),
    [
        (
            "openai",
            "OpenAI's chat completions, as every compatible vendor's, are 'chat'; its "
            "Responses API is 'responses'",
        ),
        ("Claude", "Anthropic's Messages API is 'anthropic'"),
        ("google", "streamGenerateContent is 'gemini'"),
        ("Chat", "names are lower case: 'chat'"),
        ("AUTO", "names are lower case: 'auto'"),
    ],
)
def test_a_provider_named_for_its_dialect_is_told_the_dialects_name(name: Any, says: str) -> None:
    for make in (
        lambda: sseproto.accumulate(BODY, dialect=name),
        lambda: AutoAccumulator(expect=name),
    ):
        with pytest.raises(ValueError) as caught:
            make()
        message = str(caught.value)
        assert f"not {name!r} (" in message and message.endswith(f"{says})")


@pytest.mark.parametrize(
    ("first", "says"),
    [
        (b'data: {"hello":"world"}\n\n', "a JSON object with keys 'hello'"),
        (b'data: {"choices":[{"message":{}}]}\n\n', "non-streaming chat.completion"),
    ],
)
def test_a_first_event_matching_no_dialect_is_refused_saying_what_arrived(
    first: bytes, says: str
) -> None:
    error = failure_of(lambda: sseproto.accumulate([b": hi\n\n" + first + BODY]))
    assert isinstance(error, UnexpectedStreamError)
    assert "no dialect recognised" in str(error) and says in str(error)
    assert (error.offset, error.event_index) == (len(b": hi\n\n"), 0)


def test_keepalives_done_and_non_json_decide_nothing() -> None:
    keepalive = b'data: {"type":"keepalive"}\n\n'
    completion = sseproto.accumulate(pieces(keepalive + BODY, 9))
    assert isinstance(completion, ChatCompletion)
    assert completion.text == "Hello"
    accumulator = AutoAccumulator()
    accumulator.feed(keepalive + b"data: [DONE]\n\ndata: warming up\n\n")
    assert accumulator.dialect is None and accumulator.snapshot() is None
    with pytest.raises(UnexpectedStreamError, match="the first being an event of type"):
        accumulator.close()


def test_an_error_alone_as_the_first_event_is_a_provider_error() -> None:
    error = failure_of(lambda: sseproto.accumulate([b'data: {"error": {"message": "x"}}\n\n']))
    assert isinstance(error, ProviderError) and error.partial is None
    assert (error.offset, error.event_index) == (0, 0)


def test_auto_holds_a_bounded_input_until_it_decides() -> None:
    accumulator = AutoAccumulator(max_event_size=64)
    keepalive = b'data: {"type":"keepalive"}\n\n'
    with pytest.raises(UnexpectedStreamError, match="no dialect recognised in the stream's first"):
        for _ in range(10):
            accumulator.feed(keepalive)
    assert accumulator.state is sseproto.StreamState.FAILED


def test_auto_bounds_events_without_data_fed_one_by_one_too() -> None:
    accumulator = AutoAccumulator(max_event_size=1024)
    with pytest.raises(UnexpectedStreamError, match="no dialect recognised in the stream's first"):
        for _ in range(100):
            accumulator.feed_event(ServerSentEvent(event="ping"))
    assert accumulator.state is sseproto.StreamState.FAILED


def test_auto_holds_many_small_reads_at_the_cost_of_their_bytes() -> None:
    accumulator = AutoAccumulator()
    tracemalloc.start()
    try:
        for _ in range(50_000):
            accumulator.feed(b"")
            accumulator.feed(b":\n")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # 100,000 reads held one by one cost some 6 MB; joined, their 100 KB.
    assert peak < 1024 * 1024
    accumulator.feed(BODY)
    assert accumulator.result() == sseproto.accumulate(BODY)


def test_auto_errors_are_those_of_the_named_dialect_at_the_same_place() -> None:
    body = chunk("a") + chunk("b") + b"data: {oops\n\n"
    auto = failure_of(lambda: sseproto.accumulate(pieces(body, 5)))
    named = failure_of(lambda: sseproto.accumulate([body], dialect="chat"))
    assert (type(auto), auto.offset, auto.event_index) == (
        InvalidChunkError,
        len(chunk("a")) * 2,
        2,
    )
    assert (type(named), named.offset, named.event_index, named.partial) == (
        type(auto),
        auto.offset,
        auto.event_index,
        auto.partial,
    )


def test_the_auto_accumulator_takes_events_and_parsed_chunks() -> None:
    events = list(sseproto.iter_events([BODY]))
    by_event = AutoAccumulator()
    updates = [update for event in events for update in by_event.feed_event(event)]
    updates += by_event.close()
    assert by_event.dialect == "chat"
    assert updates == list(sseproto.iter_chat([BODY]))
    by_chunk = AutoAccumulator()
    assert by_chunk.feed_chunk({"type": "keepalive"}) == []
    assert by_chunk.feed_chunk(json.loads(chunk("Hi", "stop")[6:])) == [
        ContentDelta(0, "Hi"),
        sseproto.ChoiceFinished(0, "stop"),
    ]
    assert by_chunk.result().text == "Hi" and by_chunk.events_received == 2


def test_iter_chat_is_iter_updates_pinned_to_chat() -> None:
    require_real_fixtures()
    gemini = (REAL_FIXTURES / "gemini" / "flash25-max-tokens.sse").read_bytes()
    assert isinstance(sseproto.accumulate(gemini), GeminiResponse)
    with pytest.raises(UnexpectedStreamError, match="a Gemini stream, not an OpenAI chat stream"):
        list(sseproto.iter_chat([gemini]))
    assert list(sseproto.iter_chat([BODY])) == list(sseproto.iter_updates([BODY]))


def test_the_adapters_read_any_dialect(server: Any) -> None:
    require_real_fixtures()
    gemini = (REAL_FIXTURES / "gemini" / "flash25-max-tokens.sse").read_bytes()
    server.replies["/g"] = Reply(parts=pieces(gemini, 500))
    server.replies["/u"] = Reply(parts=pieces(gemini, 500))
    with httpx.Client() as client:
        with connect_sse(client, "GET", f"{server.url}/g") as source:
            result = source.accumulate()
        with connect_sse(client, "GET", f"{server.url}/u") as source:
            updates = list(source.iter_updates(dialect="gemini"))
    assert isinstance(result, GeminiResponse)
    assert result == sseproto.accumulate(gemini, dialect="gemini")
    assert updates == list(sseproto.iter_updates([gemini]))
    assert any(isinstance(update, UsageUpdate) for update in updates)


def test_iter_events_is_a_generator_whose_close_releases_the_source_at_once() -> None:
    # After a break, close() must run the source's finally blocks now (a recording's sidecar is
    # written, a response released), as aiter_events' aclose() does, not when the iterator is
    # collected.
    released: list[str] = []

    def source() -> Iterator[bytes]:
        try:
            yield b"data: 1\n\ndata: 2\n\n"
            yield b"data: 3\n\n"
        finally:
            released.append("source")

    events = sseproto.iter_events(source())
    assert next(events).data == "1"
    keep = events  # still referenced: only close() can release the source
    keep.close()
    assert released == ["source"]
