"""Live partial JSON as an option of every accumulator: ``partial_json=True`` on the engine itself
gives each argument delta (a call the caller runs, or one the provider runs), each answer delta
and each Gemini streamed argument the value parsed up to it, whatever reads the stream came in and
however many deltas one read brought; off, the updates are what they always were."""

from __future__ import annotations

import contextlib
import copy
import json
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

import pytest
from chatgen import RenderedStream, rendered_streams
from conftest import PROJECT_FIXTURES, REAL_FIXTURES, real_fixture_files, require_real_fixtures
from hypothesis import given, settings
from hypothesis import strategies as st
from test_anthropic_properties import streams as anthropic_streams
from test_partial_json import is_prefix, split
from test_responses_properties import GEN, random_split
from test_responses_properties import items as responses_items

import sseproto
from sseproto import (
    AnthropicAccumulator,
    AutoAccumulator,
    ChatAccumulator,
    ChatUpdate,
    ContentDelta,
    Dialect,
    FunctionCallArgumentsDelta,
    FunctionCallDone,
    GeminiAccumulator,
    HostedToolArgumentsDelta,
    LiveArguments,
    MCPToolUseBlock,
    ResponsesAccumulator,
    ServerToolUseBlock,
    StreamError,
    StreamResult,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallPartialArg,
)
from sseproto.dialects.kit.payload import parse_json
from sseproto.dialects.kit.updates import LiveUpdate
from sseproto.dialects.registry import ACCUMULATORS

DIALECTS = ("openai-chat", "anthropic", "openai-responses", "gemini", "other-openai-compatible")
ENGINES = (ChatAccumulator, AnthropicAccumulator, ResponsesAccumulator, GeminiAccumulator)


def _dialect_of(body: bytes) -> Dialect | None:
    auto = AutoAccumulator()
    with contextlib.suppress(StreamError):
        auto.feed(body)
    return auto.dialect


def _live_kinds(path: Path) -> set[str]:
    """What ``path`` gives live values to: "arguments", "hosted" (a call the provider runs),
    "function" (chat's legacy function call), "streamed" (Gemini) and "answer" (a JSON
    answer)."""
    kinds: set[str] = set()
    answers: dict[int, list[str]] = {}
    with contextlib.suppress(StreamError):
        for update in sseproto.iter_updates(sseproto.replay(path)):
            if isinstance(update, ToolCallDone):
                kinds.add("arguments")
            elif isinstance(update, ToolCallPartialArg):
                kinds.add("streamed")
            elif isinstance(update, HostedToolArgumentsDelta):
                kinds.add("hosted")
            elif isinstance(update, FunctionCallDone):
                kinds.add("function")
            elif isinstance(update, ContentDelta):
                answers.setdefault(update.choice, []).append(update.text)
    if any(_json_or_none("".join(texts)) is not None for texts in answers.values()):
        kinds.add("answer")
    return kinds


def _json_or_none(text: str) -> Any:
    try:
        return parse_json(text)
    except StreamError:
        return None


def _files(paths: list[Path]) -> list[Path]:
    return [path for path in paths if _live_kinds(path)]


REAL = _files(real_fixture_files(*DIALECTS))
PROJECT = _files(sorted(PROJECT_FIXTURES.rglob("*.sse")))


LIVE = (
    ToolCallArgumentsDelta
    | HostedToolArgumentsDelta
    | FunctionCallArgumentsDelta
    | ContentDelta
    | ToolCallPartialArg
)


def _is_live(update: Any) -> bool:
    return isinstance(update, LIVE)


def read_live(engine: Any, reads: list[bytes]) -> tuple[list[Any], list[str]]:
    """Feed ``reads`` to ``engine`` (then close it), reading each update's live value once
    the whole read's updates are back, in order: the updates, and each live value as JSON."""
    updates: list[Any] = []
    values: list[str] = []
    with contextlib.suppress(StreamError):
        for data in [*reads, None]:
            batch: list[Any] = []
            try:
                if data is None:
                    batch = engine.close()
                else:
                    engine.feed(data, into=batch)  # the updates before an error, too
            finally:
                values += [json.dumps(update.parsed) for update in batch if _is_live(update)]
                updates += batch
    return updates, values


