"""Every real recorded Gemini stream, replayed under many read boundaries, rebuilds to the
``GenerateContentResponse`` the merging rules give, and cut anywhere reports what it received.

The recordings live outside the repository (tests skip without them). The expected responses were
written by hand from the rules against each raw stream; long texts and signatures are pinned by
length, SHA-256 prefix and opening characters rather than copied.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from conftest import REAL_FIXTURES, real_fixture_files, require_real_fixtures

from sseproto import (
    ChatUpdate,
    ChoiceFinished,
    CodeExecutionResultUpdate,
    ContentDelta,
    ExecutableCodeUpdate,
    GeminiAccumulator,
    GeminiResponse,
    GroundingUpdate,
    IncompleteStreamError,
    ReasoningDelta,
    StreamDone,
    StreamResult,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallPartialArg,
    ToolCallStarted,
    UsageUpdate,
    replay,
)


class Pin(NamedTuple):
    """A long string, pinned by its length, the first 16 hex digits of its SHA-256 and its
    first characters."""

    length: int
    sha: str
    start: str


def matches(actual: Any, expected: Any, where: str = "$") -> None:
    """Assert that ``actual`` is the JSON value ``expected`` describes (a :class:`Pin` stands
    for a string)."""
    if isinstance(expected, Pin):
        assert isinstance(actual, str), where
        got = (len(actual), hashlib.sha256(actual.encode()).hexdigest()[:16], actual[:25])
        assert got == tuple(expected), where
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert set(actual) == set(expected), f"{where}: {sorted(actual)} != {sorted(expected)}"
        for key, value in expected.items():
            matches(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for position, (got, value) in enumerate(zip(actual, expected, strict=True)):
            matches(got, value, f"{where}[{position}]")
    else:
        assert actual == expected and type(actual) is type(expected), where


def usage(prompt: int, candidates: int | None, total: int, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"promptTokenCount": prompt}
    if candidates is not None:
        out["candidatesTokenCount"] = candidates
    out["totalTokenCount"] = total
    out["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    out.update(more)
    return out


THOUGHT_SIG = Pin(6152, "e99c40ab9d8666d5", "CiIB0e2Kb6Syj1a961EfbWv4W")
GROUNDING = Pin(7737, "6e5eea281fc1c43e", '{"groundingChunks": [{"we')
ADD_SIG = Pin(304, "ade840a7b8da1501", "CloBvj72+4/aTlyeodvVsF6WQ")
CODE_SIG = Pin(560, "c4f0405eed265e89", "EqADCp0DAQw51sctaTt62vj/A")
ANSWER_SIG = Pin(348, "2a6c86890f615fc3", "EoECCv4BAQw51segR8LGndTf8")
CALL_SIG = Pin(1032, "d1f61815021fd730", "CiMBjz1rX25KieIB4d4AwFn8/")
TOOL_USE = {"toolUsePromptTokensDetails": [{"modality": "TEXT", "tokenCount": 102}]}

# The responses generateContent would return, written from the rules of the dialect.
EXPECTED: dict[str, dict[str, Any]] = {
    "flash25-max-tokens.sse": {
        "candidates": [
            {
                "content": {"parts": [{"text": "Here are all 50 U.S."}], "role": "model"},
                "finishReason": "MAX_TOKENS",
                "index": 0,
            }
        ],
        "usageMetadata": usage(9, 10, 57, thoughtsTokenCount=38),
        "modelVersion": "gemini-2.5-flash",
        "responseId": "Q5nyaIWZL_C1qtsPhY6D8A4",
    },
    # Parallel calls stay two parts; only the first carries the signature.
    "flash25-parallel-function-calls.sse": {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {
                            "functionCall": {"name": "add", "args": {"b": 3, "a": 2}},
                            "thoughtSignature": ADD_SIG,
                        },
                        {"functionCall": {"name": "multiply", "args": {"a": 2, "b": 3}}},
                    ],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
                "finishMessage": "Model generated function call(s).",
            }
        ],
        "usageMetadata": usage(121, 36, 195, thoughtsTokenCount=38),
        "modelVersion": "gemini-2.5-flash",
        "responseId": "XQCzaYWvIqfRz7IPupTlyAk",
    },
    # The empty text part beside the code is dropped; the trailing empty signed part gives the
    # answer its signature; the usage is the last chunk's, whole.
    "flash3-code-execution.sse": {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {
                            "executableCode": {
                                "language": "PYTHON",
                                "code": "result = 65465 - 6544 * 65464 - 6 + 1.02255\n"
                                "print(result)",
                                "id": "8xju7mua",
                            },
                            "thoughtSignature": CODE_SIG,
                        },
                        {
                            "codeExecutionResult": {
                                "outcome": "OUTCOME_OK",
                                "output": "-428330955.97745\n",
                                "id": "8xju7mua",
                            }
                        },
                        {
                            "text": "The result of $65465 - 6544 \\times 65464 - 6 + 1.02255$ is "
                            "**-428,330,955.97745**.",
                            "thoughtSignature": ANSWER_SIG,
                        },
                    ],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": usage(
            147,
            108,
            783,
            toolUsePromptTokenCount=360,
            toolUsePromptTokensDetails=[{"modality": "TEXT", "tokenCount": 360}],
            thoughtsTokenCount=168,
        ),
        "modelVersion": "gemini-3-flash-preview",
        "responseId": "n1P6abvRFaKdz7IPkcuQ2Aw",
    },
    # {} on every chunk never replaces the full metadata of the last.
    "pro25-google-search-grounding.sse": {
        "candidates": [
            {
                "content": {
                    "parts": [{"text": Pin(926, "adb9ebe491f7bbe4", "### Weather in San Franci")}],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
                "groundingMetadata": "pinned below",
            }
        ],
        "usageMetadata": usage(
            17, 241, 772, toolUsePromptTokenCount=102, **TOOL_USE, thoughtsTokenCount=412
        ),
        "modelVersion": "gemini-2.5-pro",
        "responseId": "ftnJaMmAMcm-qtsPwvCCoAo",
    },
    # Four thought chunks make one thought part; the signature arrives on the first answer
    # chunk and belongs to the whole answer part.
    "pro25-thought-summaries.sse": {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {
                            "text": Pin(1575, "1bf501f690cde7d3", "**Clarifying User Goals**"),
                            "thought": True,
                        },
                        {
                            "text": Pin(1938, "8c4308d5109d741f", "This is a great question!"),
                            "thoughtSignature": THOUGHT_SIG,
                        },
                    ],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": usage(34, 469, 1290, thoughtsTokenCount=787),
        "modelVersion": "gemini-2.5-pro",
        "responseId": "beHBaJfEMIi-qtsP3769-Q8",
    },
    # No index anywhere: none is written. {"trafficType"} alone until the last usage.
    "vertex-pro25-text-multibyte.sse": {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"text": Pin(228, "2f432eeba5e46d61", "Of course!\n\nThe most comm")}
                    ],
                    "role": "model",
                },
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 9,
            "candidatesTokenCount": 73,
            "totalTokenCount": 860,
            "trafficType": "ON_DEMAND",
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 9}],
            "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 73}],
            "thoughtsTokenCount": 778,
        },
        "modelVersion": "gemini-2.5-pro",
        "responseId": "lwCzaY2qC5zr_dQPkszy8QI",
        "createTime": "2026-03-12T18:06:15.185613Z",
    },
    # Two streamed calls, each closed by functionCall {}; the signature of the opening part
    # belongs to the first call; no partialArgs or willContinue in the result.
    "vertex-pro31-streamed-function-args.sse": {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {
                            "functionCall": {"name": "getWeather", "args": {"location": "Boston"}},
                            "thoughtSignature": CALL_SIG,
                        },
                        {
                            "functionCall": {
                                "name": "getWeather",
                                "args": {"location": "San Francisco"},
                            }
                        },
                    ],
                    "role": "model",
                },
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 26,
            "candidatesTokenCount": 23,
            "totalTokenCount": 181,
            "trafficType": "ON_DEMAND",
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 26}],
            "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 23}],
            "thoughtsTokenCount": 132,
        },
        "modelVersion": "gemini-3.1-pro-preview",
        "responseId": "dqHOab6xGLzWodAPkPuViA4",
        "createTime": "2026-04-02T17:03:50.399550Z",
    },
}

# The view every dialect answers: (text, reasoning, [(id, name, arguments)], finish_reason).
VIEWS: dict[str, tuple[Any, Any, list[tuple[str, str, str]], str]] = {
    "flash25-max-tokens.sse": ("Here are all 50 U.S.", None, [], "MAX_TOKENS"),
    "flash25-parallel-function-calls.sse": (
        None,
        None,
        [("", "add", '{"b":3,"a":2}'), ("", "multiply", '{"a":2,"b":3}')],
        "STOP",
    ),
    "flash3-code-execution.sse": (
        Pin(82, "42674410e2d3905e", "The result of $65465 - 65"),
        None,
        [],
        "STOP",
    ),
    "pro25-google-search-grounding.sse": (
        Pin(926, "adb9ebe491f7bbe4", "### Weather in San Franci"),
        None,
        [],
        "STOP",
    ),
    "pro25-thought-summaries.sse": (
        Pin(1938, "8c4308d5109d741f", "This is a great question!"),
        Pin(1575, "1bf501f690cde7d3", "**Clarifying User Goals**"),
        [],
        "STOP",
    ),
    "vertex-pro25-text-multibyte.sse": (
        Pin(228, "2f432eeba5e46d61", "Of course!\n\nThe most comm"),
        None,
        [],
        "STOP",
    ),
    "vertex-pro31-streamed-function-args.sse": (
        None,
        None,
        [
            ("", "getWeather", '{"location":"Boston"}'),
            ("", "getWeather", '{"location":"San Francisco"}'),
        ],
        "STOP",
    ),
}

FILES = real_fixture_files("gemini")
CHUNKINGS: list[Any] = ["whole", "byte", 2, 3, 7, 64, 1000]


def path_of(name: str) -> Path:
    require_real_fixtures()
    return REAL_FIXTURES / "gemini" / name


def run(reads: Any, *, strict: bool = False) -> tuple[list[ChatUpdate], GeminiResponse]:
    accumulator = GeminiAccumulator(strict=strict)
    updates: list[ChatUpdate] = []
    for data in reads:
        updates.extend(accumulator.feed(data))
    updates.extend(accumulator.close())
    return updates, accumulator.result()


def raw_chunks(path: Path) -> list[dict[str, Any]]:
    """The payloads of the recording, read without the engine."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line[len("data: ") :]) for line in lines if line.startswith("data: ")]


