"""Live tool arguments: with partial_json=True every tool-call argument update carries the arguments
parsed so far and every ToolCallDone the parsed whole, in every dialect; off by default."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_FIXTURES, REAL_FIXTURES, real_fixture_files, require_real_fixtures
from test_partial_json import is_prefix, same

import sseproto
from sseproto import (
    ChatAccumulator,
    Chunking,
    LiveArguments,
    StreamError,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallPartialArg,
    ToolCallStarted,
)
from sseproto._cli import main
from sseproto.dialects.kit.payload import parse_json

DIALECTS = ("openai-chat", "anthropic", "openai-responses", "gemini", "other-openai-compatible")


def _with_tool_calls(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        try:
            updates = list(sseproto.iter_updates(sseproto.replay(path)))
        except StreamError:
            continue
        if any(isinstance(update, ToolCallDone) for update in updates):
            found.append(path)
    return found


REAL_TOOL_CALLS = _with_tool_calls(real_fixture_files(*DIALECTS))
PROJECT_TOOL_CALLS = _with_tool_calls(sorted(PROJECT_FIXTURES.glob("*.sse")))


NOT_JSON = object()


def _whole(arguments: str) -> Any:
    """The parsed arguments under the rules of every payload; NOT_JSON if they are not JSON."""
    try:
        return parse_json(arguments)
    except StreamError:
        return NOT_JSON


def check_live_arguments(path: Path, seed: int) -> int:
    """Replay ``path`` with live partial JSON, reading the parsed arguments of some deltas as
    they arrive (chosen at random): each read is a prefix of the whole value, and the last
    delta's value is the whole. Return how many calls were checked."""
    rng = random.Random(seed)
    chunkings: list[Chunking] = ["recorded", "whole", "byte", 7]
    chunking = rng.choice(chunkings)
    shown: dict[tuple[int, int], list[Any]] = {}
    last: dict[tuple[int, int], ToolCallArgumentsDelta] = {}
    done: list[ToolCallDone] = []
    with contextlib.suppress(StreamError):
        for update in sseproto.iter_updates(
            sseproto.replay(path, chunking=chunking), partial_json=True
        ):
            if isinstance(update, ToolCallStarted):
                shown.pop((update.choice, update.index), None)
            elif isinstance(update, ToolCallArgumentsDelta):
                key = (update.choice, update.index)
                last[key] = update
                if rng.random() < 0.3 and update.parsed is not None:
                    shown.setdefault(key, []).append(copy.deepcopy(update.parsed))
            elif isinstance(update, ToolCallDone):
                done.append(update)
    for call in done:
        whole = _whole(call.arguments)
        if whole is NOT_JSON:
            assert call.parsed is None
            continue
        assert same(call.parsed, whole)
        key = (call.choice, call.index)
        if key not in last:
            continue  # arguments given whole at the start (Anthropic's input of {}), no delta
        assert same(last[key].parsed, whole)
        for value in shown.get(key, []):
            assert is_prefix(value, whole)
    return len(done)


@pytest.mark.parametrize("path", REAL_TOOL_CALLS, ids=lambda path: path.name)
def test_every_real_tool_call_shows_its_arguments_growing_to_the_whole(path: Path) -> None:
    require_real_fixtures()
    for seed in range(3):
        assert check_live_arguments(path, seed) > 0


def test_the_real_recordings_hold_tool_calls_of_every_dialect() -> None:
    require_real_fixtures()
    dialects = {path.relative_to(REAL_FIXTURES).parts[0] for path in REAL_TOOL_CALLS}
    assert {"openai-chat", "anthropic", "openai-responses", "gemini"} <= dialects


@pytest.mark.parametrize("path", PROJECT_TOOL_CALLS, ids=lambda path: path.name)
def test_every_project_tool_call_shows_its_arguments_growing_to_the_whole(path: Path) -> None:
    for seed in range(3):
        assert check_live_arguments(path, seed) > 0


def test_off_by_default_nothing_is_parsed() -> None:
    path = PROJECT_FIXTURES / "tool-call.sse"
    updates = list(sseproto.iter_updates(sseproto.replay(path)))
    deltas = [update for update in updates if isinstance(update, ToolCallArgumentsDelta)]
    done = [update for update in updates if isinstance(update, ToolCallDone)]
    assert deltas and done
    assert all(update.parsed is None for update in deltas)
    assert all(update.parsed is None for update in done)


