"""The one surface every accumulator shares (the four dialect engines and ``AutoAccumulator``),
checked on each of them alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import PROJECT_FIXTURES

import sseproto
from sseproto import (
    AutoAccumulator,
    ChatUpdate,
    ContentDelta,
    IncompleteStreamError,
    InvalidChunkError,
    ProviderError,
    ServerSentEvent,
    StreamError,
    StreamState,
    UnexpectedStreamError,
)
from sseproto.dialects.kit.drive import Accumulator
from sseproto.dialects.kit.result import Dialect
from sseproto.dialects.registry import ACCUMULATORS

Json = dict[str, Any]

# For each dialect, the first events of a stream, the last one carrying the text "a".
OPENINGS: dict[Dialect, list[Json]] = {
    "chat": [
        {"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}}]},
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": "a"}}],
        },
    ],
    "anthropic": [
        {"type": "message_start", "message": {"id": "msg_1", "type": "message", "content": []}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "a"}},
    ],
    "responses": [
        {
            "type": "response.created",
            "response": {"id": "r1", "status": "in_progress", "output": []},
        },
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "message", "id": "m1", "role": "assistant", "content": []},
        },
        {
            "type": "response.content_part.added",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": ""},
        },
        {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "a"},
    ],
    "gemini": [
        {"candidates": [{"content": {"role": "model"}}], "modelVersion": "gemini-2.5-flash"},
        {"candidates": [{"content": {"parts": [{"text": "a"}], "role": "model"}}]},
    ],
}
ERROR: Json = {"error": {"message": "boom"}}

ENGINES: dict[str, Callable[[Dialect], Accumulator[Any]]] = {
    "the dialect's engine": lambda dialect: ACCUMULATORS[dialect](),
    "auto": lambda dialect: AutoAccumulator(),
    "auto, the dialect named": lambda dialect: AutoAccumulator(expect=dialect),
}


def wire(payloads: list[Json]) -> bytes:
    return b"".join(f"data: {json.dumps(payload)}\n\n".encode() for payload in payloads)


FEEDS: dict[str, Callable[[Accumulator[Any], list[Json], list[ChatUpdate]], object]] = {
    "feed, one read": lambda engine, payloads, into: engine.feed(wire(payloads), into=into),
    "feed, a read per event": lambda engine, payloads, into: [
        engine.feed(wire([payload]), into=into) for payload in payloads
    ],
    "feed_event": lambda engine, payloads, into: [
        engine.feed_event(ServerSentEvent(data=json.dumps(payload)), into=into)
        for payload in payloads
    ],
    "feed_chunk": lambda engine, payloads, into: [
        engine.feed_chunk(payload, into=into) for payload in payloads
    ],
}


@pytest.mark.parametrize("feed", FEEDS)
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dialect", OPENINGS)
def test_into_keeps_the_updates_produced_before_an_error(
    dialect: Dialect, engine: str, feed: str
) -> None:
    accumulator = ENGINES[engine](dialect)
    updates: list[ChatUpdate] = []
    with pytest.raises(ProviderError):
        FEEDS[feed](accumulator, [*OPENINGS[dialect], ERROR], updates)
    assert ContentDelta(0, "a") in updates


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dialect", OPENINGS)
def test_into_is_the_list_returned(dialect: Dialect, engine: str) -> None:
    first, *_ = OPENINGS[dialect]
    accumulator = ENGINES[engine](dialect)
    given: list[ChatUpdate] = []
    assert accumulator.feed(wire([first]), into=given) is given
    assert accumulator.feed_event(ServerSentEvent(data=json.dumps(first)), into=given) is given
    assert accumulator.feed_chunk(first, into=given) is given


# For each dialect, what completes a stream begun with its opening.
CLOSINGS: dict[Dialect, list[Json]] = {
    "chat": [
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
    ],
    "anthropic": [
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}},
        {"type": "message_stop"},
    ],
    "responses": [
        {
            "type": "response.completed",
            "response": {
                "id": "r1",
                "status": "completed",
                "output": [
                    {
                        "type": "message",
                        "id": "m1",
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": "a", "annotations": []}],
                    }
                ],
            },
        }
    ],
    "gemini": [{"candidates": [{"finishReason": "STOP"}]}],
}


def whole_stream(dialect: Dialect) -> bytes:
    body = wire([*OPENINGS[dialect], *CLOSINGS[dialect]])
    return body + b"data: [DONE]\n\n" if dialect == "chat" else body


@pytest.mark.parametrize("dialect", OPENINGS)
def test_feeding_after_close_raises_with_the_result_and_where(dialect: Dialect) -> None:
    body = whole_stream(dialect)
    accumulator = ACCUMULATORS[dialect]()
    accumulator.feed(body)
    accumulator.close()
    result = accumulator.result()
    events = accumulator.events_received
    late: list[Callable[[], object]] = [
        lambda: accumulator.feed(b"data: {}\n\n"),
        lambda: accumulator.feed_event(ServerSentEvent(data="{}")),
        lambda: accumulator.feed_chunk({}),
    ]
    for feed in late:
        with pytest.raises(StreamError, match="once the stream is closed") as caught:
            feed()
        error = caught.value
        assert error.partial is not None and error.partial.to_dict() == result.to_dict()
        assert (error.offset, error.event_index) == (len(body), events)


@pytest.mark.parametrize("payload", ["hello", [1], None, 5])
@pytest.mark.parametrize("dialect", OPENINGS)
def test_a_parsed_chunk_that_is_not_an_object_is_invalid(dialect: Dialect, payload: Any) -> None:
    accumulator = ACCUMULATORS[dialect]()
    with pytest.raises(InvalidChunkError) as caught:
        accumulator.feed_chunk(payload)
    assert (caught.value.path, caught.value.event_index) == ("$", 0)
    assert caught.value.partial is not None


@pytest.mark.parametrize("payload", ["hello", [1], None, 5])
def test_auto_refuses_a_parsed_chunk_that_is_not_an_object_before_deciding(payload: Any) -> None:
    accumulator = AutoAccumulator()
    accumulator.feed_chunk({"type": 1})  # a keep-alive: decides nothing
    with pytest.raises(InvalidChunkError) as caught:
        accumulator.feed_chunk(payload)
    error = caught.value
    assert (error.path, error.offset, error.event_index) == ("$", None, 1)
    assert accumulator.state is StreamState.FAILED
    later: list[Callable[[], object]] = [
        lambda: accumulator.feed_chunk(OPENINGS["chat"][0]),
        accumulator.close,
    ]
    for call in later:
        with pytest.raises(InvalidChunkError) as again:
            call()
        assert again.value is error



@pytest.mark.parametrize("dialect", OPENINGS)
def test_auto_with_a_dialect_named_refuses_a_non_object_in_the_engines_words(
    dialect: Dialect,
) -> None:
    with pytest.raises(InvalidChunkError) as named:
        ACCUMULATORS[dialect]().feed_chunk("hello")
    with pytest.raises(InvalidChunkError) as auto:
        AutoAccumulator(expect=dialect).feed_chunk("hello")
    assert str(auto.value) == str(named.value)
    assert auto.value.partial is not None


@pytest.mark.parametrize("given_instead", [b"x", "data: {}", {"type": "message_start"}])
def test_auto_feed_event_refuses_what_is_not_an_event(given_instead: Any) -> None:
    accumulator = AutoAccumulator()
    with pytest.raises(TypeError, match="feed_event\\(\\) takes a ServerSentEvent, not") as caught:
        accumulator.feed_event(given_instead)
    assert not isinstance(caught.value, StreamError)
    # A mistake in the call, not in the stream: nothing was read, and the stream goes on.
    assert (accumulator.state, accumulator.events_received) == (StreamState.STREAMING, 0)
    accumulator.feed_chunk(OPENINGS["chat"][0])
    assert accumulator.dialect == "chat"

class SDKModel:
    """What a provider SDK's parsed event offers: its wire fields through ``model_dump``."""

    def __init__(self, fields: Json) -> None:
        self.fields = fields

    def model_dump(self, *, exclude_unset: bool, warnings: bool) -> Json:
        return self.fields


