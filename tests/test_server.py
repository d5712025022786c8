"""The relay encoder: items to SSE bytes, keep-alives, [DONE], and a real Starlette app under
uvicorn read back through the httpx adapter."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import httpx
import pytest
from conftest import PROJECT_FIXTURES, real_fixture_files, require_real_fixtures
from hypothesis import given
from hypothesis import strategies as st
from servers import decode_whole, serving_app
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

import sseproto
from sseproto import (
    AnnotationAdded,
    BlockDone,
    ChatUpdate,
    ChoiceFinished,
    ContentDelta,
    GroundingUpdate,
    HostedToolProgress,
    IncompleteStreamError,
    ProviderError,
    ServerSentEvent,
    StreamDone,
    StreamError,
    TextBlock,
    ToolCallPartialArg,
    ToolCallStarted,
    UsageUpdate,
)
from sseproto.httpx import aconnect_sse, connect_sse
from sseproto.server import ERROR_EVENT, SSE_HEADERS, StreamItem, event_stream

Item = StreamItem


async def items_of(values: Sequence[Item], pause: float = 0.0) -> AsyncIterator[Item]:
    for value in values:
        if pause:
            await asyncio.sleep(pause)
        yield value


def encode(values: Sequence[Item], **options: Any) -> bytes:
    async def run() -> bytes:
        return b"".join([block async for block in event_stream(items_of(values), **options)])

    return asyncio.run(run())


def test_events_round_trip_with_ids_only_where_they_change() -> None:
    events = [
        ServerSentEvent(data="one"),
        ServerSentEvent(event="delta", data="two\nlines", id="7", retry=1500),
        ServerSentEvent(data="three", id="7"),
        ServerSentEvent(data="", id=""),
        ServerSentEvent(event="x", data="\n", id="é 8"),
    ]
    body = encode(events, keepalive=None)
    assert decode_whole(body) == events
    assert body.count(b"id:") == 3
    assert b"data: two\ndata: lines\n" in body


def test_strings_become_message_events_one_data_line_per_line() -> None:
    body = encode(["plain", "a\nb\r\nc", ""], keepalive=None)
    assert body == b"data: plain\n\ndata: a\ndata: b\ndata: c\n\ndata: \n\n"
    assert [event.data for event in decode_whole(body)] == ["plain", "a\nb\nc", ""]


@given(st.lists(st.text(), max_size=5))
def test_any_text_round_trips(texts: list[str]) -> None:
    # Decoders turn CR and CRLF into LF: that is what a client can see.
    expected = [text.replace("\r\n", "\n").replace("\r", "\n") for text in texts]
    assert [event.data for event in decode_whole(encode(texts, keepalive=None))] == expected


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(
    st.lists(
        st.one_of(
            st.dictionaries(st.text(), JSON_VALUES, max_size=4).map(lambda value: ("dict", value)),
            st.text().map(lambda value: ("bytes", value)),
            st.text().map(lambda value: ("str", value)),
        ),
        max_size=6,
    )
)
def test_dicts_and_encoded_bytes_round_trip_among_other_items(
    values: list[tuple[str, Any]],
) -> None:
    # A dict decodes to its JSON's value; encoded bytes decode to the event they encode.
    items: list[Item] = [
        sseproto.encode_event(value, event="encoded") if kind == "bytes" else value
        for kind, value in values
    ]
    events = decode_whole(encode(items, keepalive=None))
    assert len(events) == len(values)
    for (kind, value), event in zip(values, events, strict=True):
        if kind == "dict":
            assert (event.event, event.json()) == ("message", value)
        else:
            # Decoders turn CR and CRLF into LF.
            expected = value.replace("\r\n", "\n").replace("\r", "\n")
            assert event.event == ("encoded" if kind == "bytes" else "message")
            assert event.data == expected


def test_chat_updates_become_named_json_events() -> None:
    completion = sseproto.accumulate(
        [
            b'data: {"id":"c1","model":"m","created":1,"choices":[{"index":0,"delta":'
            b'{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
        ],
        dialect="chat",
    )
    updates: list[Item] = [
        ContentDelta(0, "Hi"),
        ToolCallStarted(1, 0, "call_1", "get_weather"),
        ChoiceFinished(0, "stop"),
        UsageUpdate({"total_tokens": 3}),
        StreamDone(completion),
    ]
    events = decode_whole(encode(updates, keepalive=None, done=True))
    assert [(event.event, event.json()) for event in events[:-2]] == [
        ("content", {"choice": 0, "text": "Hi"}),
        ("tool_call_started", {"choice": 1, "index": 0, "id": "call_1", "name": "get_weather"}),
        ("choice_finished", {"choice": 0, "finish_reason": "stop"}),
        ("usage", {"usage": {"total_tokens": 3}}),
    ]
    assert events[-2].event == "done"
    assert events[-2].json() == completion.to_dict()
    assert events[-1] == ServerSentEvent(data="[DONE]")


def test_dialect_updates_become_events_named_after_their_class() -> None:
    updates: list[Item] = [
        BlockDone(0, TextBlock(MappingProxyType({"type": "text", "text": "Hi"}))),
        GroundingUpdate(1, MappingProxyType({"webSearchQueries": ["q"]})),
        ToolCallPartialArg(0, 2, "$.city", "Par"),
        HostedToolProgress(0, 3, "web_search_call", "searching"),
        AnnotationAdded(0, 1, 0, 4, {"type": "url_citation", "url": "https://example.com"}),
    ]
    events = decode_whole(encode(updates, keepalive=None))
    assert [(event.event, event.data) for event in events] == [
        ("block_done", '{"index": 0, "block": {"type": "text", "text": "Hi"}}'),
        ("grounding", '{"choice": 1, "grounding_metadata": {"webSearchQueries": ["q"]}}'),
        (
            "tool_call_partial_arg",
            '{"choice": 0, "index": 2, "json_path": "$.city", "value": "Par"}',
        ),
        (
            "hosted_tool_progress",
            '{"choice": 0, "output_index": 3, "item_type": "web_search_call", '
            '"status": "searching"}',
        ),
        (
            "annotation_added",
            '{"choice": 0, "output_index": 1, "content_index": 0, "annotation_index": 4, '
            '"annotation": {"type": "url_citation", "url": "https://example.com"}}',
        ),
    ]


class MCPApprovalRequested(ChatUpdate):
    __slots__ = ("choice", "name")
    __match_args__ = ("name", "choice")

    def __init__(self, choice: int, name: str) -> None:
        self.choice = choice
        self.name = name


class PlainUpdate(ChatUpdate):
    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value


def test_any_new_update_class_gets_an_event_of_its_own() -> None:
    events = decode_whole(
        encode([MCPApprovalRequested(0, "fetch"), PlainUpdate(7)], keepalive=None)
    )
    assert [(event.event, event.data) for event in events] == [
        ("mcp_approval_requested", '{"name": "fetch", "choice": 0}'),
        ("plain", '{"value": 7}'),
    ]


def updates_until_error(body: bytes) -> tuple[list[ChatUpdate], StreamError | None]:
    """The updates a recording gives, and the error that ended it early (None if none did)."""
    updates: list[ChatUpdate] = []
    try:
        for update in sseproto.iter_updates([body]):
            updates.append(update)
    except StreamError as error:
        return updates, error
    return updates, None


def relay_recording(path: Path) -> bytes:
    async def upstream() -> AsyncIterator[bytes]:
        yield path.read_bytes()

    async def run() -> bytes:
        relayed = event_stream(sseproto.aiter_updates(upstream()), keepalive=None)
        return b"".join([block async for block in relayed])

    return asyncio.run(run())


def test_every_real_recording_relays_one_event_per_update() -> None:
    require_real_fixtures()
    paths = real_fixture_files(
        "openai-chat", "anthropic", "openai-responses", "gemini", "other-openai-compatible"
    )
    assert {path.parent.name for path in paths} >= {"anthropic", "openai-responses", "gemini"}
    names: dict[type[ChatUpdate], str] = {}
    for path in paths:
        updates, error = updates_until_error(path.read_bytes())
        body = relay_recording(path)
        events = list(sseproto.iter_events([body]))
        assert decode_whole(body) == events, path.name
        assert len(events) == len(updates) + (error is not None), path.name
        for update, event in zip(updates, events, strict=False):
            if isinstance(update, StreamDone):
                assert event.event == "done", path.name
                assert event.json() == update.completion.to_dict(), path.name
                continue
            # One name per update class, across every dialect, never one the relay or EventSource
            # gives a meaning of its own.
            assert names.setdefault(type(update), event.event) == event.event, path.name
            assert event.event not in {"done", "error", ERROR_EVENT, "message"}, path.name
            assert tuple(event.json()) == vars(type(update))["__match_args__"], path.name
        if error is None:
            assert events[-1].event == "done", path.name
        else:
            assert events[-1].event == ERROR_EVENT, path.name
    assert len(set(names.values())) == len(names)
    assert {kind.__name__ for kind in names} >= {
        "BlockDone",
        "CitationAdded",
        "HostedToolCallStarted",
        "GroundingUpdate",
        "ExecutableCodeUpdate",
        "CodeExecutionResultUpdate",
        "ToolCallPartialArg",
        "AnnotationAdded",
        "HostedToolProgress",
        "HostedToolArgumentsDelta",
    }


@pytest.mark.parametrize(
    ("name", "opened"),
    [
        (
            "responses/hosted-tools.sse",
            {"choice": 0, "index": 4, "type": "mcp_call", "name": "ask_question"},
        ),
        (
            "anthropic/mcp-tool-use.sse",
            {"choice": 0, "type": "mcp_tool_use", "name": "ask_question"},
        ),
    ],
)
def test_a_call_the_provider_runs_is_relayed_as_it_opens_under_one_name(
    name: str, opened: dict[str, Any]
) -> None:
    events = list(sseproto.iter_events([relay_recording(PROJECT_FIXTURES / name)]))
    (event,) = [event for event in events if event.event == "hosted_tool_call_started"]
    data = event.json()
    assert list(data) == ["choice", "index", "type", "id", "name", "server"]
    assert data | opened == data and data["server"] == "deepwiki" and data["id"]


def test_done_is_sent_only_when_asked() -> None:
    assert encode(["x"], keepalive=None) == b"data: x\n\n"
    assert encode(["x"], keepalive=None, done=True) == b"data: x\n\ndata: [DONE]\n\n"
    assert encode([], keepalive=None, done=True) == b"data: [DONE]\n\n"


def test_keepalive_comments_fill_the_silences_without_losing_items() -> None:
    async def run() -> list[bytes]:
        source = items_of(["a", "b"], pause=0.08)
        return [block async for block in event_stream(source, keepalive=0.02)]

    blocks = asyncio.run(run())
    assert [block for block in blocks if not block.startswith(b":")] == [
        b"data: a\n\n",
        b"data: b\n\n",
    ]
    assert blocks.count(b":\n\n") >= 2
    assert blocks[0] == b":\n\n"  # the first pause is filled before the first item


def test_closing_the_stream_closes_the_source_and_stops_its_task() -> None:
    closed = asyncio.Event()

    async def endless() -> AsyncIterator[str]:
        try:
            while True:
                yield "tick"
                await asyncio.sleep(0.01)
        finally:
            closed.set()

    async def run() -> None:
        stream = event_stream(endless(), keepalive=0.005)
        async for block in stream:
            if block.startswith(b"data"):
                break
        await stream.aclose()
        assert closed.is_set()
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(run())


def test_errors_from_the_source_propagate_when_asked() -> None:
    async def failing() -> AsyncIterator[str]:
        yield "a"
        raise RuntimeError("upstream failed")

    async def run(keepalive: float | None) -> list[bytes]:
        stream = event_stream(failing(), keepalive=keepalive, errors="raise")
        return [block async for block in stream]

    for keepalive in (None, 1.0):
        with pytest.raises(RuntimeError, match="upstream failed"):
            asyncio.run(run(keepalive))


@pytest.mark.parametrize("keepalive", [None, 1.0])
def test_any_exception_from_the_source_ends_the_stream_with_the_error_event(
    keepalive: float | None, caplog: pytest.LogCaptureFixture
) -> None:
    # What the client is told names the failure but not its text, which may carry secrets.
    error = httpx.RemoteProtocolError("peer closed https://x.example/?key=SECRET")
    events = _relayed(error, keepalive=keepalive, done=True)
    assert [event.event for event in events] == ["content", ERROR_EVENT]  # no [DONE] after it
    assert events[-1].json() == {
        "error": {
            "type": "RemoteProtocolError",
            "message": "the stream failed (RemoteProtocolError; details in the server log)",
        }
    }
    assert "SECRET" not in events[-1].data
    # The server's log has the whole exception.
    assert [record.exc_info[1] for record in caplog.records if record.exc_info] == [error]


@pytest.mark.parametrize("reader", ["aiter_events", "aiter_chat"])
def test_a_source_failure_a_reader_wrapped_is_told_without_its_text(reader: str) -> None:
    # The readers give a failing source's exception the stream's error, whose message quotes
    # its text: the client is told its type and where, not the text.
    cause = httpx.RemoteProtocolError("peer closed https://x.example/?key=SECRET")
    body = sseproto.encode_event('{"choices": [{"index": 0, "delta": {"content": "Hel"}}]}')

    async def upstream() -> AsyncIterator[bytes]:
        yield body
        raise cause

    async def run() -> bytes:
        items: AsyncIterator[Item] = getattr(sseproto, reader)(upstream())
        return b"".join([block async for block in event_stream(items)])

    events = list(sseproto.iter_events([asyncio.run(run())]))
    assert events[-1].event == ERROR_EVENT and "SECRET" not in events[-1].data
    assert events[-1].json() == {
        "error": {
            "type": "IncompleteStreamError",
            "message": f"the stream failed with RemoteProtocolError after {len(body)} bytes "
            "(details in the server log)",
        }
    }


def _failing_with(error: Exception) -> AsyncIterator[Item]:
    async def source() -> AsyncIterator[Item]:
        yield ContentDelta(0, "Hel")
        raise error

    return source()


def _relayed(error: Exception, **options: Any) -> list[ServerSentEvent]:
    async def run() -> bytes:
        return b"".join([block async for block in event_stream(_failing_with(error), **options)])

    return list(sseproto.iter_events([asyncio.run(run())]))


def test_a_provider_error_from_the_source_ends_the_stream_with_an_error_event() -> None:
    provider_error = {"message": "Token limit reached", "code": 400}
    events = _relayed(ProviderError(provider_error), done=True)
    assert [event.event for event in events] == ["content", ERROR_EVENT]
    assert events[-1].json() == {"error": provider_error}
    # sseproto's own chat reader sees the relayed error as what it was.
    with pytest.raises(ProviderError) as caught:
        sseproto.accumulate([sseproto.encode_event(events[-1].data, event=ERROR_EVENT)])
    assert caught.value.error == provider_error


def test_other_stream_errors_from_the_source_are_named_in_the_error_event() -> None:
    events = _relayed(IncompleteStreamError("the stream ended early", offset=10))
    assert events[-1].event == ERROR_EVENT
    assert events[-1].json() == {
        "error": {"type": "IncompleteStreamError", "message": "the stream ended early"}
    }


@pytest.mark.parametrize("item", [3, None, ["a"], 2.5, ("a",)])
def test_unknown_items_end_the_stream_with_the_error_event(item: Any) -> None:
    events = decode_whole(encode(["before", item, "after"], keepalive=None))
    assert [event.event for event in events] == ["message", ERROR_EVENT]
    assert events[-1].json()["error"]["type"] == "TypeError"
    with pytest.raises(TypeError, match=type(item).__name__):
        encode([item], errors="raise")


def test_dicts_are_sent_as_json_message_events() -> None:
    items: list[Item] = [
        {"content": "Hi", "n": [1, 2.5, None, True]},
        MappingProxyType({"nested": MappingProxyType({"a": "é"})}),
        {},
    ]
    events = decode_whole(encode(items, keepalive=None))
    assert [(event.event, event.json()) for event in events] == [
        ("message", {"content": "Hi", "n": [1, 2.5, None, True]}),
        ("message", {"nested": {"a": "é"}}),
        ("message", {}),
    ]


@pytest.mark.parametrize("item", [{"x": float("nan")}, {"x": object()}, {"x": float("inf")}])
def test_a_dict_that_is_no_json_ends_the_stream_with_the_error_event(item: Any) -> None:
    events = decode_whole(encode([item], keepalive=None))
    assert [event.event for event in events] == [ERROR_EVENT]


def test_bytes_are_sent_as_they_are() -> None:
    encoded = sseproto.encode_event("one", event="x", id="1") + sseproto.encode_event("two")
    body = encode([encoded, b"data: three\r\n\r\n", b"", "four"], keepalive=None)
    assert body.startswith(encoded + b"data: three\r\n\r\n")
    assert [event.data for event in decode_whole(body)] == ["one", "two", "three", "four"]


def test_an_id_after_bytes_is_written_again() -> None:
    # The bytes may have set another last-event-ID: the next event states its own.
    items: list[Item] = [
        ServerSentEvent(data="a", id="1"),
        sseproto.encode_event("b", id="2"),
        ServerSentEvent(data="c", id="1"),
    ]
    events = decode_whole(encode(items, keepalive=None))
    assert [(event.data, event.id) for event in events] == [("a", "1"), ("b", "2"), ("c", "1")]


@pytest.mark.parametrize("item", [b"data: cut", b"data: x\n", b"data: a\n\ndata: b"])
def test_bytes_that_do_not_end_an_event_are_refused(item: bytes) -> None:
    events = decode_whole(encode(["before", item, "after"], keepalive=None))
    assert [event.event for event in events] == ["message", ERROR_EVENT]
    assert events[-1].json()["error"]["type"] == "ValueError"
    with pytest.raises(ValueError, match="aiter_events"):
        encode([item], errors="raise")


def sync_generator() -> Iterator[str]:
    yield "a"


@pytest.mark.parametrize("source", [["a"], ("a",), "abc", sync_generator(), iter(["a"])])
def test_a_sync_iterable_is_refused_at_call_time(source: Any) -> None:
    with pytest.raises(TypeError, match=r"async iterable.*sync iterable"):
        event_stream(source)


def test_something_not_iterable_is_refused_at_call_time() -> None:
    with pytest.raises(TypeError, match=r"async iterable, not int$"):
        event_stream(cast(Any, 3))


@pytest.mark.parametrize("errors", ["ignore", None, True])
def test_invalid_error_handling_is_rejected_at_call_time(errors: Any) -> None:
    with pytest.raises(ValueError, match="errors"):
        event_stream(items_of([]), errors=errors)


@pytest.mark.parametrize("keepalive", [0, -1, float("inf"), float("nan"), True, "5"])
def test_invalid_keepalive_is_rejected_at_call_time(keepalive: Any) -> None:
    with pytest.raises(ValueError, match="keepalive"):
        event_stream(items_of([]), keepalive=keepalive)


def test_headers_name_an_uncached_event_stream() -> None:
    assert SSE_HEADERS["Content-Type"] == "text/event-stream"
    assert SSE_HEADERS["Cache-Control"] == "no-store"
    assert "Connection" not in SSE_HEADERS


# -- a real relay: Starlette + uvicorn, read back with the httpx adapter --------------------------

RELAYED = [
    ServerSentEvent(data="hello"),
    ServerSentEvent(event="delta", data='{"a": 1}\n{"b": 2}', id="1"),
    ServerSentEvent(data="", id="2", retry=3000),
    ServerSentEvent(data="é 🙂 \u2028 end"),
]


def relay_app(upstream: dict[str, bytes], closed: threading.Event) -> Starlette:
    async def events(request: Request) -> StreamingResponse:
        async def source() -> AsyncGenerator[Item, None]:
            try:
                for number, event in enumerate(RELAYED):
                    if number == 2:
                        await asyncio.sleep(0.05)  # long enough for keep-alives
                    yield event
            finally:
                closed.set()

        return StreamingResponse(event_stream(source(), keepalive=0.01), headers=SSE_HEADERS)

    async def chat(request: Request) -> StreamingResponse:
        body = upstream[request.query_params["name"]]

        async def reads() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 97):
                yield body[start : start + 97]

        updates = sseproto.aiter_chat(reads())
        return StreamingResponse(event_stream(updates, done=True), headers=SSE_HEADERS)

    async def endless(request: Request) -> StreamingResponse:
        async def source() -> AsyncGenerator[Item, None]:
            try:
                number = 0
                while True:
                    yield str(number)
                    number += 1
                    await asyncio.sleep(0.005)
            finally:
                closed.set()

        return StreamingResponse(event_stream(source()), headers=SSE_HEADERS)

    return Starlette(
        routes=[
            Route("/events", events),
            Route("/chat", chat, methods=["POST"]),
            Route("/endless", endless),
        ]
    )


def test_relay_round_trips_events_with_keepalives() -> None:
    closed = threading.Event()
    with serving_app(relay_app({}, closed)) as url, httpx.Client() as client:
        with client.stream("GET", f"{url}/events") as response:
            assert response.headers["content-type"] == "text/event-stream"
            assert response.headers["cache-control"] == "no-store"
            body = response.read()
        with connect_sse(client, "GET", f"{url}/events") as source:
            assert list(source.iter_sse()) == RELAYED
    assert b":\n\n" in body
    assert decode_whole(body) == RELAYED
    assert closed.is_set()


def test_relay_of_chat_updates_carries_the_whole_completion() -> None:
    require_real_fixtures()
    upstream = {path.name: path.read_bytes() for path in real_fixture_files("openai-chat")}

    async def read(url: str) -> dict[str, list[ServerSentEvent]]:
        async with httpx.AsyncClient() as client:

            async def one(name: str) -> list[ServerSentEvent]:
                async with aconnect_sse(client, "POST", f"{url}/chat?name={name}") as source:
                    return [event async for event in source.aiter_sse()]

            results = await asyncio.gather(*(one(name) for name in upstream))
            return dict(zip(upstream, results, strict=True))

    with serving_app(relay_app(upstream, threading.Event())) as url:
        relayed = asyncio.run(read(url))
    for name, body in upstream.items():
        expected = sseproto.accumulate([body], dialect="chat")
        events = relayed[name]
        assert events[-1].data == "[DONE]", name
        assert events[-2].event == "done", name
        assert events[-2].json() == expected.to_dict(), name
        for choice in expected.choices:
            text = "".join(
                event.json()["text"]
                for event in events
                if event.event == "content" and event.json()["choice"] == choice.index
            )
            assert text == (choice.message.content or ""), name


def test_relay_stops_its_source_when_the_client_leaves() -> None:
    closed = threading.Event()
    with serving_app(relay_app({}, closed)) as url, httpx.Client() as client:
        with connect_sse(client, "GET", f"{url}/endless") as source:
            for event in source.iter_sse():
                if event.data == "3":
                    break
        assert closed.wait(5.0)


def test_relayed_chat_json_is_plain_json() -> None:
    body = encode([UsageUpdate({"nested": {"a": [1, 2]}})], keepalive=None)
    assert json.loads(decode_whole(body)[0].data) == {"usage": {"nested": {"a": [1, 2]}}}


def test_live_arguments_are_relayed_whole_at_the_call_end_not_on_every_delta() -> None:
    # A delta's value so far is no field: only tool_call_done carries the parsed arguments.
    async def relayed() -> list[sseproto.ServerSentEvent]:
        updates = sseproto.aiter_updates(
            sseproto.areplay(PROJECT_FIXTURES / "tool-call.sse", chunking=7), partial_json=True
        )
        return [event async for event in sseproto.aiter_events(event_stream(updates))]

    events = asyncio.run(relayed())
    deltas = [json.loads(e.data) for e in events if e.event == "tool_call_arguments"]
    (done,) = [json.loads(e.data) for e in events if e.event == "tool_call_done"]
    assert len(deltas) > 1
    assert all(set(delta) == {"choice", "index", "text"} for delta in deltas)
    assert done["parsed"] == json.loads("".join(delta["text"] for delta in deltas))