def test_every_recording_has_an_expectation() -> None:
    require_real_fixtures()
    assert sorted(path.name for path in FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rebuilds_the_response_written_from_the_rules(name: str) -> None:
    path = path_of(name)
    updates, response = run(replay(path, chunking="whole"))
    rebuilt = response.to_dict()
    expected = EXPECTED[name]
    if name == "pro25-google-search-grounding.sse":
        metadata = rebuilt["candidates"][0]["groundingMetadata"]
        matches(json.dumps(metadata, sort_keys=True), GROUNDING)
        assert list(metadata) == [
            "searchEntryPoint",
            "groundingChunks",
            "groundingSupports",
            "webSearchQueries",
        ]
        rebuilt["candidates"][0]["groundingMetadata"] = "pinned below"
    matches(rebuilt, expected)
    assert isinstance(updates[-1], StreamDone)
    assert updates[-1].completion.to_dict() == response.to_dict()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_strict_mode_reads_every_recording_alike(name: str) -> None:
    path = path_of(name)
    assert run(replay(path, chunking=7), strict=True) == run(replay(path, chunking="whole"))


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_answers_the_common_view(name: str) -> None:
    _, response = run(replay(path_of(name), chunking="whole"))
    view: StreamResult = response
    text, reasoning, calls, reason = VIEWS[name]
    assert view.dialect == "gemini"
    matches(view.text, text)
    matches(view.reasoning, reasoning)
    assert [(c.id, c.name, c.arguments) for c in view.tool_calls] == calls
    assert view.finish_reason == reason
    assert view.usage == response.to_dict()["usageMetadata"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_read_boundaries_never_change_the_result(name: str) -> None:
    path = path_of(name)
    reference_updates, reference = run(replay(path, chunking="whole"))
    for chunking in CHUNKINGS:
        updates, response = run(replay(path, chunking=chunking))
        assert response.to_dict() == reference.to_dict(), chunking
        assert updates == reference_updates, chunking
    for seed in range(20):
        updates, response = run(replay(path, chunking="random", seed=seed))
        assert response.to_dict() == reference.to_dict(), seed
        assert updates == reference_updates, seed


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_updates_tell_the_same_story_as_the_result(name: str) -> None:
    path = path_of(name)
    updates, response = run(replay(path, chunking="whole"))
    text = "".join(u.text for u in updates if isinstance(u, ContentDelta))
    reasoning = "".join(u.text for u in updates if isinstance(u, ReasoningDelta))
    assert text == (response.text or "")
    assert reasoning == (response.reasoning or "")
    started = [(u.index, u.id, u.name) for u in updates if isinstance(u, ToolCallStarted)]
    done = [(u.index, u.id, u.name, u.arguments) for u in updates if isinstance(u, ToolCallDone)]
    calls = response.tool_calls
    assert started == [(i, c.id, c.name) for i, c in enumerate(calls)]
    assert done == [(i, c.id, c.name, c.arguments) for i, c in enumerate(calls)]
    for index, call in enumerate(calls):
        pieces = [
            u.text for u in updates if isinstance(u, ToolCallArgumentsDelta) and u.index == index
        ]
        assert "".join(pieces) == call.arguments
    usages = [u.usage for u in updates if isinstance(u, UsageUpdate)]
    assert usages == [chunk["usageMetadata"] for chunk in raw_chunks(path)]
    finished = [(u.choice, u.finish_reason) for u in updates if isinstance(u, ChoiceFinished)]
    assert finished == [(0, response.finish_reason)]
    # ChoiceFinished only at the end of the stream, just before StreamDone.
    assert isinstance(updates[-2], ChoiceFinished)


def test_code_execution_and_grounding_have_updates_of_their_own() -> None:
    updates, _ = run(replay(path_of("flash3-code-execution.sse"), chunking="whole"))
    code = [u.executable_code["id"] for u in updates if isinstance(u, ExecutableCodeUpdate)]
    results = [
        u.code_execution_result["outcome"]
        for u in updates
        if isinstance(u, CodeExecutionResultUpdate)
    ]
    assert (code, results) == (["8xju7mua"], ["OUTCOME_OK"])
    updates, _ = run(replay(path_of("pro25-google-search-grounding.sse"), chunking="whole"))
    grounding = [u for u in updates if isinstance(u, GroundingUpdate)]
    # Nine chunks carry {}: only the last, full one is news.
    assert len(grounding) == 1
    assert grounding[0].grounding_metadata["webSearchQueries"] == ["weather in San Francisco today"]


def test_streamed_arguments_progress_by_path() -> None:
    updates, _ = run(replay(path_of("vertex-pro31-streamed-function-args.sse"), chunking="whole"))
    progress = [
        (u.index, u.json_path, u.value) for u in updates if isinstance(u, ToolCallPartialArg)
    ]
    assert progress == [
        (0, "$.location", "Boston"),
        (0, "$.location", ""),
        (1, "$.location", "San Francisco"),
        (1, "$.location", ""),
    ]
    kinds = [type(u).__name__ for u in updates if not isinstance(u, UsageUpdate)]
    assert kinds[:5] == [
        "ToolCallStarted",
        "ToolCallPartialArg",
        "ToolCallPartialArg",
        "ToolCallArgumentsDelta",
        "ToolCallDone",
    ]


def event_ends(body: bytes) -> list[int]:
    """How many bytes must arrive for each event to be dispatched: up to its blank line's CR
    (a line may end with CR alone, so the decoder need not wait for the LF), or its LF."""
    ends: list[int] = []
    for separator in (b"\r\n\r\n", b"\n\n"):
        position = body.find(separator)
        while position >= 0:
            ends.append(position + 3 if separator == b"\r\n\r\n" else position + 2)
            position = body.find(separator, position + len(separator))
        if ends:
            break
    return ends


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_cut_stream_reports_what_it_received(name: str) -> None:
    path = path_of(name)
    body = path.read_bytes()
    chunks = raw_chunks(path)
    ends = event_ends(body)
    assert len(ends) == len(chunks)
    _, whole = run([body])
    rng = random.Random(name)
    cuts = sorted(
        {0, 1, ends[0] - 1, ends[0], *ends[:-1], len(body) - 1, *rng.sample(range(len(body)), 8)}
    )
    for cut in cuts:
        if cut >= ends[-1]:
            continue
        accumulator = GeminiAccumulator()
        accumulator.feed(body[:cut])
        with pytest.raises(IncompleteStreamError) as caught:
            accumulator.close()
        error = caught.value
        received = sum(1 for end in ends if end <= cut)
        assert (error.offset, error.event_index) == (cut, received)
        partial = error.partial
        assert isinstance(partial, GeminiResponse)
        # What arrived, and only that: text so far, the last usage received.
        assert (whole.text or "").startswith(partial.text or "")
        assert (whole.reasoning or "").startswith(partial.reasoning or "")
        expected_usage = chunks[received - 1]["usageMetadata"] if received else None
        assert partial.usage_metadata == expected_usage
        if received == 0:
            assert partial.to_dict() == {}


def test_a_streamed_call_cut_open_is_in_the_partial_with_its_arguments_so_far() -> None:
    path = path_of("vertex-pro31-streamed-function-args.sse")
    body = path.read_bytes()
    ends = event_ends(body)
    for events, args in [
        (1, {}),
        (2, {"location": "Boston"}),
        (5, {}),
        (6, {"location": "San Francisco"}),
    ]:
        accumulator = GeminiAccumulator()
        updates = accumulator.feed(body[: ends[events - 1]])
        with pytest.raises(IncompleteStreamError, match="still open") as caught:
            accumulator.close()
        partial = caught.value.partial
        assert isinstance(partial, GeminiResponse)
        parts = partial.to_dict()["candidates"][0]["content"]["parts"]
        assert parts[-1]["functionCall"] == {"name": "getWeather", "args": args}
        # The open call is started, never done.
        last = 0 if events <= 2 else 1
        assert not [u for u in updates if isinstance(u, ToolCallDone) and u.index == last]
