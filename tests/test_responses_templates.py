"""Verified templates in the Responses engine: the fast path gives exactly what the full path
gives.

As for chat (``test_chat_templates``): the same bytes, and the same events and payloads fed on
their own in between, go to the engine and to the engine without templates, and everything a
caller sees must be equal, in both modes. The streams stay close to a template (text and
argument deltas with a ``sequence_number``, an ``obfuscation`` pad and ``logprobs: []``) and step
off it: the number written otherwise (a leading zero, a sign, a fraction, too many digits, a
string, spaces), escapes and raw control characters in the delta, no pad or a pad of another
type, logprobs, another item or part, a field added, pings, done events, errors, cut JSON, the
terminal event and events after it.
"""

from __future__ import annotations

import contextlib
import json
import random
from functools import partial
from typing import Any

import pytest
from conftest import real_fixture_files, require_real_fixtures
from hypothesis import given
from hypothesis import strategies as st
from test_chat_templates import _PIECE, _STYLES, _reads, _string

from sseproto import (
    ChatUpdate,
    ContentDelta,
    HostedToolArgumentsDelta,
    ResponsesAccumulator,
    ServerSentEvent,
    StreamError,
    ToolCallArgumentsDelta,
)


class FullPath(ResponsesAccumulator):
    """The engine without templates: every event parsed and walked."""

    _TEMPLATES = False