@pytest.mark.parametrize("dialect", OPENINGS)
def test_auto_decides_on_an_sdk_object_as_the_dialects_engine_reads_it(dialect: Dialect) -> None:
    auto, named = AutoAccumulator(), ACCUMULATORS[dialect]()
    for payload in [*OPENINGS[dialect], *CLOSINGS[dialect]]:
        assert auto.feed_chunk(SDKModel(payload)) == named.feed_chunk(SDKModel(payload))
    assert auto.dialect == dialect
    assert auto.result().to_dict() == named.result().to_dict()


TITLES = {
    "chat": "an OpenAI chat stream",
    "anthropic": "an Anthropic Messages stream",
    "responses": "an OpenAI Responses stream",
    "gemini": "a Gemini stream",
}


@pytest.mark.parametrize(
    ("dialect", "other"), [(a, b) for a in OPENINGS for b in OPENINGS if a != b]
)
def test_each_engine_refuses_another_dialects_stream_by_name(
    dialect: Dialect, other: Dialect
) -> None:
    accumulator = ACCUMULATORS[dialect]()
    with pytest.raises(UnexpectedStreamError) as caught:
        accumulator.feed(whole_stream(other))
    error = caught.value
    assert error.detected == other
    assert str(error).startswith(f"{TITLES[other]}, not {TITLES[dialect]}: its first event is ")
    assert (error.offset, error.event_index) == (0, 0)
    assert error.partial is not None
    # The same when fed one parsed payload.
    with pytest.raises(UnexpectedStreamError, match=f"not {TITLES[dialect]}"):
        ACCUMULATORS[dialect]().feed_chunk(OPENINGS[other][0])


