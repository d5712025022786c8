"""Property tests: random ground truths, rendered with random quirks and read boundaries, rebuild
exactly; the updates tell the same story as the result; no input escapes the error hierarchy."""

from __future__ import annotations

import json
from typing import Any

from chatgen import RenderedStream, Truth, rendered_streams
from hypothesis import given
from hypothesis import strategies as st

from sseproto import (
    ChatAccumulator,
    ChatCompletion,
    ChatState,
    ChatUpdate,
    ChoiceFinished,
    ContentDelta,
    FunctionCallArgumentsDelta,
    FunctionCallDone,
    FunctionCallStarted,
    InvalidChunkError,
    ReasoningDelta,
    RefusalDelta,
    StreamDone,
    StreamError,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageUpdate,
)
from sseproto.dialects.chat.accumulator import _TRANSITIONS
from sseproto.dialects.kit.payload import parse_json


def run(reads: list[bytes], *, strict: bool = False) -> tuple[list[ChatUpdate], ChatCompletion]:
    accumulator = ChatAccumulator(strict=strict)
    updates: list[ChatUpdate] = []
    for data in reads:
        updates += accumulator.feed(data)
    updates += accumulator.close()
    return updates, accumulator.result()


def assert_rebuilt(completion: ChatCompletion, truth: Truth) -> None:
    assert completion.id == truth.id
    assert completion.model == truth.model
    assert completion.created == truth.created
    assert completion.system_fingerprint == truth.system_fingerprint
    assert completion.usage == truth.usage
    assert [choice.index for choice in completion.choices] == [c.index for c in truth.choices]
    for choice, expected in zip(completion.choices, truth.choices, strict=True):
        message = choice.message
        assert message.role == "assistant"
        assert message.content == expected.content
        assert message.refusal == expected.refusal
        assert message.reasoning == expected.reasoning
        assert choice.finish_reason == expected.finish_reason
        assert [
            (c.id, c.type, c.function.name, c.function.arguments) for c in message.tool_calls
        ] == [(c.id, "function", c.name, c.arguments) for c in expected.tool_calls]
        legacy, truth_legacy = message.function_call, expected.function_call
        if truth_legacy is None:
            assert legacy is None
        else:
            assert legacy is not None
            assert (legacy.name, legacy.arguments) == (truth_legacy.name, truth_legacy.arguments)


@given(rendered_streams())
def test_any_quirks_and_reads_rebuild_the_ground_truth(stream: RenderedStream) -> None:
    _, completion = run(stream.reads)
    assert_rebuilt(completion, stream.truth)


@given(rendered_streams(quirks=False))
def test_documented_streams_pass_strict_mode(stream: RenderedStream) -> None:
    _, completion = run(stream.reads, strict=True)
    assert_rebuilt(completion, stream.truth)


@given(rendered_streams())
def test_read_boundaries_never_change_the_updates(stream: RenderedStream) -> None:
    assert run(stream.reads) == run([stream.body])


@given(rendered_streams())
def test_parsed_chunks_give_what_the_bytes_give(stream: RenderedStream) -> None:
    accumulator = ChatAccumulator()
    for chunk in stream.chunks:
        accumulator.feed_chunk(chunk)
    accumulator.close()
    assert accumulator.result() == run([stream.body])[1]


@given(rendered_streams())
def test_the_updates_tell_the_same_story_as_the_result(stream: RenderedStream) -> None:
    updates, completion = run(stream.reads)
    for choice in completion.choices:
        mine = [u for u in updates if getattr(u, "choice", None) == choice.index]
        text = "".join(u.text for u in mine if isinstance(u, ContentDelta))
        assert text == (choice.message.content or "")
        assert "".join(u.text for u in mine if isinstance(u, RefusalDelta)) == (
            choice.message.refusal or ""
        )
        assert "".join(u.text for u in mine if isinstance(u, ReasoningDelta)) == (
            choice.message.reasoning or ""
        )
        calls = choice.message.tool_calls
        started = [u for u in mine if isinstance(u, ToolCallStarted)]
        assert [(u.index, u.id, u.name) for u in started] == [
            (j, c.id, c.function.name) for j, c in enumerate(calls)
        ]
        for j, call in enumerate(calls):
            pieces = [
                u.text for u in mine if isinstance(u, ToolCallArgumentsDelta) and u.index == j
            ]
            assert "".join(pieces) == call.function.arguments
        # Each call is reported complete exactly once, when the stream completes: after every
        # other update of its choice, its finish included.
        done = [u for u in mine if isinstance(u, ToolCallDone)]
        assert [(u.index, u.id, u.name, u.arguments) for u in done] == [
            (j, c.id, c.function.name, c.function.arguments) for j, c in enumerate(calls)
        ]
        # The legacy function call is reported as the tool calls are, by updates of its own.
        legacy = choice.message.function_call
        started_legacy = [u.name for u in mine if isinstance(u, FunctionCallStarted)]
        assert started_legacy == ([] if legacy is None else [legacy.name])
        pieces = [u.text for u in mine if isinstance(u, FunctionCallArgumentsDelta)]
        assert "".join(pieces) == ("" if legacy is None else legacy.arguments)
        done_legacy = [(u.name, u.arguments) for u in mine if isinstance(u, FunctionCallDone)]
        assert done_legacy == ([] if legacy is None else [(legacy.name, legacy.arguments)])
        finished = [u for u in mine if isinstance(u, ChoiceFinished)]
        assert [u.finish_reason for u in finished] == [choice.finish_reason]
        kinds = [isinstance(u, ToolCallDone | FunctionCallDone) for u in mine]
        assert kinds == sorted(kinds)
    usages = [u.usage for u in updates if isinstance(u, UsageUpdate)]
    assert (usages[-1] if usages else None) == completion.usage
    assert isinstance(updates[-1], StreamDone)
    assert sum(isinstance(u, StreamDone) for u in updates) == 1
    assert updates[-1].completion == completion


