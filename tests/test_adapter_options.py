"""The reading options every adapter shares, over loopback, for each entry point alike (httpx
sync and async, aiohttp, requests): ``record=``, ``on_comment=``, ``check_content_type=``, and
what ``BadResponseError`` and ``IdleTimeoutError`` tell."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import aiohttp
import httpx
import pytest
import requests
from servers import LoopbackServer, Received, Reply, generated_streams, random_parts

import sseproto
import sseproto.aiohttp
import sseproto.httpx
import sseproto.requests
from sseproto import (
    BadResponseError,
    IdleTimeoutError,
    IncompleteStreamError,
    ProviderError,
    RecordedTransportError,
    SSEDecoder,
)
from sseproto.fixtures.format import load_fixture

Kind = Literal["httpx", "httpx-async", "aiohttp", "requests"]
KINDS: tuple[Kind, ...] = ("httpx", "httpx-async", "aiohttp", "requests")
How = Literal["events", "updates", "result"]
HOWS: tuple[How, ...] = ("events", "updates", "result")

# The client module each kind's recording names.
CLIENT_NAMES = {
    "httpx": "httpx/",
    "httpx-async": "httpx/",
    "aiohttp": "aiohttp/",
    "requests": "requests/",
}


# What a test reads, and the order in which it saw events and comments when it asks to.
LOG: list[str] = []


def take(source: Any, how: How) -> Any:
    if how == "events":
        events = []
        for event in source.iter_sse():
            LOG.append(f"event {event.data}")
            events.append(event)
        return events
    if how == "updates":
        return list(source.iter_updates())
    return source.accumulate()


async def atake(source: Any, how: How) -> Any:
    if how == "events":
        events = []
        async for event in source.aiter_sse():
            LOG.append(f"event {event.data}")
            events.append(event)
        return events
    if how == "updates":
        return [update async for update in source.aiter_updates()]
    return await source.aaccumulate()


def read(kind: Kind, url: str, how: How = "result", method: str = "GET", **options: Any) -> Any:
    """Open ``url`` with ``kind``'s ``connect_sse`` and the options given, and read it ``how``."""
    if kind == "httpx":
        with (
            httpx.Client() as client,
            sseproto.httpx.connect_sse(client, method, url, **options) as source,
        ):
            return take(source, how)
    if kind == "requests":
        with (
            requests.Session() as session,
            sseproto.requests.connect_sse(session, method, url, **options) as source,
        ):
            return take(source, how)
    return asyncio.run(aread(kind, url, how, method, options))


async def aread(kind: Kind, url: str, how: How, method: str, options: dict[str, Any]) -> Any:
    if kind == "httpx-async":
        async with (
            httpx.AsyncClient() as client,
            sseproto.httpx.aconnect_sse(client, method, url, **options) as source,
        ):
            return await atake(source, how)
    async with (
        aiohttp.ClientSession() as session,
        sseproto.aiohttp.connect_sse(session, method, url, **options) as source,
    ):
        return await atake(source, how)


def chat_stream() -> bytes:
    return generated_streams(seed=0)["chat"]


# -- record= ------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_recording_replays_to_what_the_adapter_read(
    server: LoopbackServer, tmp_path: Path, kind: Kind, how: How
) -> None:
    body = chat_stream()
    rng = random.Random(f"{kind}{how}")
    server.replies["/chat"] = Reply(
        parts=random_parts(body, rng),
        headers={"Content-Type": "text/event-stream", "X-Request-Id": "req_1"},
        head_delay=0.05,
    )
    path = tmp_path / "chat.sse"
    got = read(kind, f"{server.url}/chat", how, method="POST", record=path)
    fixture = load_fixture(path)
    assert fixture.body == body
    recording = fixture.recording
    assert recording is not None
    assert recording.ending.kind in ("eof", "closed")  # a reader of updates stops at [DONE]
    assert recording.status == 200
    assert ("x-request-id", "req_1") in [(n.lower(), v) for n, v in recording.headers]
    assert recording.method == "POST"
    assert recording.url == f"{server.url}/chat"
    assert recording.client is not None and recording.client.startswith(CLIENT_NAMES[kind])
    # Times count from the request, so the first read came after the server's pause.
    assert recording.reads[0].seconds >= 0.05
    replayed = sseproto.replay(path)
    if how == "events":
        assert got == list(sseproto.iter_events(replayed))
    elif how == "updates":
        assert got == list(sseproto.iter_updates(replayed))
    else:
        assert got == sseproto.accumulate(replayed)


