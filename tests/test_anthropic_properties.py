"""Property: any valid Anthropic Message, streamed as the API streams it (any split of its texts
and tool input into deltas, pings anywhere, padded data lines) and read in any reads, rebuilds to
exactly that Message; the updates tell the same text and tool calls."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sseproto import (
    AnthropicAccumulator,
    ChatUpdate,
    ContentDelta,
    ReasoningDelta,
    StreamDone,
    StreamError,
    ToolCallDone,
)

Json = dict[str, Any]

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(), TEXT, st.floats(allow_nan=False, allow_infinity=False)
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)
INPUTS = st.dictionaries(TEXT, VALUES, max_size=4)
IDS = st.from_regex(r"[a-zA-Z0-9_]{1,20}", fullmatch=True)
CITATIONS = st.lists(
    st.fixed_dictionaries({"type": st.just("char_location"), "cited_text": TEXT}), max_size=3
)

BLOCKS = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": TEXT}),
    st.fixed_dictionaries({"type": st.just("text"), "text": TEXT, "citations": CITATIONS}),
    st.fixed_dictionaries({"type": st.just("thinking"), "thinking": TEXT, "signature": IDS}),
    st.fixed_dictionaries({"type": st.just("redacted_thinking"), "data": IDS}),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["tool_use", "server_tool_use"]),
            "id": IDS,
            "name": IDS,
            "input": INPUTS,
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("mcp_tool_use"),
            "id": IDS,
            "name": IDS,
            "input": INPUTS,
            "server_name": IDS,
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["web_search_tool_result", "mcp_tool_result"]),
            "tool_use_id": IDS,
            "content": VALUES,
        }
    ),
    st.fixed_dictionaries({"type": st.just("compaction"), "content": TEXT}),
    st.fixed_dictionaries({"type": st.just("x_future_block"), "value": VALUES}),
)
STOP_REASONS = st.sampled_from(
    ["end_turn", "tool_use", "stop_sequence", "pause_turn", "refusal", "max_tokens"]
)
COUNTS = st.integers(min_value=0, max_value=10**6)


@st.composite
def messages(draw: st.DrawFn) -> Json:
    """A Message as the non-streaming API returns it."""
    start_usage = {"input_tokens": draw(COUNTS), "output_tokens": 1, "service_tier": "standard"}
    return {
        "id": draw(IDS),
        "type": "message",
        "role": "assistant",
        "model": draw(IDS),
        "content": draw(st.lists(BLOCKS, max_size=6)),
        "stop_reason": draw(STOP_REASONS),
        "stop_sequence": draw(st.none() | TEXT),
        "usage": {**start_usage, "output_tokens": draw(COUNTS)},
    }


def _split(draw: st.DrawFn, text: str) -> list[str]:
    """``text`` cut into pieces at random points (empty pieces included)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=5)))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def _deltas(draw: st.DrawFn, index: int, block: Json) -> tuple[Json, list[Json]]:
    """The start object and the deltas that stream ``block`` as the API does."""
    kind = block["type"]

    def delta(fields: Json) -> Json:
        return {"type": "content_block_delta", "index": index, "delta": fields}

    if kind == "text":
        start: Json = {"type": "text", "text": ""}
        deltas = []
        if "citations" in block:
            start["citations"] = []
            deltas = [delta({"type": "citations_delta", "citation": c}) for c in block["citations"]]
        pieces = _split(draw, block["text"])
        deltas += [delta({"type": "text_delta", "text": piece}) for piece in pieces]
        return start, deltas
    if kind == "thinking":
        pieces = _split(draw, block["thinking"])
        deltas = [delta({"type": "thinking_delta", "thinking": piece}) for piece in pieces]
        deltas.append(delta({"type": "signature_delta", "signature": block["signature"]}))
        return {"type": "thinking", "thinking": "", "signature": ""}, deltas
    if kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
        indent = draw(st.sampled_from([None, 1]))
        text = json.dumps(block["input"], ensure_ascii=draw(st.booleans()), indent=indent)
        # The API's first input delta is always "".
        pieces = ["", *_split(draw, text)]
        deltas = [delta({"type": "input_json_delta", "partial_json": piece}) for piece in pieces]
        return {**block, "input": {}}, deltas
    if kind == "compaction":
        deltas = [delta({"type": "compaction_delta", "content": block["content"]})]
        return {"type": "compaction", "content": None}, deltas
    return block, []


@st.composite
def streams(draw: st.DrawFn) -> tuple[Json, bytes, list[int]]:
    """A message, the stream that carries it, and where the reads split that stream."""
    message = draw(messages())
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {**message["usage"], "output_tokens": 1}
    events: list[Json] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(message["content"]):
        first, deltas = _deltas(draw, index, block)
        events.append({"type": "content_block_start", "index": index, "content_block": first})
        events.extend(deltas)
        events.append({"type": "content_block_stop", "index": index})
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    usage = {"output_tokens": message["usage"]["output_tokens"]}
    events += [{"type": "message_delta", "delta": delta, "usage": usage}, {"type": "message_stop"}]
    # Pings anywhere after the start.
    for position in draw(st.lists(st.integers(1, len(events) - 1), max_size=3)):
        events.insert(position, {"type": "ping"})
    parts = []
    for event in events:
        pad = " " * draw(st.integers(0, 3))
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        parts.append(f"event: {event['type']}\ndata: {data}{pad}\n\n")
    body = "".join(parts).encode()
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=12)))
    return message, body, cuts