def _shown_whole(value: Any) -> bool:
    """Whether the last delta of a text shows ``value``, its whole value: a number or literal
    that is the whole text ends only with the text (it could go on)."""
    return isinstance(value, dict | list | str)


def check_final_values(updates: list[Any]) -> None:
    """Each call's last argument delta shows its whole arguments, as its ``ToolCallDone``
    (``FunctionCallDone``, for a legacy function call) does; each answer's last delta shows the
    whole answer when it is JSON."""
    last: dict[tuple[int, int], Any] = {}
    functions: dict[int, Any] = {}
    streamed: dict[tuple[int, int], Any] = {}
    answers: dict[int, list[str]] = {}
    last_answer: dict[int, Any] = {}
    done = 0
    for update in updates:
        if isinstance(update, ToolCallArgumentsDelta):
            last[update.choice, update.index] = json.dumps(update.parsed)
        elif isinstance(update, ToolCallPartialArg):
            streamed[update.choice, update.index] = json.dumps(update.parsed)
        elif isinstance(update, FunctionCallArgumentsDelta):
            functions[update.choice] = json.dumps(update.parsed)
        elif isinstance(update, ContentDelta):
            answers.setdefault(update.choice, []).append(update.text)
            last_answer[update.choice] = json.dumps(update.parsed)
        elif isinstance(update, FunctionCallDone):
            whole = _json_or_none(update.arguments)
            assert json.dumps(update.parsed) == json.dumps(whole)
            if _shown_whole(whole) and update.choice in functions:
                assert functions[update.choice] == json.dumps(whole)
        elif isinstance(update, ToolCallDone):
            done += 1
            whole = _json_or_none(update.arguments)
            assert json.dumps(update.parsed) == json.dumps(whole)
            key = (update.choice, update.index)
            if _shown_whole(whole) and key in last:
                assert last[key] == json.dumps(whole)
            if _shown_whole(whole) and key in streamed:
                assert streamed[key] == json.dumps(whole)
    for choice, texts in answers.items():
        whole = _json_or_none("".join(texts))
        if _shown_whole(whole):
            assert last_answer[choice] == json.dumps(whole)


def hosted_arguments(result: StreamResult | None) -> dict[int, str]:
    """The final argument text of each call the provider runs in ``result``, by the index its
    updates name: an Anthropic server or MCP tool block's, a Responses ``mcp_call`` item's."""
    if result is None:
        return {}
    if result.dialect == "anthropic":
        blocks = cast(sseproto.AnthropicMessage, result).content
        hosted = ServerToolUseBlock | MCPToolUseBlock
        return {i: b.arguments for i, b in enumerate(blocks) if isinstance(b, hosted)}
    if result.dialect == "responses":
        output = cast(sseproto.Response, result).output
        return {i: item["arguments"] for i, item in enumerate(output) if item["type"] == "mcp_call"}
    return {}


def check_hosted(updates: list[Any], result: StreamResult | None) -> set[int]:
    """The argument deltas of each call the provider runs add up to its final arguments, and the
    last one shows them whole when they are JSON; return the indexes of the calls that had
    deltas. Each argument text streamed (not blank) has its deltas."""
    texts: dict[int, list[str]] = {}
    last: dict[int, str] = {}
    for update in updates:
        if isinstance(update, HostedToolArgumentsDelta):
            assert update.choice == 0
            texts.setdefault(update.index, []).append(update.text)
            last[update.index] = json.dumps(update.parsed)
    finals = hosted_arguments(result)
    for index, pieces in texts.items():
        assert "".join(pieces) == finals[index]
        whole = _json_or_none(finals[index])
        if _shown_whole(whole):
            assert last[index] == json.dumps(whole)
    # A blank Anthropic input is the start's {}, which no delta brought.
    assert set(texts) >= {index for index, text in finals.items() if text not in ("", "{}")}
    return set(texts)


