"""Hypothesis: a random Response output, sent as a Responses event stream with random deltas, random
items left open and random reads, rebuilds exactly, with and without the terminal event.

The streams come from the fixture generator's :class:`Render` (the same code writes the project's
fixtures); the expected Response is computed here from the declared items alone.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from test_responses_fixtures import generator
from test_responses_templates import FullPath

from sseproto import (
    ChatUpdate,
    ContentDelta,
    HostedToolArgumentsDelta,
    HostedToolCallStarted,
    IncompleteStreamError,
    ReasoningDelta,
    RefusalDelta,
    ResponsesAccumulator,
    StreamDone,
    StreamError,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
)

GEN = generator()
Json = dict[str, Any]

_TEXT = st.text(
    alphabet=st.sampled_from([*'ab {}[]":,\\', "\n", "é", "東", "😀", "\u2028"]), max_size=30
)
_CITATION = st.builds(
    lambda n: {"type": "url_citation", "start_index": 0, "end_index": n, "url": f"https://e/{n}"},
    st.integers(0, 9),
)


@st.composite
def items(draw: st.DrawFn) -> list[Json]:
    """A random output: messages, calls the caller runs, reasoning, calls the provider runs
    (an MCP call's arguments stream as a function call's do)."""
    out: list[Json] = []
    for index in range(draw(st.integers(0, 4))):
        kind = draw(
            st.sampled_from(
                [
                    "message",
                    "function_call",
                    "custom_tool_call",
                    "reasoning",
                    "web_search_call",
                    "code_interpreter_call",
                    "mcp_call",
                ]
            )
        )
        item_id = f"it_{index}"
        if kind == "message":
            parts = []
            for _ in range(draw(st.integers(1, 2))):
                if draw(st.booleans()):
                    parts.append(
                        {
                            "type": "output_text",
                            "annotations": draw(st.lists(_CITATION, max_size=2)),
                            "text": draw(_TEXT),
                        }
                    )
                else:
                    parts.append({"type": "refusal", "refusal": draw(_TEXT)})
            out.append(
                {
                    "id": item_id,
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": parts,
                }
            )
        elif kind in ("function_call", "custom_tool_call"):
            field = "arguments" if kind == "function_call" else "input"
            out.append(
                {
                    "id": item_id,
                    "type": kind,
                    "status": "completed",
                    "call_id": f"call_{index}",
                    "name": f"tool_{index}",
                    field: draw(_TEXT),
                }
            )
        elif kind == "reasoning":
            item: Json = {
                "id": item_id,
                "type": "reasoning",
                "encrypted_content": "opaque",
                "summary": [
                    {"type": "summary_text", "text": text}
                    for text in draw(st.lists(_TEXT, max_size=2))
                ],
            }
            if draw(st.booleans()):
                item["content"] = [{"type": "reasoning_text", "text": draw(_TEXT)}]
            out.append(item)
        elif kind == "mcp_call":
            arguments = draw(st.dictionaries(_TEXT, _TEXT | st.integers(), max_size=3))
            out.append(
                {
                    "id": item_id,
                    "type": kind,
                    "status": "completed",
                    "server_label": "deepwiki",
                    "name": f"tool_{index}",
                    # JSON text, as the API sends it, or none at all.
                    "arguments": json.dumps(arguments) if draw(st.booleans()) else "",
                    "output": draw(_TEXT),
                    "error": None,
                }
            )
        elif kind == "web_search_call":
            out.append(
                {
                    "id": item_id,
                    "type": kind,
                    "status": "completed",
                    "action": {"type": "search", "query": draw(_TEXT)},
                }
            )
        else:
            out.append(
                {
                    "id": item_id,
                    "type": kind,
                    "status": "completed",
                    "code": draw(_TEXT),
                    "container_id": "c",
                    "outputs": [{"type": "logs", "logs": "1"}],
                }
            )
    return out


def left_open(item: Json) -> Json:
    """What the rules rebuild for ``item`` when its output_item.done never comes: the opening
    form, with the parts and strings the stream sent and the status its status events set."""
    out: Json = GEN.opening(item)
    kind = item["type"]
    if kind == "message":
        out["content"] = copy.deepcopy(item["content"])
    elif kind == "reasoning":
        out["summary"] = copy.deepcopy(item["summary"])
        if "content" in item:
            out["content"] = copy.deepcopy(item["content"])
    elif kind in GEN.ITEM_STRINGS:
        field = GEN.ITEM_STRINGS[kind][0]
        out[field] = item[field]
    if kind in GEN.STAGES:
        out["status"] = item["status"]
    return out


def random_split(seed: int, short: bool) -> Any:
    """Deltas of random sizes (empty ones included), sometimes stopping short."""
    rnd = random.Random(seed)

    def split(text: str) -> list[str]:
        pieces, start = [], 0
        while start < len(text):
            size = rnd.randint(0, 6)
            pieces.append(text[start : start + size])
            start += size
        if short and rnd.random() < 0.25:
            # Deltas that stop short: the .done brings the rest (LM Studio sends no delta).
            del pieces[rnd.randint(0, len(pieces)) :]
        return pieces

    return split


def reads_of(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = sorted({cut % (len(data) + 1) for cut in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@given(
    output=items(),
    closed=st.lists(st.booleans(), min_size=4, max_size=4),
    ending=st.sampled_from(["completed", "completed-empty-output", "cut"]),
    seed=st.integers(0, 2**32),
    named=st.booleans(),
    numbered=st.booleans(),
    cuts=st.lists(st.integers(0, 10**6), max_size=12),
    strict=st.booleans(),
)
def test_random_outputs_rebuild_exactly(
    output: list[Json],
    closed: list[bool],
    ending: str,
    seed: int,
    named: bool,
    numbered: bool,
    cuts: list[int],
    strict: bool,
) -> None:
    # Strict mode rejects a .done that differs from its deltas: its streams never stop short.
    render = GEN.Render(split=random_split(seed, not strict), named=named, numbered=numbered)
    render.lifecycle("created", GEN.head())
    render.lifecycle("in_progress", GEN.head())
    for index, item in enumerate(output):
        render.item(index, item, done=closed[index])
    rebuilt = [item if closed[index] else left_open(item) for index, item in enumerate(output)]
    if ending == "cut":
        expected = {**GEN.head(), "output": rebuilt}
    else:
        final = GEN.head("completed", usage=GEN.USAGE, output=output)
        sent = output if ending == "completed" else []
        render.terminal("completed", {**final, "output": sent})
        expected = {**final, "output": output if sent else rebuilt}
    data, _ = render.body()

    accumulator = ResponsesAccumulator(strict=strict)
    updates = []
    try:
        for read in reads_of(data, cuts):
            updates.extend(accumulator.feed(read))
        updates.extend(accumulator.close())
        result: Any = accumulator.result()
        assert ending != "cut"
    except StreamError as error:
        assert ending == "cut" and isinstance(error, IncompleteStreamError)
        assert error.offset == len(data)
        result = error.partial
    assert result.to_dict() == expected

    # The updates add up to the result, and report as complete exactly the calls that are.
    assert "".join(u.text for u in updates if isinstance(u, ContentDelta)) == (result.text or "")
    assert "".join(u.text for u in updates if isinstance(u, RefusalDelta)) == (result.refusal or "")
    assert "".join(u.text for u in updates if isinstance(u, ReasoningDelta)) == (
        result.reasoning or ""
    )
    calls = result.tool_calls
    started = [(u.index, u.id, u.name) for u in updates if isinstance(u, ToolCallStarted)]
    assert started == [(i, c.id, c.name) for i, c in enumerate(calls)]
    for index, call in enumerate(calls):
        pieces = [
            u.text for u in updates if isinstance(u, ToolCallArgumentsDelta) and u.index == index
        ]
        assert "".join(pieces) == call.arguments
    # The arguments of the calls the provider runs add up too, each under its output index.
    for index, item in enumerate(result.output):
        if item["type"] == "mcp_call":
            pieces = [
                u.text
                for u in updates
                if isinstance(u, HostedToolArgumentsDelta) and u.index == index
            ]
            assert "".join(pieces) == item["arguments"]
    streamed = {i for i, it in enumerate(output) if it["type"] == "mcp_call" and it["arguments"]}
    assert {u.index for u in updates if isinstance(u, HostedToolArgumentsDelta)} == streamed
    # Each opens first, named: its type, id, tool and server, as its output_item.added gave them.
    opened = [
        (u.index, u.type, u.id, u.name, u.server)
        for u in updates
        if isinstance(u, HostedToolCallStarted)
    ]
    assert opened == [
        (i, "mcp_call", it["id"], it["name"], it["server_label"])
        for i, it in enumerate(output)
        if it["type"] == "mcp_call"
    ]
    finished = [u.index for u in updates if isinstance(u, ToolCallDone)]
    call_items = [i for i, item in enumerate(output) if item["type"] in GEN.CALL_TYPES]
    if ending == "cut":
        assert finished == [n for n, i in enumerate(call_items) if closed[i]]
        assert not any(isinstance(u, StreamDone) for u in updates)
    else:
        assert sorted(finished) == list(range(len(calls)))
        assert isinstance(updates[-1], StreamDone) and updates[-1].completion == result


@given(
    output=items(),
    closed=st.lists(st.booleans(), min_size=4, max_size=4),
    seed=st.integers(0, 2**32),
    named=st.booleans(),
    cuts=st.lists(st.integers(0, 10**6), max_size=12),
    templates=st.booleans(),
)
def test_a_call_the_provider_runs_opens_before_its_arguments_and_its_value_follows_them(
    output: list[Json],
    closed: list[bool],
    seed: int,
    named: bool,
    cuts: list[int],
    templates: bool,
) -> None:
    """An MCP call's HostedToolCallStarted comes before any of its argument deltas, and starts
    the live value they bring up to date (live partial JSON on), which ends as the arguments
    parsed; whatever the reads, with the templates or without (the same updates either way)."""
    render = GEN.Render(split=random_split(seed, True), named=named, numbered=True)
    render.lifecycle("created", GEN.head())
    for index, item in enumerate(output):
        render.item(index, item, done=closed[index])
    final = GEN.head("completed", usage=GEN.USAGE, output=output)
    render.terminal("completed", final)
    data, _ = render.body()

    def read(engine: type[ResponsesAccumulator]) -> tuple[list[ChatUpdate], list[Any]]:
        accumulator = engine(partial_json=True)
        updates: list[ChatUpdate] = []
        values: list[Any] = []
        for data_read in reads_of(data, cuts):
            for update in accumulator.feed(data_read):
                updates.append(update)
                if isinstance(update, HostedToolArgumentsDelta):
                    values.append((update.index, copy.deepcopy(update.parsed)))
        return updates + accumulator.close(), values

    updates, values = read(ResponsesAccumulator if templates else FullPath)
    opened: set[int] = set()
    for update in updates:
        if isinstance(update, HostedToolCallStarted):
            assert update.index not in opened
            opened.add(update.index)
        elif isinstance(update, HostedToolArgumentsDelta):
            assert update.index in opened
    assert opened == {i for i, it in enumerate(output) if it["type"] == "mcp_call"}
    for index, item in enumerate(output):
        if item["type"] == "mcp_call" and item["arguments"]:
            assert [value for i, value in values if i == index][-1] == json.loads(
                item["arguments"]
            )
    other = read(FullPath if templates else ResponsesAccumulator)
    assert other == (updates, values)


def test_an_mcp_call_added_again_at_its_index_opens_afresh() -> None:
    """A stream that adds an item again at its output_index (lenient mode reads it): the call
    opens again, and its value starts over instead of continuing the first one's."""
    first = {"type": "mcp_call", "id": "mcp_1", "server_label": "wiki", "name": "ask"}
    again = {**first, "id": "mcp_2", "arguments": '{"b"'}
    added, delta = "response.output_item.added", "response.mcp_call_arguments.delta"
    events = [
        {"type": added, "output_index": 0, "item": {**first, "arguments": ""}},
        {"type": delta, "output_index": 0, "delta": '{"a": 1,'},
        {"type": added, "output_index": 0, "item": again},
        {"type": delta, "output_index": 0, "delta": ": 2}"},
    ]
    accumulator = ResponsesAccumulator(partial_json=True)
    seen = []
    for event in events:
        for update in accumulator.feed_chunk(event):
            if isinstance(update, HostedToolArgumentsDelta):
                seen.append(copy.deepcopy(update.parsed))
            else:
                seen.append(update)
    assert seen == [
        HostedToolCallStarted(0, 0, "mcp_call", "mcp_1", "ask", "wiki"),
        {"a": 1},
        HostedToolCallStarted(0, 0, "mcp_call", "mcp_2", "ask", "wiki"),
        {},
        {"b": 2},
    ]


