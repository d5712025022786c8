"""What docs/from-the-guide.md says about the usual streaming guide's code, held true.

The guide's Python loops run here as written, with the openai SDK, against a loopback server
answering with the project's fixtures: each weak spot the page names is seen to happen, and
sseproto reading the same bytes is seen to get it right. The guide's browser reader is
JavaScript; its loop is transcribed line for line (a read decoded alone, split on ``"\\n"``,
each data line parsed). Last, leaving a loop early must close the HTTP response at once, with
every adapter and with the SDK's raw body, which the page promises for cancelling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import httpx
import openai
import pytest
import requests
from conftest import PROJECT_FIXTURES
from servers import OBSERVE_SECONDS, LoopbackServer, Reply, serving

import sseproto
from sseproto.aiohttp import connect_sse as aiohttp_connect_sse
from sseproto.httpx import aconnect_sse as httpx_aconnect_sse
from sseproto.httpx import connect_sse as httpx_connect_sse
from sseproto.requests import connect_sse as requests_connect_sse

PATH = "/v1/chat/completions"
MESSAGES: Any = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serving() as running:
        yield running


def serve_fixture(server: LoopbackServer, name: str) -> None:
    server.replies[PATH] = Reply(parts=list(sseproto.replay(PROJECT_FIXTURES / f"{name}.sse")))


def sdk_client(server: LoopbackServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="sk-test", max_retries=0)


# -- the guide's Python, as written ------------------------------------------------------------


def guide_collect(client: openai.OpenAI, **options: Any) -> str:
    """The guide's "Collect Full Response" loop."""
    stream = client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, **options
    )
    with stream:
        full_response = ""
        for chunk in stream:
            content = chunk.choices[0].delta.content or ""
            full_response += content
        return full_response


def guide_tool_calls(client: openai.OpenAI, seen: list[dict[str, Any]]) -> None:
    """The guide's "With Tool Calls" loop, building ``seen`` as it goes."""
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    with stream:
        tool_calls = seen
        for chunk in stream:
            delta = chunk.choices[0].delta
            if delta.tool_calls:
                for tc in delta.tool_calls:
                    if tc.index >= len(tool_calls):
                        tool_calls.append({"id": "", "function": {"name": "", "arguments": ""}})
                    if tc.id:
                        tool_calls[tc.index]["id"] = tc.id
                    if tc.function and tc.function.name:
                        tool_calls[tc.index]["function"]["name"] = tc.function.name
                    if tc.function and tc.function.arguments:
                        tool_calls[tc.index]["function"]["arguments"] += tc.function.arguments


def sseproto_result(client: openai.OpenAI) -> sseproto.StreamResult:
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o", messages=MESSAGES, stream=True
    ) as response:
        return sseproto.accumulate(response.iter_bytes())


def calls_of(result: sseproto.StreamResult) -> list[tuple[str | None, str | None, str]]:
    return [(call.id, call.name, call.arguments) for call in result.tool_calls]


# -- the weak spots ----------------------------------------------------------------------------


def test_choices_0_raises_on_the_usage_chunk(server: LoopbackServer) -> None:
    serve_fixture(server, "text-usage")
    with sdk_client(server) as client:
        with pytest.raises(IndexError):
            guide_collect(client, stream_options={"include_usage": True})
        result = sseproto_result(client)
    assert result.text == "The answer is 42."
    assert result.usage is not None and result.usage["total_tokens"] == 18


def test_the_tool_merge_fails_on_a_call_without_index(server: LoopbackServer) -> None:
    serve_fixture(server, "tool-call-no-index")
    seen: list[dict[str, Any]] = []
    with sdk_client(server) as client:
        with pytest.raises(TypeError):
            guide_tool_calls(client, seen)
        result = sseproto_result(client)
    assert seen == []
    assert calls_of(result) == [("Xy7pQ2mN9", "get_weather", '{"city": "Lyon"}')]


def test_the_tool_merge_joins_a_resent_id_and_fails_on_a_skipped_index(
    server: LoopbackServer,
) -> None:
    serve_fixture(server, "tool-index-reused")
    seen: list[dict[str, Any]] = []
    with sdk_client(server) as client:
        with pytest.raises(IndexError):
            guide_tool_calls(client, seen)
        result = sseproto_result(client)
    # Two calls merged into one, the first one's id and name lost.
    merged = {"name": "second", "arguments": '{"n":1}{"n":2}'}
    assert seen[0] == {"id": "call_R2", "function": merged}
    assert calls_of(result) == [
        ("call_R1", "first", '{"n":1}'),
        ("call_R2", "second", '{"n":2}'),
        ("call_R3", "third", '{"n":3}'),
    ]