def _without_parsed(updates: list[Any]) -> list[Any]:
    """``updates`` with every ToolCallDone's (and FunctionCallDone's) ``parsed`` left out (the
    one field the option fills; the live values are not fields)."""
    for update in updates:
        if isinstance(update, ToolCallDone | FunctionCallDone):
            update.parsed = None
    return updates


def check_recording(path: Path, cuts: list[int]) -> None:
    check_body(path.read_bytes(), cuts)


def check_body(body: bytes, cuts: list[int]) -> list[Any]:
    """Read ``body`` whole and in the reads ``cuts`` make, the option on and off (see the
    module); return the updates of the whole read (their done calls' ``parsed`` left out)."""
    dialect = _dialect_of(body)
    assert dialect is not None
    whole = ACCUMULATORS[dialect](partial_json=True)
    whole_updates, whole_values = read_live(whole, [body])
    check_final_values(whole_updates)
    hosted = check_hosted(whole_updates, whole.snapshot())
    pieces = [piece.encode("latin-1") for piece in split(body.decode("latin-1"), cuts)]
    for engine in (ACCUMULATORS[dialect](partial_json=True), AutoAccumulator(partial_json=True)):
        updates, values = read_live(engine, pieces)
        # The values never depend on the reads: a read bringing every delta at once shows
        # each delta's own value, as a read per byte does.
        assert values == whole_values
        check_final_values(updates)
        assert check_hosted(updates, engine.snapshot()) == hosted
    # Off, the updates are those of an engine without the option: no value anywhere.
    off, off_values = read_live(ACCUMULATORS[dialect](), pieces)
    assert set(off_values) <= {"null"}
    assert all(
        not isinstance(update, ToolCallDone | FunctionCallDone) or update.parsed is None
        for update in off
    )
    assert off == _without_parsed(whole_updates)
    return whole_updates


def hosted_indexes(updates: list[Any]) -> set[int]:
    """The indexes of the calls the provider runs that had argument deltas."""
    return {u.index for u in updates if isinstance(u, HostedToolArgumentsDelta)}


@pytest.mark.parametrize("path", REAL, ids=lambda path: f"{path.parent.name}/{path.name}")
@settings(max_examples=5)
@given(cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=40))
def test_every_real_recording_gives_the_same_live_values_in_any_reads(
    path: Path, cuts: list[int]
) -> None:
    require_real_fixtures()
    check_recording(path, cuts)


def test_the_real_recordings_hold_every_kind_of_live_value() -> None:
    require_real_fixtures()
    dialects = {path.parent.name for path in REAL}
    assert {"openai-chat", "anthropic", "openai-responses", "gemini"} <= dialects
    kinds = set().union(*(_live_kinds(path) for path in REAL))
    assert kinds == {"arguments", "hosted", "streamed", "answer"}


@pytest.mark.parametrize("path", PROJECT, ids=lambda path: str(path.relative_to(PROJECT_FIXTURES)))
@settings(max_examples=5)
@given(cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=40))
def test_every_project_fixture_gives_the_same_live_values_in_any_reads(
    path: Path, cuts: list[int]
) -> None:
    check_recording(path, cuts)


def test_the_project_fixtures_hold_live_values_of_every_dialect() -> None:
    dialects = {_dialect_of(path.read_bytes()) for path in PROJECT}
    assert dialects == {"chat", "anthropic", "responses", "gemini"}


# --- chat's legacy function call, in generated streams ------------------------------------------


