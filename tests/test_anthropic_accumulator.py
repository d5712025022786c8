"""AnthropicAccumulator rule by rule: the surface, the state machine, updates, values of a wrong
type, bounds, and the isolation of what it returns."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from conftest import PROJECT_FIXTURES

import sseproto
from sseproto import (
    AnthropicAccumulator,
    AnthropicMessage,
    BlockDone,
    ChatUpdate,
    ChoiceFinished,
    CitationAdded,
    ContentDelta,
    EventTooLargeError,
    HostedToolArgumentsDelta,
    HostedToolCallStarted,
    IncompleteStreamError,
    InvalidChunkError,
    ProviderError,
    ServerSentEvent,
    StreamDone,
    StreamError,
    StreamState,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UnexpectedStreamError,
    UsageUpdate,
)
from sseproto.dialects.anthropic import accumulator as engine
from sseproto.dialects.kit.state import Input

Json = dict[str, Any]

START: Json = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 1},
    },
}
TEXT_START: Json = {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}
DELTA: Json = {
    "type": "message_delta",
    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
    "usage": {"output_tokens": 7},
}
STOP: Json = {"type": "message_stop"}


def sse(*payloads: Json | str) -> bytes:
    """The stream of ``payloads`` as the API writes it."""
    parts = []
    for payload in payloads:
        if isinstance(payload, str):
            parts.append(f"data: {payload}\n\n")
        else:
            name = f"event: {payload['type']}\n" if "type" in payload else ""
            parts.append(f"{name}data: {json.dumps(payload)}\n\n")
    return "".join(parts).encode()


def text(index: int, piece: str) -> Json:
    return {
        "type": "content_block_delta",
        "index": index,
        "delta": {"type": "text_delta", "text": piece},
    }


def block_stop(index: int) -> Json:
    return {"type": "content_block_stop", "index": index}


def tool_start(index: int, kind: str = "tool_use", id: str = "toolu_1") -> Json:
    block = {"type": kind, "id": id, "name": "f", "input": {}}
    return {"type": "content_block_start", "index": index, "content_block": block}


def json_piece(index: int, piece: str) -> Json:
    delta = {"type": "input_json_delta", "partial_json": piece}
    return {"type": "content_block_delta", "index": index, "delta": delta}


def run(*payloads: Json | str, strict: bool = False) -> tuple[list[ChatUpdate], AnthropicMessage]:
    accumulator = AnthropicAccumulator(strict=strict)
    updates = accumulator.feed(sse(*payloads))
    updates += accumulator.close()
    return updates, accumulator.result()


# -- the surface and the state machine ------------------------------------------------------


def test_construction_is_validated() -> None:
    with pytest.raises(ValueError, match="strict"):
        AnthropicAccumulator(strict=cast(Any, 1))
    with pytest.raises(ValueError):
        AnthropicAccumulator(max_event_size=0)
    accumulator = AnthropicAccumulator(strict=True)
    assert accumulator.strict is True
    assert accumulator.state is StreamState.STREAMING


def test_offset_events_and_states_through_a_stream() -> None:
    accumulator = AnthropicAccumulator()
    body = sse(START, TEXT_START, text(0, "hi"), block_stop(0), DELTA, STOP)
    accumulator.feed(body[:10])
    assert (accumulator.offset, accumulator.events_received) == (10, 0)
    accumulator.feed(body[10:])
    assert (accumulator.offset, accumulator.events_received) == (len(body), 6)
    states = [accumulator.state]
    assert accumulator.close() == []
    states.append(accumulator.state)
    assert states == [StreamState.DONE, StreamState.CLOSED]
    assert accumulator.close() == []
    with pytest.raises(StreamError, match="closed"):
        accumulator.feed(b"data: {}\n\n")
    assert accumulator.result().text == "hi"


def test_every_state_and_input_pair_is_a_legal_move_or_raises() -> None:
    states = list(StreamState)
    inputs = list(Input)
    legal = engine._TRANSITIONS
    for state in states:
        for happening in inputs:
            accumulator = AnthropicAccumulator()
            accumulator._state = state
            if (state, happening) in legal:
                accumulator._move(happening)
                assert accumulator.state is legal[state, happening]
            else:
                with pytest.raises(StreamError, match="not allowed"):
                    accumulator._move(happening)
    # Terminal event once: a second message_stop in DONE is just an event, ignored.
    assert (StreamState.DONE, Input.TERMINAL) not in legal


def test_a_failed_accumulator_raises_the_same_error_everywhere() -> None:
    accumulator = AnthropicAccumulator()
    with pytest.raises(InvalidChunkError) as caught:
        accumulator.feed(sse(START, "{not json"))
    error = caught.value
    assert accumulator.state is StreamState.FAILED
    for call in (
        lambda: accumulator.feed(b""),
        lambda: accumulator.feed_chunk(STOP),
        lambda: accumulator.feed_event(ServerSentEvent(data="{}")),
        accumulator.close,
        accumulator.result,
    ):
        with pytest.raises(InvalidChunkError) as again:
            call()
        assert again.value is error
    # snapshot never raises.
    assert accumulator.snapshot().id == "msg_1"


def test_feed_event_and_feed_chunk_count_their_own_events() -> None:
    accumulator = AnthropicAccumulator()
    accumulator.feed_chunk(START)
    accumulator.feed_event(
        ServerSentEvent(data=json.dumps(TEXT_START), event="content_block_start")
    )
    with pytest.raises(InvalidChunkError) as caught:
        accumulator.feed_chunk({"type": "content_block_delta", "index": 0, "delta": []})
    assert (caught.value.event_index, caught.value.offset) == (2, None)
    assert caught.value.path == "$.delta"


def test_feed_chunk_copies_the_payload_and_reads_sdk_models() -> None:
    start = json.loads(json.dumps(START))
    accumulator = AnthropicAccumulator()
    accumulator.feed_chunk(start)
    start["message"]["usage"]["input_tokens"] = 999
    start["message"]["id"] = "changed"
    message = accumulator.snapshot()
    assert message.id == "msg_1"
    assert message.usage == {"input_tokens": 5, "output_tokens": 1}
    anthropic = pytest.importorskip("anthropic")
    event = anthropic.types.RawContentBlockStartEvent(
        type="content_block_start", index=0, content_block={"type": "text", "text": "Hi"}
    )
    assert accumulator.feed_chunk(event)[0] == ContentDelta(0, "Hi")


def test_close_before_message_stop_is_incomplete_even_after_message_delta() -> None:
    accumulator = AnthropicAccumulator()
    body = sse(START, TEXT_START, text(0, "cut"), block_stop(0), DELTA)
    accumulator.feed(body)
    with pytest.raises(IncompleteStreamError) as caught:
        accumulator.close()
    assert (caught.value.offset, caught.value.event_index) == (len(body), 5)
    partial: object = caught.value.partial
    assert partial == accumulator.snapshot()
    assert accumulator.snapshot().stop_reason == "end_turn"


def test_close_after_parsed_chunks_only_has_no_byte_offset() -> None:
    accumulator = AnthropicAccumulator()
    accumulator.feed_chunk(START)
    with pytest.raises(IncompleteStreamError) as caught:
        accumulator.close()
    assert (caught.value.offset, caught.value.event_index) == (None, 1)


def test_an_oversized_event_is_an_error_with_the_partial() -> None:
    accumulator = AnthropicAccumulator(max_event_size=400)
    accumulator.feed(sse(START))
    with pytest.raises(EventTooLargeError) as caught:
        accumulator.feed(sse(text(0, "x" * 1000)))
    partial: object = caught.value.partial
    assert partial == accumulator.snapshot()


# -- events, errors and values of a wrong type ----------------------------------------------


def test_done_markers_and_unknown_events_change_nothing() -> None:
    updates, message = run(START, "[DONE]", {"type": "x_new"}, {"no": "type"}, DELTA, STOP)
    assert message.stop_reason == "end_turn"
    assert [type(u) for u in updates] == [UsageUpdate, UsageUpdate, ChoiceFinished, StreamDone]


def test_an_error_payload_is_a_provider_error_with_its_error_object() -> None:
    overloaded = {"type": "overloaded_error", "message": "Overloaded"}
    accumulator = AnthropicAccumulator()
    body = sse(START, TEXT_START, text(0, "part"), {"type": "error", "error": overloaded})
    with pytest.raises(ProviderError) as caught:
        accumulator.feed(body)
    assert caught.value.error == overloaded
    assert caught.value.event_index == 3
    assert caught.value.offset == len(sse(START, TEXT_START, text(0, "part")))
    assert accumulator.snapshot().text == "part"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        # An error body without a type, as an HTTP error would carry it.
        (
            sse('{"error": {"type": "api_error", "message": "x"}}'),
            {"type": "api_error", "message": "x"},
        ),
        # event: error whose data is not JSON.
        (b"event: error\ndata: upstream timeout\n\n", {"message": "upstream timeout"}),
        # An error whose error is not an object: its text as the message.
        (sse('{"type": "error", "error": "boom"}'), {"message": "boom"}),
    ],
)
def test_provider_errors_in_other_shapes(body: bytes, error: Json) -> None:
    accumulator = AnthropicAccumulator()
    with pytest.raises(ProviderError) as caught:
        accumulator.feed(body)
    assert caught.value.error == error
    assert caught.value.partial is not None


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ("[1, 2]", "$"),
        ({"type": "message_start", "message": "m"}, "$.message"),
        ({"type": "message_start", "message": {"usage": 3}}, "$.message.usage"),
        ({"type": "content_block_start", "index": "0", "content_block": {}}, "$.index"),
        ({"type": "content_block_start", "index": -1, "content_block": {}}, "$.index"),
        ({"type": "content_block_start", "index": 1, "content_block": None}, "$.content_block"),
        ({"type": "content_block_delta", "index": True, "delta": {}}, "$.index"),
        ({"type": "content_block_stop", "index": 1.0}, "$.index"),
        ({"type": "message_delta", "delta": [], "usage": {}}, "$.delta"),
        ({"type": "message_delta", "delta": {}, "usage": []}, "$.usage"),
        ({"type": "message_delta", "delta": {"stop_reason": 1}}, "$.delta.stop_reason"),
    ],
)
def test_values_of_a_wrong_type_name_their_path(payload: Json | str, path: str) -> None:
    accumulator = AnthropicAccumulator()
    accumulator.feed(sse(START))
    with pytest.raises(InvalidChunkError) as caught:
        accumulator.feed(sse(payload))
    assert caught.value.path == path
    assert caught.value.event_index == 1


@pytest.mark.parametrize(
    ("delta", "path"),
    [
        ({"type": "text_delta", "text": None}, "$.delta.text"),
        ({"type": "thinking_delta", "thinking": 1}, "$.delta.thinking"),
        ({"type": "signature_delta"}, "$.delta.signature"),
        ({"type": "input_json_delta", "partial_json": {}}, "$.delta.partial_json"),
    ],
)
def test_delta_values_of_a_wrong_type_name_their_path(delta: Json, path: str) -> None:
    accumulator = AnthropicAccumulator()
    accumulator.feed(sse(START, TEXT_START))
    with pytest.raises(InvalidChunkError) as caught:
        accumulator.feed(sse({"type": "content_block_delta", "index": 0, "delta": delta}))
    assert caught.value.path == path


def test_citations_of_a_wrong_type_are_an_error() -> None:
    start = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "citations": "x"},
    }
    delta = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "citations_delta", "citation": {}},
    }
    accumulator = AnthropicAccumulator()
    with pytest.raises(InvalidChunkError, match="citations"):
        accumulator.feed(sse(START, start, delta))


# -- blocks, updates and results ------------------------------------------------------------


def test_updates_of_a_message_with_every_kind_of_block() -> None:
    citation = {"type": "char_location", "cited_text": "x"}
    search = tool_start(1, "server_tool_use", "srvtoolu_1")
    updates, message = run(
        START,
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": "", "citations": []},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "citations_delta", "citation": citation},
        },
        text(0, ""),
        text(0, "A"),
        block_stop(0),
        search,
        json_piece(1, '{"q": 1}'),
        block_stop(1),
        tool_start(2),
        json_piece(2, ""),
        json_piece(2, '{"a"'),
        json_piece(2, ": 2}"),
        block_stop(2),
        DELTA,
        STOP,
    )
    blocks = message.content
    assert updates == [
        UsageUpdate({"input_tokens": 5, "output_tokens": 1}),
        CitationAdded(0, citation),
        ContentDelta(0, "A"),
        BlockDone(0, blocks[0]),
        HostedToolCallStarted(0, 1, "server_tool_use", "srvtoolu_1", "f", ""),
        # The input of a call the API runs: its own update, never a tool call's.
        HostedToolArgumentsDelta(0, 1, '{"q": 1}'),
        BlockDone(1, blocks[1]),
        ToolCallStarted(0, 0, "toolu_1", "f"),
        ToolCallArgumentsDelta(0, 0, '{"a"'),
        ToolCallArgumentsDelta(0, 0, ": 2}"),
        ToolCallDone(0, 0, "toolu_1", "f", '{"a": 2}'),
        BlockDone(2, blocks[2]),
        UsageUpdate({"input_tokens": 5, "output_tokens": 7}),
        ChoiceFinished(0, "end_turn"),
        StreamDone(cast(Any, message)),
    ]
    assert [b.to_dict() for b in blocks][1:] == [
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "f", "input": {"q": 1}},
        {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 2}},
    ]


def test_an_mcp_tool_use_block_opens_naming_its_server() -> None:
    # The update common to the dialects, under the name it first had here too.
    assert sseproto.ServerToolCallStarted is HostedToolCallStarted
    path = PROJECT_FIXTURES / "anthropic" / "mcp-tool-use.sse"
    updates = list(sseproto.iter_updates(sseproto.replay(path)))
    opened = [update for update in updates if isinstance(update, HostedToolCallStarted)]
    blocks = sseproto.accumulate(sseproto.replay(path), dialect="anthropic").content
    (index,) = [i for i, block in enumerate(blocks) if block.type == "mcp_tool_use"]
    block = blocks[index].to_dict()
    assert opened == [
        HostedToolCallStarted(
            0, index, "mcp_tool_use", block["id"], block["name"], block["server_name"]
        )
    ]
    assert block["server_name"] != ""


def test_a_tool_call_never_stopped_gets_no_tool_call_done() -> None:
    updates, message = run(
        START,
        tool_start(0),
        json_piece(0, '{"a": '),
        {**DELTA, "delta": {"stop_reason": "max_tokens"}},
        STOP,
    )
    assert not any(isinstance(u, ToolCallDone | BlockDone) for u in updates)
    (call,) = message.tool_calls
    assert (call.input, call.arguments) == ('{"a": ', '{"a": ')


def test_a_start_carrying_text_counts_as_its_first_delta() -> None:
    start = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "thinking", "thinking": "so"},
    }
    delta = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": " far"},
    }
    updates, message = run(START, start, delta, block_stop(0), DELTA, STOP)
    assert message.reasoning == "so far"
    assert [u.text for u in updates if hasattr(u, "text")] == ["so", " far"]


def test_a_tool_input_given_whole_in_its_start_is_kept() -> None:
    start = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {"b": [1]}},
    }
    updates, message = run(START, start, block_stop(0), DELTA, STOP)
    assert message.tool_calls[0].input == {"b": [1]}
    assert message.tool_calls[0].arguments == '{"b":[1]}'
    done = [u for u in updates if isinstance(u, ToolCallDone)]
    assert done[0].arguments == '{"b":[1]}'


def test_input_deltas_after_a_stop_are_applied_leniently() -> None:
    _, message = run(
        START,
        tool_start(0),
        json_piece(0, '{"a": 1'),
        block_stop(0),
        json_piece(0, "}"),
        DELTA,
        STOP,
    )
    assert message.tool_calls[0].input == {"a": 1}


def test_message_delta_sets_nullable_keys_and_ignores_nulls_elsewhere() -> None:
    delta = {
        "type": "message_delta",
        "delta": {
            "stop_reason": "end_turn",
            "stop_details": None,
            "container": None,
            "x_new": 1,
            "content": "no",
        },
        "usage": {
            "output_tokens": 3,
            "input_tokens": None,
            "server_tool_use": {"web_search_requests": 1},
        },
        "context_management": None,
        "x_top": {"k": 1},
        "usage_extra": None,
    }
    _, message = run(START, delta, STOP)
    out = message.to_dict()
    assert out["stop_details"] is None
    assert "container" not in out and "context_management" not in out
    assert out["x_new"] == 1 and out["x_top"] == {"k": 1}
    assert out["content"] == []
    assert out["usage"] == {
        "input_tokens": 5,
        "output_tokens": 3,
        "server_tool_use": {"web_search_requests": 1},
    }


def test_compaction_delta_replaces_every_key_it_carries() -> None:
    start = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "compaction", "content": None},
    }
    delta = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "compaction_delta", "content": "c", "encrypted_content": "e"},
    }
    _, message = run(START, start, delta, block_stop(0), DELTA, STOP)
    assert message.content[0].to_dict() == {
        "type": "compaction",
        "content": "c",
        "encrypted_content": "e",
    }


def test_results_are_isolated_from_later_events_and_from_their_readers() -> None:
    accumulator = AnthropicAccumulator()
    start = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "citations": []},
    }
    cite = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "citations_delta", "citation": {"n": 1}},
    }
    accumulator.feed(sse(START, start, cite, text(0, "a")))
    before = accumulator.snapshot()
    before_dict = before.to_dict()
    accumulator.feed(sse(cite, text(0, "b"), block_stop(0), DELTA))
    assert before.to_dict() == before_dict
    assert before.usage == {"input_tokens": 5, "output_tokens": 1}
    after = accumulator.snapshot().to_dict()
    after["content"][0]["citations"].append("mine")
    after["usage"]["output_tokens"] = 0
    again = accumulator.snapshot().to_dict()
    assert again["content"][0] == {"type": "text", "citations": [{"n": 1}, {"n": 1}], "text": "ab"}
    assert again["usage"]["output_tokens"] == 7


def test_a_hostile_index_allocates_nothing_and_blocks_are_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, message = run(START, {**TEXT_START, "index": 10**9}, text(10**9, "far"), DELTA, STOP)
    assert message.text == "far"
    monkeypatch.setattr(engine, "MAX_BLOCKS", 3)
    accumulator = AnthropicAccumulator()
    accumulator.feed(sse(START, *({**TEXT_START, "index": i} for i in range(3))))
    with pytest.raises(InvalidChunkError, match="at most 3") as caught:
        accumulator.feed(sse({**TEXT_START, "index": 3}))
    assert caught.value.path == "$.index"
    # Restarting a block already counted is no new block.
    accumulator = AnthropicAccumulator()
    accumulator.feed(sse(START, *({**TEXT_START, "index": i} for i in (0, 1, 2, 2))))


def test_the_view_every_result_shares() -> None:
    _, message = run(START, DELTA, STOP)
    assert message.dialect == "anthropic"
    assert (message.text, message.reasoning, message.tool_calls) == (None, None, ())
    assert message.finish_reason == "end_turn"
    assert (message.id, message.model, message.role) == ("msg_1", "claude", "assistant")
    assert message.stop_sequence is None and message.stop_details is None
    empty = AnthropicAccumulator().snapshot()
    assert empty.to_dict() == {"content": []}
    assert (empty.id, empty.usage, empty.stop_reason) == ("", None, None)


# -- the surface every accumulator shares ---------------------------------------------------


def test_feed_into_keeps_the_updates_before_an_error() -> None:
    accumulator = AnthropicAccumulator()
    collected: list[ChatUpdate] = []
    with pytest.raises(InvalidChunkError):
        accumulator.feed(sse(START, TEXT_START, text(0, "kept"), "{bad"), into=collected)
    assert ContentDelta(0, "kept") in collected
    more: list[ChatUpdate] = []
    assert AnthropicAccumulator().feed_chunk(START, into=more) is more
    assert AnthropicAccumulator().feed_event(ServerSentEvent(data="{}"), into=more) is more


@pytest.mark.parametrize("read", ["text", 5, [b"a"]])
def test_reads_must_be_bytes_like(read: Any) -> None:
    with pytest.raises(TypeError, match="bytes"):
        AnthropicAccumulator().feed(read)
    accumulator = AnthropicAccumulator()
    accumulator.feed(bytearray(sse(START)))
    accumulator.feed(memoryview(sse(STOP)))


def test_feeding_a_closed_stream_carries_the_partial() -> None:
    accumulator = AnthropicAccumulator()
    accumulator.feed(sse(START, TEXT_START, text(0, "done"), block_stop(0), DELTA, STOP))
    accumulator.close()
    with pytest.raises(StreamError) as caught:
        accumulator.feed(b"")
    partial: object = caught.value.partial
    assert partial == accumulator.result()
    assert caught.value.event_index == 6


def test_a_surrogate_pair_split_across_deltas_is_rejoined() -> None:
    # JSON escapes each half of the pair apart when the stream splits it.
    halves = [text(0, "a\ud83d"), text(0, "\ude00b")]
    accumulator = AnthropicAccumulator()
    accumulator.feed(sse(START, TEXT_START, *halves, block_stop(0), DELTA, STOP))
    assert accumulator.result().text == "a\U0001f600b"
    assert accumulator.result().to_dict()["content"][0]["text"].encode() == "a😀b".encode()


@pytest.mark.parametrize(
    ("body", "detected", "words"),
    [
        (
            b'data: {"id":"c","object":"chat.completion.chunk","choices":[]}\n\n',
            "chat",
            "an OpenAI chat stream, not an Anthropic Messages stream",
        ),
        (
            b'data: {"type":"response.created","sequence_number":0,"response":{}}\n\n',
            "responses",
            "an OpenAI Responses stream",
        ),
        (b'data: {"candidates":[]}\n\n', "gemini", "a Gemini stream"),
    ],
)
def test_another_dialect_is_refused_at_its_first_event(
    body: bytes, detected: str, words: str
) -> None:
    accumulator = AnthropicAccumulator()
    with pytest.raises(UnexpectedStreamError, match=words) as caught:
        accumulator.feed(body)
    assert caught.value.detected == detected
    assert (caught.value.offset, caught.value.event_index) == (0, 0)


def test_a_stream_without_an_anthropic_event_says_what_came() -> None:
    accumulator = AnthropicAccumulator()
    accumulator.feed(b'data: {"hello": "world"}\n\ndata: [DONE]\n\n')
    with pytest.raises(
        UnexpectedStreamError,
        match="not an Anthropic Messages stream: no event of the dialect among its 2 events",
    ):
        accumulator.close()
    accumulator = AnthropicAccumulator()
    accumulator.feed(b"data: [DONE]\n\n")
    with pytest.raises(UnexpectedStreamError, match="only data: \\[DONE\\] came"):
        accumulator.close()


def test_a_body_without_any_event_is_described() -> None:
    accumulator = AnthropicAccumulator()
    accumulator.feed(b'{"type": "error", "error": {"type": "authentication_error"}}')
    with pytest.raises(ProviderError) as caught:
        accumulator.close()
    assert caught.value.error == {"type": "authentication_error"}
    accumulator = AnthropicAccumulator()
    accumulator.feed(b"<html>502 Bad Gateway</html>")
    with pytest.raises(UnexpectedStreamError, match="no event in 28 bytes"):
        accumulator.close()


def test_the_shared_loop_drives_it_and_stops_at_message_stop() -> None:
    from collections.abc import Iterator

    from sseproto.dialects.kit.drive import Accumulator, iterate, run

    def reads() -> Iterator[bytes]:
        yield sse(START, TEXT_START, text(0, "hi"), block_stop(0), DELTA, STOP)
        raise AssertionError("read past message_stop")

    accumulator: Accumulator[AnthropicMessage] = AnthropicAccumulator()
    assert run(accumulator, reads()).text == "hi"
    updates = list(iterate(AnthropicAccumulator(), reads()))
    assert isinstance(updates[-1], StreamDone)


def test_an_event_whose_data_is_no_object_after_message_stop_is_ignored() -> None:
    # After message_stop whatever follows is ignored, a content_block_delta whose data is
    # JSON null included: the engine's template learning must not read it as an object.
    body = (
        b'event: message_start\ndata: {"type": "message_start", "message": {"id": "msg_1", '
        b'"type": "message", "role": "assistant", "model": "claude", "content": [], '
        b'"stop_reason": null, "usage": {"input_tokens": 1, "output_tokens": 1}}}\n\n'
        b'event: content_block_start\ndata: {"type": "content_block_start", "index": 0, '
        b'"content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}}\n\n'
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )
    expected = AnthropicAccumulator()
    expected.feed(body)
    for late in (b"null", b"[1]", b'"text"', b"3"):
        accumulator = AnthropicAccumulator()
        accumulator.feed(body + b"event: content_block_delta\ndata: " + late + b"\n\n")
        assert accumulator.result() == expected.result()