def test_a_cut_stream_passes_for_a_complete_answer(server: LoopbackServer) -> None:
    serve_fixture(server, "truncated")
    with sdk_client(server) as client:
        assert guide_collect(client) == "The connection dropped"
        with pytest.raises(sseproto.IncompleteStreamError) as caught:
            sseproto_result(client)
    assert caught.value.partial is not None
    assert caught.value.partial.text == "The connection dropped"


def test_choices_0_interleaves_the_choices_of_n(server: LoopbackServer) -> None:
    serve_fixture(server, "n3-choices")
    with sdk_client(server) as client:
        assert guide_collect(client) == "RedGreenYellow apple pear banana!"
        result = sseproto_result(client)
    assert isinstance(result, sseproto.ChatCompletion)
    assert [choice.message.content for choice in result.choices] == [
        "Red apple",
        "Green pear",
        "Yellow banana!",
    ]


def test_a_content_delta_always_has_text() -> None:
    # The page's answer to "always check for content": no update for a null or empty content.
    deltas = [
        update
        for path in sorted(PROJECT_FIXTURES.glob("*.sse"))
        for update in _updates_until_error(path)
        if isinstance(update, sseproto.ContentDelta)
    ]
    assert deltas and all(delta.text for delta in deltas)
    first = json.loads(next(sseproto.iter_events(sseproto.replay(
        PROJECT_FIXTURES / "text-usage.sse"))).data)
    assert first["choices"][0]["delta"]["content"] == ""


def _updates_until_error(path: Any) -> list[sseproto.ChatUpdate]:
    """The updates of a fixture, those before its error included (some fixtures end in one)."""
    updates: list[Any] = []
    with contextlib.suppress(sseproto.StreamError):
        for update in sseproto.iter_updates(sseproto.replay(path)):
            updates.append(update)
    return updates


# -- the guide's browser reader ----------------------------------------------------------------


def guide_route_body(fixture: str) -> bytes:
    """What the guide's Next.js route sends for a stream: ``JSON.stringify({ content })`` per
    content delta (no spaces, non-ASCII as is), then ``[DONE]``."""
    parts = [
        b"data: %s\n\n" % json.dumps({"content": update.text}, separators=(",", ":"),
                                     ensure_ascii=False).encode()
        for update in sseproto.iter_updates(sseproto.replay(PROJECT_FIXTURES / fixture))
        if isinstance(update, sseproto.ContentDelta)
    ]
    return b"".join(parts) + b"data: [DONE]\n\n"


def guide_browser_reader(reads: list[bytes]) -> list[str]:
    """The guide's client-side loop: each read decoded alone (TextDecoder.decode without
    ``{stream: true}`` replaces a cut character with U+FFFD), split on ``"\\n"``, each data line
    parsed."""
    contents = []
    for value in reads:
        text = value.decode("utf-8", errors="replace")
        for line in text.split("\n"):
            if line.startswith("data: ") and line != "data: [DONE]":
                contents.append(json.loads(line[6:])["content"])
    return contents


def test_the_guide_reader_is_right_only_when_every_read_ends_a_line() -> None:
    body = guide_route_body("chat-text.sse")  # French, an emoji, Japanese: multi-byte UTF-8
    expected = guide_browser_reader([body])
    assert "".join(expected) == "Bonjour ! Voilà le café ☕ et 東京 🌸."
    failures = 0
    for cut in range(1, len(body)):
        reads = [body[:cut], body[cut:]]
        try:
            right = guide_browser_reader(reads) == expected
        except json.JSONDecodeError:
            right = False
        # It fails whenever the cut falls inside a content line, and survives one at a line end.
        start = body.rfind(b"\n", 0, cut) + 1
        end = body.find(b"\n", cut)
        if start < cut < end and body[start:end] != b"data: [DONE]":
            assert not right, cut
        if body[cut - 1 : cut] == b"\n":
            assert right, cut
        failures += not right
        events = list(sseproto.iter_events(reads))
        assert [json.loads(e.data)["content"] for e in events[:-1]] == expected
    assert failures > len(body) // 2


def test_a_character_cut_between_reads_is_garbled_not_only_refused() -> None:
    body = 'data: {"content":"café"}\n\n'.encode()
    cut = body.index(b"\xc3") + 1
    # The same line cut inside the "é" and with its end in the first read.
    reads = [body[:cut], body[cut:]]
    with pytest.raises(json.JSONDecodeError):
        guide_browser_reader(reads)
    assert [event.data for event in sseproto.iter_events(reads)] == ['{"content":"café"}']