@settings(max_examples=60)
@given(stream=rendered_streams(), cuts=st.lists(st.integers(0, 1 << 16), max_size=20))
def test_generated_chat_streams_give_the_legacy_function_call_its_live_value(
    stream: RenderedStream, cuts: list[int]
) -> None:
    updates = check_body(stream.body, cuts)
    calls = {c.index: c.function_call for c in stream.truth.choices if c.function_call}
    done = {u.choice: u for u in updates if isinstance(u, FunctionCallDone)}
    assert {choice: (u.name, u.arguments) for choice, u in done.items()} == {
        choice: (call.name, call.arguments) for choice, call in calls.items()
    }
    # Never a tool call: a legacy call has no place in tool_calls.
    assert sum(isinstance(u, ToolCallDone) for u in updates) == sum(
        len(c.tool_calls) for c in stream.truth.choices
    )


# --- calls the provider runs, in generated streams ---------------------------------------------

_HOSTED_BLOCKS = ("server_tool_use", "mcp_tool_use")


@settings(max_examples=60)
@given(case=anthropic_streams(), cuts=st.lists(st.integers(0, 1 << 16), max_size=20))
def test_generated_anthropic_streams_give_server_tool_input_its_live_value(
    case: tuple[dict[str, Any], bytes, list[int]], cuts: list[int]
) -> None:
    message, body, _ = case
    # Every server or MCP tool block streams its input (its first delta, "", gives nothing).
    expected = {i for i, block in enumerate(message["content"]) if block["type"] in _HOSTED_BLOCKS}
    assert hosted_indexes(check_body(body, cuts)) == expected


@st.composite
def responses_streams(draw: st.DrawFn) -> tuple[list[dict[str, Any]], bytes]:
    """A random output holding an MCP call, sent as a Responses stream (its deltas of random
    sizes, some stopping short of their ``.done``), its items closed or not, with or without its
    terminal event."""
    output = draw(responses_items())
    # One MCP call at least, among the other items.
    call = {
        "id": "mcp_1",
        "type": "mcp_call",
        "status": "completed",
        "server_label": "deepwiki",
        "name": "ask_question",
        "arguments": json.dumps(draw(st.dictionaries(st.text(max_size=9), st.text(max_size=30)))),
        "output": "Server-Sent Events.",
        "error": None,
    }
    output.insert(draw(st.integers(0, len(output))), call)
    render = GEN.Render(split=random_split(draw(st.integers(0, 2**32)), True))
    render.lifecycle("created", GEN.head())
    render.lifecycle("in_progress", GEN.head())
    for index, item in enumerate(output):
        render.item(index, item, done=draw(st.booleans()))
    if draw(st.booleans()):
        render.terminal("completed", GEN.head("completed", usage=GEN.USAGE, output=output))
    return output, render.body()[0]


@settings(max_examples=60)
@given(case=responses_streams(), cuts=st.lists(st.integers(0, 1 << 16), max_size=20))
def test_generated_responses_streams_give_mcp_arguments_their_live_value(
    case: tuple[list[dict[str, Any]], bytes], cuts: list[int]
) -> None:
    output, body = case
    calls = {i for i, item in enumerate(output) if item["type"] == "mcp_call" and item["arguments"]}
    assert hosted_indexes(check_body(body, cuts)) == calls


# The real recordings of calls the provider runs: a web search's query, an MCP call's input, a
# code execution's command, each streamed as input_json_delta.
REAL_HOSTED = (
    "anthropic/sonnet4-thinking-web-search-citations.sse",
    "anthropic/sonnet45-mcp-tool-use.sse",
    "anthropic/sonnet46-code-execution-container.sse",
)
PROJECT_HOSTED = (
    "anthropic/server-tool-web-search.sse",
    "anthropic/mcp-tool-use.sse",
    "responses/hosted-tools.sse",
)


def _hosted_values(updates: Iterable[Any]) -> list[Any]:
    """Each hosted argument delta's value, read in order and copied as it is read."""
    return [
        json.loads(json.dumps(u.parsed)) for u in updates if isinstance(u, HostedToolArgumentsDelta)
    ]