@pytest.mark.parametrize("kind", KINDS)
def test_a_cut_stream_is_recorded_and_replays_to_the_same_partial(
    server: LoopbackServer, tmp_path: Path, kind: Kind
) -> None:
    body = chat_stream()
    server.replies["/chat"] = Reply(parts=[body[:1000], body[1000:2000]], cut=True)
    path = tmp_path / "cut.sse"
    with pytest.raises(IncompleteStreamError) as live:
        read(kind, f"{server.url}/chat", record=path)
    recording = load_fixture(path).recording
    assert recording is not None and recording.ending.kind == "error"
    with pytest.raises(RecordedTransportError) as replayed:
        sseproto.accumulate(sseproto.replay(path))
    assert live.value.partial is not None and replayed.value.partial is not None
    assert replayed.value.partial.to_dict() == live.value.partial.to_dict()
    assert (replayed.value.offset, replayed.value.event_index) == (
        live.value.offset,
        live.value.event_index,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_an_idle_timeout_is_recorded_as_the_clients_error(
    server: LoopbackServer, tmp_path: Path, kind: Kind
) -> None:
    server.replies["/s"] = Reply(parts=[b"data: a\n\n"], stall=2.0)
    path = tmp_path / "idle.sse"
    with pytest.raises(IdleTimeoutError):
        read(kind, f"{server.url}/s", "events", record=path, idle_timeout=0.2)
    recording = load_fixture(path).recording
    assert recording is not None
    assert recording.ending.kind == "error"
    assert recording.ending.error_type is not None


@pytest.mark.parametrize("kind", KINDS)
def test_a_rejected_response_is_recorded_with_its_status_and_redacted_headers(
    server: LoopbackServer, tmp_path: Path, kind: Kind
) -> None:
    error = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
    server.replies["/v1/chat?api_key=s3cr3t"] = Reply(
        status=401,
        headers={"Content-Type": "application/json", "Set-Cookie": "session=s3cr3t"},
        parts=[json.dumps(error).encode()],
    )
    path = tmp_path / "rejected.sse"
    with pytest.raises(BadResponseError):
        read(kind, f"{server.url}/v1/chat?api_key=s3cr3t", record=path)
    fixture = load_fixture(path)
    assert json.loads(fixture.body) == error
    recording = fixture.recording
    assert recording is not None and recording.status == 401
    assert "s3cr3t" not in path.with_name("rejected.reads.jsonl").read_text()
    assert recording.url == f"{server.url}/v1/chat?api_key=<redacted>"
    # Replayed, the body is the provider's error.
    with pytest.raises(ProviderError, match="Incorrect API key provided"):
        sseproto.accumulate(sseproto.replay(path))


def test_a_source_made_from_a_response_records_too(
    server: LoopbackServer, tmp_path: Path
) -> None:
    server.replies["/s"] = Reply(parts=[b"data: a\n\n", b"data: b\n\n"])
    path = tmp_path / "own.sse"
    with httpx.Client() as client, client.stream("GET", f"{server.url}/s") as response:
        events = list(sseproto.httpx.EventSource(response, record=path).iter_sse())
    assert events == list(sseproto.iter_events(sseproto.replay(path)))
    assert load_fixture(path).body == b"data: a\n\ndata: b\n\n"


def test_followers_refuse_to_record(tmp_path: Path) -> None:
    with httpx.Client() as client, pytest.raises(TypeError, match="cannot record"):
        sseproto.httpx.follow_sse(client, "http://127.0.0.1:9/", record=tmp_path / "x.sse")
    with requests.Session() as session, pytest.raises(TypeError, match="cannot record"):
        sseproto.requests.follow_sse(session, "http://127.0.0.1:9/", record=tmp_path / "x.sse")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "options",
    [{"record": 3}, {"on_comment": "print"}, {"check_content_type": "no"}],
    ids=["record", "on_comment", "check_content_type"],
)
def test_options_of_the_wrong_type_are_refused_before_the_request(
    server: LoopbackServer, kind: Kind, options: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        read(kind, f"{server.url}/s", **options)
    assert server.requests == []


def test_a_client_of_the_wrong_kind_is_refused_before_the_request(server: LoopbackServer) -> None:
    # The usual mistake is the sync client given to the async function or the other way round;
    # the client's own error would speak of contextlib or send a blocking request in a loop.
    url = f"{server.url}/s"

    async def enter(connection: Any) -> None:
        async with connection:
            pass

    async def main() -> list[str]:
        messages = []
        # Typed Any: a type checker refuses these calls, as it should.
        async_client: Any
        session: Any
        client: Any
        sync_session: Any
        async with httpx.AsyncClient() as async_client, aiohttp.ClientSession() as session:
            with httpx.Client() as client, requests.Session() as sync_session:
                attempts: list[Callable[[], object]] = [
                    lambda: sseproto.httpx.connect_sse(async_client, "GET", url).__enter__(),
                    lambda: sseproto.httpx.follow_sse(async_client, url),
                    lambda: enter(sseproto.httpx.aconnect_sse(client, "GET", url)),
                    lambda: sseproto.httpx.afollow_sse(client, url),
                    lambda: enter(sseproto.aiohttp.connect_sse(sync_session, "GET", url)),
                    lambda: sseproto.aiohttp.afollow_sse(async_client, url),
                    lambda: sseproto.requests.connect_sse(session, "GET", url).__enter__(),
                    lambda: sseproto.requests.follow_sse(client, url),
                    lambda: sseproto.httpx.connect_sse(sync_session, "GET", url).__enter__(),
                ]
                for connect in attempts:
                    with pytest.raises(TypeError) as caught:
                        made = connect()
                        if asyncio.iscoroutine(made):
                            await made
                    messages.append(str(caught.value))
        return messages

    assert asyncio.run(main()) == [
        "connect_sse's client must be httpx.Client, not httpx.AsyncClient "
        "(aconnect_sse takes httpx.AsyncClient)",
        "follow_sse's client must be httpx.Client, not httpx.AsyncClient "
        "(afollow_sse takes httpx.AsyncClient)",
        "aconnect_sse's client must be httpx.AsyncClient, not httpx.Client "
        "(connect_sse takes httpx.Client)",
        "afollow_sse's client must be httpx.AsyncClient, not httpx.Client "
        "(follow_sse takes httpx.Client)",
        "connect_sse's client must be aiohttp.ClientSession, not requests.Session",
        "afollow_sse's client must be aiohttp.ClientSession, not httpx.AsyncClient",
        "connect_sse's client must be requests.Session, not aiohttp.ClientSession",
        "follow_sse's client must be requests.Session, not httpx.Client",
        "connect_sse's client must be httpx.Client, not requests.Session",
    ]
    assert server.requests == []


# -- BadResponseError and IdleTimeoutError -------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_rejection_tells_the_providers_message_first_and_the_headers(
    server: LoopbackServer, kind: Kind
) -> None:
    error = {"error": {"message": "Rate limit reached", "type": "requests", "code": "429"}}
    server.replies["/s"] = Reply(
        status=429,
        headers={
            "Content-Type": "application/json",
            "Retry-After": "20",
            "X-Request-Id": "req_42",
            "Set-Cookie": "session=s3cr3t",
        },
        parts=[json.dumps(error).encode()],
    )
    with pytest.raises(BadResponseError) as caught:
        read(kind, f"{server.url}/s")
    rejection = caught.value
    assert str(rejection).startswith("Rate limit reached (type: requests, code: 429); status 429")
    assert "request id req_42" in str(rejection)
    assert rejection.json() == error
    assert rejection.headers["retry-after"] == rejection.headers["Retry-After"] == "20"
    assert rejection.retry_after == 20.0
    assert rejection.request_id == "req_42"
    assert rejection.headers["set-cookie"] == "session=s3cr3t"
    assert "s3cr3t" not in repr(rejection.headers)
    assert "s3cr3t" not in str(rejection)


