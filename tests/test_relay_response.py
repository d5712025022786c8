"""EventSourceResponse under uvicorn on loopback: the status decided by the first item (the
upstream's own for a refused request), every failure once streaming told with the error event,
each item type, the client leaving, a client that stops reading, and the recipe the
documentation gives, with the OpenAI SDK against a loopback upstream."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, cast

import httpx
import openai
import pytest
from conftest import PROJECT_FIXTURES
from servers import LoopbackServer, Reply, decode_whole, serving_app
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

import sseproto
from sseproto import BadResponseError, ContentDelta, ProviderError, ServerSentEvent
from sseproto.server import ERROR_EVENT, StreamItem
from sseproto.starlette import EventSourceResponse

# No wait in these tests may take longer than this, whatever the server does.
BOUND = 10.0

Source = Callable[[], AsyncIterator[StreamItem]]


def app_of(sources: dict[str, Source], **options: Any) -> Starlette:
    """One GET route per source, each relayed by an EventSourceResponse with ``options``."""

    def route(path: str, make: Source) -> Route:
        async def endpoint(request: Request) -> EventSourceResponse:
            return EventSourceResponse(make(), **options)

        return Route(path, endpoint)

    return Starlette(routes=[route(path, make) for path, make in sources.items()])


@contextmanager
def relaying(sources: dict[str, Source], **options: Any) -> Iterator[httpx.Client]:
    """A client of the relay serving ``sources``, its base URL set."""
    with serving_app(app_of(sources, **options)) as url, httpx.Client(
        base_url=url, timeout=BOUND
    ) as client:
        yield client


def failing_at_once(error: Exception) -> Source:
    async def source() -> AsyncIterator[StreamItem]:
        raise error
        yield "never"

    return source


def failing_after(error: Exception, *items: StreamItem) -> Source:
    async def source() -> AsyncIterator[StreamItem]:
        for item in items:
            yield item
        raise error

    return source


def status_error(status: int) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "https://upstream.example/v1/chat/completions")
    response = httpx.Response(status, request=request)
    return httpx.HTTPStatusError(f"status {status}", request=request, response=response)


# -- the status, decided by the first item ---------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "detail"),
    [
        (status_error(429), 429, {"type": "HTTPStatusError"}),
        (
            BadResponseError(status=401, content_type="application/json", body=b"{}"),
            401,
            {"type": "BadResponseError"},
        ),
        (httpx.ConnectError("refused"), 502, {"type": "ConnectError"}),
        # Not an HTTP error status: the upstream failed all the same.
        (BadResponseError(status=200, content_type="text/html", body=b""), 502, {}),
        (ProviderError({"message": "overloaded", "code": 529}), 502, None),
    ],
)
def test_a_source_failing_before_its_first_item_gets_an_error_status(
    error: Exception, status: int, detail: dict[str, str] | None
) -> None:
    with relaying({"/": failing_at_once(error)}) as client:
        response = client.get("/")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()["error"]
    if detail is None:  # a provider's error object is told as the provider wrote it
        assert body == {"message": "overloaded", "code": 529}
    else:
        assert body.items() >= detail.items()


def test_an_upstream_refusal_tells_the_browser_its_status_not_what_the_upstream_said() -> None:
    secret = b'{"error": {"message": "Incorrect API key provided: sk-ab***wxyz", "code": 401}}'
    refusal = BadResponseError(
        status=401,
        content_type="application/json",
        body=secret,
        headers=[("x-request-id", "req_secret_42")],
    )

    async def refused_later() -> AsyncIterator[StreamItem]:
        yield "one"
        raise refusal

    with relaying({"/first": failing_at_once(refusal), "/later": refused_later}) as client:
        first = client.get("/first")
        later = client.get("/later")
    assert "wxyz" in str(refusal) and "req_secret_42" in str(refusal)
    assert first.status_code == 401
    assert first.json()["error"]["status"] == 401
    assert later.status_code == 200
    assert "event: stream_error" in later.text and '"status": 401' in later.text
    for answer in (first.text, later.text):
        assert "wxyz" not in answer and "req_secret_42" not in answer


def test_the_first_item_arriving_starts_a_stream_with_the_status_asked() -> None:
    async def source() -> AsyncIterator[StreamItem]:
        yield "one"

    with relaying({"/": source}, status_code=201, headers={"x-relay": "yes"}) as client:
        response = client.get("/")
    assert response.status_code == 201
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-relay"] == "yes"
    assert response.text == "data: one\n\n"


def test_a_source_slower_than_a_keepalive_starts_the_stream_and_a_later_failure_is_an_event() -> (
    None
):
    async def source() -> AsyncIterator[StreamItem]:
        await asyncio.sleep(0.3)
        raise httpx.ReadTimeout("upstream silent")
        yield "never"

    with relaying({"/": source}, keepalive=0.05) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert response.text.startswith(":\n\n")
    events = decode_whole(response.content)
    assert [event.event for event in events] == [ERROR_EVENT]
    assert events[0].json()["error"]["type"] == "ReadTimeout"


def test_errors_raise_before_the_head_gives_the_server_error_status() -> None:
    with relaying({"/": failing_at_once(status_error(429))}, errors="raise") as client:
        assert client.get("/").status_code == 500


# -- failures once streaming -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        httpx.RemoteProtocolError("peer closed connection"),
        ProviderError({"message": "overloaded"}),
        ValueError("a bug"),
    ],
)
def test_every_failure_once_streaming_ends_with_the_error_event(error: Exception) -> None:
    source = failing_after(error, ContentDelta(0, "Hel"))
    with relaying({"/": source}, done=True) as client:
        response = client.get("/")
    events = decode_whole(response.content)
    assert response.status_code == 200
    assert [event.event for event in events] == ["content", ERROR_EVENT]
    assert events[-1].json()["error"] == sseproto.server.error_detail(error)


def test_errors_raise_once_streaming_cuts_the_connection() -> None:
    source = failing_after(httpx.RemoteProtocolError("peer closed"), "a")
    with relaying({"/": source}, errors="raise") as client, client.stream("GET", "/") as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()


# -- items -----------------------------------------------------------------------------------------

EVERY_ITEM: list[StreamItem] = [
    "text\nover two lines",
    {"content": "Hi", "n": [1, None]},
    MappingProxyType({"read": "only"}),
    sseproto.encode_event("encoded", event="custom", id="9"),
    ServerSentEvent(event="named", data="event", id="10", retry=500),
    ContentDelta(0, "Bonjour"),
    sseproto.UsageUpdate({"total_tokens": 3}),
]


def test_every_item_type_is_relayed() -> None:
    async def source() -> AsyncIterator[StreamItem]:
        for item in EVERY_ITEM:
            yield item

    with relaying({"/": source}, done=True) as client:
        events = decode_whole(client.get("/").content)
    assert [(event.event, event.data, event.id, event.retry) for event in events] == [
        ("message", "text\nover two lines", "", None),
        ("message", '{"content": "Hi", "n": [1, null]}', "", None),
        ("message", '{"read": "only"}', "", None),
        ("custom", "encoded", "9", None),
        ("named", "event", "10", 500),
        ("content", '{"choice": 0, "text": "Bonjour"}', "10", None),
        ("usage", '{"usage": {"total_tokens": 3}}', "10", None),
        ("message", "[DONE]", "10", None),
    ]


@pytest.mark.parametrize("item", [3, None, ["list"], b"data: unended"])
def test_a_first_item_that_cannot_be_sent_is_refused_before_any_byte(item: Any) -> None:
    async def source() -> AsyncIterator[Any]:
        yield item

    with relaying({"/": source}) as client:
        response = client.get("/")
    assert response.status_code == 500
    assert "text/event-stream" not in response.headers.get("content-type", "")


def test_a_later_item_that_cannot_be_sent_is_told_with_the_error_event() -> None:
    async def source() -> AsyncIterator[Any]:
        yield "fine"
        yield 3

    with relaying({"/": source}) as client:
        events = decode_whole(client.get("/").content)
    assert [event.event for event in events] == ["message", ERROR_EVENT]
    assert events[-1].json()["error"]["type"] == "TypeError"


def test_a_sync_iterable_is_refused_when_the_response_is_made() -> None:
    with pytest.raises(TypeError, match="sync iterable"):
        EventSourceResponse(cast(Any, iter(["a"])))


@pytest.mark.parametrize("send_timeout", [0, -1.0, float("nan"), "1"])
def test_an_invalid_send_timeout_is_refused_when_the_response_is_made(send_timeout: Any) -> None:
    async def source() -> AsyncIterator[StreamItem]:
        yield "a"

    with pytest.raises(ValueError, match="send_timeout"):
        EventSourceResponse(source(), send_timeout=send_timeout)


# -- the client leaving, and a client that stops reading ------------------------------------------


def watched(closed: threading.Event, first: StreamItem, then: Callable[[], Any]) -> Source:
    """A source that yields ``first``, then awaits ``then()`` over and over; ``closed`` is set
    when it is closed."""

    async def source() -> AsyncIterator[StreamItem]:
        try:
            yield first
            while True:
                yield await then()
        finally:
            closed.set()

    return source


def test_the_client_leaving_closes_a_silent_source_at_once() -> None:
    # The source never yields again and no keep-alive is sent, so no send can notice the client
    # gone: only listening for the disconnect does.
    closed = threading.Event()
    never = asyncio.Event()
    source = watched(closed, "first", never.wait)
    with relaying({"/": source}, keepalive=None) as client:
        with client.stream("GET", "/") as response:
            assert next(response.iter_lines()) == "data: first"
        assert closed.wait(BOUND)


def test_a_client_that_stops_reading_is_dropped_after_the_send_timeout() -> None:
    closed = threading.Event()
    block = "x" * 65536

    async def more() -> str:
        await asyncio.sleep(0)
        return block

    source = watched(closed, block, more)
    with serving_app(app_of({"/": source}, send_timeout=0.2)) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.socket() as client:
            # A small receive buffer, so that the server's sends block soon after it stops.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.connect(("127.0.0.1", port))
            client.sendall(b"GET / HTTP/1.1\r\nHost: relay\r\n\r\n")
            assert client.recv(1024).startswith(b"HTTP/1.1 200")
            # ... and nothing is read from here on.
            assert closed.wait(BOUND)


# -- the recipe: the OpenAI SDK in front of a loopback upstream ----------------------------------

CHAT = (PROJECT_FIXTURES / "chat-text.sse").read_bytes()
CHAT_EXPECTED = json.loads((PROJECT_FIXTURES / "chat-text.expected.json").read_text())[
    "completion"
]
# What OpenAI-shaped front ends send, "stream": true included.
OPENAI_BODY = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hi"}],
    "stream": True,
}


def recipe_app(upstream_url: str) -> Starlette:
    """The relay as the documentation writes it, against ``upstream_url``."""
    client = openai.AsyncOpenAI(base_url=f"{upstream_url}/v1", api_key="sk-test", max_retries=0)

    async def chat(request: Request) -> EventSourceResponse:
        body = await request.json()

        async def updates() -> AsyncIterator[sseproto.ChatUpdate]:
            async with client.chat.completions.with_streaming_response.create(
                **{**body, "stream": True}
            ) as upstream:
                async for update in sseproto.aiter_chat(upstream.iter_bytes()):
                    yield update

        return EventSourceResponse(updates())

    return Starlette(routes=[Route("/chat", chat, methods=["POST"])])


def test_the_recipe_relays_an_openai_shaped_request(server: LoopbackServer) -> None:
    server.replies["/v1/chat/completions"] = Reply(parts=[CHAT[:700], CHAT[700:]])
    with serving_app(recipe_app(server.url)) as url:
        response = httpx.post(f"{url}/chat", json=OPENAI_BODY, timeout=BOUND)
    assert response.status_code == 200
    events = decode_whole(response.content)
    assert events[-1].event == "done"
    assert events[-1].json() == CHAT_EXPECTED
    text = "".join(event.json()["text"] for event in events if event.event == "content")
    assert text == CHAT_EXPECTED["choices"][0]["message"]["content"]
    assert json.loads(server.requests[0].body)["stream"] is True


@pytest.mark.parametrize(
    ("status", "raised"),
    [(401, "AuthenticationError"), (429, "RateLimitError"), (500, "InternalServerError")],
)
def test_the_recipe_answers_an_upstream_refusal_with_its_status(
    server: LoopbackServer, status: int, raised: str
) -> None:
    error = {"error": {"message": "no", "type": "invalid_request_error", "code": None}}
    server.replies["/v1/chat/completions"] = Reply(
        parts=[json.dumps(error).encode()],
        status=status,
        headers={"Content-Type": "application/json", "Retry-After": "7"},
    )
    with serving_app(recipe_app(server.url)) as url:
        response = httpx.post(f"{url}/chat", json=OPENAI_BODY, timeout=BOUND)
    assert response.status_code == status
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["type"] == raised


def test_the_recipe_tells_an_upstream_cut_with_the_error_event(server: LoopbackServer) -> None:
    server.replies["/v1/chat/completions"] = Reply(parts=[CHAT[:700]], cut=True)
    with serving_app(recipe_app(server.url)) as url:
        response = httpx.post(f"{url}/chat", json=OPENAI_BODY, timeout=BOUND)
    events = decode_whole(response.content)
    assert response.status_code == 200
    assert events[0].event == "content"
    assert events[-1].event == ERROR_EVENT
    assert events[-1].json()["error"]["type"] == "IncompleteStreamError"


def test_an_openai_client_reading_the_relay_raises_the_relayed_error() -> None:
    # A relay in OpenAI's own shape (chunks as dicts, then [DONE]): its error event still reaches
    # the OpenAI SDK as an error, not as a chunk.
    chunk = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}],
    }
    source = failing_after(ProviderError({"message": "overloaded", "type": "server_error"}), chunk)

    async def completions(request: Request) -> EventSourceResponse:
        return EventSourceResponse(source(), done=True)

    async def read(url: str) -> list[str]:
        client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="sk-test", max_retries=0)
        texts = []
        stream = await client.chat.completions.create(model="m", messages=[], stream=True)
        async for received in stream:
            texts.append(received.choices[0].delta.content or "")
        return texts

    app = Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
    with serving_app(app) as url, pytest.raises(openai.APIError, match="overloaded"):
        asyncio.run(read(url))
