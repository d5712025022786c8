"""ChatAccumulator: one test per accumulation rule and vendor quirk, the errors
and what they carry, strict mode's rules, hostile input, and every (state, input) pair of the
state machine."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import pytest
from conftest import PROJECT_FIXTURES

import sseproto
from sseproto import (
    ChatAccumulator,
    ChatCompletion,
    ChatState,
    ChoiceFinished,
    ContentDelta,
    EventTooLargeError,
    FunctionCallArgumentsDelta,
    FunctionCallDone,
    FunctionCallStarted,
    IncompleteStreamError,
    InvalidChunkError,
    ProviderError,
    ReasoningDelta,
    ServerSentEvent,
    StreamDone,
    StreamError,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageUpdate,
)
from sseproto.dialects.chat.accumulator import (
    _MAX_CHOICES,
    _MAX_TRACKED_EXTRAS,
    _TRANSITIONS,
)
from sseproto.dialects.chat.tool_calls import MAX_TOOL_CALLS
from sseproto.dialects.kit.result import StreamResult
from sseproto.dialects.kit.state import Input

# -- helpers --------------------------------------------------------------------------------


def chunk(*choices: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A documented chunk (fields overridable, None removes one)."""
    out: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o",
        "choices": list(choices),
    }
    out.update(top)
    return {key: value for key, value in out.items() if value is not None or key == "usage"}


def choice(index: int = 0, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    return {"index": index, "delta": delta, "finish_reason": finish}


def sse(*chunks: dict[str, Any] | str, done: bool = True) -> bytes:
    """An SSE body: a dict is a data event with its JSON; a str is a raw block."""
    blocks = [c if isinstance(c, str) else f"data: {json.dumps(c)}\n\n" for c in chunks]
    if done:
        blocks.append("data: [DONE]\n\n")
    return "".join(blocks).encode()


def rebuild(
    *chunks: dict[str, Any] | str, done: bool = True, strict: bool = False
) -> ChatCompletion:
    accumulator = ChatAccumulator(strict=strict)
    accumulator.feed(sse(*chunks, done=done))
    return accumulator.result()


def updates_of(*chunks: dict[str, Any] | str, done: bool = True) -> list[Any]:
    accumulator = ChatAccumulator()
    updates = accumulator.feed(sse(*chunks, done=done))
    return updates + accumulator.close()


START = chunk(choice(role="assistant", content=""))
STOP = chunk(choice(finish="stop"))


# -- construction -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [{"strict": 1}, {"strict": None}, {"max_event_size": 0}])
def test_configuration_is_validated_at_construction(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ChatAccumulator(**bad)


# -- text fields ------------------------------------------------------------------------------


def test_text_deltas_are_concatenated_in_order() -> None:
    result = rebuild(START, chunk(choice(content="Hel")), chunk(choice(content="lo")), STOP)
    assert result.choices[0].message.content == "Hello"
    assert result.choices[0].finish_reason == "stop"


def test_a_field_never_sent_as_a_string_is_none_and_empty_stays_empty() -> None:
    message = rebuild(START, chunk(choice(content=None, refusal=None)), STOP).choices[0].message
    assert message.content == ""
    assert message.refusal is None
    assert message.reasoning is None
    assert rebuild(chunk(choice(role="assistant")), STOP).choices[0].message.content is None


def test_role_is_set_once_never_concatenated() -> None:
    # OpenRouter resends the role on every chunk (openai-python makes it "assistantassistant").
    result = rebuild(
        chunk(choice(role="assistant", content="a")),
        chunk(choice(role="assistant", content="b")),
        chunk(choice(role="assistant", finish="stop")),
    )
    assert result.choices[0].message.role == "assistant"
    assert result.choices[0].message.content == "ab"


def test_a_stream_without_role_gives_the_assistant_role() -> None:
    assert rebuild(chunk(choice(content="x", finish="stop"))).choices[0].message.role == "assistant"


def test_refusal_is_concatenated_and_reported() -> None:
    updates = updates_of(START, chunk(choice(refusal="I can")), chunk(choice(refusal="'t")), STOP)
    result = updates[-1].completion
    assert result.choices[0].message.refusal == "I can't"
    assert [u.text for u in updates if type(u).__name__ == "RefusalDelta"] == ["I can", "'t"]


@pytest.mark.parametrize(
    ("delta", "field"),
    [
        ({"reasoning_content": "think"}, "reasoning_content"),  # DeepSeek, xAI, Z.ai, Qwen
        ({"reasoning": "think"}, "reasoning"),  # OpenRouter, Groq, Ollama
        (
            {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "think"}]}]},
            "reasoning",
        ),  # Mistral Magistral
    ],
)
def test_reasoning_is_one_text_whichever_shape_carried_it(
    delta: dict[str, Any], field: str
) -> None:
    updates = updates_of(START, chunk(choice(**delta)), chunk(choice(content="ok")), STOP)
    result = updates[-1].completion
    message = result.choices[0].message
    assert message.reasoning == "think"
    assert message.content == "ok"
    assert message.to_dict()[field] == "think"
    assert ReasoningDelta(0, "think") in updates


def test_a_delta_carrying_both_reasoning_fields_is_read_once() -> None:
    result = rebuild(START, chunk(choice(reasoning_content="a", reasoning="a")), STOP)
    assert result.choices[0].message.reasoning == "a"


@pytest.mark.parametrize(
    ("delta", "reasoning", "field"),
    [
        ({"reasoning_content": "", "reasoning": "think"}, "think", "reasoning"),
        ({"reasoning": "think", "reasoning_content": ""}, "think", "reasoning"),
        ({"reasoning_content": "think", "reasoning": ""}, "think", "reasoning_content"),
        ({"reasoning_content": "a", "reasoning": "b"}, "ab", "reasoning_content"),
        ({"reasoning": "b", "reasoning_content": "a"}, "ab", "reasoning_content"),
        ({"reasoning_content": "", "reasoning": ""}, "", "reasoning_content"),
    ],
)
def test_a_delta_carrying_both_reasoning_fields_drops_nothing(
    delta: dict[str, Any], reasoning: str, field: str
) -> None:
    updates = updates_of(START, chunk(choice(**delta)), STOP)
    message = updates[-1].completion.choices[0].message
    assert message.reasoning == reasoning
    assert message.to_dict()[field] == reasoning
    assert "".join(u.text for u in updates if isinstance(u, ReasoningDelta)) == reasoning