def test_an_accumulator_used_directly_gets_them_from_live_arguments() -> None:
    body = (PROJECT_FIXTURES / "tool-call.sse").read_bytes()
    accumulator = ChatAccumulator()
    live = LiveArguments()
    values = []
    done = []
    for start in [*range(0, len(body), 50), None]:
        updates = (
            accumulator.close() if start is None else accumulator.feed(body[start : start + 50])
        )
        for update in updates:
            live.annotate(update)
            if isinstance(update, ToolCallArgumentsDelta):
                values.append(copy.deepcopy(update.parsed))
            elif isinstance(update, ToolCallDone):
                done.append(update)
    whole = json.loads(done[0].arguments)
    assert same(done[0].parsed, whole)
    assert same(values[-1], whole)
    assert len({json.dumps(value) for value in values}) > 2  # it grew, delta by delta
    assert all(value is None or is_prefix(value, whole) for value in values)


def _chat_tool_call(*pieces: str) -> bytes:
    chunks = [
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "f", "arguments": ""},
                            }
                        ]
                    },
                }
            ]
        },
        *(
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]},
                    }
                ]
            }
            for piece in pieces
        ),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    events = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks)
    return (events + "data: [DONE]\n\n").encode()


def test_arguments_that_are_not_json_keep_their_valid_beginning() -> None:
    body = _chat_tool_call('{"a": [1, ', "2, x", "]}")
    updates = list(sseproto.iter_updates([body], partial_json=True))
    deltas = [update for update in updates if isinstance(update, ToolCallArgumentsDelta)]
    assert deltas[-1].parsed == {"a": [1, 2]}
    done = [update for update in updates if isinstance(update, ToolCallDone)]
    assert done[0].arguments == '{"a": [1, 2, x]}'
    assert done[0].parsed is None


def test_a_delta_read_when_it_arrives_shows_the_arguments_so_far() -> None:
    body = _chat_tool_call('{"path": "a.py", "text": "de', "f f", '():"}')
    seen = [
        copy.deepcopy(update.parsed)
        for update in sseproto.iter_updates([body], partial_json=True)
        if isinstance(update, ToolCallArgumentsDelta)
    ]
    assert seen == [
        {"path": "a.py", "text": "de"},
        {"path": "a.py", "text": "def f"},
        {"path": "a.py", "text": "def f():"},
    ]


def test_the_async_reader_gives_the_same() -> None:
    import asyncio

    body = _chat_tool_call('{"q": "ca', 'ts"}')

    async def source() -> Any:
        yield body

    async def read() -> list[Any]:
        return [
            copy.deepcopy(update.parsed)
            async for update in sseproto.aiter_updates(source(), partial_json=True)
            if isinstance(update, ToolCallArgumentsDelta | ToolCallDone)
        ]

    assert asyncio.run(read()) == [{"q": "ca"}, {"q": "cats"}, {"q": "cats"}]


def test_partial_json_must_be_a_bool() -> None:
    flag: Any = "yes"
    with pytest.raises(ValueError, match="partial_json"):
        sseproto.iter_updates([b""], partial_json=flag)