_KEYS = st.sampled_from(
    [
        "type",
        "output_index",
        "content_index",
        "summary_index",
        "annotation_index",
        "item",
        "part",
        "delta",
        "text",
        "arguments",
        "input",
        "code",
        "refusal",
        "response",
        "error",
        "logprobs",
        "annotation",
        "sequence_number",
        "output",
        "content",
        "summary",
        "call_id",
        "name",
        "status",
        "partial_image_index",
        "partial_image_b64",
        "message",
    ]
)
_TYPES = st.sampled_from(
    sorted(
        GEN_TYPES := {
            "response.created",
            "response.in_progress",
            "response.completed",
            "response.incomplete",
            "response.failed",
            "error",
            "response.output_item.added",
            "response.output_item.done",
            "response.content_part.added",
            "response.content_part.done",
            "response.reasoning_summary_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.refusal.delta",
            "response.reasoning_text.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.custom_tool_call_input.delta",
            "response.output_text.annotation.added",
            "response.web_search_call.searching",
            "response.image_generation_call.partial_image",
            "keepalive",
        }
    )
)
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    _TYPES,
    st.sampled_from(["message", "function_call", "output_text", "reasoning", "custom_tool_call"]),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)
_PAYLOADS = st.one_of(
    st.builds(
        lambda kind, rest: {**rest, "type": kind},
        _TYPES,
        st.dictionaries(_KEYS, _VALUES, max_size=6),
    ),
    _VALUES,
)


@given(payloads=st.lists(_PAYLOADS, max_size=12), strict=st.booleans(), wire=st.booleans())
def test_any_payloads_raise_nothing_but_stream_errors(
    payloads: list[Any], strict: bool, wire: bool
) -> None:
    """Payloads built from the dialect's own keys with values of any type: the engine raises
    only StreamErrors, and its snapshot is always a Response that writes back as JSON."""
    accumulator = ResponsesAccumulator(strict=strict)
    for payload in payloads:
        try:
            if wire:
                accumulator.feed(f"data: {json.dumps(payload)}\n\n".encode())
            else:
                accumulator.feed_chunk(payload)
        except StreamError:
            break
        json.dumps(accumulator.snapshot().to_dict())
    try:
        accumulator.close()
        result: Any = accumulator.result()
    except StreamError as error:
        result = error.partial
    json.dumps(result.to_dict())
    for name in (
        "text",
        "refusal",
        "reasoning",
        "tool_calls",
        "finish_reason",
        "usage",
        "output",
        "id",
        "status",
        "model",
        "created_at",
        "error",
        "incomplete_details",
    ):
        getattr(result, name)