def check_readers(body: bytes, cuts: list[int]) -> None:
    """The readers pass the option on: iter_updates and aiter_updates give each hosted delta the
    value a whole read gives it, the last one the final arguments; without it, None."""
    import asyncio

    reads = [piece.encode("latin-1") for piece in split(body.decode("latin-1"), cuts)]
    accumulator = AutoAccumulator(partial_json=True)
    expected = _hosted_values(accumulator.feed(body) + accumulator.close())
    assert expected
    finals = hosted_arguments(accumulator.result())
    assert expected[-1] == json.loads(finals[max(finals)])

    async def aread() -> list[Any]:
        async def source() -> Any:
            for data in reads:
                yield data

        updates = sseproto.aiter_updates(source(), partial_json=True)
        return [
            json.loads(json.dumps(u.parsed))
            async for u in updates
            if isinstance(u, HostedToolArgumentsDelta)
        ]

    # Each value read as the reader hands its update on.
    assert _hosted_values(sseproto.iter_updates(reads, partial_json=True)) == expected
    assert asyncio.run(aread()) == expected
    assert set(map(json.dumps, _hosted_values(sseproto.iter_updates(reads)))) == {"null"}


@pytest.mark.parametrize("name", REAL_HOSTED)
@settings(max_examples=5)
@given(cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=40))
def test_the_readers_give_real_provider_run_calls_their_live_values(
    name: str, cuts: list[int]
) -> None:
    require_real_fixtures()
    check_readers((REAL_FIXTURES / name).read_bytes(), cuts)


@pytest.mark.parametrize("name", PROJECT_HOSTED)
@settings(max_examples=5)
@given(cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=40))
def test_the_readers_give_provider_run_calls_their_live_values(name: str, cuts: list[int]) -> None:
    check_readers((PROJECT_FIXTURES / name).read_bytes(), cuts)


# --- one stream, by hand -----------------------------------------------------------------------


def _chat(*deltas: dict[str, Any]) -> bytes:
    chunks = [{"choices": [{"index": 0, "delta": delta}]} for delta in deltas]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    events = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks)
    return (events + "data: [DONE]\n\n").encode()


def _call(text: str) -> dict[str, Any]:
    return {"tool_calls": [{"index": 0, "function": {"arguments": text}}]}


CALL = _chat(
    {"tool_calls": [{"index": 0, "id": "c1", "type": "function", "function": {"name": "f"}}]},
    _call('{"q": "ca'),
    _call('ts", "n": 1'),
    _call("2}"),
)
CALL_VALUES = [{"q": "ca"}, {"q": "cats"}, {"q": "cats", "n": 12}]


def shown(updates: list[Any], kind: type[Any] = ToolCallArgumentsDelta) -> list[Any]:
    """The value of each update of ``kind`` among ``updates``, read in order and copied as it
    is read (a live value goes on growing)."""
    return [json.loads(json.dumps(u.parsed)) for u in updates if isinstance(u, kind)]


@pytest.mark.parametrize("engine", [*ENGINES, AutoAccumulator])
def test_every_accumulator_takes_the_option_and_refuses_a_non_bool(engine: Any) -> None:
    assert engine().partial_json is False
    assert engine(partial_json=True).partial_json is True
    with pytest.raises(ValueError, match="partial_json must be a bool, not 'yes'"):
        engine(partial_json="yes")


def test_the_readers_refuse_a_non_bool_at_the_call() -> None:
    flag: Any = 1
    with pytest.raises(ValueError, match="partial_json must be a bool"):
        sseproto.iter_chat([CALL], partial_json=flag)
    with pytest.raises(ValueError, match="partial_json must be a bool"):
        sseproto.aiter_updates(CALL, partial_json=flag)


def test_one_read_of_every_delta_shows_each_delta_its_own_value() -> None:
    accumulator = ChatAccumulator(partial_json=True)
    updates = accumulator.feed(CALL) + accumulator.close()
    # Read in order once all are back: each shows the arguments up to itself.
    assert shown(updates) == CALL_VALUES
    assert shown(updates, ToolCallDone) == [CALL_VALUES[-1]]