def test_content_arrays_mix_thinking_parts_and_text() -> None:
    parts = [
        {"type": "thinking", "thinking": "plan. "},
        {"type": "text", "text": "He"},
        "llo",
    ]
    message = rebuild(START, chunk(choice(content=parts)), STOP).choices[0].message
    assert (message.reasoning, message.content) == ("plan. ", "Hello")


# -- choices, finish_reason, usage -------------------------------------------------------------


def test_interleaved_choices_are_kept_apart() -> None:
    result = rebuild(
        chunk(choice(0, content="a")),
        chunk(choice(1, content="x")),
        chunk(choice(0, content="b")),
        chunk(choice(1, finish="length", content="y")),
        chunk(choice(0, finish="stop")),
    )
    assert [(c.index, c.message.content, c.finish_reason) for c in result.choices] == [
        (0, "ab", "stop"),
        (1, "xy", "length"),
    ]


def test_finish_reason_keeps_the_last_non_empty_value() -> None:
    # OpenRouter: repeated in the usage chunk, then a chunk with finish_reason null.
    updates = updates_of(
        START,
        chunk(choice(content="a", finish="stop")),
        chunk(choice(finish="stop"), usage={"total_tokens": 3}),
        chunk(choice(finish=None)),
        chunk(choice(finish="")),
    )
    assert updates[-1].completion.choices[0].finish_reason == "stop"
    assert [u for u in updates if isinstance(u, ChoiceFinished)] == [ChoiceFinished(0, "stop")]


def test_a_changed_finish_reason_is_reported_again() -> None:
    updates = updates_of(START, chunk(choice(finish="length")), chunk(choice(finish="stop")))
    assert [u for u in updates if isinstance(u, ChoiceFinished)] == [
        ChoiceFinished(0, "length"),
        ChoiceFinished(0, "stop"),
    ]
    assert updates[-1].completion.choices[0].finish_reason == "stop"


def test_finish_reason_counts_whatever_the_chunk_object() -> None:
    # Perplexity's last chunk is "chat.completion.done".
    result = rebuild(START, chunk(choice(finish="stop"), object="chat.completion.done"), done=False)
    assert result.choices[0].finish_reason == "stop"


def test_usage_keeps_the_last_non_null_object_verbatim_never_summed() -> None:
    result = rebuild(
        chunk(choice(content="a"), usage={"total_tokens": 1}),  # Perplexity: cumulative
        chunk(choice(content="b"), usage={"total_tokens": 2, "cost": 0.5}),
        chunk(choice(finish="stop"), usage=None),
    )
    assert result.usage == {"total_tokens": 2, "cost": 0.5}


def test_usage_only_chunks_and_a_second_empty_chunk_after_them() -> None:
    # OpenAI: usage on a choices:[] chunk, then a choices:[] moderation chunk (gpt-5).
    updates = updates_of(
        START,
        STOP,
        chunk(usage={"prompt_tokens": 1, "total_tokens": 2}),
        chunk(usage=None, moderation={"flagged": False}),
    )
    result = updates[-1].completion
    assert result.usage == {"prompt_tokens": 1, "total_tokens": 2}
    assert result.extras == {"moderation": {"flagged": False}}
    assert UsageUpdate({"prompt_tokens": 1, "total_tokens": 2}) in updates


def test_logprobs_are_none_unless_carried_then_token_lists_concatenate() -> None:
    assert rebuild(START, STOP).choices[0].logprobs is None
    token = {"token": "a", "logprob": -0.1, "top_logprobs": []}
    first = {**choice(content="a"), "logprobs": {"content": [], "refusal": None}}
    second = {**choice(content="b"), "logprobs": {"content": [token, token]}}
    result = rebuild(START, chunk(first), chunk(second), STOP)
    assert result.choices[0].logprobs == {"content": [token, token], "refusal": None}


# -- stream metadata -----------------------------------------------------------------------


def test_metadata_comes_from_the_first_chunk_with_an_id() -> None:
    # Azure's prompt-filter chunk comes first, with id "", object "", created 0.
    azure = chunk(
        id="", object="", created=0, model="", prompt_filter_results=[{"prompt_index": 0}]
    )
    result = rebuild(
        azure,
        chunk(choice(content="a"), system_fingerprint="fp_1", service_tier="default"),
        chunk(choice(finish="stop"), id="other", model="other", created=5),
    )
    assert (result.id, result.model, result.created) == ("chatcmpl-1", "gpt-4o", 1700000000)
    assert (result.system_fingerprint, result.service_tier) == ("fp_1", "default")
    assert result.extras == {"prompt_filter_results": [{"prompt_index": 0}]}


def test_without_any_id_metadata_comes_from_the_first_chunk_with_a_model() -> None:
    # Snowflake: id "" and created 0 on every chunk.
    result = rebuild(
        chunk(id="", model="", created=0),
        chunk(choice(content="4"), id="", model="claude", created=0),
        chunk(choice(finish="stop"), id="", model="later", created=9),
    )
    assert (result.id, result.model, result.created) == ("", "claude", 0)


# -- tool calls ---------------------------------------------------------------------------------


def call(index: int | None = None, **fields: Any) -> dict[str, Any]:
    out = dict(fields)
    if index is not None:
        out["index"] = index
    return out


def test_tool_calls_are_rebuilt_and_reported_started_growing_done() -> None:
    updates = updates_of(
        chunk(choice(role="assistant", content=None)),
        chunk(
            choice(
                tool_calls=[
                    call(0, id="c1", type="function", function={"name": "f", "arguments": ""})
                ]
            )
        ),
        chunk(choice(tool_calls=[call(0, function={"arguments": '{"a":'})])),
        chunk(choice(tool_calls=[call(0, function={"arguments": "1}"})])),
        chunk(choice(finish="tool_calls")),
    )
    tool_updates = [
        u for u in updates if isinstance(u, (ToolCallStarted, ToolCallArgumentsDelta, ToolCallDone))
    ]
    assert tool_updates == [
        ToolCallStarted(0, 0, "c1", "f"),
        ToolCallArgumentsDelta(0, 0, '{"a":'),
        ToolCallArgumentsDelta(0, 0, "1}"),
        ToolCallDone(0, 0, "c1", "f", '{"a":1}'),
    ]
    # Done when the stream completes ([DONE]), after the choice finished, just before the end.
    assert updates.index(ChoiceFinished(0, "tool_calls")) < updates.index(tool_updates[-1])
    assert updates.index(tool_updates[-1]) == len(updates) - 2
    (rebuilt,) = updates[-1].completion.choices[0].message.tool_calls
    assert rebuilt.to_dict() == {
        "id": "c1",
        "type": "function",
        "function": {"name": "f", "arguments": '{"a":1}'},
    }


