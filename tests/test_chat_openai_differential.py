"""Differential test against openai-python's own ``ChatCompletionStreamState``.

Where openai-python is right (OpenAI's own streams, and any stream following the documented
schema, choices first appearing in index order) both rebuild the same message. Where it is wrong,
a test pins the difference: it concatenates a resent role, fails on a first tool index of 1,
loses usage to a later chunk, and fails when a later choice appears first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chatgen import RenderedStream, rendered_streams
from conftest import REAL_FIXTURES, real_fixture_files, require_real_fixtures
from hypothesis import assume, given, settings

from sseproto import ChatCompletion, accumulate, iter_events

openai_streaming = pytest.importorskip("openai.lib.streaming.chat")
openai_models = pytest.importorskip("openai._models")
openai_chat = pytest.importorskip("openai.types.chat")


def openai_state(body: bytes) -> Any:
    """openai-python's accumulation of a stream: each payload built into its chunk model and fed
    to ``ChatCompletionStreamState``, as ``client.chat.completions.stream()`` does."""
    state = openai_streaming.ChatCompletionStreamState()
    for event in iter_events([body]):
        if event.data == "[DONE]":
            break
        chunk = openai_models.construct_type(
            type_=openai_chat.ChatCompletionChunk, value=json.loads(event.data)
        )
        for _ in state.handle_chunk(chunk):
            pass
    return state


def message_of(completion: Any) -> list[tuple[Any, ...]]:
    """What both libraries rebuild, per choice, in comparable form."""
    return [
        (
            choice.index,
            choice.message.role,
            choice.message.content,
            choice.message.refusal,
            [
                (call.id, call.type, call.function.name, call.function.arguments)
                for call in choice.message.tool_calls or ()
            ],
            choice.finish_reason,
        )
        # openai-python lists the choices in order of first appearance.
        for choice in sorted(completion.choices, key=lambda choice: choice.index)
    ]


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    return value


def usage_of(completion: Any) -> Any:
    """The usage, nulls left out (openai's model fills every field it knows with None)."""
    usage = completion.usage
    if usage is not None and not isinstance(usage, dict):
        usage = usage.model_dump()
    return _without_nulls(usage)


def assert_same(body: bytes) -> ChatCompletion:
    ours = accumulate([body], dialect="chat")
    theirs = openai_state(body).current_completion_snapshot
    assert (ours.id, ours.model, ours.created) == (theirs.id, theirs.model, theirs.created)
    assert message_of(ours) == message_of(theirs)
    assert usage_of(ours) == usage_of(theirs)
    return ours


def _name(path: Path) -> str:
    return path.relative_to(REAL_FIXTURES).as_posix()


# OpenAI's own streams, except the one where openai-python loses the usage (tested below).
OPENAI_STREAMS = [
    path
    for path in real_fixture_files("openai-chat")
    if path.name != "gpt5-usage-then-moderation-chunk.sse"
]


@pytest.mark.parametrize("path", OPENAI_STREAMS, ids=_name)
def test_same_result_as_openai_python_on_openai_streams(path: Path) -> None:
    assert_same(path.read_bytes())


def _first_appearances(stream: RenderedStream) -> list[int]:
    seen: list[int] = []
    for chunk in stream.chunks:
        for choice in chunk["choices"]:
            if choice["index"] not in seen:
                seen.append(choice["index"])
    return seen


@settings(max_examples=30)
@given(rendered_streams(quirks=False))
def test_same_result_as_openai_python_on_documented_streams(stream: RenderedStream) -> None:
    # openai-python needs choice n to appear before choice n+1 (see the test below).
    assume(_first_appearances(stream) == sorted(_first_appearances(stream)))
    ours = assert_same(stream.body)
    assert ours.choices[0].message.role == "assistant"


def test_openai_python_fails_when_a_later_choice_appears_first() -> None:
    def chunk(index: int, finish: str | None) -> str:
        return json.dumps(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [{"index": index, "delta": {"content": "x"}, "finish_reason": finish}],
            }
        )

    body = "".join(f"data: {chunk(i, 'stop')}\n\n" for i in (1, 0)).encode()
    with pytest.raises(IndexError):
        openai_state(body)
    assert [(c.index, c.message.content) for c in accumulate([body], dialect="chat").choices] == [
        (0, "x"),
        (1, "x"),
    ]


def _real(name: str) -> bytes:
    require_real_fixtures()
    return (REAL_FIXTURES / name).read_bytes()


def test_openai_python_concatenates_a_resent_role() -> None:
    # OpenRouter repeats role on every chunk; openai-python deep-merges it.
    body = _real("other-openai-compatible/openrouter/gpt4omini-usage-repeats-finish.sse")
    theirs = openai_state(body).current_completion_snapshot
    assert theirs.choices[0].message.role.startswith("assistantassistant")
    ours = accumulate([body], dialect="chat")
    assert ours.choices[0].message.role == "assistant"
    # Everything else agrees.
    assert ours.choices[0].message.content == theirs.choices[0].message.content


def test_openai_python_fails_on_a_first_tool_index_of_1() -> None:
    # Anthropic's OpenAI-compatible gateway numbers its first tool call 1.
    body = _real("other-openai-compatible/anthropic-compat/haiku45-tool-index-starts-at-1.sse")
    with pytest.raises(IndexError):
        openai_state(body)
    (call,) = accumulate([body], dialect="chat").choices[0].message.tool_calls
    assert (call.id, call.function.name, call.function.arguments) == (
        "toolu_sanitized",
        "read_file",
        '{"path": "a.txt"}',
    )


def test_openai_python_loses_usage_to_a_later_chunk() -> None:
    # gpt-5 sends usage on a choices:[] chunk, then a second choices:[] chunk with usage null.
    body = _real("openai-chat/gpt5-usage-then-moderation-chunk.sse")
    theirs = openai_state(body).current_completion_snapshot
    assert theirs.usage is None
    ours = accumulate([body], dialect="chat")
    assert ours.usage is not None and ours.usage["total_tokens"] == 24
    assert message_of(ours) == message_of(theirs)