def test_a_value_read_ahead_is_live() -> None:
    accumulator = ChatAccumulator(partial_json=True)
    deltas = [u for u in accumulator.feed(CALL) if isinstance(u, ToolCallArgumentsDelta)]
    assert deltas[1].parsed == {"q": "cats"}
    # The first delta, read after the second, shows the value as far as it has been read.
    assert deltas[0].parsed == {"q": "cats"}
    assert deltas[0].parsed is deltas[2].parsed


def test_every_feed_method_gives_the_values() -> None:
    events = list(sseproto.iter_events([CALL]))
    by_event = ChatAccumulator(partial_json=True)
    by_chunk = ChatAccumulator(partial_json=True)
    from_events: list[Any] = []
    from_chunks: list[Any] = []
    for event in events:
        from_events += by_event.feed_event(event)
        if event.data != "[DONE]":
            from_chunks += by_chunk.feed_chunk(json.loads(event.data))
    from_chunks += by_chunk.feed_done()
    for updates in (from_events, from_chunks):
        assert shown(updates) == CALL_VALUES
        assert shown(updates, ToolCallDone) == [CALL_VALUES[-1]]


def test_the_updates_before_an_error_carry_their_values() -> None:
    body = CALL[: CALL.index(b"data: [DONE]")] + b"data: {oops\n\n"
    accumulator = ChatAccumulator(partial_json=True)
    updates: list[Any] = []
    with pytest.raises(StreamError):
        accumulator.feed(body, into=updates)
    assert shown(updates) == CALL_VALUES


def test_an_answer_that_stops_being_json_shows_none_from_that_delta() -> None:
    accumulator = ChatAccumulator(partial_json=True)
    body = _chat({"content": '{"a": 1'}, {"content": ", 2"}, {"content": "}"})
    assert shown(accumulator.feed(body), ContentDelta) == [{}, None, None]


def test_live_arguments_follows_updates_got_elsewhere_the_same_way() -> None:
    accumulator = ChatAccumulator()
    live = LiveArguments()
    updates = accumulator.feed(CALL) + accumulator.close()
    for update in updates:
        live.annotate(update)
    assert shown(updates) == CALL_VALUES
    assert shown(updates, ToolCallDone) == [CALL_VALUES[-1]]


def test_a_call_restarted_at_an_index_has_arguments_of_its_own() -> None:
    live = LiveArguments()
    first = [
        sseproto.ToolCallStarted(0, 0, "a", "f"),
        ToolCallArgumentsDelta(0, 0, '{"x": 1}'),
        sseproto.ToolCallStarted(0, 0, "b", "g"),
        ToolCallArgumentsDelta(0, 0, '{"y": '),
        ToolCallArgumentsDelta(0, 0, "2}"),
    ]
    for update in first:
        live.annotate(update)
    assert shown(first) == [{"x": 1}, {}, {"y": 2}]


def test_a_provider_run_call_has_arguments_of_its_own() -> None:
    # Its index is a block's position, not a call's: block 1's input is not call 1's arguments,
    # and a server tool block restarted at an index starts afresh.
    live = LiveArguments()
    updates = [
        sseproto.HostedToolCallStarted(0, 1, "server_tool_use", "s1", "web_search"),
        HostedToolArgumentsDelta(0, 1, '{"query": "ca'),
        ToolCallArgumentsDelta(0, 1, '{"x": '),
        HostedToolArgumentsDelta(0, 1, 'ts"}'),
        ToolCallArgumentsDelta(0, 1, "1}"),
        sseproto.HostedToolCallStarted(0, 1, "mcp_tool_use", "m1", "ask", "wiki"),
        HostedToolArgumentsDelta(0, 1, '{"q": 2}'),
    ]
    for update in updates:
        live.annotate(update)
    hosted = shown(updates, HostedToolArgumentsDelta)
    assert hosted == [{"query": "ca"}, {"query": "cats"}, {"q": 2}]
    assert shown(updates) == [{}, {"x": 1}]