def _calls(*deltas: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    result = rebuild(*(chunk(choice(tool_calls=[d])) for d in deltas), STOP)
    return [
        (c.id, c.type, c.function.name, c.function.arguments)
        for c in result.choices[0].message.tool_calls
    ]


def test_a_first_tool_index_of_1_becomes_tool_calls_0() -> None:
    # Anthropic's OpenAI-compatible gateway numbers its first call 1.
    assert _calls(
        call(1, id="t", type="function", function={"name": "read", "arguments": ""}),
        call(1, function={"arguments": '{"p":1}'}),
    ) == [("t", "function", "read", '{"p":1}')]


def test_sparse_tool_indexes_are_written_out_compactly_in_order_of_appearance() -> None:
    assert _calls(
        call(7, id="a", function={"name": "f", "arguments": "1"}),
        call(3, id="b", function={"name": "g", "arguments": "2"}),
        call(7, function={"arguments": "3"}),
    ) == [("a", "function", "f", "13"), ("b", "function", "g", "2")]


def test_a_delta_without_index_continues_the_latest_call_unless_it_brings_a_new_id() -> None:
    # Mistral sends no index and no type.
    assert _calls(
        call(id="a", function={"name": "f", "arguments": "{"}),
        call(function={"arguments": "}"}),
        call(id="a", function={"arguments": " "}),
        call(id="b", function={"name": "g", "arguments": "[]"}),
    ) == [("a", "function", "f", "{} "), ("b", "function", "g", "[]")]


def test_a_call_opened_without_index_takes_the_first_index_a_later_delta_brings() -> None:
    assert _calls(
        call(id="c1", function={"name": "f", "arguments": "{"}),
        call(0, function={"arguments": "}"}),
        call(0, function={"arguments": " "}),
    ) == [("c1", "function", "f", "{} ")]
    # Only once, and never for a delta bringing a new id.
    assert _calls(
        call(id="c1", function={"name": "f", "arguments": "{"}),
        call(0, function={"arguments": "}"}),
        call(1, function={"name": "g", "arguments": "[]"}),
        call(2, id="c3", function={"name": "h"}),
    ) == [("c1", "function", "f", "{}"), ("", "function", "g", "[]"), ("c3", "function", "h", "")]
    assert _calls(
        call(id="c1", function={"name": "f", "arguments": "{}"}),
        call(0, id="c2", function={"name": "g", "arguments": "[]"}),
    ) == [("c1", "function", "f", "{}"), ("c2", "function", "g", "[]")]


def test_a_new_id_at_a_used_index_opens_a_new_call() -> None:
    assert _calls(
        call(0, id="a", function={"name": "f", "arguments": "1"}),
        call(0, id="b", function={"name": "g", "arguments": "2"}),
        call(0, function={"arguments": "3"}),
    ) == [("a", "function", "f", "1"), ("b", "function", "g", "23")]


def test_id_type_and_name_are_set_once_and_empty_ids_ignored() -> None:
    # Alibaba sends id "" (and type again) on continuations; others resend id and name.
    assert _calls(
        call(0, id="a", type="function", function={"name": "f", "arguments": "x"}),
        call(0, id="", type="function", function={"arguments": "y"}),
        call(0, id="a", type="other", function={"name": "f", "arguments": "z"}),
    ) == [("a", "function", "f", "xyz")]


def test_arguments_sent_as_an_object_are_serialised_once() -> None:
    arguments = {"city": "Zürich", "days": [1, 2]}
    assert _calls(call(0, id="a", function={"name": "f", "arguments": arguments})) == [
        ("a", "function", "f", json.dumps(arguments, ensure_ascii=False))
    ]


def test_tool_call_extras_are_kept() -> None:
    result = rebuild(
        chunk(choice(tool_calls=[call(0, id="a", function={"name": "f"}, signature=["s1"])])),
        chunk(choice(tool_calls=[call(0, function={"arguments": "{}"}, signature=["s2"])])),
        STOP,
    )
    (rebuilt,) = result.choices[0].message.tool_calls
    assert rebuilt.extras == {"signature": ["s1", "s2"]}
    assert rebuilt.to_dict()["signature"] == ["s1", "s2"]


def test_the_legacy_function_call_is_rebuilt_by_the_same_rules() -> None:
    result = rebuild(
        chunk(choice(role="assistant", function_call={"name": "f", "arguments": ""})),
        chunk(choice(function_call={"name": "f", "arguments": '{"x"'})),
        chunk(choice(function_call={"arguments": ":1}"})),
        chunk(choice(finish="function_call")),
    )
    message = result.choices[0].message
    assert message.function_call is not None
    assert message.function_call.to_dict() == {"name": "f", "arguments": '{"x":1}'}
    assert message.to_dict()["function_call"] == {"name": "f", "arguments": '{"x":1}'}


def test_the_legacy_function_call_has_updates_of_its_own() -> None:
    # A call the caller runs, reported as a tool call is but never as one: it is no place in
    # tool_calls, and done when the tool calls would be, when the stream completes.
    chunks = (
        chunk(choice(role="assistant", function_call={"name": "f", "arguments": ""})),
        chunk(choice(function_call={"name": "f", "arguments": '{"x"'})),
        chunk(choice(tool_calls=[call(0, id="c", type="function", function={"name": "g"})])),
        chunk(choice(function_call={"arguments": ":1}"})),
        chunk(choice(finish="function_call")),
    )
    updates = updates_of(*chunks)
    assert updates[:-1] == [
        FunctionCallStarted(0, "f"),
        FunctionCallArgumentsDelta(0, '{"x"'),
        ToolCallStarted(0, 0, "c", "g"),
        FunctionCallArgumentsDelta(0, ":1}"),
        ChoiceFinished(0, "function_call"),
        ToolCallDone(0, 0, "c", "g", ""),
        FunctionCallDone(0, "f", '{"x":1}'),
    ]
    assert isinstance(updates[-1], StreamDone)
    # Cut short, the call is never done.
    cut = ChatAccumulator()
    partial = cut.feed(sse(*chunks[:2], done=False))
    with pytest.raises(IncompleteStreamError):
        cut.close()
    assert partial == [FunctionCallStarted(0, "f"), FunctionCallArgumentsDelta(0, '{"x"')]


def test_tool_calls_of_a_choice_without_finish_reason_complete_at_done() -> None:
    updates = updates_of(chunk(choice(tool_calls=[call(0, id="a", function={"name": "f"})])))
    assert updates[-2:] == [ToolCallDone(0, 0, "a", "f", ""), StreamDone(updates[-1].completion)]


# -- vendor extras, comments, to_dict -----------------------------------------------------------


def test_vendor_extras_are_readable_at_their_level_and_never_merged_into_text() -> None:
    note = {"type": "url_citation", "url": "u"}
    first = {**choice(content="a", annotations=[note]), "content_filter_results": {"x": 1}}
    second = {**choice(content="b", annotations=[note], channel="final"), "token_ids": [1]}
    result = rebuild(
        chunk(first, citations=["c1"], obfuscation="pad"),
        chunk(second, citations=["c1", "c2"], obfuscation=None),
        STOP,
    )
    assert result.extras == {"citations": ["c1", "c2"], "obfuscation": "pad"}
    assert result.choices[0].extras == {"content_filter_results": {"x": 1}, "token_ids": [1]}
    assert result.choices[0].message.extras == {"annotations": [note, note], "channel": "final"}
    assert result.choices[0].message.content == "ab"


def test_a_snapshot_is_not_changed_by_later_chunks() -> None:
    accumulator = ChatAccumulator()
    accumulator.feed(sse(chunk(choice(content="a", annotations=[1])), done=False))
    before = accumulator.snapshot()
    accumulator.feed(sse(chunk(choice(content="b", annotations=[2])), done=False))
    assert before.choices[0].message.extras == {"annotations": [1]}
    assert before.choices[0].message.content == "a"


def test_comments_and_blank_blocks_are_ignored() -> None:
    result = rebuild(
        ": OPENROUTER PROCESSING\n\n", START, ":\n\n\n\n", chunk(choice(content="a")), STOP
    )
    assert result.choices[0].message.content == "a"


def test_to_dict_is_openai_non_streaming_shape() -> None:
    result = rebuild(
        START,
        chunk(choice(content="Hi")),
        STOP,
        chunk(usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}),
    )
    assert result.to_dict() == {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        "system_fingerprint": None,
        "service_tier": None,
    }
    json.dumps(result.to_dict())


