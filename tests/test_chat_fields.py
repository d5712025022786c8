"""Chat fields rebuilt wherever they arrive, and vendor extras that never replace them: audio in
pieces, the fingerprint and service tier, metadata types, extras named like rebuilt keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import REAL_FIXTURES, require_real_fixtures
from hypothesis import given
from hypothesis import strategies as st

import sseproto
from sseproto import (
    ChatAccumulator,
    ChatAudio,
    ChatCompletion,
    ChatMessage,
    Choice,
    FunctionCall,
    InvalidChunkError,
    ToolCall,
)
from sseproto.dialects.chat.completion import (
    _AUDIO_KEYS,
    _CHOICE_KEYS,
    _COMPLETION_KEYS,
    _MESSAGE_KEYS,
    _TOOL_CALL_KEYS,
)


def stream(*chunks: dict[str, Any]) -> bytes:
    return "".join([*(f"data: {json.dumps(c)}\n\n" for c in chunks), "data: [DONE]\n\n"]).encode()


def delta_chunk(delta: dict[str, Any], finish: str | None = None, **top: Any) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [choice], **top}


# -- audio -------------------------------------------------------------------------------------


def test_audio_pieces_are_rebuilt_data_and_transcript_concatenated() -> None:
    body = stream(
        delta_chunk({"role": "assistant", "audio": {"id": "audio_1"}}),
        delta_chunk({"audio": {"transcript": "Hel", "data": "UklG"}}),
        delta_chunk({"audio": {"transcript": "lo", "data": "RiQA"}}),
        delta_chunk({"audio": {"data": "AABX", "id": "ignored: set once"}}),
        delta_chunk({"audio": {"expires_at": 1729234567, "x_vendor": 1}}, finish="stop"),
    )
    message = sseproto.accumulate([body], dialect="chat").choices[0].message
    assert message.audio == ChatAudio(
        id="audio_1",
        data="UklGRiQAAABX",
        transcript="Hello",
        expires_at=1729234567,
        extras={"x_vendor": 1},
    )
    assert message.extras == {}
    assert message.to_dict()["audio"] == {
        "id": "audio_1",
        "data": "UklGRiQAAABX",
        "expires_at": 1729234567,
        "transcript": "Hello",
        "x_vendor": 1,
    }


def test_a_message_without_audio_writes_none() -> None:
    body = stream(delta_chunk({"content": "hi"}, "stop"))
    message = sseproto.accumulate([body], dialect="chat").choices[0]
    assert message.message.audio is None
    assert "audio" not in message.to_dict()["message"]


@pytest.mark.parametrize(
    ("audio", "path"),
    [
        ("x", "$.choices[0].delta.audio"),
        ({"data": 1}, "$.choices[0].delta.audio.data"),
        ({"transcript": []}, "$.choices[0].delta.audio.transcript"),
        ({"id": 5}, "$.choices[0].delta.audio.id"),
        ({"expires_at": "soon"}, "$.choices[0].delta.audio.expires_at"),
    ],
)
def test_audio_pieces_of_the_wrong_type_are_invalid(audio: Any, path: str) -> None:
    with pytest.raises(InvalidChunkError) as caught:
        ChatAccumulator().feed(stream(delta_chunk({"audio": audio})))
    assert caught.value.path == path


# -- fingerprint, service tier, metadata -------------------------------------------------------


def test_fingerprint_and_service_tier_keep_the_last_non_null_value_wherever_they_arrive() -> None:
    body = stream(
        delta_chunk({"content": "a"}),
        delta_chunk({"content": "b"}, system_fingerprint="fp_1"),
        delta_chunk({"content": "c"}, system_fingerprint=None, service_tier="default"),
        delta_chunk({}, "stop", system_fingerprint="fp_2"),
        {"id": "c", "choices": [], "usage": {"total_tokens": 3}, "service_tier": None},
    )
    completion = sseproto.accumulate([body], dialect="chat")
    assert (completion.system_fingerprint, completion.service_tier) == ("fp_2", "default")


def test_vllm_sends_its_fingerprint_only_with_the_usage_and_it_is_kept() -> None:
    require_real_fixtures()
    path = REAL_FIXTURES / "other-openai-compatible" / "vllm" / "crusoe-llama33-text.sse"
    completion = sseproto.accumulate([path.read_bytes()], dialect="chat")
    assert completion.system_fingerprint == "vllm-0.24.0-tp4-6d31f84d"


@pytest.mark.parametrize("position", [0, 1])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", 5),
        ("model", ["m"]),
        ("created", "now"),
        ("created", 1.5),
        ("system_fingerprint", 7),
        ("service_tier", {}),
    ],
)
def test_metadata_of_the_wrong_type_is_judged_the_same_wherever_it_comes(
    position: int, field: str, value: Any
) -> None:
    chunks = [delta_chunk({"content": "a"}), delta_chunk({"content": "b"}, "stop")]
    chunks[position][field] = value
    # The default mode ignores the value, as if it was not sent.
    clean = [delta_chunk({"content": "a"}), delta_chunk({"content": "b"}, "stop")]
    clean[position].pop(field, None)
    assert sseproto.accumulate([stream(*chunks)], dialect="chat") == sseproto.accumulate(
        [stream(*clean)], dialect="chat"
    )
    # Strict mode rejects it.
    with pytest.raises(InvalidChunkError) as caught:
        sseproto.accumulate([stream(*chunks)], dialect="chat", strict=True)
    assert (caught.value.path, caught.value.event_index) == (f"$.{field}", position)


# -- extras named like rebuilt keys ------------------------------------------------------------


def test_a_vendor_message_key_in_a_streamed_choice_never_replaces_the_rebuilt_message() -> None:
    body = stream(
        {
            "id": "c",
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": "rebuilt"},
                    "message": {"content": "the vendor's"},
                    "finish_reason": "stop",
                }
            ],
        }
    )
    choice = sseproto.accumulate([body], dialect="chat").choices[0]
    assert choice.extras == {"message": {"content": "the vendor's"}}
    assert choice.to_dict()["message"]["content"] == "rebuilt"


_NAMES = st.sampled_from(
    [
        "id", "object", "created", "model", "choices", "usage", "system_fingerprint",
        "service_tier", "index", "message", "logprobs", "finish_reason", "role", "content",
        "refusal", "reasoning", "reasoning_content", "audio", "tool_calls", "function_call",
        "type", "function", "data", "expires_at", "transcript", "x_vendor", "citations",
    ]
)
_EXTRAS = st.dictionaries(_NAMES, st.just("EXTRA"), max_size=8)


@given(_EXTRAS, _EXTRAS, _EXTRAS, _EXTRAS, _EXTRAS, st.booleans())
def test_no_extra_replaces_a_key_to_dict_writes_at_any_level(
    top: dict[str, Any],
    choice: dict[str, Any],
    message: dict[str, Any],
    call: dict[str, Any],
    audio: dict[str, Any],
    reasoning_content: bool,
) -> None:
    def build(extras: bool) -> ChatCompletion:
        def of(values: dict[str, Any]) -> dict[str, Any]:
            return values if extras else {}

        return ChatCompletion(
            id="c",
            choices=(
                Choice(
                    index=0,
                    message=ChatMessage(
                        content="text",
                        reasoning="why",
                        reasoning_field="reasoning_content" if reasoning_content else "reasoning",
                        tool_calls=(ToolCall("t", "function", FunctionCall("f", "{}"), of(call)),),
                        function_call=FunctionCall("g", "{}"),
                        audio=ChatAudio("a", "AAAA", "hi", 1, of(audio)),
                        extras=of(message),
                    ),
                    finish_reason="stop",
                    extras=of(choice),
                ),
            ),
            extras=of(top),
        )

    plain, with_extras = build(False).to_dict(), build(True).to_dict()

    def rebuilt_keys_unchanged(plain: dict[str, Any], written: dict[str, Any]) -> None:
        for key, value in plain.items():
            if isinstance(value, dict):
                rebuilt_keys_unchanged(value, written[key])
            elif isinstance(value, list):
                for item, other in zip(value, written[key], strict=True):
                    rebuilt_keys_unchanged(item, other)
            else:
                assert written[key] == value

    rebuilt_keys_unchanged(plain, with_extras)
    # Every extra named like no key of its level is written, at its level.
    written_choice = with_extras["choices"][0]
    written_message = written_choice["message"]
    for extras, written, reserved in [
        (top, with_extras, _COMPLETION_KEYS),
        (choice, written_choice, _CHOICE_KEYS),
        (message, written_message, _MESSAGE_KEYS),
        (call, written_message["tool_calls"][0], _TOOL_CALL_KEYS),
        (audio, written_message["audio"], _AUDIO_KEYS),
    ]:
        assert {key for key in extras if key not in reserved} <= {
            key for key, value in written.items() if value == "EXTRA"
        }
    assert json.loads(json.dumps(with_extras)) == with_extras