@pytest.mark.parametrize(
    ("name", "label", "opened"),
    [
        ("reasoning-text-tool-call.sse", "[arguments 0]", None),
        ("function-call-legacy.sse", "[function_call]", None),
        (
            "anthropic/server-tool-web-search.sse",
            "[hosted 0]",
            "[hosted 0] opened: server_tool_use web_search",
        ),
        (
            "responses/hosted-tools.sse",
            "[hosted 4]",
            "[hosted 4] opened: mcp_call ask_question on deepwiki",
        ),
    ],
)
def test_replay_partial_json_prints_the_value_growing(
    name: str, label: str, opened: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    # A tool call, the legacy function call, a call the provider runs (its block or item named,
    # and what it is said first, when it opens).
    fixture = PROJECT_FIXTURES / name
    assert main(["replay", "--partial-json", "--chunking", "byte", str(fixture)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(label)]
    if opened is not None:
        assert lines[0] == opened
        lines = lines[1:]
    values = [json.loads(line.split("] ", 1)[1]) for line in lines]
    assert len(values) > 1
    whole = values[-1]
    assert all(is_prefix(value, whole) for value in values)
    assert values[0] != whole
    # Without the option, no such line.
    with contextlib.redirect_stdout(io.StringIO()) as out:
        main(["replay", str(fixture)])
    assert label not in out.getvalue()


def test_replay_partial_json_prints_gemini_streamed_arguments_growing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Vertex AI streams a call's arguments by JSON path (ToolCallPartialArg), not as text: its
    # value grows with every piece, as text arguments do with every delta.
    fixture = PROJECT_FIXTURES / "gemini" / "streamed-args-terminator.sse"
    assert main(["replay", "--partial-json", str(fixture)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[arg")]
    values = [json.loads(line.split("] ", 1)[1]) for line in lines]
    expected = [
        copy.deepcopy(update.parsed)
        for update in sseproto.iter_updates(sseproto.replay(fixture), partial_json=True)
        if isinstance(update, ToolCallPartialArg | ToolCallArgumentsDelta)
    ]
    assert values == expected
    assert len(values) > 2
    assert all(is_prefix(value, values[-1]) for value in values)


def _chat_answer(*pieces: str) -> bytes:
    chunks = [
        *({"choices": [{"index": 0, "delta": {"content": piece}}]} for piece in pieces),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    events = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks)
    return (events + "data: [DONE]\n\n").encode()


def test_a_json_answer_is_parsed_as_it_streams() -> None:
    body = _chat_answer('{"title": "Du', 'ne", "year": 19', "65, ", '"tags": ["sf"]}')
    seen = [
        copy.deepcopy(update.parsed)
        for update in sseproto.iter_updates([body], partial_json=True)
        if isinstance(update, sseproto.ContentDelta)
    ]
    assert seen == [
        {"title": "Du"},
        {"title": "Dune"},
        {"title": "Dune", "year": 1965},
        {"title": "Dune", "year": 1965, "tags": ["sf"]},
    ]


def test_a_prose_answer_is_not_parsed() -> None:
    body = _chat_answer("2 apples", " and [a pear]")
    seen = [
        update.parsed
        for update in sseproto.iter_updates([body], partial_json=True)
        if isinstance(update, sseproto.ContentDelta)
    ]
    assert seen == [None, None]
    off = [
        update.parsed
        for update in sseproto.iter_updates([_chat_answer('{"a": 1}')])
        if isinstance(update, sseproto.ContentDelta)
    ]
    assert off == [None]


# --- Gemini's streamed arguments -----------------------------------------------------------------


def _streamed_arguments(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        with contextlib.suppress(StreamError):
            updates = list(sseproto.iter_updates(sseproto.replay(path)))
            if any(isinstance(update, ToolCallPartialArg) for update in updates):
                found.append(path)
    return found


REAL_STREAMED_ARGUMENTS = _streamed_arguments(real_fixture_files("gemini"))
PROJECT_STREAMED_ARGUMENTS = _streamed_arguments(sorted(PROJECT_FIXTURES.glob("gemini/*.sse")))


def check_streamed_arguments(path: Path, seed: int) -> int:
    """Replay ``path`` with live partial JSON in random reads, reading the ``parsed`` arguments of
    some streamed ``partialArgs`` as they arrive: each read is a prefix of the whole arguments,
    and the last one's are the whole. Return how many streamed calls were checked."""
    rng = random.Random(seed)
    chunkings: list[Chunking] = ["recorded", "whole", "byte", 7]
    chunking = rng.choice(chunkings)
    shown: dict[tuple[int, int], list[Any]] = {}
    last: dict[tuple[int, int], Any] = {}
    done: list[ToolCallDone] = []
    with contextlib.suppress(StreamError):
        for update in sseproto.iter_updates(
            sseproto.replay(path, chunking=chunking), partial_json=True
        ):
            if isinstance(update, ToolCallPartialArg):
                key = (update.choice, update.index)
                last[key] = update.parsed
                if rng.random() < 0.5:
                    shown.setdefault(key, []).append(last[key])
            elif isinstance(update, ToolCallDone):
                done.append(update)
    checked = 0
    for call in done:
        key = (call.choice, call.index)
        if key not in last:
            continue  # a call given whole
        whole = json.loads(call.arguments)
        assert same(call.parsed, whole)
        assert same(last[key], whole)
        for value in shown.get(key, []):
            assert is_prefix(value, whole)
        checked += 1
    return checked


@pytest.mark.parametrize("path", REAL_STREAMED_ARGUMENTS, ids=lambda path: path.name)
def test_real_streamed_gemini_arguments_grow_to_the_whole(path: Path) -> None:
    require_real_fixtures()
    for seed in range(5):
        assert check_streamed_arguments(path, seed) > 0


def test_the_real_recordings_hold_streamed_gemini_arguments() -> None:
    require_real_fixtures()
    assert REAL_STREAMED_ARGUMENTS


@pytest.mark.parametrize("path", PROJECT_STREAMED_ARGUMENTS, ids=lambda path: path.name)
def test_project_streamed_gemini_arguments_grow_to_the_whole(path: Path) -> None:
    for seed in range(5):
        check_streamed_arguments(path, seed)


def test_the_project_fixtures_hold_streamed_gemini_arguments() -> None:
    assert sum(check_streamed_arguments(path, 0) for path in PROJECT_STREAMED_ARGUMENTS) > 0


def _gemini_streamed_call(*partial_args: dict[str, Any]) -> bytes:
    parts: list[dict[str, Any]] = [{"functionCall": {"name": "write", "willContinue": True}}]
    parts += [
        {"functionCall": {"partialArgs": [arg], "willContinue": True}} for arg in partial_args
    ]
    parts.append({"functionCall": {}})
    chunks: list[dict[str, Any]] = [
        {"candidates": [{"content": {"role": "model", "parts": [part]}}]} for part in parts
    ]
    chunks[-1]["candidates"][0]["finishReason"] = "STOP"
    return b"".join(b"data: " + json.dumps(chunk).encode() + b"\r\n\r\n" for chunk in chunks)


def test_each_streamed_gemini_argument_shows_the_arguments_so_far() -> None:
    stream = _gemini_streamed_call(
        {"jsonPath": "$.path", "stringValue": "a.py"},
        {"jsonPath": "$.lines[0]", "stringValue": "def f"},
        {"jsonPath": "$.lines[0]", "stringValue": "():"},
        {"jsonPath": "$.lines[1]", "numberValue": 2},
    )
    updates = sseproto.iter_updates([stream], dialect="gemini", partial_json=True)
    shown = [update.parsed for update in updates if isinstance(update, ToolCallPartialArg)]
    assert shown == [
        {"path": "a.py"},
        {"path": "a.py", "lines": ["def f"]},
        {"path": "a.py", "lines": ["def f():"]},
        {"path": "a.py", "lines": ["def f():", 2]},
    ]


def test_streamed_gemini_arguments_are_not_parsed_when_off() -> None:
    stream = _gemini_streamed_call({"jsonPath": "$.path", "stringValue": "a.py"})
    updates = sseproto.iter_updates([stream], dialect="gemini")
    partial = [update for update in updates if isinstance(update, ToolCallPartialArg)]
    assert len(partial) == 1
    assert partial[0].parsed is None


def test_a_streamed_argument_that_cannot_be_written_keeps_the_arguments_before_it() -> None:
    live = LiveArguments()
    first = ToolCallPartialArg(0, 0, "$.n", 1)
    bad = ToolCallPartialArg(0, 0, "$.n.x", "text")
    later = ToolCallPartialArg(0, 0, "$.m", 2)
    for update in (first, bad, later):
        live.annotate(update)
    assert (first.parsed, bad.parsed, later.parsed) == ({"n": 1},) * 3


@pytest.mark.parametrize("wrong", ['{"a": 1}', {"a": 1}, b"data: x\n\n", None])
def test_annotate_takes_updates_only(wrong: Any) -> None:
    # The text, a payload or the bytes instead of the update are the likely mistakes.
    with pytest.raises(
        TypeError, match=rf"takes the updates of a stream, not {type(wrong).__name__}"
    ):
        sseproto.LiveArguments().annotate(wrong)