# -- end of stream and errors ---------------------------------------------------------------------


def test_a_stream_finished_without_done_is_complete() -> None:
    # Groq and some proxies close without [DONE] once every choice has finished.
    assert rebuild(START, STOP, done=False).choices[0].finish_reason == "stop"


def test_done_completes_a_stream_whose_choices_never_finished() -> None:
    # Snowflake sends no finish_reason at all.
    result = rebuild(START, chunk(choice(content="4")))
    assert (result.choices[0].message.content, result.choices[0].finish_reason) == ("4", None)


@pytest.mark.parametrize(
    ("body", "events"),
    [
        (b"", 0),
        (sse(START, done=False), 1),
        (sse(chunk(), done=False), 1),
        (sse(START, chunk(choice(content="x")), done=False) + b"data: {\"cut", 2),
    ],
)
def test_input_ending_before_done_and_before_every_finish_is_incomplete(
    body: bytes, events: int
) -> None:
    accumulator = ChatAccumulator()
    accumulator.feed(body)
    with pytest.raises(IncompleteStreamError) as caught:
        accumulator.close()
    # Where the missing next event would have been: the bytes consumed, the events received.
    assert caught.value.offset == len(body)
    assert caught.value.event_index == events
    assert caught.value.partial == accumulator.snapshot()
    with pytest.raises(IncompleteStreamError) as again:
        accumulator.result()
    assert again.value is caught.value
    assert accumulator.state is ChatState.FAILED


def test_a_cut_stream_of_parsed_chunks_is_incomplete_without_a_byte_offset() -> None:
    accumulator = ChatAccumulator()
    accumulator.feed_chunk(START)
    accumulator.feed_chunk(chunk(choice(content="x")))
    with pytest.raises(IncompleteStreamError) as caught:
        accumulator.close()
    assert (caught.value.offset, caught.value.event_index) == (None, 2)


def test_an_unfinished_choice_among_finished_ones_is_incomplete() -> None:
    accumulator = ChatAccumulator()
    accumulator.feed(
        sse(chunk(choice(0, finish="stop")), chunk(choice(1, content="x")), done=False)
    )
    with pytest.raises(IncompleteStreamError):
        accumulator.close()


def test_an_error_chunk_is_a_provider_error_after_taking_what_it_carried() -> None:
    # OpenRouter: finish "length", then an error chunk carrying choices and usage, then [DONE].
    error = {"code": 400, "message": "Token limit reached"}
    body = sse(
        START,
        chunk(choice(reasoning="We need", finish="length")),
        chunk(choice(content=" more"), error=error, usage={"total_tokens": 53}),
    )
    accumulator = ChatAccumulator()
    with pytest.raises(ProviderError) as caught:
        accumulator.feed(body)
    failure = caught.value
    assert failure.error == error
    assert "Token limit reached" in str(failure)
    assert failure.event_index == 2
    assert failure.offset == body.index(b"data: ", len(sse(START, chunk(), done=False)) - 10)
    assert isinstance(failure.partial, ChatCompletion)
    assert failure.partial.usage == {"total_tokens": 53}
    assert failure.partial.choices[0].message.content == " more"
    assert failure.partial.choices[0].finish_reason == "length"
    for later in (
        lambda: accumulator.feed(b"data: [DONE]\n\n"),
        accumulator.close,
        accumulator.result,
    ):
        with pytest.raises(ProviderError) as again:
            later()
        assert again.value is failure
    assert accumulator.snapshot() == failure.partial