# -- cancelling: leaving the loop closes the response at once ----------------------------------

CHUNK = (
    b'data: {"id":"c","object":"chat.completion.chunk",'
    b'"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n'
)
READERS = ["iter_sse", "iter_updates", "iter_chat"]


def serve_endless(server: LoopbackServer) -> str:
    """A chat stream that never ends: keep-alives after a few chunks, until the client leaves."""
    server.replies[PATH] = Reply(parts=[CHUNK] * 3, endless=True)
    return f"{server.url}{PATH}"


SyncConnect = Callable[[str], Any]


def _httpx_sync(url: str) -> Any:
    client = httpx.Client()
    return client, httpx_connect_sse(client, "POST", url, json={})


def _requests_sync(url: str) -> Any:
    session = requests.Session()
    return session, requests_connect_sse(session, "POST", url, json={})


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("connect", [_httpx_sync, _requests_sync], ids=["httpx", "requests"])
@pytest.mark.parametrize("leave", ["break", "close"])
def test_leaving_a_sync_loop_closes_the_connection_inside_the_block(
    server: LoopbackServer, connect: SyncConnect, reader: str, leave: str
) -> None:
    client, connection = connect(serve_endless(server))
    with client, connection as source:
        if leave == "close":
            items = getattr(source, reader)()
            next(items)
            items.close()
        else:
            # The reader is dropped with the loop (a kept one is closed by close()).
            for _ in getattr(source, reader)():
                break
        assert server.disconnected.wait(OBSERVE_SECONDS)


def _httpx_async(url: str) -> Any:
    client = httpx.AsyncClient()
    return client, httpx_aconnect_sse(client, "POST", url, json={})


def _aiohttp_async(url: str) -> Any:
    session = aiohttp.ClientSession()
    return session, aiohttp_connect_sse(session, "POST", url, json={})


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("connect", [_httpx_async, _aiohttp_async], ids=["httpx", "aiohttp"])
@pytest.mark.parametrize("leave", ["break", "aclose", "cancel"])
def test_leaving_an_async_loop_closes_the_connection_inside_the_block(
    server: LoopbackServer, connect: SyncConnect, reader: str, leave: str
) -> None:
    url = serve_endless(server)

    async def read() -> None:
        client, connection = connect(url)
        async with client, connection as source:
            if leave == "cancel":
                started = asyncio.Event()

                async def consume() -> None:
                    async for _ in getattr(source, "a" + reader)():
                        started.set()

                task = asyncio.create_task(consume())
                await started.wait()
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            elif leave == "aclose":
                items = getattr(source, "a" + reader)()
                await anext(items)
                await items.aclose()
            else:
                # The reader is dropped with the loop, and the event loop finalizes it.
                async for _ in getattr(source, "a" + reader)():
                    break
            assert await asyncio.to_thread(server.disconnected.wait, OBSERVE_SECONDS)

    asyncio.run(read())


def test_leaving_the_loop_over_the_sdk_raw_body_closes_the_connection(
    server: LoopbackServer,
) -> None:
    serve_endless(server)
    with sdk_client(server) as client, client.chat.completions.with_streaming_response.create(
        model="gpt-4o", messages=MESSAGES, stream=True
    ) as response:
        for update in sseproto.iter_updates(response.iter_bytes()):
            assert update == sseproto.ContentDelta(0, "x")
            break
        assert server.disconnected.wait(OBSERVE_SECONDS)


def test_cancelling_the_task_over_the_async_sdk_raw_body_closes_the_connection(
    server: LoopbackServer,
) -> None:
    serve_endless(server)

    async def read() -> None:
        async with openai.AsyncOpenAI(
            base_url=f"{server.url}/v1", api_key="sk-test", max_retries=0
        ) as client, client.chat.completions.with_streaming_response.create(
            model="gpt-4o", messages=MESSAGES, stream=True
        ) as response:
            started = asyncio.Event()

            async def consume() -> None:
                async for _ in sseproto.aiter_updates(response.iter_bytes()):
                    started.set()

            task = asyncio.create_task(consume())
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await asyncio.to_thread(server.disconnected.wait, OBSERVE_SECONDS)

    asyncio.run(read())


def test_the_sdk_own_stream_stays_open_after_a_break_until_closed(
    server: LoopbackServer,
) -> None:
    # What the page says of the SDK's chunk objects: a break alone leaves the response open.
    serve_endless(server)
    with sdk_client(server) as client:
        stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        with stream:
            for _ in stream:
                break
            assert not stream.response.is_closed
        assert stream.response.is_closed
        assert server.disconnected.wait(OBSERVE_SECONDS)
