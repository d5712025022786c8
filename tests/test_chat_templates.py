"""Verified templates in the chat engine: the fast path gives exactly what the full path gives.

The differential properties feed the same bytes (and the same events and chunks in between) to
the engine and to the engine without templates, and compare everything a caller can see: the
updates (those produced before an error included), the result or the error (its class, message,
``offset``, ``event_index`` and ``partial``), in the default and the strict mode. The streams
are drawn to stay close to a template and step off it in every way a text can: escapes and
surrogates in the leaf, raw control characters and quotes that end the string early, keys
reordered, fields added, other whitespace, pads of other lengths, usage and finish chunks,
another choice, logprobs, error events, cut JSON, ``[DONE]`` and what follows it.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass
from typing import Any

import pytest
from chatgen import RenderedStream, rendered_streams
from conftest import real_fixture_files, require_real_fixtures
from hypothesis import given
from hypothesis import strategies as st

from sseproto import (
    ChatAccumulator,
    ChatUpdate,
    ContentDelta,
    ServerSentEvent,
    StreamError,
    ToolCallArgumentsDelta,
)


class FullPath(ChatAccumulator):
    """The engine without templates: every chunk parsed and walked."""

    _TEMPLATES = False


Outcome = tuple[list[ChatUpdate], Any, Any]


def outcome(engine: type[ChatAccumulator], calls: list[tuple[str, Any]], strict: bool) -> Outcome:
    """What a caller sees of ``calls`` (``("feed", bytes)``, ``("event", data)``,
    ``("chunk", dict)``, ``("done", None)``) made on a new ``engine``, then ``result()``."""
    accumulator = engine(strict=strict)
    updates: list[ChatUpdate] = []
    try:
        for kind, value in calls:
            if kind == "feed":
                accumulator.feed(value, into=updates)
            elif kind == "event":
                accumulator.feed_event(ServerSentEvent(data=value), into=updates)
            elif kind == "chunk":
                accumulator.feed_chunk(value, into=updates)
            else:
                accumulator.feed_done(into=updates)
        updates += accumulator.close()
        return updates, accumulator.result(), None
    except StreamError as error:
        seen = (type(error), str(error), error.offset, error.event_index, error.partial)
        return updates, accumulator.snapshot(), seen


def assert_same(calls: list[tuple[str, Any]]) -> None:
    for strict in (False, True):
        assert outcome(ChatAccumulator, calls, strict) == outcome(FullPath, calls, strict)


# -- streams drawn around a template --------------------------------------------------------

# Characters that stress a leaf: quotes, backslashes, a slash (which may be escaped), raw control
# characters (refused by the scanner), multi-byte text, an emoji (a surrogate pair when escaped),
# a lone surrogate, U+2028.
_CHARACTERS = [*'ab "\\/{}:,', "\n", "\x00", "\x1f", "\x7f", "é", "東", "😀", "\ud800", "\u2028"]
_PIECE = st.text(alphabet=st.sampled_from(_CHARACTERS), max_size=8)

# How a string is written: as json.dumps writes it (raw UTF-8 or escaped), with every "/"
# escaped, with every character escaped, or not escaped at all (a quote then ends the string
# early, a raw control character is refused).
_STYLES = ("utf8", "ascii", "slash", "unicode", "raw")


def _string(value: str, style: str) -> str:
    if style == "utf8":
        return json.dumps(value, ensure_ascii=False)
    if style == "ascii":
        return json.dumps(value)
    if style == "slash":
        return json.dumps(value).replace("/", "\\/")
    if style == "unicode":
        return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else c for c in value) + '"'
    return '"' + value + '"'


@dataclass
class Shape:
    """How the chunks of a drawn stream are written."""

    order: list[str]
    comma: str
    colon: str
    pad: bool
    usage_null: bool
    extra: str | None
    delta_extra: str
    fingerprint: str = "fp_1"


_TOP = ["id", "object", "created", "model", "system_fingerprint", "choices"]


@st.composite
def shapes(draw: st.DrawFn) -> Shape:
    order = draw(st.permutations(_TOP))
    return Shape(
        order=list(order),
        comma=draw(st.sampled_from([",", ", ", ",\t"])),
        colon=draw(st.sampled_from([":", ": "])),
        pad=draw(st.booleans()),
        usage_null=draw(st.booleans()),
        extra=draw(st.sampled_from([None, "x_vendor", "service_tier"])),
        # A vendor field in every delta: set again (a string), or concatenated (a list).
        delta_extra=draw(st.sampled_from(["", ',"channel":"a"', ',"annotations":[{"u":1}]'])),
    )


def _object(fields: list[tuple[str, str]], shape: Shape) -> str:
    return "{" + shape.comma.join(f'"{key}"{shape.colon}{value}' for key, value in fields) + "}"


def _chunk(shape: Shape, delta: str, rng: random.Random, **choice: str) -> str:
    """A chunk's JSON text: one choice with ``delta`` (JSON text) and the choice's fields."""
    fields = {"index": "0", "delta": delta, "logprobs": "null", "finish_reason": "null", **choice}
    values = {
        "id": '"chatcmpl-1"',
        "object": '"chat.completion.chunk"',
        "created": "1700000000",
        "model": '"gpt-x"',
        "system_fingerprint": f'"{shape.fingerprint}"',
        "choices": "[" + _object(list(fields.items()), shape) + "]",
    }
    top = [(key, values[key]) for key in shape.order]
    if shape.extra is not None:
        top.append((shape.extra, '"v"'))
    if shape.usage_null:
        top.append(("usage", "null"))
    if shape.pad:
        pad = "".join(rng.choices("abcXYZ019", k=rng.randint(1, 12)))
        top.append(("obfuscation", json.dumps(pad)))
    return _object(top, shape)


# What may happen between two leaf deltas (most steps are leaf deltas).
_EVENTS = (
    "same_length",
    "same_length",
    "same_length",
    "finish_with_text",
    "role",
    "tool_start",
    "finish",
    "usage",
    "reorder",
    "spaces",
    "new_field",
    "logprobs",
    "second_choice",
    "error_event",
    "error_field",
    "cut",
    "not_json",
    "done",
    "comment",
    "as_event",
    "as_chunk",
    "feed_done",
)
_LEAVES = ("content", "content", "reasoning_content", "reasoning", "refusal", "arguments")


@st.composite
def template_streams(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """The calls of a drawn stream: its bytes cut into reads, and now and then an event or a
    parsed chunk fed on its own."""
    shape = draw(shapes())
    rng = random.Random(draw(st.integers(0, 2**32)))
    leaf = draw(st.sampled_from(_LEAVES))
    events: list[str] = []
    calls: list[tuple[str, Any]] = []
    role = json.dumps({"role": "assistant", "content": ""})
    events.append(_chunk(shape, role, rng))
    if leaf == "arguments":
        start = {"index": 0, "id": "call_1", "type": "function"}
        start["function"] = {"name": "f", "arguments": ""}
        events.append(_chunk(shape, json.dumps({"tool_calls": [start]}), rng))
    for _ in range(draw(st.integers(1, 30))):
        if draw(st.integers(0, 4)):
            style = draw(st.sampled_from(_STYLES))
            text = _string(draw(_PIECE), style)
            if leaf == "arguments":
                call = '{"index":0,"function":{"arguments":' + text + "}}"
                delta = '{"tool_calls":[' + call + "]}"
            else:
                delta = '{"' + leaf + '":' + text + shape.delta_extra + "}"
            events.append(_chunk(shape, delta, rng))
            continue
        step = draw(st.sampled_from(_EVENTS))
        plain = _chunk(shape, '{"content":"x"}', rng)
        if step == "role":
            events.append(_chunk(shape, role, rng))
        elif step == "tool_start":
            wire = draw(st.integers(0, 2))
            opened = {"index": wire, "id": f"call_{len(events)}", "type": "function"}
            opened["function"] = {"name": "g", "arguments": "{"}
            events.append(_chunk(shape, json.dumps({"tool_calls": [opened]}), rng))
        elif step == "finish":
            reason = draw(st.sampled_from(['"stop"', '""', '"length"']))
            events.append(_chunk(shape, "{}", rng, finish_reason=reason))
        elif step == "usage":
            events.append(plain[:-1] + ',"usage":{"total_tokens":3}}')
        elif step == "same_length":
            # A field changed without changing the text's length, from now on.
            shape.fingerprint = draw(st.sampled_from(["fp_1", "fp_2"]))
            shape.extra = draw(st.sampled_from([None, "x_vendor", "service_tier"]))
        elif step == "finish_with_text":
            delta = '{"content":"w"' + shape.delta_extra + "}"
            events.append(_chunk(shape, delta, rng, finish_reason='"ab"'))
        elif step == "reorder":
            shape.order = draw(st.permutations(_TOP))
        elif step == "spaces":
            events.append(" " + plain + draw(st.sampled_from(["", " ", "\t"])))
        elif step == "new_field":
            key = draw(
                st.sampled_from(["x_new", "service_tier", "citations", "system_fingerprint"])
            )
            events.append(plain[:-1] + f',"{key}":"{len(events)}"}}')
        elif step == "logprobs":
            events.append(_chunk(shape, '{"content":"y"}', rng, logprobs='{"content":[]}'))
        elif step == "second_choice":
            events.append(_chunk(shape, '{"content":"z"}', rng, index="1"))
        elif step == "error_event":
            events.append("event: error\ndata: " + '{"error":{"message":"boom"}}')
        elif step == "error_field":
            events.append(plain[:-1] + ',"error":{"message":"late"}}')
        elif step == "cut":
            events.append(plain[: draw(st.integers(1, len(plain) - 1))])
        elif step == "not_json":
            events.append(draw(st.sampled_from(["[DONE", "{}", "null", '"x"', '{"a":1}'])))
        elif step == "done":
            events.append("[DONE]")
        elif step == "comment":
            events.append(": keep-alive")
        else:
            # Fed on its own, between reads: the bytes so far go first.
            calls.append(("feed", _body(events)))
            events.clear()
            if step == "as_event":
                calls.append(("event", plain))
            elif step == "as_chunk":
                calls.append(("chunk", json.loads(plain)))
            else:
                calls.append(("done", None))
    if draw(st.booleans()):
        events.append("[DONE]")
    calls.append(("feed", _body(events)))
    return [
        ("feed", read) if kind == "feed" else (kind, value)
        for kind, value in calls
        for read in (_reads(draw, value) if kind == "feed" else [None])
    ]


def _body(events: list[str]) -> bytes:
    blocks = []
    for text in events:
        if text.startswith((": ", "event: ")):
            blocks.append(text + "\n\n")
        else:
            blocks.append("data: " + text + "\n\n")
    # Lone surrogates drawn raw cannot be UTF-8: they become invalid bytes, which the decoder
    # replaces, the same for both engines.
    return "".join(blocks).encode("utf-8", "surrogatepass")


def _reads(draw: st.DrawFn, body: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=6)))
    edges = [0, *cuts, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges)]


@given(template_streams())
def test_templates_change_nothing_on_streams_around_a_template(
    calls: list[tuple[str, Any]],
) -> None:
    assert_same(calls)


@given(rendered_streams())
def test_templates_change_nothing_on_any_vendors_stream(stream: RenderedStream) -> None:
    assert_same([("feed", read) for read in stream.reads])


def test_templates_change_nothing_on_the_real_recordings() -> None:
    require_real_fixtures()
    files = real_fixture_files("openai-chat", "other-openai-compatible")
    assert files
    for path in files:
        body = path.read_bytes()
        for size in (len(body), 7, 1024):
            reads = [body[i : i + size] for i in range(0, len(body), size)]
            assert_same([("feed", read) for read in reads])


# -- the fast path is taken -----------------------------------------------------------------


def _stream(*deltas: dict[str, Any], pad: bool = False) -> bytes:
    chunks = []
    for number, delta in enumerate(deltas):
        chunk: dict[str, Any] = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}],
        }
        if pad:
            chunk["usage"] = None
            chunk["obfuscation"] = "p" * (number % 5 + 1)
        # Non-ASCII text escaped, as some vendors send it: the leaf's escape path.
        chunks.append("data: " + json.dumps(chunk) + "\n\n")
    return "".join(chunks).encode()


def reads_by_template(body: bytes) -> int:
    accumulator = ChatAccumulator()
    accumulator.feed(body)
    return accumulator._fast.reads


@pytest.mark.parametrize("pad", [False, True])
def test_text_deltas_after_the_first_are_read_by_the_template(pad: bool) -> None:
    texts = ["a", 'quote " and \\ and \n', "é東😀", "\ud83d", ""]
    body = _stream({"role": "assistant", "content": ""}, *({"content": t} for t in texts), pad=pad)
    accumulator = ChatAccumulator()
    updates = accumulator.feed(body)
    # The role chunk and the first text chunk are planned alike: the template is learned from
    # the second, and fits the rest.
    assert accumulator._fast.reads == len(texts) - 1
    assert updates == [ContentDelta(0, t) for t in texts if t]
    full = FullPath()
    assert updates == full.feed(body)
    assert accumulator.snapshot() == full.snapshot()


def test_argument_deltas_are_read_by_the_template() -> None:
    start = {"index": 0, "id": "c", "type": "function", "function": {"name": "f", "arguments": ""}}
    pieces = ['{"a"', ': "x\\"', '"}', ""]
    body = _stream(
        {"tool_calls": [start]},
        *({"tool_calls": [{"index": 0, "function": {"arguments": p}}]} for p in pieces),
    )
    accumulator = ChatAccumulator()
    updates = accumulator.feed(body)
    # The template is learned from the second of the chunks alike (a run may have only one).
    assert accumulator._fast.reads == len(pieces) - 2
    assert updates[1:] == [ToolCallArgumentsDelta(0, 0, p) for p in pieces if p]


def test_logprobs_on_every_chunk_learn_nothing() -> None:
    chunk = {"content": "a"}
    body = _stream(*[chunk] * 10).replace(b'"logprobs": null', b'"logprobs": {"content": []}')
    assert reads_by_template(body) == 0