def test_an_error_event_is_a_provider_error() -> None:
    # Groq: `event: error` mid-stream, no finish, no [DONE].
    body = sse(
        chunk(choice(reasoning="x")),
        'event: error\ndata: {"error": {"message": "tool_use_failed", "code": "bad"}}\n\n',
        done=False,
    )
    with pytest.raises(ProviderError) as caught:
        ChatAccumulator().feed(body)
    assert caught.value.error == {"message": "tool_use_failed", "code": "bad"}
    assert caught.value.offset == body.index(b"event: error")
    assert isinstance(caught.value.partial, ChatCompletion)
    assert caught.value.partial.choices[0].message.reasoning == "x"


@pytest.mark.parametrize(
    ("data", "error"),
    [("overloaded", {"message": "overloaded"}), ('{"message": "m"}', {"message": "m"})],
)
def test_an_error_event_without_an_error_object_carries_its_payload(data: str, error: Any) -> None:
    with pytest.raises(ProviderError) as caught:
        ChatAccumulator().feed_event(ServerSentEvent(event="error", data=data))
    assert caught.value.error == error
    assert caught.value.event_index == 0
    assert caught.value.offset is None


def test_a_malformed_error_chunk_is_still_a_provider_error() -> None:
    with pytest.raises(ProviderError) as caught:
        ChatAccumulator().feed_chunk({"error": {"message": "boom"}, "choices": "oops"})
    assert isinstance(caught.value.__cause__, InvalidChunkError)


def test_an_oversized_event_error_carries_the_partial_completion() -> None:
    accumulator = ChatAccumulator(max_event_size=1000)
    accumulator.feed(sse(chunk(choice(content="kept")), done=False))
    with pytest.raises(EventTooLargeError) as caught:
        accumulator.feed(b"data: " + b"x" * 2000)
    assert isinstance(caught.value.partial, ChatCompletion)
    assert caught.value.partial.choices[0].message.content == "kept"
    with pytest.raises(EventTooLargeError):
        accumulator.feed(b"\n\n")


def test_data_after_done_is_ignored_by_default_and_rejected_by_strict_mode() -> None:
    body = sse(START, chunk(choice(content="a")), STOP) + sse(chunk(choice(content="b")), done=True)
    assert rebuild_bytes(body).choices[0].message.content == "a"
    accumulator = ChatAccumulator(strict=True)
    with pytest.raises(InvalidChunkError, match=r"nothing may follow data: \[DONE\]") as caught:
        accumulator.feed(body)
    assert caught.value.event_index == 4


def rebuild_bytes(body: bytes, strict: bool = False) -> ChatCompletion:
    accumulator = ChatAccumulator(strict=strict)
    accumulator.feed(body)
    return accumulator.result()


def test_nothing_after_done_is_reported_and_stream_done_comes_once() -> None:
    late: list[dict[str, Any] | str] = [
        chunk(choice(content="late")),
        "event: error\ndata: boom\n\n",
        "data: {oops\n\n",
    ]
    updates = updates_of(START, STOP, "data: [DONE]\n\n", *late, "data: [DONE]\n\n")
    done = [u for u in updates if isinstance(u, StreamDone)]
    assert len(done) == 1 and updates[-1] is done[0]
    assert not any(isinstance(u, ContentDelta) for u in updates)
    assert isinstance(done[0].completion, ChatCompletion)
    assert done[0].completion.choices[0].message.content == ""


def test_feed_after_close_is_an_error_and_close_again_does_nothing() -> None:
    accumulator = ChatAccumulator()
    accumulator.feed(sse(START, STOP))
    accumulator.close()
    assert accumulator.close() == []
    with pytest.raises(StreamError, match="once the stream is closed"):
        accumulator.feed(b"data: {}\n\n")
    with pytest.raises(StreamError):
        accumulator.feed_chunk(STOP)
    assert accumulator.result().choices[0].finish_reason == "stop"


def test_result_closes_the_input() -> None:
    accumulator = ChatAccumulator()
    accumulator.feed(sse(START, STOP))
    assert accumulator.result().choices[0].finish_reason == "stop"
    assert accumulator.state is ChatState.CLOSED


# -- invalid chunks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "path", "rule"),
    [
        ("{not json", "$", "not valid JSON"),
        ('{"a": NaN}', "$", "not valid JSON"),
        ('{"a": -Infinity}', "$", "not valid JSON"),
        ('{"a": 1e400}', "$", "out of the range of a float"),
        ('{"a": [-1E+999]}', "$", "out of the range of a float"),
        ("[" * 100_000 + "]" * 100_000, "$", "nested too deeply"),
        ("1" * 5000, "$", "not valid JSON"),
        ("", "$", "not valid JSON"),
        ("[1, 2]", "$", "a chunk must be a JSON object"),
        ('"text"', "$", "a chunk must be a JSON object"),
        ('{"choices": {}}', "$.choices", "choices must be a list"),
        ('{"choices": [1]}', "$.choices[0]", "a choice must be an object"),
        ('{"choices": [{"index": "0"}]}', "$.choices[0].index", "non-negative integer"),
        ('{"choices": [{"index": -1}]}', "$.choices[0].index", "non-negative integer"),
        ('{"choices": [{"index": true}]}', "$.choices[0].index", "non-negative integer"),
        ('{"choices": [{"delta": []}]}', "$.choices[0].delta", "delta must be an object"),
        ('{"choices": [{"delta": {"content": 5}}]}', "$.choices[0].delta.content", "content"),
        ('{"choices": [{"delta": {"role": 1}}]}', "$.choices[0].delta.role", "role"),
        ('{"choices": [{"delta": {"refusal": []}}]}', "$.choices[0].delta.refusal", "refusal"),
        ('{"choices": [{"delta": {"reasoning": {}}}]}', "$.choices[0].delta.reasoning", "reas"),
        ('{"choices": [{"delta": {"tool_calls": {}}}]}', "$.choices[0].delta.tool_calls", "list"),
        (
            '{"choices": [{"delta": {"tool_calls": [0]}}]}',
            "$.choices[0].delta.tool_calls[0]",
            "object",
        ),
        (
            '{"choices": [{"delta": {"tool_calls": [{"index": [0]}]}}]}',
            "$.choices[0].delta.tool_calls[0].index",
            "non-negative integer",
        ),
        (
            '{"choices": [{"delta": {"tool_calls": [{"index": 0, "id": 7}]}}]}',
            "$.choices[0].delta.tool_calls[0].id",
            "id must be",
        ),
        (
            '{"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"name": 1}}]}}]}',
            "$.choices[0].delta.tool_calls[0].function.name",
            "name must be",
        ),
        (
            '{"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": 1}}]}}]'
            "}",
            "$.choices[0].delta.tool_calls[0].function.arguments",
            "arguments must be",
        ),
        (
            '{"choices": [{"delta": {"function_call": "f"}}]}',
            "$.choices[0].delta.function_call",
            "object",
        ),
        (
            '{"choices": [{"delta": {"content": [{"type": "img"}]}}]}',
            "$.choices[0].delta.content[0]",
            "type",
        ),
        ('{"choices": [{"finish_reason": 1}]}', "$.choices[0].finish_reason", "finish_reason"),
        ('{"choices": [{"logprobs": []}]}', "$.choices[0].logprobs", "logprobs"),
        ('{"choices": [{"logprobs": {"content": 1}}]}', "$.choices[0].logprobs.content", "list"),
        ('{"usage": 5}', "$.usage", "usage must be"),
    ],
)
def test_unreadable_chunks_name_the_path_and_the_rule(payload: str, path: str, rule: str) -> None:
    body = b"data: {}\n\n" + f"data: {payload}\n\n".encode()
    accumulator = ChatAccumulator()
    with pytest.raises(InvalidChunkError) as caught:
        accumulator.feed(body)
    error = caught.value
    assert (error.path, error.event_index, error.offset) == (path, 1, 10)
    assert rule in error.rule
    assert path in str(error) and "byte offset 10" in str(error)
    assert accumulator.state is ChatState.FAILED


