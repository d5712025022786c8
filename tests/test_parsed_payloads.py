"""Parsed payloads (``feed_chunk``) are held to the rules of payloads parsed from text: the same
nesting bound and float rules as ``parse_json``, copied so the caller keeps its dicts, in every
engine; and ``feed_event`` refuses what is not an event."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sseproto import (
    AnthropicAccumulator,
    ChatAccumulator,
    GeminiAccumulator,
    InvalidChunkError,
    ResponsesAccumulator,
    StreamError,
)
from sseproto.dialects.kit.payload import MAX_DEPTH, MAX_VALUES, copy_payload, parse_json

Json = dict[str, Any]


def deep(depth: int) -> Any:
    """A value nesting dicts ``depth`` levels deep, itself included."""
    value: Any = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


def chat(extra: Any) -> Json:
    return {
        "id": "c",
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hi"}}],
        "x": extra,
    }


def anthropic(extra: Any) -> Json:
    return {"type": "message_start", "message": {"content": [], "x": extra}}


def responses(extra: Any) -> Json:
    return {"type": "response.created", "response": {"id": "r", "output": [], "x": extra}}


def gemini(extra: Any) -> Json:
    return {"candidates": [{"content": {"parts": [{"text": "hi"}]}, "index": 0}], "x": extra}


# Each engine with a first payload carrying ``extra`` one level below the payload's own keys.
ENGINES: list[tuple[Callable[[], Any], Callable[[Any], Json]]] = [
    (ChatAccumulator, chat),
    (AnthropicAccumulator, anthropic),
    (ResponsesAccumulator, responses),
    (GeminiAccumulator, gemini),
]
ENGINE_IDS = ["chat", "anthropic", "responses", "gemini"]


def json_texts() -> st.SearchStrategy[str]:
    """JSON text, with the NaN, Infinity and out-of-range floats json.loads takes, and some
    nested around the bound."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.text(max_size=8)
    )
    values = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        ),
        max_leaves=12,
    )
    plain = values.map(json.dumps)
    overflowing = st.sampled_from(["1e400", "-1e400", '[1, {"a": 2e999}]'])
    nested = st.tuples(values, st.integers(MAX_DEPTH - 3, MAX_DEPTH + 2), st.booleans()).map(
        lambda t: (
            ('{"k": ' * t[1] + json.dumps(t[0]) + "}" * t[1])
            if t[2]
            else ("[" * t[1] + json.dumps(t[0]) + "]" * t[1])
        )
    )
    return plain | overflowing | nested


@given(json_texts())
def test_a_copied_payload_is_what_parse_json_makes_of_its_text(text: str) -> None:
    try:
        expected = parse_json(text)
    except InvalidChunkError:
        # Which rule is named may differ: json.loads turns 1e400 into inf, and a value both too
        # deep and holding NaN is named by whichever the reading meets first.
        with pytest.raises(InvalidChunkError):
            copy_payload(json.loads(text))
        return
    copied = copy_payload(json.loads(text))
    # repr tells 1 from 1.0 and True from 1, and shows the order of keys.
    assert repr(copied) == repr(expected)


@given(
    st.recursive(st.integers(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner))
)
def test_a_copy_shares_no_container_with_the_payload(value: Any) -> None:
    copied = copy_payload(value)
    assert copied == value

    def containers(tree: Any) -> set[int]:
        found: set[int] = set()
        stack = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, (dict, list)):
                found.add(id(node))
                stack.extend(node.values() if isinstance(node, dict) else node)
        return found

    assert not containers(copied) & containers(value)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_a_payload_nested_beyond_the_bound_is_refused_without_recursion(depth: int) -> None:
    with pytest.raises(InvalidChunkError, match="nested too deeply"):
        copy_payload(deep(depth))
    assert copy_payload(deep(MAX_DEPTH)) == deep(MAX_DEPTH)


def test_a_payload_sharing_containers_is_refused_before_its_copy_explodes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A smaller bound, so that the copy up to it takes no time; the rule is the same.
    monkeypatch.setattr("sseproto.dialects.kit.payload.MAX_VALUES", 10_000)
    shared: Any = [0]
    for _ in range(100):
        shared = [shared, shared]  # 2**100 values once copied: a hang without the bound
    with pytest.raises(InvalidChunkError, match="more than 10000 values"):
        copy_payload(shared)
    assert MAX_VALUES == 16 * 1024 * 1024


def test_a_payload_sharing_containers_is_refused_long_before_its_copy_reaches_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Copied up to this bound, the payload below takes seconds and some 60 MB; counted without
    # copying once the copy passes a fixed point far below it, a few MB.
    monkeypatch.setattr("sseproto.dialects.kit.payload.MAX_VALUES", 1 << 20)
    shared: Any = [0]
    for _ in range(100):
        shared = [shared, shared]
    tracemalloc.start()
    try:
        with pytest.raises(InvalidChunkError, match=f"more than {1 << 20} values"):
            copy_payload(shared)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024


