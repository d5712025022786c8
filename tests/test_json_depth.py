"""The JSON nesting bound: the same at every call depth, refused as an InvalidChunkError, and low
enough that every writer handles whatever the engine accepted."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

import sseproto
from sseproto import ChatAccumulator, InvalidChunkError, ServerSentEvent
from sseproto.dialects.kit.payload import MAX_DEPTH, parse_json, scan_json
from sseproto.server import event_stream

T = TypeVar("T")


def nested(depth: int) -> str:
    """A JSON value nesting objects and arrays ``depth`` levels deep, itself included."""
    objects = depth // 2
    arrays = depth - objects
    return '{"k": ' * objects + "[" * arrays + "]" * arrays + "}" * objects


def at_call_depth(frames: int, run: Callable[[], T]) -> T:
    """``run()`` called ``frames`` Python frames deeper than here."""
    if frames == 0:
        return run()
    return at_call_depth(frames - 1, run)


def chunk_with_extra(depth: int) -> str:
    """A chunk whose vendor extra makes the whole payload ``depth`` levels deep."""
    return (
        '{"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": "hi"}, '
        f'"finish_reason": "stop"}}], "x_deep": {nested(depth - 1)}}}'
    )


def feed(payload: str) -> None:
    ChatAccumulator().feed(f"data: {payload}\n\n".encode())


def feed_padded(payload: str) -> None:
    # Spaces around the JSON take the full decoder rather than the scanner's fast path.
    ChatAccumulator().feed(f"data:  {payload} \n\n".encode())


def feed_event(payload: str) -> None:
    ChatAccumulator().feed_event(ServerSentEvent(data=payload))


@pytest.mark.parametrize("frames", [0, 500])
@pytest.mark.parametrize("read", [feed, feed_padded, feed_event])
def test_the_nesting_bound_is_the_same_at_every_call_depth(
    frames: int, read: Callable[[str], None]
) -> None:
    at_call_depth(frames, lambda: read(chunk_with_extra(MAX_DEPTH)))
    with pytest.raises(InvalidChunkError) as caught:
        at_call_depth(frames, lambda: read(chunk_with_extra(MAX_DEPTH + 1)))
    assert "nested too deeply" in caught.value.rule
    assert caught.value.path == "$"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 100_000])
def test_a_payload_nested_beyond_the_bound_is_refused_before_a_writer_meets_it(depth: int) -> None:
    with pytest.raises(InvalidChunkError, match="nested too deeply"):
        feed(chunk_with_extra(depth))
    with pytest.raises(InvalidChunkError, match="nested too deeply"):
        parse_json(nested(depth))


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps("[{" * 1000)
    assert parse_json(f'{{"s": {text}}}') == {"s": "[{" * 1000}
    feed(f'{{"choices": [{{"delta": {{"content": {text}}}}}]}}')


def deepest_stream() -> bytes:
    """A complete stream holding, at every level that keeps vendor extras, an extra as deep as
    the bound allows there (the chunk itself is level 1)."""
    top = f'{{"id": "c", "model": "m", "choices": [], "x_top": {nested(MAX_DEPTH - 1)}}}'
    in_choice = (
        '{"choices": [{"index": 0, "delta": {"role": "assistant"}, '
        f'"x_choice": {nested(MAX_DEPTH - 3)}}}]}}'
    )
    in_message = (
        f'{{"choices": [{{"index": 0, "delta": {{"x_message": {nested(MAX_DEPTH - 4)}}}}}]}}'
    )
    in_call = (
        '{"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "t", '
        f'"function": {{"name": "f", "arguments": "{{}}"}}, "x_call": {nested(MAX_DEPTH - 6)}}}'
        ']}, "finish_reason": "tool_calls"}]}'
    )
    payloads = [top, in_choice, in_message, in_call]
    for payload in payloads:
        assert parse_json(payload) is not None
    return "".join(f"data: {payload}\n\n" for payload in [*payloads, "[DONE]"]).encode()


def test_every_writer_handles_the_deepest_payloads_the_engine_accepts(tmp_path: Path) -> None:
    body = deepest_stream()
    completion = sseproto.accumulate([body])
    written = completion.to_dict()
    assert written["x_top"] == json.loads(nested(MAX_DEPTH - 1))
    # In process, deep in a call stack: JSON in both encoders, a deep copy, a comparison.
    at_call_depth(500, lambda: json.dumps(written))
    at_call_depth(500, lambda: json.dumps(written, indent=2))
    at_call_depth(200, lambda: copy.deepcopy(written) == written)

    # The relay: every update, then the done event with the whole completion.
    async def updates() -> AsyncIterator[sseproto.ChatUpdate]:
        for update in sseproto.iter_chat([body]):
            yield update

    async def relay() -> bytes:
        return b"".join([block async for block in event_stream(updates(), keepalive=None)])

    events = list(sseproto.iter_events([asyncio.run(relay())]))
    assert events[-1].event == "done" and json.loads(events[-1].data) == written

    # The command line: replay --json and check.
    path = tmp_path / "deep.sse"
    path.write_bytes(body)
    outputs = []
    for args in (["replay", str(path), "--json"], ["check", str(path)]):
        result = subprocess.run(
            [sys.executable, "-m", "sseproto", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        assert (result.returncode, result.stderr) == (0, "")
        outputs.append(result.stdout)
    replayed: Any = json.loads(outputs[0])["completion"]
    assert replayed == written
    assert outputs[1].startswith("ok")


def _depth(value: Any) -> int:
    """How deep ``value`` nests (a scalar 0, an empty container 1)."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@given(
    spine=st.lists(st.booleans(), min_size=MAX_DEPTH - 3, max_size=MAX_DEPTH + 3),
    leaves=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=MAX_DEPTH + 3),
            st.sampled_from([1, "[{[{", [], {}, [[1]], {"a": {"b": []}}, None]),
        ),
        max_size=30,
    ),
)
@settings(max_examples=50)
def test_a_payload_is_refused_exactly_when_it_nests_beyond_the_bound(
    spine: list[bool], leaves: list[tuple[int, Any]]
) -> None:
    # A spine of objects (True) and arrays (False), with values hung at some of its levels.
    root: Any = {} if spine[0] else []
    level = [root]
    for is_object in spine[1:]:
        child: Any = {} if is_object else []
        parent = level[-1]
        if isinstance(parent, dict):
            parent[f"k{len(parent)}"] = child
        else:
            parent.append(child)
        level.append(child)
    for at, leaf in leaves:
        parent = level[min(at, len(level) - 1)]
        if isinstance(parent, dict):
            parent[f"x{len(parent)}"] = copy.deepcopy(leaf)
        else:
            parent.insert(0, copy.deepcopy(leaf))
    text = json.dumps(root)
    padded = f"[0, {text}]"
    for payload, depth in ((text, _depth(root)), (padded, _depth(root) + 1)):
        if depth > MAX_DEPTH:
            with pytest.raises(InvalidChunkError, match="nested too deeply"):
                parse_json(payload)
            with pytest.raises(ValueError, match="nested too deeply"):
                scan_json(f"  {payload}", 2)
        else:
            assert parse_json(payload) == json.loads(payload)
            assert scan_json(f"  {payload}", 2) == (json.loads(payload), len(payload) + 2)