def test_hostile_indexes_allocate_nothing_large() -> None:
    tracemalloc.start()
    try:
        result = rebuild(
            chunk(
                choice(
                    10**9, content="a", tool_calls=[call(10**12, id="a", function={"name": "f"})]
                )
            ),
            chunk(choice(10**9, finish="stop")),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    assert result.choices[0].index == 10**9
    assert len(result.choices[0].message.tool_calls) == 1


def test_a_chunk_with_too_many_choices_is_refused_before_building_them() -> None:
    body = b'data: {"choices": [%s]}\n\n' % b",".join(
        b'{"index": %d}' % number for number in range(80_000)
    )
    accumulator = ChatAccumulator()
    with pytest.raises(InvalidChunkError) as caught:
        accumulator.feed(body)
    assert caught.value.path == f"$.choices[{_MAX_CHOICES}].index"
    assert f"at most {_MAX_CHOICES} choices" in caught.value.rule
    assert isinstance(caught.value.partial, ChatCompletion)
    assert len(caught.value.partial.choices) == _MAX_CHOICES
    # The bound counts the stream, not one chunk; up to it, every choice is kept.
    spread = sse(*(chunk(choice(number, content="x")) for number in range(_MAX_CHOICES + 1)))
    with pytest.raises(InvalidChunkError, match="choices"):
        ChatAccumulator().feed(spread)
    assert len(rebuild(*(chunk(choice(n, "stop")) for n in range(_MAX_CHOICES))).choices) == (
        _MAX_CHOICES
    )


def test_a_choice_with_too_many_tool_calls_is_refused() -> None:
    calls = [call(n, id=f"c{n}", function={"name": "f"}) for n in range(MAX_TOOL_CALLS + 10)]
    with pytest.raises(InvalidChunkError) as caught:
        rebuild(chunk(choice(tool_calls=calls)))
    assert caught.value.path == f"$.choices[0].delta.tool_calls[{MAX_TOOL_CALLS}]"
    assert f"at most {MAX_TOOL_CALLS} tool calls" in caught.value.rule
    assert isinstance(caught.value.partial, ChatCompletion)
    assert len(caught.value.partial.choices[0].message.tool_calls) == MAX_TOOL_CALLS
    result = rebuild(chunk(choice(tool_calls=calls[:MAX_TOOL_CALLS])), STOP)
    assert len(result.choices[0].message.tool_calls) == MAX_TOOL_CALLS


def test_vendor_fields_beyond_the_tracked_bound_are_still_kept() -> None:
    # A stream inventing a new field in every chunk (and every choice) stays linear: names beyond
    # the bound are read from their own chunk instead of being tracked.
    body = sse(
        *(
            chunk({**choice(content="x"), f"c{number}": [number]}, **{f"x{number}": number})
            for number in range(_MAX_TRACKED_EXTRAS + 5)
        ),
        STOP,
    )
    result = rebuild_bytes(body)
    assert result.extras == {f"x{n}": n for n in range(_MAX_TRACKED_EXTRAS + 5)}
    assert result.choices[0].extras == {f"c{n}": [n] for n in range(_MAX_TRACKED_EXTRAS + 5)}
    assert result.choices[0].message.content == "x" * (_MAX_TRACKED_EXTRAS + 5)


def test_feed_chunk_reads_only_the_fields_a_pydantic_chunk_was_given() -> None:
    class Model:
        def model_dump(self, *, exclude_unset: bool, warnings: bool) -> dict[str, Any]:
            assert exclude_unset and not warnings
            return chunk(choice(content="a", finish="stop"), usage={"total_tokens": 1})

    accumulator = ChatAccumulator()
    accumulator.feed_chunk(Model())
    result = accumulator.result()
    assert result.choices[0].message.content == "a"
    assert result.usage == {"total_tokens": 1}


def test_feed_chunk_of_openai_sdk_chunks_gives_what_the_bytes_give() -> None:
    chat = pytest.importorskip("openai.types.chat")
    body = sse(
        START,
        chunk(choice(content="a")),
        STOP,
        chunk(usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}),
    )
    accumulator = ChatAccumulator()
    for event in body.split(b"\n\n")[:-2]:
        accumulator.feed_chunk(chat.ChatCompletionChunk.model_validate_json(event[6:]))
    accumulator.feed_done()
    assert accumulator.result() == rebuild_bytes(body)


def test_feed_done_completes_a_stream_of_parsed_chunks() -> None:
    # Snowflake sends no finish_reason: only the end marker makes the stream complete.
    accumulator = ChatAccumulator()
    accumulator.feed_chunk(chunk(choice(content="4")))
    updates = accumulator.feed_done()
    assert updates == [StreamDone(accumulator.snapshot())]
    assert accumulator.result().choices[0].message.content == "4"
    strict = ChatAccumulator(strict=True)
    strict.feed_chunk(START)
    strict.feed_done()
    with pytest.raises(InvalidChunkError) as caught:
        strict.feed_done()
    assert caught.value.event_index == 2