@pytest.mark.parametrize("kind", KINDS)
def test_a_204_is_no_stream(server: LoopbackServer, kind: Kind) -> None:
    # Labelled as a stream, still none: a 204 has no body.
    server.replies["/s"] = Reply(status=204, framing="length")
    with pytest.raises(BadResponseError) as caught:
        read(kind, f"{server.url}/s", "events")
    assert caught.value.status == 204


@pytest.mark.parametrize("kind", KINDS)
def test_an_idle_timeout_names_its_seconds(server: LoopbackServer, kind: Kind) -> None:
    server.replies["/s"] = Reply(parts=[b"data: a\n\n"], stall=2.0)
    with pytest.raises(IdleTimeoutError) as caught:
        read(kind, f"{server.url}/s", "events", idle_timeout=0.25)
    assert caught.value.timeout == 0.25
    assert "0.25 s" in str(caught.value)


@pytest.mark.parametrize("kind", KINDS)
def test_a_head_timeout_names_its_seconds(server: LoopbackServer, kind: Kind) -> None:
    server.replies["/s"] = Reply(parts=[b"data: a\n\n"], head_delay=2.0)
    with pytest.raises(IdleTimeoutError) as caught:
        read(kind, f"{server.url}/s", "events", idle_timeout=0.25)
    assert caught.value.timeout == 0.25
    assert "idle_timeout=0.25 s" in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("httpx", {"timeout": httpx.Timeout(5.0, read=0.25)}),
        ("requests", {"timeout": (5.0, 0.25)}),
        ("aiohttp", {"timeout": aiohttp.ClientTimeout(total=None, sock_read=0.25)}),
    ],
)
def test_the_clients_own_read_timeout_is_named_too(
    server: LoopbackServer, kind: Kind, options: dict[str, Any]
) -> None:
    server.replies["/s"] = Reply(parts=[b"data: a\n\n"], stall=2.0)
    with pytest.raises(IdleTimeoutError) as caught:
        read(kind, f"{server.url}/s", "events", **options)
    assert caught.value.timeout == 0.25