def outcome(
    engine: type[ResponsesAccumulator], calls: list[tuple[str, Any]], strict: bool
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
        assert outcome(ResponsesAccumulator, calls, strict) == outcome(FullPath, calls, strict)


_TEXT = "response.output_text.delta"
_ARGUMENTS = "response.function_call_arguments.delta"
_MESSAGE = {"type": "message", "id": "msg_1", "status": "in_progress", "role": "assistant"}
_CALL = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": ""}
# A call the provider runs, whose arguments stream as a function call's do.
_MCP = {"type": "mcp_call", "id": "mcp_1", "server_label": "s", "name": "f", "arguments": ""}
_PART = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
# How the sequence number of a delta is written: the plain forms a template reads, and forms
# it must leave to the full path (which reads them as their own numbers, or refuses them).
_NUMBERS = ("0{}", "-{}", "{}.0", "{}e0", "1{}" + "0" * 5000, '"{}"', " {} ", "{}\u0665")
_STEPS = (
    "number",
    "number",
    "number",
    "pad_style",
    "logprobs",
    "other_index",
    "item_id",
    "field_added",
    "keepalive",
    "text_done",
    "part_added",
    "item_done",
    "error",
    "cut",
    "not_json",
    "renamed",
    "completed",
    "as_event",
    "as_chunk",
)


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


@st.composite
def template_streams(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """The calls of a drawn stream: its bytes cut into reads, and now and then an event or a
    parsed payload fed on its own."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    arguments = draw(st.booleans())
    item = draw(st.sampled_from([_CALL, _MCP])) if arguments else _MESSAGE
    sequence = 0

    def lifecycle(payload: dict[str, Any]) -> str:
        nonlocal sequence
        payload = {"type": payload["type"], "sequence_number": sequence, **payload}
        sequence += 1
        return _event(payload["type"], _json(payload))

    events = [
        lifecycle({"type": "response.created", "response": {"id": "r", "output": []}}),
        lifecycle({"type": "response.output_item.added", "output_index": 0, "item": item}),
    ]
    if not arguments:
        where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
        added = {"type": "response.content_part.added", **where, "part": _PART}
        events.append(lifecycle(added))
    calls: list[tuple[str, Any]] = []
    number_style = "{}"
    pad_style = "pad"
    logprobs = "[]"

    def delta(
        text: str,
        *,
        output_index: int = 0,
        content_index: int = 0,
        item_id: str = "msg_1",
        extra: str = "",
    ) -> str:
        nonlocal sequence
        number = number_style.format(sequence)
        sequence += 1
        if arguments:
            body = (
                f'{{"type":"{_ARGUMENTS}","sequence_number":{number},"item_id":"fc_1",'
                f'"output_index":{output_index},"delta":{text}{extra}'
            )
        else:
            body = (
                f'{{"type":"{_TEXT}","sequence_number":{number},"item_id":"{item_id}",'
                f'"output_index":{output_index},"content_index":{content_index},'
                f'"delta":{text},"logprobs":{logprobs}{extra}'
            )
        if pad_style == "pad":
            body += f',"obfuscation":"{"x" * rng.randint(0, 12)}"'
        elif pad_style == "number":
            body += f',"obfuscation":{rng.randint(0, 99)}'
        return _event(_ARGUMENTS if arguments else _TEXT, body + "}")

    for _ in range(draw(st.integers(1, 30))):
        if draw(st.integers(0, 2)):
            text = _string(draw(_PIECE), draw(st.sampled_from(_STYLES)))
            events.append(delta(text))
            continue
        step = draw(st.sampled_from(_STEPS))
        # Deltas the template may not read come in runs, so that one learned from would be.
        if step == "number":
            # After two plain ones, so that a template has been learned.
            events += [delta('"x"'), delta('"y"')]
            number_style = draw(st.sampled_from(_NUMBERS))
            events.append(delta('"z"'))
            number_style = "{}"
        elif step == "pad_style":
            pad_style = draw(st.sampled_from(["pad", "none", "number"]))
        elif step == "logprobs":
            logprobs = draw(st.sampled_from(["[]", '[{"token":"x","logprob":0}]', "null"]))
        elif step == "other_index":
            events += [delta('"x"', output_index=1), delta('"x"', content_index=1)] * 2
        elif step == "item_id":
            events += [delta('"x"', item_id="msg_2")] * 3
        elif step == "field_added":
            events += [delta('"x"', extra=',"new":1')] * 3
        elif step == "keepalive":
            events.append(lifecycle({"type": "keepalive"}))
        elif step == "text_done":
            done = {"type": "response.output_text.done", "output_index": 0, "content_index": 0}
            events.append(lifecycle({**done, "text": "done"}))
        elif step == "part_added":
            again = {"type": "response.content_part.added", "output_index": 0, "part": _PART}
            events.append(lifecycle({**again, "content_index": draw(st.integers(0, 1))}))
        elif step == "item_done":
            finished = {"type": "response.output_item.done", "output_index": 0}
            events.append(lifecycle({**finished, "item": {**item, "status": "completed"}}))
        elif step == "error":
            events.append(lifecycle({"type": "error", "code": "server_error", "message": "m"}))
        elif step == "cut":
            whole = delta('"x"').split("data: ", 1)[1].rstrip("\n")
            events.append(_event(_TEXT, whole[: rng.randint(1, len(whole) - 1)]))
        elif step == "not_json":
            events.append(_event(_TEXT, draw(st.sampled_from(["[DONE]", "null", "[]"]))))
        elif step == "renamed":
            events += [delta('"x"').replace("event: response.", "event: other.", 1)] * 3
        elif step == "completed":
            response = {"id": "r", "status": "completed", "output": []}
            events.append(lifecycle({"type": "response.completed", "response": response}))
        else:
            calls.append(("feed", "".join(events).encode("utf-8", "surrogatepass")))
            events.clear()
            data = delta('"e"').split("data: ", 1)[1].rstrip("\n")
            if step == "as_event":
                calls.append(("event", (_ARGUMENTS if arguments else _TEXT, data)))
            else:
                calls.append(("chunk", json.loads(data)))
    if draw(st.booleans()):
        response = {"id": "r", "status": "completed", "output": []}
        events.append(lifecycle({"type": "response.completed", "response": response}))
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
    files = real_fixture_files("openai-responses")
    assert files
    for path in files:
        body = path.read_bytes()
        for size in (len(body), 7, 1024):
            assert_same([("feed", body[i : i + size]) for i in range(0, len(body), size)])


def _text_stream(texts: list[str], numbers: list[str]) -> bytes:
    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    body = _event("response.created", _json({"type": "response.created", "response": {}}))
    added = {"type": "response.output_item.added", "output_index": 0, "item": _MESSAGE}
    body += _event("response.output_item.added", _json(added))
    part = {"type": "response.content_part.added", **where, "part": _PART}
    body += _event("response.content_part.added", _json(part))
    for text, number in zip(texts, numbers, strict=True):
        head = f'{{"type":"{_TEXT}","sequence_number":{number},'
        rest = _json({**where, "delta": text, "logprobs": [], "obfuscation": "p" * len(text)})
        body += _event(_TEXT, head + rest[1:])
    return body.encode()


def test_text_deltas_after_the_third_are_read_by_the_template() -> None:
    # The first delta of a part takes the handler, the second and third the hot path, which
    # learns from the second of two deltas planned alike.
    texts = ["first", "second", "third", "a", 'b "q" \\', "é😀", "", "z"]
    # The number hole takes any number of digits up to 18, 0 included.
    numbers = ["3", "4", "5", "6", "0", "123456789012345678", "99", "100"]
    body = _text_stream(texts, numbers)
    accumulator = ResponsesAccumulator()
    updates = accumulator.feed(body)
    assert accumulator._fast.reads == len(texts) - 3
    assert updates == [ContentDelta(0, text) for text in texts if text]
    full = FullPath()
    assert updates == full.feed(body)
    assert accumulator.snapshot() == full.snapshot()


def test_numbers_the_scanner_reads_otherwise_are_left_to_the_full_path() -> None:
    for number in ("05", "-5", "5.0", "5e0", "1234567890123456789", '"5"', " 5", "\u0665"):
        body = _text_stream(["a", "b", "c", "d"], ["3", "4", "5", number])
        accumulator = ResponsesAccumulator()
        with contextlib.suppress(StreamError):
            accumulator.feed(body)
        assert accumulator._fast.reads == 0, number
        assert_same([("feed", body)])


@pytest.mark.parametrize(
    ("item", "update"),
    [
        (_CALL, partial(ToolCallArgumentsDelta, 0, 0)),
        # An MCP call's arguments: its own update, named by the item's output index.
        (_MCP, partial(HostedToolArgumentsDelta, 0, 1)),
    ],
)
def test_argument_deltas_are_read_by_the_template(item: dict[str, Any], update: Any) -> None:
    body = _event("response.created", _json({"type": "response.created", "response": {}}))
    for index, opened in enumerate([_MESSAGE, item]):
        added = {"type": "response.output_item.added", "output_index": index, "item": opened}
        body += _event("response.output_item.added", _json(added))
    pieces = ['{"a"', ": 1", ', "b": 2', "}"]
    for number, piece in enumerate(pieces, 2):
        delta = {"type": _ARGUMENTS, "sequence_number": number, "item_id": "fc_1"}
        delta |= {"output_index": 1, "delta": piece, "obfuscation": "x" * number}
        body += _event(_ARGUMENTS, _json(delta))
    accumulator = ResponsesAccumulator()
    updates = accumulator.feed(body.encode())
    assert accumulator._fast.reads == 1
    arguments = ToolCallArgumentsDelta | HostedToolArgumentsDelta
    deltas = [u for u in updates if isinstance(u, arguments)]
    assert deltas == [update(piece) for piece in pieces]
    assert updates == FullPath().feed(body.encode())


def test_an_event_fed_on_its_own_ends_the_template() -> None:
    # A template learned from the deltas of one item must not read the next read's deltas
    # once an event fed on its own has put another item at its index: they are that item's.
    body = _text_stream(["a", "b", "c", "d"], ["3", "4", "5", "6"])
    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    item = {**_MESSAGE, "id": "msg_2"}
    added = {"type": "response.output_item.added", "output_index": 0, "item": item}
    part = {"type": "response.content_part.added", **where, "part": _PART}
    delta = {"type": _TEXT, "sequence_number": 9, **where, "delta": "x", "logprobs": []}
    after = _event(_TEXT, _json({**delta, "obfuscation": "p"})).encode()
    for kind in ("event", "chunk"):
        fed: list[tuple[str, Any]] = [
            (kind, (payload["type"], _json(payload)) if kind == "event" else payload)
            for payload in (added, part)
        ]
        calls = [("feed", body), *fed, ("feed", after)]
        assert_same(calls)
        _, response, _ = outcome(ResponsesAccumulator, calls, False)
        assert response.output[0]["content"][0]["text"] == "x"
