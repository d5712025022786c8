"""Following a resumable stream across reconnections (``follow_sse`` and its async twins, httpx's
above all) over loopback, against a server that drops connections at random points and resumes
after the ``Last-Event-ID`` it is sent."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import httpx
import pytest
import requests
from servers import LoopbackServer, Received, Reply, random_parts

from sseproto import BadResponseError, IncompleteStreamError, ServerSentEvent, encode_event
from sseproto._resume import Backoff
from sseproto.aiohttp import afollow_sse as aiohttp_afollow_sse
from sseproto.httpx import afollow_sse, follow_sse
from sseproto.requests import follow_sse as requests_follow_sse

# Reconnect at once in the tests (the waits themselves are tested on Backoff), however often.
ATTEMPTS, DELAY = 1000, 0.001


def follow(client: httpx.Client, url: str) -> Iterator[ServerSentEvent]:
    return follow_sse(client, url, max_attempts=ATTEMPTS, max_delay=DELAY)
RETRY = b"retry: 1\n\n"


def resuming_feed(count: int, seed: int) -> Callable[[Received], Reply]:
    """A feed of ``count`` events (ids 1 to count) that resumes after the Last-Event-ID it gets,
    cuts each connection at a random byte (inside an event or between two, or not at all), and
    answers 204 once everything was sent."""
    rng = random.Random(seed)
    events = [encode_event(f"event {n}\nline 2", id=str(n)) for n in range(1, count + 1)]

    def reply(request: Received) -> Reply:
        start = int(request.headers.get("Last-Event-ID") or 0)
        if start == count:
            return Reply(status=204, headers={})
        body = RETRY + b"".join(events[start:])
        end = rng.randint(len(RETRY), len(body))
        return Reply(parts=random_parts(body[:end], rng, max_part=64), cut=end < len(body))

    return reply


def expected_feed(count: int) -> list[ServerSentEvent]:
    return [ServerSentEvent(data=f"event {n}\nline 2", id=str(n)) for n in range(1, count + 1)]


def check_resumed(server: LoopbackServer, events: list[ServerSentEvent], count: int) -> None:
    assert events == expected_feed(count)
    # Every reconnection asked for the events after the last one delivered whole.
    sent = [request.headers.get("Last-Event-ID") for request in server.requests]
    assert sent[0] is None
    assert sent[-1] == str(count)
    resumed = [int(value or 0) for value in sent[1:]]
    assert resumed == sorted(resumed)


@pytest.mark.parametrize("seed", range(4))
def test_events_are_never_lost_or_repeated_across_random_drops(
    server: LoopbackServer, seed: int
) -> None:
    server.replies["/feed"] = resuming_feed(30, seed)
    with httpx.Client() as client:
        events = list(follow(client, f"{server.url}/feed"))
    check_resumed(server, events, 30)


@pytest.mark.parametrize("seed", range(4))
def test_async_events_are_never_lost_or_repeated_across_random_drops(
    server: LoopbackServer, seed: int
) -> None:
    server.replies["/feed"] = resuming_feed(30, seed)

    async def read() -> list[ServerSentEvent]:
        async with httpx.AsyncClient() as client:
            events = afollow_sse(
                client, f"{server.url}/feed", max_attempts=ATTEMPTS, max_delay=DELAY
            )
            return [event async for event in events]

    check_resumed(server, asyncio.run(read()), 30)


def scripted(*replies: Reply) -> Callable[[Received], Reply]:
    """The replies in turn, one per request."""
    pending: Iterator[Reply] = iter(replies)
    return lambda request: next(pending)


def test_an_event_after_a_reconnect_keeps_the_last_id_until_the_stream_sets_one(
    server: LoopbackServer,
) -> None:
    server.replies["/feed"] = scripted(
        Reply(parts=[RETRY, b"id: 5\ndata: a\n\n"], cut=True),
        Reply(parts=[b"data: b\n\nid: 6\ndata: c\n\n"]),
        Reply(status=204, headers={}),
    )
    with httpx.Client() as client:
        events = list(follow(client, f"{server.url}/feed"))
    assert [(event.data, event.id) for event in events] == [("a", "5"), ("b", "5"), ("c", "6")]
    assert [request.headers.get("Last-Event-ID") for request in server.requests] == [
        None,
        "5",
        "6",
    ]


def test_a_given_last_event_id_is_sent_from_the_first_request(server: LoopbackServer) -> None:
    server.replies["/feed"] = Reply(status=204, headers={})
    with httpx.Client() as client:
        assert list(follow_sse(client, f"{server.url}/feed", last_event_id="41")) == []
    assert server.requests[0].headers["Last-Event-ID"] == "41"


def test_a_rejected_response_ends_the_stream_with_its_error(server: LoopbackServer) -> None:
    server.replies["/feed"] = scripted(
        Reply(parts=[RETRY, b"id: 1\ndata: a\n\n"], cut=True),
        Reply(status=401, headers={"Content-Type": "application/json"}, parts=[b"{}"]),
    )
    events: list[ServerSentEvent] = []
    with httpx.Client() as client, pytest.raises(BadResponseError) as caught:
        events.extend(follow(client, f"{server.url}/feed"))
    assert caught.value.status == 401
    assert [event.data for event in events] == ["a"]


def test_giving_up_after_max_attempts_raises_the_last_failure(server: LoopbackServer) -> None:
    server.replies["/feed"] = Reply(parts=[RETRY, b"data: never whole"], cut=True)
    with httpx.Client() as client, pytest.raises(IncompleteStreamError):
        list(follow_sse(client, f"{server.url}/feed", max_attempts=3, max_delay=0.001))
    assert len(server.requests) == 4  # the first connection and three reconnections


def test_a_server_that_cannot_be_reached_is_retried_then_raised() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    with httpx.Client() as client, pytest.raises(httpx.ConnectError):
        list(follow_sse(client, f"http://127.0.0.1:{port}/", max_attempts=2, max_delay=0.001))


def test_backoff_starts_from_the_server_retry_doubles_caps_and_resets() -> None:
    full = Backoff(max_attempts=4, max_delay=5.0, jitter=lambda: 1.0)
    assert [full.next_delay(1000) for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, None]
    full.progressed()
    assert full.next_delay(None) == 3.0  # the default retry, from the start again
    half = Backoff(max_attempts=1, max_delay=5.0, jitter=lambda: 0.0)
    assert half.next_delay(1000) == 0.5  # jitter takes up to half the delay off


def test_invalid_backoff_settings_are_refused_at_the_call() -> None:
    with httpx.Client() as client:
        with pytest.raises(ValueError, match="max_attempts"):
            follow_sse(client, "http://127.0.0.1:9/", max_attempts=0)
        with pytest.raises(ValueError, match="max_delay"):
            follow_sse(client, "http://127.0.0.1:9/", max_delay=-1.0)


def test_requests_follows_across_random_drops(server: LoopbackServer) -> None:
    server.replies["/feed"] = resuming_feed(30, seed=7)
    with requests.Session() as session:
        events = list(
            requests_follow_sse(
                session, f"{server.url}/feed", max_attempts=ATTEMPTS, max_delay=DELAY
            )
        )
    check_resumed(server, events, 30)


def test_aiohttp_follows_across_random_drops(server: LoopbackServer) -> None:
    server.replies["/feed"] = resuming_feed(30, seed=8)

    async def read() -> list[ServerSentEvent]:
        async with aiohttp.ClientSession() as session:
            events = aiohttp_afollow_sse(
                session, f"{server.url}/feed", max_attempts=ATTEMPTS, max_delay=DELAY
            )
            return [event async for event in events]

    check_resumed(server, asyncio.run(read()), 30)


def test_requests_and_aiohttp_retry_an_unreachable_server_then_raise() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    with requests.Session() as session, pytest.raises(requests.ConnectionError):
        list(requests_follow_sse(session, url, max_attempts=2, max_delay=0.001))

    async def read() -> None:
        async with aiohttp.ClientSession() as session:
            async for _ in aiohttp_afollow_sse(session, url, max_attempts=2, max_delay=0.001):
                raise AssertionError("nothing listens there")

    with pytest.raises(aiohttp.ClientConnectionError):
        asyncio.run(read())


@pytest.mark.parametrize(
    ("value", "refusal"),
    [(5, TypeError), (b"5", TypeError), ("7\r\nX: y", ValueError), ("a\x00", ValueError)],
    ids=["int", "bytes", "line-end", "nul"],
)
def test_a_last_event_id_no_header_can_carry_is_refused_at_the_call(
    value: Any, refusal: type[Exception]
) -> None:
    # Each client refused it only at the first request, in its own words (aiohttp's: "Cannot
    # serialize non-str key 5").
    url = "http://127.0.0.1:9/"

    async def main() -> None:
        async with httpx.AsyncClient() as async_client, aiohttp.ClientSession() as session:
            with httpx.Client() as client, requests.Session() as sync_session:
                follows: list[Callable[[], object]] = [
                    lambda: follow_sse(client, url, last_event_id=value),
                    lambda: afollow_sse(async_client, url, last_event_id=value),
                    lambda: aiohttp_afollow_sse(session, url, last_event_id=value),
                    lambda: requests_follow_sse(sync_session, url, last_event_id=value),
                ]
                for follow_at_once in follows:
                    with pytest.raises(refusal, match=r"^last_event_id must "):
                        follow_at_once()

    asyncio.run(main())


def test_an_id_beyond_ascii_is_sent_back_as_utf8(server: LoopbackServer) -> None:
    # The id is the text the stream gave (decoded as UTF-8): it goes back in UTF-8, as browsers
    # send it (httpx refused it with its encoder's UnicodeEncodeError, requests sent Latin-1 or
    # refused it so too).
    given = "ид-é-日本"
    url = f"{server.url}/feed"

    async def read_async() -> list[str]:
        async with httpx.AsyncClient() as client:
            follower = afollow_sse(client, url, max_attempts=ATTEMPTS, max_delay=DELAY)
            return [event.id async for event in follower]

    def read_httpx() -> list[str]:
        with httpx.Client() as client:
            return [event.id for event in follow(client, url)]

    def read_requests() -> list[str]:
        with requests.Session() as session:
            follower = requests_follow_sse(session, url, max_attempts=ATTEMPTS, max_delay=DELAY)
            return [event.id for event in follower]

    for read in (read_httpx, read_requests, lambda: asyncio.run(read_async())):
        server.requests.clear()
        server.replies["/feed"] = scripted(
            Reply(parts=[RETRY, f"id: {given}\ndata: a\n\n".encode()], cut=True),
            Reply(status=204, headers={}),
        )
        assert read() == [given]
        # The stdlib server reads header bytes as Latin-1.
        sent = [request.headers.get("Last-Event-ID") for request in server.requests]
        assert [None if id is None else id.encode("latin-1").decode() for id in sent] == [
            None,
            given,
        ]


def test_the_test_server_sends_a_204_without_a_body(server: LoopbackServer) -> None:
    # A 204 with a chunked body's framing made aiohttp reconnect after it now and then.
    server.replies["/feed"] = Reply(status=204, headers={})
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(b"GET /feed HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 204") and b"transfer-encoding" not in head.lower()
    assert body == b""
