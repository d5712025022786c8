"""Verified templates in the Anthropic engine: the fast path gives exactly what the full path
gives.

As for chat (``test_chat_templates``): the same bytes, and the same events and payloads fed on
their own in between, go to the engine and to the engine without templates, and everything a
caller sees must be equal, in both modes. The streams stay close to a template (text, thinking
and tool input deltas, padded with spaces as the live API pads them) and step off it: escapes
and raw control characters in the string, other padding, another block, an unknown delta type,
pings, stops, errors, cut JSON, events after ``message_stop``.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from conftest import real_fixture_files, require_real_fixtures
from hypothesis import given
from hypothesis import strategies as st
from test_chat_templates import _PIECE, _STYLES, _reads, _string

from sseproto import AnthropicAccumulator, ChatUpdate, ContentDelta, ServerSentEvent, StreamError


class FullPath(AnthropicAccumulator):
    """The engine without templates: every event parsed and walked."""

    _TEMPLATES = False


class Eager(AnthropicAccumulator):
    """The engine learning templates from the third delta of a run in a row, so that the short
    streams drawn here exercise them."""

    _LEARN_AT = 3


def outcome(
    engine: type[AnthropicAccumulator], calls: list[tuple[str, Any]], strict: bool
) -> tuple[list[ChatUpdate], Any, Any]:
    """What a caller sees of ``calls`` (``("feed", bytes)``, ``("event", (name, data))``,
    ``("chunk", dict)``) made on a new ``engine``, then ``result()``."""
    accumulator = engine(strict=strict)
    updates: list[ChatUpdate] = []
    try:
        for kind, value in calls:
            if kind == "feed":
                accumulator.feed(value, into=updates)
            elif kind == "event":
                accumulator.feed_event(ServerSentEvent(*value), into=updates)
            else:
                accumulator.feed_chunk(value, into=updates)
        updates += accumulator.close()
        return updates, accumulator.result(), None
    except StreamError as error:
        seen = (type(error), str(error), error.offset, error.event_index, error.partial)
        return updates, accumulator.snapshot(), seen


def assert_same(calls: list[tuple[str, Any]]) -> None:
    for strict in (False, True):
        expected = outcome(FullPath, calls, strict)
        for engine in (AnthropicAccumulator, Eager):
            assert outcome(engine, calls, strict) == expected


_START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    },
}
# The block each kind of delta goes to, and the delta's string field.
_KINDS = {
    "text_delta": ({"type": "text", "text": ""}, "text"),
    "thinking_delta": ({"type": "thinking", "thinking": "", "signature": ""}, "thinking"),
    "input_json_delta": ({"type": "tool_use", "id": "t", "name": "f", "input": {}}, "partial_json"),
}
_STEPS = (
    "ping",
    "padding",
    "other_index",
    "unknown_delta",
    "wrong_kind",
    "signature",
    "stop",
    "start",
    "message_delta",
    "message_stop",
    "error",
    "cut",
    "not_json",
    "renamed",
    "as_event",
    "as_chunk",
)


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


@st.composite
def template_streams(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """The calls of a drawn stream: its bytes cut into reads, and now and then an event or a
    parsed payload fed on its own."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    kind = draw(st.sampled_from(sorted(_KINDS)))
    block, field = _KINDS[kind]
    spaces = draw(st.sampled_from([0, 1, 15]))
    events = [_event("message_start", json.dumps(_START))]
    start = {"type": "content_block_start", "index": 0, "content_block": block}
    events.append(_event("content_block_start", json.dumps(start)))
    calls: list[tuple[str, Any]] = []

    def delta(text: str, index: int = 0, kind: str = kind, field: str = field) -> str:
        inner = f'{{"type":"{kind}","{field}":{text}}}'
        body = f'{{"type":"content_block_delta","index":{index},"delta":{inner}'
        return body + " " * (rng.randint(0, spaces) if spaces else 0) + "}"

    for _ in range(draw(st.integers(1, 30))):
        if draw(st.integers(0, 2)):
            text = _string(draw(_PIECE), draw(st.sampled_from(_STYLES)))
            events.append(_event("content_block_delta", delta(text)))
            continue
        step = draw(st.sampled_from(_STEPS))
        if step == "ping":
            events.append(_event("ping", '{"type": "ping"}'))
        elif step == "padding":
            spaces = draw(st.sampled_from([0, 1, 15]))
        # Deltas the full path ignores come in runs, so that one learned from would be read.
        elif step == "other_index":
            events += [_event("content_block_delta", delta('"x"', index=1))] * 3
        elif step == "unknown_delta":
            events += [_event("content_block_delta", delta('"x"', kind="new_delta"))] * 3
        elif step == "wrong_kind":
            other = draw(st.sampled_from(sorted(set(_KINDS) - {kind})))
            wrong = delta('"x"', kind=other, field=_KINDS[other][1])
            events += [_event("content_block_delta", wrong)] * 3
        elif step == "signature":
            events.append(_event("content_block_delta", delta('"s"', kind="signature_delta")))
        elif step == "stop":
            events.append(_event("content_block_stop", '{"type":"content_block_stop","index":0}'))
        elif step == "start":
            again = {**start, "index": draw(st.integers(0, 1))}
            events.append(_event("content_block_start", json.dumps(again)))
        elif step == "message_delta":
            body = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {}}
            events.append(_event("message_delta", json.dumps(body)))
        elif step == "message_stop":
            events.append(_event("message_stop", '{"type":"message_stop"}'))
        elif step == "error":
            events.append(_event("error", '{"type":"error","error":{"type":"overloaded_error"}}'))
        elif step == "cut":
            whole = delta('"x"')
            events.append(_event("content_block_delta", whole[: rng.randint(1, len(whole) - 1)]))
        elif step == "not_json":
            events.append(_event("content_block_delta", draw(st.sampled_from(["[DONE]", "null"]))))
        elif step == "renamed":
            events += [_event("delta", delta('"x"'))] * 3
        else:
            calls.append(("feed", "".join(events).encode("utf-8", "surrogatepass")))
            events.clear()
            if step == "as_event":
                calls.append(("event", ("content_block_delta", delta('"e"'))))
            else:
                calls.append(("chunk", json.loads(delta('"c"'))))
    if draw(st.booleans()):
        events.append(_event("content_block_stop", '{"type":"content_block_stop","index":0}'))
        events.append(_event("message_stop", '{"type":"message_stop"}'))
    calls.append(("feed", "".join(events).encode("utf-8", "surrogatepass")))
    return [
        ("feed", read) if kind == "feed" else (kind, value)
        for kind, value in calls
        for read in (_reads(draw, value) if kind == "feed" else [None])
    ]