def test_a_large_payload_sharing_a_container_within_the_bound_is_copied_whole() -> None:
    shared = {"k": [1, "x"]}
    payload = [shared, [{"n": index} for index in range(50_000)], shared]
    copied = copy_payload(payload)
    assert copied == payload
    assert copied[0] is not copied[2]


def test_a_wide_cycle_is_refused_as_nested_too_deeply() -> None:
    cycle: list[Any] = []
    cycle.extend([cycle] * 1000)
    with pytest.raises(InvalidChunkError, match="nested too deeply"):
        copy_payload(cycle)


def test_a_cycle_is_refused_as_nested_too_deeply() -> None:
    cycle: Json = {}
    cycle["self"] = [cycle]
    with pytest.raises(InvalidChunkError, match="nested too deeply"):
        copy_payload(cycle)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ([float("nan")], "NaN is not valid JSON"),
        ({"a": float("inf")}, "Infinity is not valid JSON"),
        (float("-inf"), "-Infinity is not valid JSON"),
        ({"n": 10**5000}, "integer string conversion"),
        ({"b": b"x"}, "not a JSON value: it holds a value of type bytes"),
        ({"s": {1, 2}}, "of type set"),
        ({1: "one"}, "an object key of type int"),
    ],
)
def test_what_cannot_be_written_as_json_is_refused(value: Any, words: str) -> None:
    with pytest.raises(InvalidChunkError, match=words):
        copy_payload(value)


def test_subclasses_and_tuples_become_plain_json_values() -> None:
    class Name(str):
        def __str__(self) -> str:
            return "other"

    class Count(int):
        pass

    copied = copy_payload({Name("k"): (Name("v"), Count(3), 1.5, True, None)})
    assert copied == {"k": ["v", 3, 1.5, True, None]}
    assert [type(v) for v in copied["k"]] == [str, int, float, bool, type(None)]
    assert type(next(iter(copied))) is str


def test_a_model_dump_object_gives_the_fields_that_were_set() -> None:
    seen: list[Json] = []

    class Model:
        def model_dump(self, **options: Any) -> Json:
            seen.append(options)
            return {"a": [1, float("nan")]}

    with pytest.raises(InvalidChunkError, match="NaN"):
        copy_payload(Model())
    assert seen == [{"exclude_unset": True, "warnings": False}]


@pytest.mark.parametrize(("engine", "payload"), ENGINES, ids=ENGINE_IDS)
@pytest.mark.parametrize(
    "extra", [deep(5000), float("nan"), [float("inf")]], ids=["deep", "nan", "inf"]
)
def test_feed_chunk_refuses_what_feed_refuses(
    engine: Callable[[], Any], payload: Callable[[Any], Json], extra: Any
) -> None:
    accumulator = engine()
    with pytest.raises(InvalidChunkError) as caught:
        accumulator.feed_chunk(payload(extra))
    assert caught.value.event_index == 0
    assert accumulator.state.name == "FAILED"
    json.dumps(accumulator.snapshot().to_dict(), allow_nan=False)


@pytest.mark.parametrize(("engine", "payload"), ENGINES, ids=ENGINE_IDS)
def test_feed_chunk_keeps_no_reference_to_the_callers_dicts(
    engine: Callable[[], Any], payload: Callable[[Any], Json]
) -> None:
    accumulator = engine()
    extra = {"n": 1}
    chunk = payload(extra)
    accumulator.feed_chunk(chunk)
    before = accumulator.snapshot().to_dict()
    extra["n"] = 999
    chunk.clear()
    assert accumulator.snapshot().to_dict() == before
    assert "999" not in json.dumps(before)


def test_chat_feed_chunk_copies_usage() -> None:
    accumulator = ChatAccumulator()
    usage = {"prompt_tokens": 1}
    accumulator.feed_chunk({**chat(None), "usage": usage})
    usage["prompt_tokens"] = 999
    assert accumulator.snapshot().usage == {"prompt_tokens": 1}


@pytest.mark.parametrize(("engine", "payload"), ENGINES, ids=ENGINE_IDS)
@pytest.mark.parametrize("given_instead", [b"x", "data: {}", {"type": "message_start"}])
def test_feed_event_refuses_what_is_not_an_event(
    engine: Callable[[], Any], payload: Callable[[Any], Json], given_instead: Any
) -> None:
    accumulator = engine()
    with pytest.raises(TypeError, match="feed_event\\(\\) takes a ServerSentEvent, not") as caught:
        accumulator.feed_event(given_instead)
    assert not isinstance(caught.value, StreamError)
    # A mistake in the call, not in the stream: nothing was read, and the stream goes on.
    assert accumulator.state.name == "STREAMING"
    assert accumulator.events_received == 0
    accumulator.feed_chunk(payload(None))
    assert accumulator.events_received == 1