def test_a_server_tool_block_restarted_by_the_stream_shows_its_own_input() -> None:
    def event(payload: dict[str, Any]) -> str:
        return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n"

    def piece(text: str) -> dict[str, Any]:
        delta = {"type": "input_json_delta", "partial_json": text}
        return {"type": "content_block_delta", "index": 0, "delta": delta}

    block = {"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}
    start = {"type": "content_block_start", "index": 0, "content_block": block}
    message = {"id": "m", "type": "message", "role": "assistant", "content": [], "usage": {}}
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": message},
        start,
        piece('{"query": "a'),
        start,  # the default mode reads a block restarted at its index as a new block
        piece('{"query": "b"}'),
        {"type": "content_block_stop", "index": 0},
        {"type": "message_stop"},
    ]
    body = "".join(map(event, events)).encode()
    accumulator = AnthropicAccumulator(partial_json=True)
    updates = accumulator.feed(body)
    assert shown(updates, HostedToolArgumentsDelta) == [{"query": "a"}, {"query": "b"}]
    assert accumulator.result().content[0].to_dict()["input"] == {"query": "b"}


def test_reading_every_value_keeps_each_prefix_of_the_whole() -> None:
    accumulator = ChatAccumulator(partial_json=True)
    shown = []
    for start in range(0, len(CALL), 3):
        for update in accumulator.feed(CALL[start : start + 3]):
            if isinstance(update, ToolCallArgumentsDelta):
                shown.append(json.loads(json.dumps(update.parsed)))
    assert all(is_prefix(value, CALL_VALUES[-1]) for value in shown)
    assert shown[-1] == CALL_VALUES[-1]


# --- the adapters ------------------------------------------------------------------------------


def test_the_adapters_update_methods_take_the_option() -> None:
    import asyncio

    pytest.importorskip("httpx")  # a client of the test extra
    import httpx

    from sseproto.httpx import aconnect_sse, connect_sse

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=CALL)

    transport = httpx.MockTransport(answer)
    with httpx.Client(transport=transport) as client:
        for read in ("iter_updates", "iter_chat"):
            with connect_sse(client, "GET", "http://test/s") as source:
                assert shown(list(getattr(source, read)(partial_json=True))) == CALL_VALUES
        with connect_sse(client, "GET", "http://test/s") as source:
            assert shown(list(source.iter_updates())) == [None, None, None]
        with (
            connect_sse(client, "GET", "http://test/s") as source,
            pytest.raises(ValueError, match="partial_json must be a bool"),
        ):
            source.iter_chat(partial_json=cast(Any, "yes"))

    async def read_async(read: str) -> list[Any]:
        async with (
            httpx.AsyncClient(transport=transport) as client,
            aconnect_sse(client, "GET", "http://test/s") as source,
        ):
            return [update async for update in getattr(source, read)(partial_json=True)]

    for read in ("aiter_updates", "aiter_chat"):
        assert shown(asyncio.run(read_async(read))) == CALL_VALUES


@pytest.mark.parametrize(
    "path",
    [
        "reasoning-text-tool-call.sse",
        "function-call-legacy.sse",
        "anthropic/server-tool-web-search.sse",
        "responses/function-calls-parallel.sse",
        "responses/hosted-tools.sse",
        "gemini/streamed-args-terminator.sse",
    ],
)
def test_an_update_pickled_or_copied_keeps_the_value_it_showed(path: str) -> None:
    # Its live parser is its stream's (and holds a generator): the copy holds the value instead.
    duplicates: list[Callable[[ChatUpdate], ChatUpdate]] = [
        lambda update: pickle.loads(pickle.dumps(update)),
        copy.copy,
        copy.deepcopy,
    ]
    chunks = sseproto.replay(PROJECT_FIXTURES / path, chunking=5)
    live = 0
    for update in sseproto.iter_updates(chunks, partial_json=True):
        shown = getattr(update, "parsed", None)
        live += isinstance(update, LiveUpdate) and shown is not None
        for duplicate in duplicates:
            again = duplicate(update)
            assert type(again) is type(update)
            assert again == update
            assert getattr(again, "parsed", None) == shown
    assert live
