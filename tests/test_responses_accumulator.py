"""The Responses engine, rule by rule: the state machine, the updates, the errors, the bounds, and
the three ways of feeding it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sseproto import (
    ChatUpdate,
    ChoiceFinished,
    ContentDelta,
    IncompleteStreamError,
    InvalidChunkError,
    PartialImage,
    ProviderError,
    ReasoningDelta,
    RefusalDelta,
    Response,
    ResponsesAccumulator,
    ServerSentEvent,
    StreamDone,
    StreamError,
    StreamResult,
    StreamState,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UnexpectedStreamError,
    UsageUpdate,
)
from sseproto.dialects.kit.state import Input
from sseproto.dialects.responses.accumulator import _TRANSITIONS

Json = dict[str, Any]


def sse(*payloads: Json | str, named: bool = True) -> bytes:
    out = []
    for payload in payloads:
        if isinstance(payload, str):
            out.append(f"data: {payload}\n\n")
        else:
            name = f"event: {payload['type']}\n" if named and "type" in payload else ""
            out.append(f"{name}data: {json.dumps(payload)}\n\n")
    return "".join(out).encode()


def created(**more: Any) -> Json:
    return {
        "type": "response.created",
        "response": {"id": "resp_1", "status": "in_progress", "output": [], "usage": None, **more},
    }


def completed(output: list[Json] | None = None, **more: Any) -> Json:
    response: Json = {"id": "resp_1", "status": "completed", "usage": {"total_tokens": 3}, **more}
    if output is not None:
        response["output"] = output
    return {"type": "response.completed", "response": response}


def added(index: int, item: Json) -> Json:
    return {"type": "response.output_item.added", "output_index": index, "item": item}


def item_done(index: int, item: Json) -> Json:
    return {"type": "response.output_item.done", "output_index": index, "item": item}


def call(call_id: str = "call_1", arguments: str = "", status: str = "in_progress") -> Json:
    return {
        "type": "function_call",
        "id": "fc_1",
        "call_id": call_id,
        "name": "f",
        "arguments": arguments,
        "status": status,
    }


def args_delta(index: int, delta: str) -> Json:
    return {"type": "response.function_call_arguments.delta", "output_index": index, "delta": delta}


def message(text: str = "", status: str = "in_progress") -> Json:
    content = [{"type": "output_text", "text": text, "annotations": []}] if text else []
    return {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def part_added(index: int = 0, part_index: int = 0, kind: str = "output_text") -> Json:
    field = "refusal" if kind == "refusal" else "text"
    return {
        "type": "response.content_part.added",
        "output_index": index,
        "content_index": part_index,
        "part": {"type": kind, field: ""},
    }


def text_delta(delta: str, index: int = 0, part_index: int = 0, **more: Any) -> Json:
    return {
        "type": "response.output_text.delta",
        "output_index": index,
        "content_index": part_index,
        "delta": delta,
        **more,
    }


def run(*payloads: Json | str, strict: bool = False) -> tuple[list[ChatUpdate], Any, Any]:
    accumulator = ResponsesAccumulator(strict=strict)
    updates: list[ChatUpdate] = []
    try:
        updates.extend(accumulator.feed(sse(*payloads)))
        updates.extend(accumulator.close())
        return updates, accumulator.result(), None
    except StreamError as error:
        return updates, error.partial, error


# -- the state machine -------------------------------------------------------------------------


def test_every_state_and_input_pair() -> None:
    legal = {
        (StreamState.STREAMING, Input.EVENT): StreamState.STREAMING,
        (StreamState.STREAMING, Input.TERMINAL): StreamState.DONE,
        (StreamState.STREAMING, Input.PROVIDER_ERROR): StreamState.FAILED,
        (StreamState.STREAMING, Input.INVALID): StreamState.FAILED,
        (StreamState.STREAMING, Input.END_TRUNCATED): StreamState.FAILED,
        (StreamState.DONE, Input.EVENT): StreamState.DONE,
        (StreamState.DONE, Input.INVALID): StreamState.FAILED,
        (StreamState.DONE, Input.END_COMPLETE): StreamState.CLOSED,
    }
    for state in StreamState:
        for move in Input:
            accumulator = ResponsesAccumulator()
            accumulator._state = state
            if (state, move) in legal:
                accumulator._move(move)
                assert accumulator.state is legal[state, move]
            else:
                with pytest.raises(StreamError):
                    accumulator._move(move)
    assert dict(_TRANSITIONS) == legal


def test_lifecycle_states_and_a_failed_accumulator_reraises_the_same_error() -> None:
    accumulator = ResponsesAccumulator()
    states = [accumulator.state]
    accumulator.feed(sse(created(), completed([])))
    states.append(accumulator.state)
    assert accumulator.close() == []
    states.append(accumulator.state)
    assert states == [StreamState.STREAMING, StreamState.DONE, StreamState.CLOSED]
    assert accumulator.close() == []
    with pytest.raises(StreamError):
        accumulator.feed(b"data: {}\n\n")

    failing = ResponsesAccumulator()
    with pytest.raises(IncompleteStreamError) as first:
        failing.close()
    for again in (
        failing.close,
        failing.result,
        lambda: failing.feed(b""),
        lambda: failing.feed_chunk(created()),
    ):
        with pytest.raises(IncompleteStreamError) as repeated:
            again()
        assert repeated.value is first.value


def test_constructor_validates_its_arguments() -> None:
    with pytest.raises(ValueError):
        ResponsesAccumulator(strict=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ResponsesAccumulator(max_event_size=0)


# -- updates -------------------------------------------------------------------------------------


def test_text_refusal_and_reasoning_updates() -> None:
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": []}
    updates, result, error = run(
        created(),
        added(0, reasoning),
        {
            "type": "response.reasoning_summary_part.added",
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "output_index": 0,
            "summary_index": 0,
            "delta": "think",
        },
        added(1, message()),
        part_added(1, 0),
        text_delta("Hi", 1),
        text_delta("", 1),
        part_added(1, 1, "refusal"),
        {"type": "response.refusal.delta", "output_index": 1, "content_index": 1, "delta": "no"},
        completed([]),
    )
    assert error is None
    assert updates == [
        ReasoningDelta(0, "think"),
        ContentDelta(0, "Hi"),
        RefusalDelta(0, "no"),
        ChoiceFinished(0, "completed"),
        UsageUpdate({"total_tokens": 3}),
        StreamDone(result),
    ]
    assert (result.text, result.refusal, result.reasoning) == ("Hi", "no", "think")
    # The items rebuilt took the place of the empty terminal output.
    assert [item["type"] for item in result.output] == ["reasoning", "message"]


def test_tool_call_done_at_its_item_done_and_at_the_terminal_event_otherwise() -> None:
    updates, result, _ = run(
        created(),
        added(0, call("call_a")),
        args_delta(0, '{"a":'),
        args_delta(0, "1}"),
        item_done(0, call("call_a", '{"a":1}', "completed")),
        added(1, call("call_b")),
        args_delta(1, "{}"),
        completed([call("call_a", '{"a":1}', "completed"), call("call_b", "{}", "completed")]),
    )
    assert [u for u in updates if not isinstance(u, ChoiceFinished | UsageUpdate | StreamDone)] == [
        ToolCallStarted(0, 0, "call_a", "f"),
        ToolCallArgumentsDelta(0, 0, '{"a":'),
        ToolCallArgumentsDelta(0, 0, "1}"),
        ToolCallDone(0, 0, "call_a", "f", '{"a":1}'),
        ToolCallStarted(0, 1, "call_b", "f"),
        ToolCallArgumentsDelta(0, 1, "{}"),
        ToolCallDone(0, 1, "call_b", "f", "{}"),
    ]
    assert [(c.id, c.arguments) for c in result.tool_calls] == [
        ("call_a", '{"a":1}'),
        ("call_b", "{}"),
    ]


def test_a_call_still_open_when_the_stream_is_cut_is_never_done() -> None:
    updates, partial, error = run(created(), added(0, call()), args_delta(0, "{"))
    assert isinstance(error, IncompleteStreamError)
    assert not [u for u in updates if isinstance(u, ToolCallDone)]
    assert partial.tool_calls[0].arguments == "{"


def test_a_done_extending_the_deltas_sends_the_suffix_and_one_that_disagrees_sends_nothing() -> (
    None
):
    done = {"type": "response.function_call_arguments.done", "output_index": 0}
    updates, _, _ = run(
        created(),
        added(0, call()),
        args_delta(0, '{"a"'),
        {**done, "arguments": '{"a":1}'},
        completed(),
    )
    assert [u.text for u in updates if isinstance(u, ToolCallArgumentsDelta)] == ['{"a"', ":1}"]
    updates, result, _ = run(
        created(),
        added(0, call()),
        args_delta(0, '{"b"'),
        {**done, "arguments": '{"a":1}'},
        completed(),
    )
    assert [u.text for u in updates if isinstance(u, ToolCallArgumentsDelta)] == ['{"b"']
    assert [u.arguments for u in updates if isinstance(u, ToolCallDone)] == ['{"a":1}']
    assert result.tool_calls[0].arguments == '{"a":1}'


def test_items_only_in_the_terminal_output_are_reported_whole() -> None:
    final = [message("All at once.", "completed"), call("call_z", "{}", "completed")]
    updates, result, _ = run(created(), completed(final))
    assert updates[:4] == [
        ContentDelta(0, "All at once."),
        ToolCallStarted(0, 0, "call_z", "f"),
        ToolCallArgumentsDelta(0, 0, "{}"),
        ToolCallDone(0, 0, "call_z", "f", "{}"),
    ]
    assert result.to_dict()["output"] == final


def test_partial_images_are_reported_never_kept() -> None:
    image = {"type": "image_generation_call", "id": "ig_1", "status": "in_progress"}
    preview = {
        "type": "response.image_generation_call.partial_image",
        "output_index": 0,
        "partial_image_index": 0,
        "partial_image_b64": "AAAA",
    }
    updates, partial, _ = run(created(), added(0, image), preview)
    assert updates == [PartialImage(0, 0, 0, "AAAA")]
    assert partial.output == (
        {"type": "image_generation_call", "id": "ig_1", "status": "in_progress"},
    )


def test_accumulate_without_updates_rebuilds_the_same() -> None:
    data = sse(
        created(),
        added(0, call()),
        args_delta(0, "{}"),
        added(1, message()),
        part_added(1),
        text_delta("x", 1),
        completed([]),
    )
    accumulator = ResponsesAccumulator()
    accumulator._feed_into(data, None)
    assert (
        accumulator.result()
        == run(
            *[json.loads(line[6:]) for line in data.decode().split("\n") if line.startswith("data")]
        )[1]
    )


# -- errors --------------------------------------------------------------------------------------


def test_response_failed_alone_is_a_provider_error_with_the_failed_response() -> None:
    failure = {"code": "server_error", "message": "boom"}
    _, partial, error = run(
        created(),
        {
            "type": "response.failed",
            "response": {"id": "resp_1", "status": "failed", "error": failure, "output": []},
        },
    )
    assert isinstance(error, ProviderError)
    assert error.error == failure
    assert (error.event_index, error.offset) == (1, len(sse(created())))
    assert partial.status == "failed"


def test_an_error_event_waits_for_the_terminal_event_then_wins_over_it() -> None:
    accumulator = ResponsesAccumulator()
    assert accumulator.feed(sse(created(), {"type": "error", "message": "flat"})) == []
    assert accumulator.state is StreamState.STREAMING
    with pytest.raises(ProviderError) as raised:
        accumulator.feed(sse(completed([])))
    assert raised.value.error == {"type": "error", "message": "flat"}
    assert raised.value.event_index == 1
    assert raised.value.partial == accumulator.snapshot()
    assert accumulator.snapshot().status == "completed"


def test_a_non_json_error_event_and_a_bare_error_body() -> None:
    accumulator = ResponsesAccumulator()
    accumulator.feed(b"event: error\ndata: upstream exploded\n\n")
    with pytest.raises(ProviderError) as raised:
        accumulator.close()
    assert raised.value.error == {"message": "upstream exploded"}
    _, _, error = run({"error": {"message": "bad key"}})
    assert isinstance(error, ProviderError)
    assert error.error == {"message": "bad key"}
    assert error.event_index == 0


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ("[1, 2]", "$"),
        ("not json", "$"),
        ('{"type": "response.created", "response": []}', "$.response"),
        (
            '{"type": "response.output_item.added", "output_index": "0", "item": {}}',
            "$.output_index",
        ),
        (
            '{"type": "response.output_item.added", "output_index": -1, "item": {}}',
            "$.output_index",
        ),
        (
            '{"type": "response.output_item.added", "output_index": true, "item": {}}',
            "$.output_index",
        ),
        ('{"type": "response.output_item.added", "output_index": 0, "item": "x"}', "$.item"),
        (
            '{"type": "response.output_text.delta", "output_index": [0], "content_index": 0, '
            '"delta": "x"}',
            "$.output_index",
        ),
        (
            '{"type": "response.output_text.delta", "output_index": 0, "content_index": 0, '
            '"delta": 5}',
            "$.delta",
        ),
        (
            '{"type": "response.function_call_arguments.done", "output_index": 0, '
            '"arguments": null}',
            "$.arguments",
        ),
        (
            '{"type": "response.content_part.added", "output_index": 0, "content_index": 0, '
            '"part": 1}',
            "$.part",
        ),
        (
            '{"type": "response.output_text.annotation.added", "output_index": 0, '
            '"content_index": 0, "annotation_index": 0, "annotation": []}',
            "$.annotation",
        ),
        ('{"type": "response.completed", "response": null}', "$.response"),
    ],
)
def test_values_of_the_wrong_type_are_invalid_chunks(payload: str, path: str) -> None:
    start = sse(created(), added(0, message()), part_added())
    accumulator = ResponsesAccumulator()
    accumulator.feed(start)
    with pytest.raises(InvalidChunkError) as raised:
        accumulator.feed(f"data: {payload}\n\n".encode())
    assert raised.value.path == path
    assert (raised.value.offset, raised.value.event_index) == (len(start), 3)
    assert isinstance(raised.value.partial, Response)


def test_hostile_indexes_allocate_nothing() -> None:
    _, partial, error = run(created(), added(10**9, message()), text_delta("x", 10**9, 10**9))
    assert isinstance(error, IncompleteStreamError)
    assert len(partial.output) == 1
    _, _, error = run(created(), added(0, message()), {**part_added(0, 10**9)})
    assert isinstance(error, InvalidChunkError)
    assert error.path == "$.content_index"


def test_the_number_of_items_is_bounded() -> None:
    payloads = [added(index, message()) for index in range(10_001)]
    _, partial, error = run(created(), *payloads)
    assert isinstance(error, InvalidChunkError)
    assert "at most 10000" in error.rule
    assert error.event_index == 10_001
    assert len(partial.output) == 10_000


# -- lenient reading -----------------------------------------------------------------------------


def test_done_marker_events_after_the_terminal_and_unknown_events_are_skipped() -> None:
    updates, result, error = run(
        created(),
        {"type": "keepalive"},
        {"type": "response.something_new", "x": 1},
        {"no": "type"},
        "[DONE]",
        completed([]),
        added(0, message("late")),
        "[DONE]",
    )
    assert error is None
    assert result.output == ()
    assert isinstance(updates[-1], StreamDone)


def test_events_for_items_or_parts_never_added_are_ignored() -> None:
    _, partial, _ = run(
        created(),
        text_delta("lost", 3),
        added(0, message()),
        text_delta("lost too"),
        {"type": "response.output_text.done", "output_index": 0, "content_index": 2, "text": "x"},
        {"type": "response.web_search_call.searching", "output_index": 9},
    )
    assert partial.output == (message(),)


def test_a_part_past_the_end_pads_with_null() -> None:
    _, partial, _ = run(created(), added(0, message()), part_added(0, 2), text_delta("a", 0, 2))
    assert partial.output[0]["content"] == [None, None, {"type": "output_text", "text": "a"}]


def test_without_any_lifecycle_event_the_result_is_the_output_alone() -> None:
    _, partial, error = run(added(0, message()), part_added(), text_delta("hi"))
    assert isinstance(error, IncompleteStreamError)
    assert partial.to_dict() == {
        "output": [{**message(), "content": [{"type": "output_text", "text": "hi"}]}]
    }
    assert (partial.id, partial.status, partial.finish_reason) == (None, None, None)


# -- the three ways in ---------------------------------------------------------------------------


def test_feed_event_and_feed_chunk_rebuild_what_feed_does() -> None:
    payloads = [created(), added(0, message()), part_added(), text_delta("hi"), completed([])]
    by_bytes = run(*payloads)
    accumulator = ResponsesAccumulator()
    events = [ServerSentEvent(p["type"], json.dumps(p)) for p in payloads]
    by_events = [u for event in events for u in accumulator.feed_event(event)]
    assert by_events == by_bytes[0]
    assert accumulator.result() == by_bytes[1]
    accumulator = ResponsesAccumulator()
    by_chunks = [u for payload in payloads for u in accumulator.feed_chunk(payload)]
    assert by_chunks == by_bytes[0]
    assert accumulator.events_received == 5


def test_feed_chunk_never_keeps_the_callers_dicts() -> None:
    item = message()
    payload = added(0, item)
    accumulator = ResponsesAccumulator()
    accumulator.feed_chunk(created())
    accumulator.feed_chunk(payload)
    accumulator.feed_chunk(part_added())
    accumulator.feed_chunk(text_delta("x"))
    assert item["content"] == []
    snapshot = accumulator.snapshot()
    snapshot.to_dict()["output"].clear()
    snapshot.output[0]["content"].clear()
    assert snapshot.output[0]["content"] == [{"type": "output_text", "text": "x"}]


def test_feed_chunk_reads_pydantic_models_by_the_fields_set() -> None:
    # pydantic comes with the openai SDK of the test extra; without it, nothing to read.
    pydantic = pytest.importorskip("pydantic")
    Event = pydantic.create_model(
        "Event",
        type=(str, ...),
        output_index=(int | None, None),
        item=(dict[str, Any] | None, None),
    )

    accumulator = ResponsesAccumulator()
    accumulator.feed_chunk(created())
    accumulator.feed_chunk(Event(type="response.output_item.added", output_index=0, item=call()))
    assert accumulator.snapshot().tool_calls[0].id == "call_1"


def test_errors_from_feed_event_and_feed_chunk_count_their_own_inputs() -> None:
    accumulator = ResponsesAccumulator()
    accumulator.feed_chunk(created())
    with pytest.raises(InvalidChunkError) as raised:
        accumulator.feed_chunk({"type": "response.output_item.added", "output_index": "x"})
    assert (raised.value.offset, raised.value.event_index) == (None, 1)
    accumulator = ResponsesAccumulator()
    with pytest.raises(IncompleteStreamError) as cut:
        accumulator.feed_event(ServerSentEvent("message", json.dumps(created())))
        accumulator.close()
    assert (cut.value.offset, cut.value.event_index) == (None, 1)


def test_a_surrogate_pair_split_across_deltas_is_rejoined() -> None:
    data = sse(created(), added(0, message()), part_added()).decode()
    data += 'data: {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, '
    data += '"delta": "a\\ud83d"}\n\n'
    data += 'data: {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, '
    data += '"delta": "\\ude00b"}\n\n'
    accumulator = ResponsesAccumulator()
    accumulator.feed(data.encode())
    assert accumulator.snapshot().text == "a\U0001f600b"


def test_reads_must_be_bytes() -> None:
    accumulator = ResponsesAccumulator()
    with pytest.raises(TypeError, match="iter_text"):
        accumulator.feed("data: {}\n\n")  # type: ignore[arg-type]
    assert accumulator.feed(bytearray(b": comment\n\n")) == []
    assert accumulator.feed(memoryview(sse(created()))) == []


def test_into_keeps_the_updates_produced_before_an_error() -> None:
    accumulator = ResponsesAccumulator()
    updates: list[ChatUpdate] = []
    with pytest.raises(InvalidChunkError):
        accumulator.feed(
            sse(created(), added(0, message()), part_added(), text_delta("kept"))
            + b"data: [1]\n\n",
            into=updates,
        )
    assert updates == [ContentDelta(0, "kept")]
    more: list[ChatUpdate] = []
    fresh = ResponsesAccumulator()
    assert fresh.feed_chunk(created(), into=more) is more
    fresh.feed_event(ServerSentEvent("message", json.dumps(added(0, call()))), into=more)
    assert more == [ToolCallStarted(0, 0, "call_1", "f")]


def test_feeding_a_closed_stream_raises_with_the_result() -> None:
    accumulator = ResponsesAccumulator()
    data = sse(created(), completed([message("hi", "completed")]))
    accumulator.feed(data)
    accumulator.close()
    with pytest.raises(StreamError) as raised:
        accumulator.feed(b"data: {}\n\n")
    assert (raised.value.offset, raised.value.event_index) == (len(data), 2)
    assert raised.value.partial == accumulator.result()


# -- streams that are not Responses streams ------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "detected"),
    [
        ({"id": "c", "object": "chat.completion.chunk", "choices": []}, "chat"),
        ({"type": "message_start", "message": {}}, "anthropic"),
        ({"candidates": [], "modelVersion": "gemini"}, "gemini"),
        ({"choices": [{"index": 0, "message": {"content": "x"}}]}, None),
    ],
)
def test_another_dialects_stream_is_refused_at_its_first_event(
    payload: Json, detected: str | None
) -> None:
    _, _, error = run({"type": "keepalive"}, payload, created())
    assert isinstance(error, UnexpectedStreamError)
    assert error.detected == detected
    assert error.event_index == 1
    assert "not an OpenAI Responses stream" in str(error)


def test_a_stream_without_any_responses_event_says_what_came() -> None:
    _, _, error = run({"type": "keepalive"}, "[DONE]")
    assert isinstance(error, UnexpectedStreamError)
    assert (
        "not an OpenAI Responses stream: no event of the dialect among its 2 events, the first "
        "being an event of type" in str(error)
    )
    _, _, error = run("[DONE]")
    assert isinstance(error, UnexpectedStreamError)
    assert "not an OpenAI Responses stream: only data: [DONE] came" in str(error)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"", IncompleteStreamError),
        (b'{"error": {"message": "Incorrect API key provided"}}', ProviderError),
        (b"<html>Bad gateway</html>", UnexpectedStreamError),
    ],
)
def test_a_body_without_any_event_says_what_it_was(body: bytes, kind: type[StreamError]) -> None:
    accumulator = ResponsesAccumulator()
    accumulator.feed(body)
    with pytest.raises(kind) as raised:
        accumulator.close()
    assert raised.value.event_index == 0


# -- the result ----------------------------------------------------------------------------------


def test_response_answers_the_common_view_and_is_a_copy() -> None:
    data: Json = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1.5,
        "status": "incomplete",
        "model": "m",
        "incomplete_details": {"reason": "max_output_tokens"},
        "usage": {"total_tokens": 2},
        "error": None,
        "output": [
            {
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": "a"}],
                "content": [{"type": "reasoning_text", "text": "b"}],
            },
            message("Hi", "incomplete"),
            {"type": "custom_tool_call", "call_id": "c1", "name": "run", "input": "ls"},
            "not an item",
            {"type": "function_call", "call_id": 5, "name": None, "arguments": "{}"},
        ],
    }
    view: StreamResult = Response(data)
    assert view.dialect == "responses"
    assert (view.text, view.reasoning, view.finish_reason) == ("Hi", "ab", "max_output_tokens")
    assert [(c.id, c.name, c.arguments) for c in view.tool_calls] == [
        ("c1", "run", "ls"),
        ("", "", "{}"),
    ]
    assert view.usage == {"total_tokens": 2}
    response = Response(data)
    assert (response.id, response.status, response.model, response.created_at) == (
        "resp_1",
        "incomplete",
        "m",
        1.5,
    )
    assert response.refusal is None and response.error is None
    data["output"].clear()
    assert len(response.output) == 4
    assert response.to_dict()["output"][3] == "not an item"
    assert Response({}).finish_reason is None
    assert "resp_1" in repr(response)