def _feed_everything(reads: list[bytes], strict: bool) -> None:
    accumulator = ChatAccumulator(strict=strict, max_event_size=4096)
    try:
        for data in reads:
            accumulator.feed(data)
        accumulator.close()
    except StreamError as error:
        # Every error carries what was rebuilt before it.
        assert isinstance(error.partial, ChatCompletion)
        assert accumulator.snapshot() == error.partial
    # Whatever was taken writes back as JSON: no NaN or Infinity got in.
    json.dumps(accumulator.snapshot().to_dict(), allow_nan=False)


@given(rendered_streams(), st.data())
def test_corrupted_streams_raise_only_stream_errors(
    stream: RenderedStream, data: st.DataObject
) -> None:
    body = bytearray(stream.body)
    for _ in range(data.draw(st.integers(1, 5))):
        position = data.draw(st.integers(0, max(len(body) - 1, 0)))
        body[position : position + 1] = data.draw(st.binary(max_size=3))
    _feed_everything([bytes(body)], strict=data.draw(st.booleans()))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    ["id", "model", "created", "choices", "usage", "index", "delta", "finish_reason", "logprobs",
     "content", "role", "refusal", "reasoning", "reasoning_content", "tool_calls", "function",
     "function_call", "name", "arguments", "type", "error", "system_fingerprint", "service_tier"]
)  # fmt: skip
# Chunk-shaped garbage: the engine's own field names with values of any JSON type.
_CHUNKISH = st.recursive(
    _JSON,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=25,
)


@given(st.lists(_CHUNKISH, max_size=6), st.booleans())
def test_any_json_raises_only_stream_errors(chunks: list[Any], strict: bool) -> None:
    body = b"".join(f"data: {json.dumps(chunk)}\n\n".encode() for chunk in chunks)
    _feed_everything([body], strict)
    accumulator = ChatAccumulator(strict=strict)
    try:
        for chunk in chunks:
            accumulator.feed_chunk(chunk)
        accumulator.close()
    except StreamError:
        pass


@given(
    st.lists(
        st.from_regex(r"-?[1-9](\.[0-9])?[eE]\+?[0-9]{3,4}", fullmatch=True)
        | st.integers().map(str)
        | st.floats(allow_nan=False, allow_infinity=False).map(repr),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
def test_numbers_too_large_for_a_float_raise_only_stream_errors(
    numbers: list[str], strict: bool
) -> None:
    body = b"".join(
        b'data: {"id": "a", "object": "chat.completion.chunk", "created": 1, "model": "m", '
        b'"choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": null, '
        b'"logprobs": {"content": [{"token": "x", "logprob": %s}]}}]}\n\n' % number.encode()
        for number in numbers
    )
    _feed_everything([body + b"data: [DONE]\n\n"], strict)


_STEPS = {
    "chunk": b'data: {"choices": [{"index": 0, "delta": {"content": "x"}}]}\n\n',
    "finish": b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n',
    "done": b"data: [DONE]\n\n",
    "provider_error": b'data: {"error": {"message": "boom"}}\n\n',
    "error_event": b"event: error\ndata: boom\n\n",
    "invalid": b"data: {oops\n\n",
    "comment": b": keep-alive\n\n",
    "close": b"",
}


@given(st.lists(st.sampled_from(sorted(_STEPS)), max_size=8), st.booleans())
def test_every_sequence_of_inputs_moves_legally_or_raises_a_stream_error(
    steps: list[str], strict: bool
) -> None:
    accumulator = ChatAccumulator(strict=strict)
    for step in steps:
        before = accumulator.state
        try:
            if step == "close":
                accumulator.close()
            else:
                accumulator.feed(_STEPS[step])
        except StreamError as error:
            after = accumulator.state
            assert after in (ChatState.FAILED, ChatState.CLOSED)
            assert after is ChatState.FAILED or before is ChatState.CLOSED
            assert error is accumulator._error or before is ChatState.CLOSED
            continue
        after = accumulator.state
        moves = {target for (source, _), target in _TRANSITIONS.items() if source is before}
        assert after is before or after in moves
        assert before is not ChatState.FAILED


def _finite(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True


@given(
    st.one_of(
        st.text(max_size=20),
        st.from_regex(r"\s*\{\s*\}\s*", fullmatch=True),
        _JSON.map(json.dumps).map(lambda text: f" {text}\t"),
    )
)
def test_the_payload_fast_path_parses_exactly_as_json_loads(text: str) -> None:
    try:
        expected = json.loads(text)
    except ValueError:
        expected = None
    try:
        got = parse_json(text)
    except InvalidChunkError:
        assert expected is None or not _finite(expected)
        return
    assert got == expected
