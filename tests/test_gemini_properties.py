"""Property: any Gemini response, rendered to a chunk stream with random part splits, random
signature placement, empty parts, interleaved candidates and streamed arguments, and read with
random boundaries, rebuilds exactly to that response; and the updates tell the same story."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sseproto import (
    ChatUpdate,
    ContentDelta,
    GeminiAccumulator,
    ReasoningDelta,
    StreamDone,
    StreamError,
    ToolCallArgumentsDelta,
    ToolCallDone,
)

Json = dict[str, Any]

TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
NAME = st.text("abcdefgh_", min_size=1, max_size=6)
SIGNATURE = st.text("ABCabc012+/=", min_size=4, max_size=10)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=8))
REASONS = st.sampled_from(
    ["STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "OTHER", "MALFORMED_FUNCTION_CALL"]
)


@st.composite
def text_part(draw: st.DrawFn, thought: bool) -> Json:
    part: Json = {"text": draw(TEXT)}
    if thought:
        part["thought"] = True
    if draw(st.booleans()):
        part["thoughtSignature"] = draw(SIGNATURE)
    return part


@st.composite
def call_part(draw: st.DrawFn) -> Json:
    call: Json = {}
    if draw(st.booleans()):
        call["id"] = draw(NAME)
    call["name"] = draw(NAME)
    if draw(st.booleans()):
        call["args"] = draw(st.dictionaries(NAME, SCALAR, max_size=3))
    part: Json = {"functionCall": call}
    if draw(st.booleans()):
        part["thoughtSignature"] = draw(SIGNATURE)
    return part


# Paths write values, so an empty array or object inside the arguments has no stream form.
ARG_VALUE = st.one_of(
    SCALAR,
    st.lists(SCALAR, min_size=1, max_size=3),
    st.dictionaries(NAME, SCALAR, min_size=1, max_size=2),
)


@st.composite
def streamed_call_part(draw: st.DrawFn) -> Json:
    part = draw(call_part())
    part["functionCall"]["args"] = draw(st.dictionaries(NAME, ARG_VALUE, max_size=3))
    part["streamed"] = draw(st.booleans())  # with the {} terminator or without
    return part


OTHER: list[Json] = [
    {"inlineData": {"mimeType": "image/png", "data": "AA=="}},
    {"executableCode": {"language": "PYTHON", "code": "print(1)"}, "thoughtSignature": "X1"},
    {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}},
    {"executableCode": {"language": "PYTHON", "code": "2"}, "thought": True},
    {"fileData": {"fileUri": "gs://a/b"}},
]
OTHER_PARTS = st.sampled_from(OTHER)


@st.composite
def candidate_parts(draw: st.DrawFn) -> list[Json]:
    parts: list[Json] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["text", "text", "call", "streamed", "other"]))
        if kind == "text":
            thought = draw(st.booleans())
            previous = parts[-1] if parts else None
            if previous is not None and "text" in previous:
                # Two runs of one thought-ness next to each other would be one part.
                thought = previous.get("thought") is not True
            parts.append(draw(text_part(thought)))
        elif kind == "call":
            parts.append(draw(call_part()))
        elif kind == "streamed":
            parts.append(draw(streamed_call_part()))
        else:
            parts.append(draw(OTHER_PARTS))
    return parts


def split(draw: st.DrawFn, text: str) -> list[str]:
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=3)))
    bounds = [0, *[c for c in cuts if c < len(text)], len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def paths(value: Any, path: str) -> list[tuple[str, Any]]:
    """The (jsonPath, value) writes that build ``value`` at ``path``, in order."""
    if isinstance(value, dict):
        if not value:
            return []
        return [
            w
            for key, item in value.items()
            for w in paths(item, f"{path}['{key}']" if "_" in key else f"{path}.{key}")
        ]
    if isinstance(value, list):
        return [w for i, item in enumerate(value) for w in paths(item, f"{path}[{i}]")]
    return [(path, value)]


def partial_arg(draw: st.DrawFn, path: str, value: Any) -> list[Json]:
    if isinstance(value, str):
        pieces = split(draw, value) if value else [""]
        return [{"jsonPath": path, "stringValue": piece} for piece in pieces]
    if value is None:
        return [{"jsonPath": path, "nullValue": "NULL_VALUE"}]
    if isinstance(value, bool):
        return [{"jsonPath": path, "boolValue": value}]
    return [{"jsonPath": path, "numberValue": value}]


def wire_parts(draw: st.DrawFn, part: Json) -> list[Json]:
    """The parts the stream sends for one part of the response."""
    if "text" in part:
        flags = {"thought": True} if part.get("thought") else {}
        pieces: list[Json] = [{"text": piece, **flags} for piece in split(draw, part["text"])]
        signature = part.get("thoughtSignature")
        if signature is not None:
            # On any piece, or on an empty piece of its own anywhere in the run.
            position = draw(st.integers(0, len(pieces)))
            if position < len(pieces) and draw(st.booleans()):
                pieces[position]["thoughtSignature"] = signature
            else:
                pieces.insert(position, {"text": "", **flags, "thoughtSignature": signature})
        return pieces
    if "streamed" in part:
        call = part["functionCall"]
        opening: Json = {
            "functionCall": {**{k: v for k, v in call.items() if k != "args"}, "willContinue": True}
        }
        if "thoughtSignature" in part:
            opening["thoughtSignature"] = part["thoughtSignature"]
        args = [
            a for path, value in paths(call["args"], "$") for a in partial_arg(draw, path, value)
        ]
        out = [opening]
        while args:
            take = len(args) - draw(st.integers(0, len(args) - 1))
            out.append({"functionCall": {"partialArgs": args[:take], "willContinue": True}})
            args = args[take:]
            if draw(st.booleans()):
                out.append({"functionCall": {"willContinue": True}})
        if part["streamed"] or len(out) == 1 or "partialArgs" not in out[-1]["functionCall"]:
            out.append({"functionCall": {}})
        else:
            del out[-1]["functionCall"]["willContinue"]
        return out
    return [part]


def expected_part(part: Json) -> Json:
    if "streamed" in part:
        return {key: value for key, value in part.items() if key != "streamed"}
    return part


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[Json], Json]:
    indexes = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True))
    queues: dict[int, list[Json]] = {}
    truth: dict[int, list[Json]] = {}
    for index in indexes:
        parts = draw(candidate_parts())
        truth[index] = [expected_part(part) for part in parts]
        sent: list[Json] = []
        for part in parts:
            sent.extend(wire_parts(draw, part))
            if draw(st.integers(0, 4)) == 0:
                sent.append(draw(st.sampled_from([{"text": ""}, {}])))
        queues[index] = sent
    reasons = {index: draw(REASONS) for index in indexes}
    omit_zero_index = draw(st.booleans())
    chunks: list[Json] = []
    seen: list[int] = []
    indexed: set[int] = set()
    usage = None
    pending = [index for index in indexes]
    while pending:
        chosen = draw(st.lists(st.sampled_from(pending), min_size=1, unique=True))
        candidates = []
        for index in chosen:
            queue = queues[index]
            # Written so that the simplest draws take everything and finish.
            take = len(queue) - draw(st.integers(0, len(queue)))
            candidate: Json = {"content": {"parts": queue[:take], "role": "model"}}
            del queue[:take]
            if not queue and not draw(st.booleans()):
                candidate["finishReason"] = reasons[index]
                pending.remove(index)
            elif draw(st.integers(0, 5)) == 5:
                # An early finishReason is not terminal; the last one wins.
                candidate["finishReason"] = "OTHER"
            if not (index == 0 and omit_zero_index and draw(st.booleans())):
                candidate["index"] = index
                indexed.add(index)
            if index not in seen:
                seen.append(index)
            candidates.append(candidate)
        chunk: Json = {"candidates": candidates, "modelVersion": "gemini-x", "responseId": "r1"}
        if draw(st.booleans()):
            usage = {"promptTokenCount": draw(st.integers(0, 50)), "totalTokenCount": len(chunks)}
            chunk["usageMetadata"] = usage
        chunks.append(chunk)
    expected_candidates = []
    for index in seen:
        candidate = {
            "content": {"parts": truth[index], "role": "model"},
            "finishReason": reasons[index],
        }
        if index in indexed:
            candidate["index"] = index
        expected_candidates.append(candidate)
    expected: Json = {"candidates": expected_candidates}
    if usage is not None:
        expected["usageMetadata"] = usage
    expected.update(modelVersion="gemini-x", responseId="r1")
    return chunks, expected


@given(streams(), st.data())
def test_random_responses_rebuild_exactly_under_random_reads(
    stream: tuple[list[Json], Json], data: st.DataObject
) -> None:
    chunks, expected = stream
    body = b"".join(
        f"data: {json.dumps(chunk, ensure_ascii=False)}\r\n\r\n".encode() for chunk in chunks
    )
    cuts = sorted(data.draw(st.sets(st.integers(1, len(body) - 1), max_size=12)))
    bounds = [0, *cuts, len(body)]
    accumulator = GeminiAccumulator(strict=True)
    updates: list[ChatUpdate] = []
    for start, end in itertools.pairwise(bounds):
        updates.extend(accumulator.feed(body[start:end]))
    updates.extend(accumulator.close())
    response = accumulator.result()
    assert response.to_dict() == expected
    assert isinstance(updates[-1], StreamDone)
    # The updates say the same as the result, candidate by candidate.
    for candidate in response.candidates:
        key = candidate.index or 0
        mine = [u for u in updates if getattr(u, "choice", None) == key]
        assert "".join(u.text for u in mine if isinstance(u, ContentDelta)) == (
            candidate.text or ""
        )
        assert "".join(u.text for u in mine if isinstance(u, ReasoningDelta)) == (
            candidate.reasoning or ""
        )
        calls = candidate.function_calls
        done = [(u.index, u.id, u.name, u.arguments) for u in mine if isinstance(u, ToolCallDone)]
        assert done == [(i, c.id, c.name, c.arguments) for i, c in enumerate(calls)]
        for i, call in enumerate(calls):
            text = "".join(
                u.text for u in mine if isinstance(u, ToolCallArgumentsDelta) and u.index == i
            )
            assert json.loads(text) == (call.args or {})


KEYS = st.sampled_from(
    [
        "candidates",
        "content",
        "parts",
        "role",
        "index",
        "text",
        "thought",
        "thoughtSignature",
        "functionCall",
        "name",
        "args",
        "id",
        "willContinue",
        "partialArgs",
        "jsonPath",
        "stringValue",
        "numberValue",
        "boolValue",
        "nullValue",
        "finishReason",
        "groundingMetadata",
        "usageMetadata",
        "promptFeedback",
        "blockReason",
        "modelVersion",
        "error",
        "executableCode",
    ]
)
PATHS = st.sampled_from(
    ["$.a", "$.a[0]", "$.a.b", "$['a']", "$[0]", "$", "$.a[2000]", "x", "$.b[1].c"]
)
JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=4), PATHS)
HOSTILE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=40,
)


@given(st.lists(HOSTILE, min_size=1, max_size=6), st.booleans())
def test_any_payloads_raise_nothing_but_stream_errors(payloads: list[Any], strict: bool) -> None:
    body = b"".join(f"data: {json.dumps(p)}\r\n\r\n".encode() for p in payloads)
    accumulator = GeminiAccumulator(strict=strict)
    try:
        accumulator.feed(body)
        accumulator.close()
    except StreamError as error:
        assert error.partial is not None
    response = accumulator.snapshot()
    json.dumps(response.to_dict())
    assert response.text is None or isinstance(response.text, str)
    for call in response.tool_calls:
        json.loads(call.arguments)


@given(streams(), st.data())
def test_a_cut_stream_reports_a_prefix_of_the_whole(
    stream: tuple[list[Json], Json], data: st.DataObject
) -> None:
    chunks, _ = stream
    body = b"".join(
        f"data: {json.dumps(chunk, ensure_ascii=False)}\r\n\r\n".encode() for chunk in chunks
    )
    whole = GeminiAccumulator()
    whole.feed(body)
    complete = whole.result()
    cut = data.draw(st.integers(0, len(body) - 1))
    accumulator = GeminiAccumulator()
    accumulator.feed(body[:cut])
    try:
        accumulator.close()
        partial = accumulator.result()
    except StreamError as error:
        assert type(error).__name__ == "IncompleteStreamError"
        assert isinstance(error.partial, type(complete))
        partial = error.partial
    finals = {candidate.index or 0: candidate for candidate in complete.candidates}
    for candidate in partial.candidates:
        final = finals[candidate.index or 0]
        assert (final.text or "").startswith(candidate.text or "")
        assert (final.reasoning or "").startswith(candidate.reasoning or "")
        # Whole calls arrive whole: those of the cut stream begin the final list, by name.
        names = [call.name for call in candidate.function_calls]
        assert names == [call.name for call in final.function_calls][: len(names)]