@pytest.mark.parametrize(
    ("body", "kind", "says"),
    [
        (b'{"error": {"message": "bad key"}}', ProviderError, "bad key"),
        (b"<html><body>Bad gateway</body></html>", UnexpectedStreamError, "HTML"),
        (b'data: {"cut', IncompleteStreamError, "inside its first event"),
        (b"d", IncompleteStreamError, "inside its first event"),
        (b"\r\nev", IncompleteStreamError, "inside its first event"),
        (b": ping\n\n: ping\n\n", IncompleteStreamError, "no event in 16 bytes: only comments"),
        (b'data: {"hello": 1}\n\n', UnexpectedStreamError, "no event of the dialect among its 1"),
    ],
)
@pytest.mark.parametrize("dialect", OPENINGS)
def test_each_engine_says_what_came_instead_of_its_dialect(
    dialect: Dialect, body: bytes, kind: type[StreamError], says: str
) -> None:
    accumulator = ACCUMULATORS[dialect]()
    with pytest.raises(kind, match=says) as caught:
        accumulator.feed(body)
        accumulator.close()
    assert type(caught.value) is kind
    assert caught.value.partial is not None


@pytest.mark.parametrize(
    "path",
    [
        "tool-call.sse",
        "anthropic/tool-use.sse",
        "responses/function-calls-parallel.sse",
        "gemini/function-calls-whole.sse",
    ],
)
def test_every_result_and_tool_call_is_an_instance_of_its_view(path: str) -> None:
    # A caller handed a result it did not make (an error's partial, a relay's) checks it so.
    result = sseproto.accumulate(sseproto.replay(PROJECT_FIXTURES / path))
    assert isinstance(result, sseproto.StreamResult)
    assert result.tool_calls
    assert all(isinstance(call, sseproto.ToolCallView) for call in result.tool_calls)
    assert not isinstance(result.to_dict(), sseproto.StreamResult)
    assert not isinstance(result.tool_calls[0].name, sseproto.ToolCallView)


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ("auto", "expect names one dialect: chat, anthropic, responses or gemini (None, the "
         "default, reads any), not 'auto'"),
        ("Gemini", "expect names one dialect: chat, anthropic, responses or gemini (None, the "
         "default, reads any), not 'Gemini' (names are lower case: 'gemini')"),
    ],
)
def test_auto_says_what_expect_takes(expect: Any, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        AutoAccumulator(expect=expect)
    assert str(caught.value) == message


def test_a_reader_says_what_dialect_takes() -> None:
    misspelt: Any = "Gemini"
    with pytest.raises(ValueError) as caught:
        sseproto.accumulate(b"", dialect=misspelt)
    assert str(caught.value) == (
        "dialect must be one of auto, chat, anthropic, responses, gemini, not 'Gemini' "
        "(names are lower case: 'gemini')"
    )