def test_feed_event_reads_done_and_chunks() -> None:
    accumulator = ChatAccumulator()
    assert accumulator.feed_event(ServerSentEvent(data=json.dumps(START))) == []
    updates = accumulator.feed_event(ServerSentEvent(data=json.dumps(chunk(choice(content="a")))))
    assert updates == [ContentDelta(0, "a")]
    done = accumulator.feed_event(ServerSentEvent(data="[DONE]"))
    assert accumulator.state is ChatState.DONE
    assert done == [StreamDone(accumulator.snapshot())]


def test_snapshot_never_raises_mid_stream() -> None:
    accumulator = ChatAccumulator()
    accumulator.feed(b'data: {"choices": [{"delta": {"content": "a"}}]}\n\ndata: {"cho')
    assert accumulator.snapshot().choices[0].message.content == "a"
    with pytest.raises(InvalidChunkError):
        accumulator.feed(b"ices: 1}\n\n")
    assert accumulator.snapshot().choices[0].message.content == "a"


# -- strict mode --------------------------------------------------------------------------------


def _documented_tool_stream() -> list[dict[str, Any]]:
    return [
        chunk(choice(role="assistant", content=None)),
        chunk(
            choice(
                tool_calls=[
                    call(0, id="a", type="function", function={"name": "f", "arguments": ""})
                ]
            )
        ),
        chunk(choice(tool_calls=[call(0, function={"arguments": "{}"})])),
        chunk(choice(finish="tool_calls")),
        chunk(usage={"total_tokens": 1}),
    ]


def _choice(stream: list[dict[str, Any]], number: int) -> dict[str, Any]:
    found: dict[str, Any] = stream[number]["choices"][0]
    return found


def _delta(stream: list[dict[str, Any]], number: int) -> dict[str, Any]:
    found: dict[str, Any] = _choice(stream, number)["delta"]
    return found


def _tool(stream: list[dict[str, Any]], number: int) -> dict[str, Any]:
    found: dict[str, Any] = _delta(stream, number)["tool_calls"][0]
    return found


def test_strict_mode_accepts_the_documented_stream() -> None:
    result = rebuild(*_documented_tool_stream(), strict=True)
    assert result.choices[0].message.tool_calls[0].function.arguments == "{}"


@pytest.mark.parametrize(
    ("mutate", "path", "rule"),
    [
        (lambda s: s[0].update(object=""), "$.object", "object must be"),
        (lambda s: s[0].update(id=""), "$.id", "id must be a non-empty string"),
        (lambda s: s[0].pop("created"), "$.created", "created must be an integer"),
        (lambda s: s[0].pop("choices"), "$.choices", "choices must be a list"),
        (
            lambda s: _choice(s, 0).pop("finish_reason"),
            "$.choices[0]",
            "finish_reason is required",
        ),
        (
            lambda s: _choice(s, 3).update(finish_reason="done"),
            "$.choices[0].finish_reason",
            "one of",
        ),
        (
            lambda s: _delta(s, 0).update(role="bot"),
            "$.choices[0].delta.role",
            "one of",
        ),
        (
            lambda s: _delta(s, 0).update(content=[]),
            "$.choices[0].delta.content",
            "string",
        ),
        (lambda s: s[3].update(usage={"total_tokens": 1}), "$.usage", "own final chunk"),
        (lambda s: s.append(chunk(usage={"total_tokens": 2})), "$.usage", "sent once"),
        (
            lambda s: _tool(s, 1).pop("index"),
            ".tool_calls[0].index",
            "required",
        ),
        (
            lambda s: _tool(s, 1).update(index=1),
            ".tool_calls[0].index",
            "start at 0",
        ),
        (
            lambda s: _tool(s, 1).pop("type"),
            ".tool_calls[0]",
            "first delta",
        ),
        (
            lambda s: _tool(s, 2).update(id=""),
            ".tool_calls[0].id",
            "non-empty",
        ),
        (
            lambda s: _tool(s, 2).update(id="b"),
            ".tool_calls[0].index",
            "reused",
        ),
        (
            lambda s: _tool(s, 2).update(type="custom"),
            ".tool_calls[0].type",
            "function",
        ),
        (
            lambda s: _tool(s, 2)["function"].update(arguments={}),
            ".tool_calls[0].function.arguments",
            "string",
        ),
        (
            lambda s: _delta(s, 2).update(role="user"),
            "$.choices[0].delta.role",
            "set once",
        ),
        (
            lambda s: s.append(chunk(choice(finish="stop"))),
            "$.choices[0]",
            "after its finish_reason",
        ),
        (lambda s: _choice(s, 0).update(index=None), "$.choices[0].index", "non-negative"),
    ],
)
def test_strict_mode_names_every_deviation(mutate: Any, path: str, rule: str) -> None:
    stream = _documented_tool_stream()
    mutate(stream)
    with pytest.raises(InvalidChunkError) as caught:
        rebuild(*stream, strict=True)
    assert caught.value.path.endswith(path)
    assert rule in caught.value.rule
    # The default mode reads every one of them.
    rebuild(*stream)


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda s: _delta(s, 0).update(role=[]), "$.choices[0].delta.role"),
        (lambda s: _delta(s, 0).update(role={}), "$.choices[0].delta.role"),
        (lambda s: _delta(s, 0).update(role=1), "$.choices[0].delta.role"),
        (lambda s: _choice(s, 3).update(finish_reason={}), "$.choices[0].finish_reason"),
        (lambda s: _choice(s, 3).update(finish_reason=[]), "$.choices[0].finish_reason"),
        (lambda s: _tool(s, 1).update(type=[]), "$.choices[0].delta.tool_calls[0].type"),
        (lambda s: s[0].update(object={}), "$.object"),
    ],
)
def test_strict_mode_rejects_unhashable_values_as_invalid_chunks(mutate: Any, path: str) -> None:
    stream = _documented_tool_stream()
    mutate(stream)
    with pytest.raises(InvalidChunkError) as caught:
        rebuild(*stream, strict=True)
    assert caught.value.path == path