@given(streams(), st.booleans())
def test_any_message_streamed_and_read_any_way_rebuilds_exactly(
    case: tuple[Json, bytes, list[int]], strict: bool
) -> None:
    message, body, cuts = case
    accumulator = AnthropicAccumulator(strict=strict)
    updates: list[ChatUpdate] = []
    bounds = [0, *cuts, len(body)]
    for start, end in itertools.pairwise(bounds):
        updates.extend(accumulator.feed(body[start:end]))
    updates.extend(accumulator.close())
    result = accumulator.result()
    assert result.to_dict() == message
    assert isinstance(updates[-1], StreamDone)
    texts = [b["text"] for b in message["content"] if b["type"] == "text"]
    assert "".join(u.text for u in updates if isinstance(u, ContentDelta)) == "".join(texts)
    thoughts = [b["thinking"] for b in message["content"] if b["type"] == "thinking"]
    assert "".join(u.text for u in updates if isinstance(u, ReasoningDelta)) == "".join(thoughts)
    calls = [b for b in message["content"] if b["type"] == "tool_use"]
    done = [u for u in updates if isinstance(u, ToolCallDone)]
    assert [(u.index, u.id, u.name) for u in done] == [
        (i, c["id"], c["name"]) for i, c in enumerate(calls)
    ]
    assert [json.loads(u.arguments) for u in done] == [c["input"] for c in calls]
    assert [c.arguments for c in result.tool_calls] == [u.arguments for u in done]


# -- any payloads: nothing but StreamErrors ---------------------------------------------------

ANY_VALUE: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), TEXT),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=6,
)
EVENT_TYPES = st.sampled_from(
    [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
        "x_unknown",
    ]
)
DELTA_TYPES = st.sampled_from(
    [
        "text_delta",
        "input_json_delta",
        "thinking_delta",
        "signature_delta",
        "citations_delta",
        "compaction_delta",
        "x_delta",
    ]
)
BLOCK_TYPES = st.sampled_from(
    ["text", "thinking", "tool_use", "server_tool_use", "mcp_tool_use", "compaction", "x_block"]
)
# Values drawn for the keys each event uses: usually of the right type, sometimes any value.
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "index": st.integers(0, 3) | ANY_VALUE,
    "delta": st.fixed_dictionaries(
        {"type": DELTA_TYPES},
        optional={
            key: TEXT | ANY_VALUE
            for key in (
                "text",
                "partial_json",
                "thinking",
                "signature",
                "citation",
                "content",
                "stop_reason",
                "stop_sequence",
            )
        },
    )
    | ANY_VALUE,
    "content_block": st.fixed_dictionaries(
        {"type": BLOCK_TYPES},
        optional={key: ANY_VALUE for key in ("text", "thinking", "citations", "input", "id")},
    )
    | ANY_VALUE,
    "message": st.fixed_dictionaries(
        {}, optional={key: ANY_VALUE for key in ("id", "usage", "content", "stop_reason")}
    )
    | ANY_VALUE,
    "usage": st.dictionaries(TEXT, st.integers(0, 9) | ANY_VALUE, max_size=3) | ANY_VALUE,
    "error": ANY_VALUE,
}


@st.composite
def payloads(draw: st.DrawFn) -> Json:
    """One event payload built from the dialect's keys, its values of any type."""
    payload: Json = {"type": draw(EVENT_TYPES)}
    for key in draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), max_size=4, unique=True)):
        payload[key] = draw(FIELD_VALUES[key])
    return payload


@given(st.lists(payloads(), max_size=12), st.booleans(), st.booleans())
def test_any_payloads_raise_nothing_but_stream_errors(
    events: list[Json], strict: bool, as_bytes: bool
) -> None:
    accumulator = AnthropicAccumulator(strict=strict)
    try:
        for payload in events:
            if as_bytes:
                data = json.dumps(payload)
                accumulator.feed(f"event: {payload['type']}\ndata: {data}\n\n".encode())
            else:
                accumulator.feed_chunk(payload)
        accumulator.close()
    except StreamError:
        pass
    message = accumulator.snapshot()
    json.dumps(message.to_dict(), allow_nan=False)
    # The shared view answers whatever the stream held.
    assert message.text is None or isinstance(message.text, str)
    assert message.reasoning is None or isinstance(message.reasoning, str)
    assert all(isinstance(call.arguments, str) for call in message.tool_calls)
    assert message.finish_reason is None or isinstance(message.finish_reason, str)