# -- check_content_type= -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_mislabelled_stream_is_read_with_the_check_off(
    server: LoopbackServer, kind: Kind
) -> None:
    body = chat_stream()
    server.replies["/s"] = Reply(headers={"Content-Type": "text/plain"}, parts=[body])
    with pytest.raises(BadResponseError):
        read(kind, f"{server.url}/s")
    assert read(kind, f"{server.url}/s", check_content_type=False) == sseproto.accumulate(body)


@pytest.mark.parametrize("kind", KINDS)
def test_the_status_is_checked_with_the_content_type_check_off(
    server: LoopbackServer, kind: Kind
) -> None:
    server.replies["/s"] = Reply(status=500, parts=[b"data: a\n\n"])
    with pytest.raises(BadResponseError) as caught:
        read(kind, f"{server.url}/s", "events", check_content_type=False)
    assert caught.value.status == 500


# -- on_comment= ---------------------------------------------------------------------------------


def comments_of(body: bytes) -> list[str]:
    seen: list[str] = []
    decoder = SSEDecoder(on_comment=seen.append)
    decoder.feed(body)
    decoder.close()
    return seen


def commented_chat(seed: int) -> bytes:
    """A chat stream with keep-alive comments between and inside its events."""
    rng = random.Random(seed)
    blocks = chat_stream().split(b"\n\n")
    out = [b": hello\n\n"]
    for number, block in enumerate(blocks):
        if block and rng.random() < 0.2:
            out.append(b": ping %d\n\n" % number)
        if block and rng.random() < 0.1:
            block = b":inside %d\n" % number + block
        out.append(block + b"\n\n")
    return b"".join(out)[:-2]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_comment_reaches_the_hook_in_order(
    server: LoopbackServer, kind: Kind, how: How
) -> None:
    body = commented_chat(seed=len(kind) + len(how))
    expected = comments_of(body)
    assert len(expected) > 10
    server.replies["/s"] = Reply(parts=random_parts(body, random.Random(kind + how)))
    seen: list[str] = []
    got = read(kind, f"{server.url}/s", how, on_comment=seen.append)
    # Every comment comes before [DONE], so even a reader stopping there sees them all.
    assert seen == expected
    if how == "events":
        assert got == list(sseproto.iter_events(body))
    elif how == "result":
        assert got == sseproto.accumulate(body)