def test_strict_mode_rejects_events_of_another_type_and_a_second_done() -> None:
    with pytest.raises(InvalidChunkError, match="message events"):
        ChatAccumulator(strict=True).feed(b"event: delta\n" + sse(START, done=False))
    assert rebuild_bytes(b"event: delta\n" + sse(START, STOP)).choices[0].finish_reason == "stop"
    with pytest.raises(InvalidChunkError, match="DONE"):
        ChatAccumulator(strict=True).feed(sse(START, STOP) + b"data: [DONE]\n\n")


# -- the state machine: every (state, input) pair ---------------------------------------------

INPUTS = {
    "chunk": sse(chunk(choice(content="x")), done=False),
    "done": b"data: [DONE]\n\n",
    "provider_error": b'data: {"error": {"message": "boom"}}\n\n',
    "invalid": b"data: {oops\n\n",
    "close": b"",
}


def _in_state(state: ChatState, strict: bool) -> ChatAccumulator:
    accumulator = ChatAccumulator(strict=strict)
    if state is ChatState.FAILED:
        with pytest.raises(InvalidChunkError):
            accumulator.feed(INPUTS["invalid"])
        return accumulator
    accumulator.feed(sse(START, done=False))
    if state in (ChatState.DONE, ChatState.CLOSED):
        accumulator.feed(INPUTS["done"])
    if state is ChatState.CLOSED:
        accumulator.close()
    assert accumulator.state is state
    return accumulator


# (state, input) -> (state after, error raised or None), for both modes unless "strict" differs.
EXPECTED: dict[tuple[ChatState, str], tuple[ChatState, type[StreamError] | None]] = {
    (ChatState.STREAMING, "chunk"): (ChatState.STREAMING, None),
    (ChatState.STREAMING, "done"): (ChatState.DONE, None),
    (ChatState.STREAMING, "provider_error"): (ChatState.FAILED, ProviderError),
    (ChatState.STREAMING, "invalid"): (ChatState.FAILED, InvalidChunkError),
    (ChatState.STREAMING, "close"): (ChatState.FAILED, IncompleteStreamError),
    (ChatState.DONE, "chunk"): (ChatState.DONE, None),
    (ChatState.DONE, "done"): (ChatState.DONE, None),
    (ChatState.DONE, "provider_error"): (ChatState.DONE, None),
    (ChatState.DONE, "invalid"): (ChatState.DONE, None),
    (ChatState.DONE, "close"): (ChatState.CLOSED, None),
    (ChatState.CLOSED, "chunk"): (ChatState.CLOSED, StreamError),
    (ChatState.CLOSED, "done"): (ChatState.CLOSED, StreamError),
    (ChatState.CLOSED, "provider_error"): (ChatState.CLOSED, StreamError),
    (ChatState.CLOSED, "invalid"): (ChatState.CLOSED, StreamError),
    (ChatState.CLOSED, "close"): (ChatState.CLOSED, None),
    (ChatState.FAILED, "chunk"): (ChatState.FAILED, InvalidChunkError),
    (ChatState.FAILED, "done"): (ChatState.FAILED, InvalidChunkError),
    (ChatState.FAILED, "provider_error"): (ChatState.FAILED, InvalidChunkError),
    (ChatState.FAILED, "invalid"): (ChatState.FAILED, InvalidChunkError),
    (ChatState.FAILED, "close"): (ChatState.FAILED, InvalidChunkError),
}
# After [DONE] the default mode ignores everything; strict mode rejects anything.
STRICT_DIFFERENCES = {
    (ChatState.DONE, name): (ChatState.FAILED, InvalidChunkError)
    for name in ("chunk", "done", "provider_error", "invalid")
}


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("pair", list(EXPECTED))
def test_every_state_and_input_moves_legally_or_raises_a_stream_error(
    pair: tuple[ChatState, str], strict: bool
) -> None:
    state, name = pair
    expected_state, expected_error = (STRICT_DIFFERENCES if strict else {}).get(
        pair, EXPECTED[pair]
    )
    accumulator = _in_state(state, strict)
    stored = accumulator._error
    try:
        if name == "close":
            accumulator.close()
        else:
            accumulator.feed(INPUTS[name])
    except StreamError as error:
        assert expected_error is not None and isinstance(error, expected_error)
        if state is ChatState.FAILED:
            assert error is stored  # the same error, every time
    else:
        assert expected_error is None
    assert accumulator.state is expected_state
    if state is not expected_state and state not in (ChatState.CLOSED, ChatState.FAILED):
        # Every move the accumulator made is one the transition table allows.
        assert expected_state in {_TRANSITIONS.get((state, move)) for move in Input}


def test_the_transition_table_only_leaves_terminal_states_by_raising() -> None:
    sources = {source for source, _ in _TRANSITIONS}
    assert sources == {ChatState.STREAMING, ChatState.DONE}
    assert set(_TRANSITIONS.values()) <= set(ChatState)


def test_offset_and_events_received_count_what_arrived() -> None:
    body = sse(
        chunk(choice(role="assistant", content="Hi")),
        ": keep-alive\n\n",
        chunk(choice(finish="stop")),
    )
    accumulator = ChatAccumulator()
    accumulator.feed(body[:10])
    assert (accumulator.offset, accumulator.events_received) == (10, 0)
    accumulator.feed(body[10:])
    # Two chunks and [DONE]; the comment is no event.
    assert (accumulator.offset, accumulator.events_received) == (len(body), 3)
    accumulator.feed_event(ServerSentEvent(data="[DONE]"))
    accumulator.feed_chunk(chunk(choice()))
    assert (accumulator.offset, accumulator.events_received) == (len(body), 5)


def test_a_completion_answers_the_view_every_dialect_shares() -> None:
    completion = sseproto.accumulate(
        sseproto.replay(PROJECT_FIXTURES / "tool-call.sse"), dialect="chat"
    )
    view: StreamResult = completion
    assert view.dialect == "chat"
    assert view.text == completion.choices[0].message.content
    assert view.finish_reason == "tool_calls"
    [call] = view.tool_calls
    assert (call.id, call.name, call.arguments) == (
        completion.choices[0].message.tool_calls[0].id,
        completion.choices[0].message.tool_calls[0].function.name,
        completion.choices[0].message.tool_calls[0].function.arguments,
    )
    assert sseproto.ChatCompletion().text is None
    assert sseproto.ChatCompletion().tool_calls == ()
