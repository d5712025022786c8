"""The mistakes a newcomer makes with the adapters, for every adapter alike (httpx sync and
async, aiohttp, requests): a ``connect_sse(...)`` used without its ``with`` (read from, iterated,
awaited, or entered with the wrong kind of ``with``), an event source iterated itself or read
with the other kind's methods; each is a ``TypeError`` (an ``AttributeError`` for a method the
source lacks) that says what to write, and none sends a request. And the reprs of what
``connect_sse`` returns and of the event source."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx
import pytest
import requests
from servers import LoopbackServer, Reply

import sseproto
import sseproto.aiohttp
import sseproto.httpx
import sseproto.requests

SECRET = "AIzaSyA0123456789012345678901234567890ab"


@contextmanager
def clients() -> Iterator[dict[str, Callable[..., Any]]]:
    """Each sync adapter's connect_sse with its client bound."""
    with httpx.Client() as client, requests.Session() as session:
        yield {
            "httpx": lambda *a, **k: sseproto.httpx.connect_sse(client, *a, **k),
            "requests": lambda *a, **k: sseproto.requests.connect_sse(session, *a, **k),
        }


def async_connections(url: str) -> dict[str, Callable[[Callable[[Any], Any]], Any]]:
    """Run ``use`` on each async adapter's connect_sse(...) result inside a running loop."""

    async def with_httpx(use: Callable[[Any], Any]) -> Any:
        async with httpx.AsyncClient() as client:
            return await use(sseproto.httpx.aconnect_sse(client, "GET", url))

    async def with_aiohttp(use: Callable[[Any], Any]) -> Any:
        async with aiohttp.ClientSession() as session:
            return await use(sseproto.aiohttp.connect_sse(session, "GET", url))

    return {
        "aconnect_sse": lambda use: asyncio.run(with_httpx(use)),
        "connect_sse": lambda use: asyncio.run(with_aiohttp(use)),
    }


SAYS_WITH = r"write `with connect_sse\(\.\.\.\) as event_source:`"