@given(template_streams())
def test_templates_change_nothing_on_streams_around_a_template(
    calls: list[tuple[str, Any]],
) -> None:
    assert_same(calls)


def test_templates_change_nothing_on_the_real_recordings() -> None:
    require_real_fixtures()
    files = real_fixture_files("anthropic")
    assert files
    for path in files:
        body = path.read_bytes()
        for size in (len(body), 7, 1024):
            assert_same([("feed", body[i : i + size]) for i in range(0, len(body), size)])


@pytest.mark.parametrize("spaces", [0, 7])
def test_text_deltas_after_the_first_are_read_by_the_template(spaces: int) -> None:
    start = {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}
    texts = ["a", 'b "q" \\', "é😀", ""]
    body = _event("message_start", json.dumps(_START)) + _event(
        "content_block_start", json.dumps(start)
    )
    for number, text in enumerate(["first", *texts]):
        inner = {"type": "text_delta", "text": text}
        delta = {"type": "content_block_delta", "index": 0, "delta": inner}
        padding = " " * ((number * spaces) % 11)
        body += _event("content_block_delta", json.dumps(delta)[:-1] + padding + "}")
    accumulator = Eager()
    updates = accumulator.feed(body.encode())
    # The template is learned from the third delta of the run.
    assert accumulator._fast.reads == len(texts) - 2
    assert [u for u in updates if isinstance(u, ContentDelta)] == [
        ContentDelta(0, t) for t in ["first", *texts] if t
    ]
    assert updates == FullPath().feed(body.encode())


def _text_run(count: int) -> bytes:
    start = {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}
    body = _event("message_start", json.dumps(_START))
    body += _event("content_block_start", json.dumps(start))
    for number in range(count):
        inner = {"type": "text_delta", "text": f"t{number}"}
        delta = {"type": "content_block_delta", "index": 0, "delta": inner}
        body += _event("content_block_delta", json.dumps(delta))
    return body.encode()


@pytest.mark.parametrize("count", [1, 5, 19, 20, 21, 40])
def test_a_template_is_learned_only_from_the_twentieth_delta_of_a_run(count: int) -> None:
    # Real streams send deltas in short runs, where learning sooner is not repaid.
    accumulator = AnthropicAccumulator()
    updates = accumulator.feed(_text_run(count))
    assert accumulator._fast.reads == max(0, count - 20)
    assert updates == FullPath().feed(_text_run(count))


def test_any_other_event_starts_the_run_again() -> None:
    body = _text_run(30)
    cut = body.index(b"event: content_block_delta", len(body) // 2)
    ping = _event("ping", json.dumps({"type": "ping"})).encode()
    accumulator = AnthropicAccumulator()
    accumulator.feed(body[:cut] + ping + body[cut:])
    assert accumulator._fast.reads == 0


def test_a_block_started_again_takes_the_deltas_that_follow() -> None:
    start = {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}
    body = _event("message_start", json.dumps(_START))
    for texts in (["a", "b", "c"], ["d", "e"]):
        body += _event("content_block_start", json.dumps(start))
        for text in texts:
            inner = {"type": "text_delta", "text": text}
            delta = {"type": "content_block_delta", "index": 0, "delta": inner}
            body += _event("content_block_delta", json.dumps(delta))
    assert_same([("feed", body.encode())])
    accumulator = AnthropicAccumulator()
    accumulator.feed(body.encode())
    assert accumulator.snapshot().text == "de"


@pytest.mark.parametrize(
    ("block", "kind", "field"),
    [
        ({"type": "thinking", "thinking": "", "signature": ""}, "text_delta", "text"),
        ({"type": "text", "text": ""}, "thinking_delta", "thinking"),
        ({"type": "text", "text": ""}, "input_json_delta", "partial_json"),
    ],
)
def test_runs_of_deltas_their_block_does_not_take_stay_ignored(
    block: dict[str, Any], kind: str, field: str
) -> None:
    start = {"type": "content_block_start", "index": 0, "content_block": block}
    body = _event("message_start", json.dumps(_START))
    body += _event("content_block_start", json.dumps(start))
    # Runs of them, so that one learned from would be read; then for a block never started.
    for index in (0, 0, 0, 0, 5, 5, 5):
        delta = {"type": "content_block_delta", "index": index, "delta": {"type": kind, field: "x"}}
        body += _event("content_block_delta", json.dumps(delta))
    assert_same([("feed", body.encode())])