@pytest.mark.parametrize("kind", KINDS)
def test_a_comment_is_seen_before_the_events_after_it(server: LoopbackServer, kind: Kind) -> None:
    body = b": one\n\ndata: a\n\n: two\n\ndata: b\n\n: three\n\n"
    server.replies["/s"] = Reply(parts=[body[:20], body[20:31], body[31:]])
    LOG.clear()

    def note(text: str) -> None:
        LOG.append(f"comment {text}")

    read(kind, f"{server.url}/s", "events", on_comment=note)
    # Each comment is seen before the event after it in the stream (a comment that arrives in
    # the same read as an event before it may come before that event too).
    assert [line for line in LOG if line.startswith("event")] == ["event a", "event b"]
    assert [line for line in LOG if line.startswith("comment")] == [
        "comment one",
        "comment two",
        "comment three",
    ]
    assert LOG.index("comment one") < LOG.index("event a")
    assert LOG.index("comment two") < LOG.index("event b")


def test_followers_pass_comments_on(server: LoopbackServer) -> None:
    def reply(request: Received) -> Reply:
        if request.headers.get("Last-Event-ID"):
            return Reply(status=204)
        return Reply(parts=[b": hi\n\nid: 1\ndata: a\n\n"])

    server.replies["/feed"] = reply
    seen: list[str] = []
    with httpx.Client() as client:
        events = sseproto.httpx.follow_sse(
            client, f"{server.url}/feed", on_comment=seen.append, max_attempts=1, max_delay=0
        )
        assert [event.data for event in events] == ["a"]
    assert seen == ["hi"]


# -- where an event stream stopped --------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_cut_while_reading_events_tells_the_event_it_stopped_in(
    server: LoopbackServer, kind: Kind
) -> None:
    body = b"data: one\n\ndata: two\n\ndata: thr"
    server.replies["/s"] = Reply(parts=[body[:20], body[20:]], cut=True)
    with pytest.raises(IncompleteStreamError) as cut:
        read(kind, f"{server.url}/s", "events")
    assert (cut.value.offset, cut.value.event_index) == (len(body), 2)


@pytest.mark.parametrize("kind", KINDS)
def test_an_idle_timeout_while_reading_events_tells_the_event_it_stopped_in(
    server: LoopbackServer, kind: Kind
) -> None:
    server.replies["/s"] = Reply(parts=[b"data: a\n\nid: 7\n"], stall=2.0)
    with pytest.raises(IdleTimeoutError) as idle:
        read(kind, f"{server.url}/s", "events", idle_timeout=0.2)
    assert (idle.value.offset, idle.value.event_index) == (15, 1)