def test_a_sync_connection_used_without_with_says_to_write_it(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: x\n\n"])
    url = f"{server.url}/s"
    with clients() as connects:
        for name, connect in connects.items():
            for mistake in (
                lambda connection: connection.iter_sse(),
                lambda connection: connection.accumulate(),
                lambda connection: connection.response,
                list,
            ):
                with pytest.raises(TypeError, match=SAYS_WITH):
                    mistake(connect("GET", url))

            async def in_async_with(c: Callable[..., Any] = connect) -> None:
                async with c("GET", url):
                    pass

            async def awaited(c: Callable[..., Any] = connect) -> None:
                await c("GET", url)

            for wrong in (in_async_with, awaited):
                with pytest.raises(TypeError, match="is synchronous") as caught:
                    asyncio.run(wrong())
                assert "`with connect_sse(...) as event_source:`" in str(caught.value), name
            # Other attributes are missing as usual.
            assert not hasattr(connect("GET", url), "status_code")
    assert server.requests == []  # none of it sent a request


@pytest.mark.parametrize("name", ["aconnect_sse", "connect_sse"])
def test_an_async_connection_used_without_async_with_says_to_write_it(
    server: LoopbackServer, name: str
) -> None:
    server.replies["/s"] = Reply(parts=[b"data: x\n\n"])
    run = async_connections(f"{server.url}/s")[name]
    says = f"write `async with {name}(...) as event_source:`"

    async def read_it(connection: Any) -> None:
        async for _ in connection.aiter_sse():
            pass

    async def iterate_it(connection: Any) -> None:
        async for _ in connection:
            pass

    async def await_it(connection: Any) -> None:
        await connection

    async def sync_with(connection: Any) -> None:
        with connection:
            pass

    async def sync_for(connection: Any) -> None:
        for _ in connection:
            pass

    for use in (read_it, iterate_it, await_it, sync_with, sync_for):
        with pytest.raises(TypeError) as caught:
            run(use)
        assert says in str(caught.value), use.__name__
    assert server.requests == []


def test_what_connect_sse_returns_shows_the_request_credentials_redacted() -> None:
    url = f"http://127.0.0.1:9/v1beta/models/m:streamGenerateContent?alt=sse&key={SECRET}"
    with clients() as connects:
        for connect in connects.values():
            shown = repr(connect("POST", url))
            assert shown == (
                "SSEConnection(method='POST', url='http://127.0.0.1:9/v1beta/models/"
                "m:streamGenerateContent?alt=sse&key=<redacted>')"
            )

    async def show(connection: Any) -> str:
        return repr(connection)

    for run in async_connections(url).values():
        shown = run(show)
        assert shown.startswith("AsyncSSEConnection(method='GET', url='http://127.0.0.1:9/")
        assert SECRET not in shown and "key=<redacted>" in shown


def test_an_event_source_shows_its_request_response_and_progress(server: LoopbackServer) -> None:
    server.replies[f"/s?api_key={SECRET}"] = Reply(parts=[b"id: 7\ndata: x\n\n"])
    url = f"{server.url}/s?api_key={SECRET}"
    expected = (
        f"(method='GET', url='{server.url}/s?api_key=<redacted>', status=200, "
        "content_type='text/event-stream'"
    )
    with clients() as connects:
        for connect in connects.values():
            with connect("GET", url) as source:
                assert repr(source) == f"EventSource{expected})"
                assert [event.data for event in source.iter_sse()] == ["x"]
                assert repr(source) == f"EventSource{expected}, read=True, last_event_id='7')"

    async def show(connection: Any) -> tuple[str, str]:
        async with connection as source:
            before = repr(source)
            async for _ in source.aiter_sse():
                pass
            return before, repr(source)

    for name, run in async_connections(url).items():
        before, after = run(show)
        kind = "AsyncEventSource" if name == "aconnect_sse" else "EventSource"
        assert before == f"{kind}{expected})"
        assert after == f"{kind}{expected}, read=True, last_event_id='7')"


def test_an_event_source_of_a_bare_response_still_has_a_repr() -> None:
    # A response made by hand has no request: the repr must not fail on it.
    assert repr(sseproto.httpx.EventSource(httpx.Response(200))) == (
        "EventSource(response=<Response [200 OK]>)"
    )


def test_an_event_source_is_read_through_its_methods(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: x\n\n"])
    url = f"{server.url}/s"
    with clients() as connects:
        for connect in connects.values():
            with connect("GET", url) as source:
                with pytest.raises(TypeError, match=r"not iterable: iterate source\.iter_sse\(\)"):
                    iter(source)
                with pytest.raises(AttributeError, match=r"use `for event in source\.iter_sse"):
                    source.aiter_sse()
                with pytest.raises(AttributeError, match=r"use `source\.accumulate\(\)`"):
                    source.aaccumulate()
                assert [event.data for event in source.iter_sse()] == ["x"]

    async def misuse(connection: Any) -> list[str]:
        async with connection as source:
            with pytest.raises(TypeError, match=r"async for event in source\.aiter_sse"):
                iter(source)
            with pytest.raises(TypeError, match=r"not iterable: `async for event in"):
                aiter(source)
            with pytest.raises(AttributeError, match=r"await source\.aaccumulate\(\)"):
                source.accumulate()
            with pytest.raises(AttributeError, match=r"async for event in source\.aiter_sse"):
                source.iter_sse()
            return [event.data async for event in source.aiter_sse()]

    for run in async_connections(url).values():
        assert run(misuse) == ["x"]


def read_twice_says(first: str) -> str:
    return rf"already read by {first}\(\): a response's body can be read only once, so keep"


def test_an_event_source_read_twice_names_the_first_read_and_the_rule(
    server: LoopbackServer,
) -> None:
    server.replies["/s"] = Reply(parts=[b"data: x\n\n"])
    url = f"{server.url}/s"
    with clients() as connects:
        for connect in connects.values():
            with connect("GET", url) as source:
                assert [event.data for event in source.iter_sse()] == ["x"]
                with pytest.raises(RuntimeError, match=read_twice_says("iter_sse")):
                    source.accumulate()
            with connect("GET", url) as source:
                source.iter_chat()  # made, not even iterated: the name the user called
                with pytest.raises(RuntimeError, match=read_twice_says("iter_chat")):
                    source.iter_sse()

    async def twice(connection: Any) -> None:
        async with connection as source:
            with pytest.raises(sseproto.StreamError):
                await source.aaccumulate()  # one event of no dialect
            with pytest.raises(RuntimeError, match=read_twice_says("aaccumulate")):
                source.aiter_updates()

    async def chat_then_events(connection: Any) -> None:
        async with connection as source:
            source.aiter_chat()
            with pytest.raises(RuntimeError, match=read_twice_says("aiter_chat")):
                source.aiter_sse()

    for run in async_connections(url).values():
        run(twice)
        run(chat_then_events)


AFTER_BLOCK = r"closed when its connect_sse\(\.\.\.\) block ended: read the event source inside"


def test_an_event_source_read_after_its_block_ended_says_so(server: LoopbackServer) -> None:
    # The block closes the response: a source read after it (kept, or returned by a function)
    # or a reader made inside and iterated after it names the block, not a stream that failed.
    server.replies["/s"] = Reply(parts=[b"data: x\n\n"])
    url = f"{server.url}/s"
    with clients() as connects:
        for name, connect in connects.items():
            with connect("GET", url) as source:
                pass
            reads: list[Callable[[Any], object]] = [
                lambda s: s.iter_sse(),
                lambda s: s.iter_updates(),
                lambda s: s.iter_chat(partial_json=True),
                lambda s: s.accumulate(),
            ]
            for read in reads:
                with pytest.raises(RuntimeError, match=AFTER_BLOCK):
                    read(source)
            with connect("GET", url) as source:
                events = source.iter_sse()
            with pytest.raises(sseproto.IncompleteStreamError) as failed:
                list(events)
            assert isinstance(failed.value.__cause__, RuntimeError), name
            assert re.search(AFTER_BLOCK, str(failed.value)), name

    async def after_block(connection: Any) -> None:
        async with connection as source:
            updates = source.aiter_updates()
        with pytest.raises(RuntimeError, match=AFTER_BLOCK):
            await source.aaccumulate()
        with pytest.raises(sseproto.IncompleteStreamError, match=AFTER_BLOCK):
            async for _ in updates:
                pass

    for run in async_connections(url).values():
        run(after_block)


@pytest.mark.parametrize("option", ["partial_json", "dialect", "strict"])
def test_a_readers_option_given_to_connect_sse_names_the_reader(
    server: LoopbackServer, option: str
) -> None:
    # connect_sse takes reading options (idle_timeout, record, on_comment...), so the readers'
    # own options are easily given to it too; they would reach the client as request options.
    server.replies["/s"] = Reply(parts=[b"data: x\n\n"])
    url = f"{server.url}/s"
    with clients() as connects:
        for connect in connects.values():
            with (
                pytest.raises(TypeError, match=rf"source\.iter_updates\({option}=\.\.\.\)"),
                connect("GET", url, **{option: True}),
            ):
                pass

    async def enter(connection: Any) -> None:
        async with connection:
            pass

    given: dict[str, Any] = {option: True}
    for name in ("aconnect_sse", "connect_sse"):

        async def with_option(name: str = name) -> None:
            if name == "aconnect_sse":
                async with httpx.AsyncClient() as client:
                    await enter(sseproto.httpx.aconnect_sse(client, "GET", url, **given))
            else:
                async with aiohttp.ClientSession() as session:
                    await enter(sseproto.aiohttp.connect_sse(session, "GET", url, **given))

        with pytest.raises(TypeError, match=rf"source\.aiter_updates\({option}=\.\.\.\)"):
            asyncio.run(with_option())
    assert server.requests == []
