"""The sync and async wrappers: accumulate, aaccumulate, iter_chat, aiter_chat, and the everyday
streaming loop they exist for."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest

from sseproto import (
    ChatCompletion,
    ChatUpdate,
    ContentDelta,
    EventTooLargeError,
    IncompleteStreamError,
    InvalidChunkError,
    ProviderError,
    StreamDone,
    ToolCallDone,
    aaccumulate,
    accumulate,
    aiter_chat,
    iter_chat,
)


def _chunk(delta: dict[str, Any], finish: str | None = None, **top: Any) -> bytes:
    payload = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **top,
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


def _call(index: int, **fields: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, **fields}]}


BODY = b"".join(
    [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"content": "Let me "}),
        _chunk({"content": "check."}),
        _chunk(_call(0, id="a", type="function", function={"name": "weather", "arguments": ""})),
        _chunk(_call(0, function={"arguments": '{"city": '})),
        _chunk(_call(1, id="b", type="function", function={"name": "time", "arguments": "{}"})),
        _chunk(_call(0, function={"arguments": '"Paris"}'})),
        _chunk({}, "tool_calls"),
        b"data: [DONE]\n\n",
    ]
)


def _reads(body: bytes, size: int = 7) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


async def _areads(reads: Iterable[bytes]) -> AsyncIterator[bytes]:
    for data in reads:
        await asyncio.sleep(0)
        yield data


def test_the_everyday_loop_prints_text_and_acts_on_complete_tool_calls() -> None:
    printed: list[str] = []
    ran: list[tuple[str, Any]] = []
    for update in iter_chat(_reads(BODY)):
        if isinstance(update, ContentDelta):
            printed.append(update.text)
        elif isinstance(update, ToolCallDone):
            ran.append((update.name, json.loads(update.arguments)))
    assert "".join(printed) == "Let me check."
    # Interleaved calls are each reported once, complete.
    assert ran == [("weather", {"city": "Paris"}), ("time", {})]


def test_iter_chat_ends_with_the_completion() -> None:
    updates = list(iter_chat(_reads(BODY)))
    last = updates[-1]
    assert isinstance(last, StreamDone)
    assert last.completion == accumulate(_reads(BODY))
    assert isinstance(last.completion, ChatCompletion)
    assert last.completion.choices[0].message.content == "Let me check."


def test_iter_chat_matches_the_accumulator_updates_whatever_the_reads() -> None:
    assert list(iter_chat([BODY])) == list(iter_chat(_reads(BODY, 1)))


def test_iter_chat_hands_out_the_updates_before_an_error_then_raises() -> None:
    body = _chunk({"content": "partial"}) + b'event: error\ndata: {"error": {"message": "x"}}\n\n'
    seen: list[ChatUpdate] = []
    with pytest.raises(ProviderError) as caught:
        for update in iter_chat([body]):
            seen.append(update)
    assert seen == [ContentDelta(0, "partial")]
    assert isinstance(caught.value.partial, ChatCompletion)
    assert caught.value.partial.choices[0].message.content == "partial"


def test_a_truncated_stream_raises_from_the_wrappers() -> None:
    truncated = BODY[: BODY.index(b'"tool_calls"}')]
    with pytest.raises(IncompleteStreamError) as caught:
        accumulate(_reads(truncated))
    assert isinstance(caught.value.partial, ChatCompletion)
    assert caught.value.partial.choices[0].message.content == "Let me check."
    with pytest.raises(IncompleteStreamError):
        list(iter_chat(_reads(truncated)))


def test_async_wrappers_give_what_the_sync_ones_give() -> None:
    async def collect() -> tuple[list[ChatUpdate], Any]:
        updates = [update async for update in aiter_chat(_areads(_reads(BODY)))]
        return updates, await aaccumulate(_areads(_reads(BODY)))

    updates, completion = asyncio.run(collect())
    assert updates == list(iter_chat(_reads(BODY)))
    assert completion == accumulate(_reads(BODY))


def test_aiter_chat_hands_out_the_updates_before_an_error_then_raises() -> None:
    body = _chunk({"content": "partial"}) + b'data: {"error": {"message": "x"}}\n\n'
    seen: list[ChatUpdate] = []

    async def consume() -> None:
        async for update in aiter_chat(_areads([body])):
            seen.append(update)

    with pytest.raises(ProviderError):
        asyncio.run(consume())
    assert seen == [ContentDelta(0, "partial")]


@pytest.mark.parametrize("strict", [False, True])
def test_the_wrappers_pass_strict_mode_and_the_size_limit(strict: bool) -> None:
    perplexity_end = _chunk({}, "stop", object="chat.completion.done")
    body = _chunk({"content": "a"}) + perplexity_end
    if strict:
        with pytest.raises(InvalidChunkError, match="object must be"):
            accumulate([body], strict=True)
    else:
        assert accumulate([body], dialect="chat").choices[0].finish_reason == "stop"
    with pytest.raises(EventTooLargeError):
        list(iter_chat([body], strict=strict, max_event_size=10))


def test_the_wrappers_end_at_done_and_read_no_later_read() -> None:
    body = [
        _chunk({"role": "assistant", "content": "a"}, "stop"),
        b"data: [DONE]\n\n",
        _chunk({"content": "b"}),
    ]
    updates = list(iter_chat(body))
    assert [u for u in updates if isinstance(u, StreamDone)] == [updates[-1]]
    assert ContentDelta(0, "b") not in updates
    assert accumulate(body, dialect="chat").choices[0].message.content == "a"

    async def read() -> list[ChatUpdate]:
        return [update async for update in aiter_chat(_areads(body))]

    assert asyncio.run(read()) == updates
