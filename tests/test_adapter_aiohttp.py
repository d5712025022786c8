"""The aiohttp adapter over real loopback sockets: events, errors, cancellation, idle timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from unittest import mock

import aiohttp
import pytest
from conftest import real_fixture_files, require_real_fixtures
from servers import (
    FRAMINGS,
    OBSERVE_SECONDS,
    Framing,
    LoopbackServer,
    Outcome,
    Reply,
    aoutcome,
    chat_bodies,
    decode_whole,
    event_streams,
    outcome,
    serve_randomly,
)

import sseproto
from sseproto import (
    BadResponseError,
    ChatCompletion,
    ChatUpdate,
    ContentDelta,
    IdleTimeoutError,
    IncompleteStreamError,
    ServerSentEvent,
    StreamError,
)
from sseproto.aiohttp import EventSource, _idle_timer, connect_sse


async def read_all(server: LoopbackServer, names: list[str]) -> list[list[ServerSentEvent]]:
    async with aiohttp.ClientSession() as session:

        async def read(name: str) -> list[ServerSentEvent]:
            async with connect_sse(session, "GET", f"{server.url}/{name}") as source:
                return [event async for event in source.aiter_sse()]

        return await asyncio.gather(*(read(name) for name in names))


def test_events_equal_decoding_the_whole_body(server: LoopbackServer) -> None:
    # "huge-event" holds a 300 KB line: aiohttp's own line reader would give up at 128 KiB.
    bodies = event_streams(seed=11)
    serve_randomly(server, bodies, seed=12)
    results = asyncio.run(read_all(server, list(bodies)))
    for (name, body), events in zip(bodies.items(), results, strict=True):
        assert events == decode_whole(body), name


def test_real_recordings(server: LoopbackServer) -> None:
    require_real_fixtures()
    files = real_fixture_files(
        "openai-chat", "other-openai-compatible", "openai-responses", "anthropic"
    )
    bodies = {f"real{number}": path.read_bytes() for number, path in enumerate(files)}
    serve_randomly(server, bodies, seed=13, max_part=4096)
    results = asyncio.run(read_all(server, list(bodies)))
    for (name, body), events in zip(bodies.items(), results, strict=True):
        assert events == decode_whole(body), name


def test_request_headers_are_added_to_a_copy(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: x\n\n"])
    headers = {"X-Trace": "1", "Cache-Control": "max-age=0"}

    async def read() -> list[ServerSentEvent]:
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "POST", f"{server.url}/s", headers=headers, json={}) as source,
        ):
            return [event async for event in source.aiter_sse()]

    assert asyncio.run(read()) == [ServerSentEvent(data="x")]
    assert headers == {"X-Trace": "1", "Cache-Control": "max-age=0"}
    (request,) = server.requests
    assert request.headers["Accept"] == "text/event-stream"
    assert request.headers["Cache-Control"] == "max-age=0"
    assert request.headers["X-Trace"] == "1"


def test_json_error_status_raises_with_status_type_and_body(server: LoopbackServer) -> None:
    error_body = b'{"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}'
    server.replies["/s"] = Reply(
        status=429, headers={"Content-Type": "application/json"}, parts=[error_body]
    )

    async def read() -> tuple[BadResponseError, bool]:
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "POST", f"{server.url}/s") as source,
        ):
            with pytest.raises(BadResponseError) as caught:
                [event async for event in source.aiter_sse()]
            return caught.value, source.response.closed

    error, closed = asyncio.run(read())
    assert (error.status, error.content_type, error.body) == (429, "application/json", error_body)
    assert closed


def test_missing_content_type_raises(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(headers={}, parts=[b"data: x\n\n"])

    async def read() -> BadResponseError:
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "GET", f"{server.url}/s") as source,
        ):
            with pytest.raises(BadResponseError) as caught:
                [event async for event in source.aiter_sse()]
            return caught.value

    error = asyncio.run(read())
    # aiohttp reports a missing Content-Type as application/octet-stream (RFC 9110 8.3).
    assert error.content_type in (None, "application/octet-stream")
    assert error.body == b"data: x\n\n"


def test_cancelling_the_reading_task_closes_the_connection(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: %d\n\n" % n for n in range(5)], endless=True)
    seen: list[str] = []

    async def consume(source: EventSource, started: asyncio.Event) -> None:
        async for event in source.aiter_sse():
            seen.append(event.data)
            if len(seen) == 3:
                started.set()

    async def read() -> None:
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "GET", f"{server.url}/s") as source,
        ):
            started = asyncio.Event()
            task = asyncio.create_task(consume(source, started))
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert source.response.closed
            assert await asyncio.to_thread(server.disconnected.wait, OBSERVE_SECONDS)

    asyncio.run(read())
    assert seen[:3] == ["0", "1", "2"]


def test_leaving_the_loop_early_closes_the_connection(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: %d\n\n" % n for n in range(5)], endless=True)

    async def read() -> None:
        async with aiohttp.ClientSession() as session:
            response = await session.get(f"{server.url}/s")
            events = EventSource(response).aiter_sse()
            async for event in events:
                if event.data == "1":
                    break
            await events.aclose()
            assert response.closed
            assert await asyncio.to_thread(server.disconnected.wait, OBSERVE_SECONDS)

    asyncio.run(read())


def test_idle_timeout_raises_with_the_bytes_received(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: 1\n\n", b"data: 2\n"], stall=2.0)
    events: list[ServerSentEvent] = []

    async def read() -> IdleTimeoutError:
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "GET", f"{server.url}/s", idle_timeout=0.1) as source,
        ):
            with pytest.raises(IdleTimeoutError) as caught:
                async for event in source.aiter_sse():
                    events.append(event)
            return caught.value

    error = asyncio.run(read())
    assert events == [ServerSentEvent(data="1")]
    assert error.offset == len(b"data: 1\n\ndata: 2\n")
    assert isinstance(error.__cause__, aiohttp.ServerTimeoutError)


def test_idle_timeout_covers_the_wait_for_the_response_head(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: 1\n\n"], head_delay=2.0)

    async def read() -> None:
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "GET", f"{server.url}/s", idle_timeout=0.1),
        ):
            raise AssertionError("the head should not have arrived")

    with pytest.raises(IdleTimeoutError) as caught:
        asyncio.run(read())
    assert caught.value.offset == 0


def test_aaccumulate_equals_accumulating_the_whole_body(server: LoopbackServer) -> None:
    bodies = chat_bodies()
    serve_randomly(server, bodies, seed=14, max_part=2048)

    async def read_all_chats() -> list[Outcome]:
        async with aiohttp.ClientSession() as session:

            async def read(name: str) -> Outcome:
                async with connect_sse(session, "GET", f"{server.url}/{name}") as source:
                    return await aoutcome(source.aaccumulate())

            return await asyncio.gather(*(read(name) for name in bodies))

    results = asyncio.run(read_all_chats())
    for (name, body), result in zip(bodies.items(), results, strict=True):
        assert result == outcome(partial(sseproto.accumulate, [body])), name


def test_aiter_chat_yields_updates_then_the_idle_timeout_with_the_partial(
    server: LoopbackServer,
) -> None:
    chunk = b'data: {"id":"c2","choices":[{"index":0,"delta":{"content":"ab"}}]}\n\n'
    server.replies["/s"] = Reply(parts=[chunk, chunk], stall=2.0)
    updates: list[ChatUpdate] = []

    async def read() -> IdleTimeoutError:
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "GET", f"{server.url}/s", idle_timeout=0.1) as source,
        ):
            with pytest.raises(IdleTimeoutError) as caught:
                async for update in source.aiter_chat():
                    updates.append(update)
            return caught.value

    error = asyncio.run(read())
    assert updates == [ContentDelta(0, "ab"), ContentDelta(0, "ab")]
    assert isinstance(error.partial, ChatCompletion)
    assert error.partial.choices[0].message.content == "abab"


def test_a_connection_dropped_mid_body_is_an_incomplete_stream_with_the_partial(
    server: LoopbackServer,
) -> None:
    head = (
        b'data: {"id":"c1","model":"m","created":1,'
        b'"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
    )
    server.replies["/s"] = Reply(parts=[head], cut=True)

    async def read() -> tuple[list[ChatUpdate], IncompleteStreamError]:
        updates: list[ChatUpdate] = []
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "GET", f"{server.url}/s") as source,
        ):
            with pytest.raises(IncompleteStreamError) as caught:
                async for update in source.aiter_chat():
                    updates.append(update)
            return updates, caught.value

    updates, error = asyncio.run(read())
    assert updates == [ContentDelta(0, "Hel")]
    assert isinstance(error.__cause__, aiohttp.ClientError)
    assert "aiohttp." in error.message
    assert error.offset == len(head)
    assert isinstance(error.partial, ChatCompletion)
    assert error.partial.choices[0].message.content == "Hel"


@pytest.mark.parametrize("framing", FRAMINGS)
def test_events_arrive_as_sent_whatever_the_framing(
    server: LoopbackServer, framing: Framing
) -> None:
    # The server sends each event only once the previous one reached the client.
    server.replies["/s"] = Reply(
        parts=[b"data: %d\n\n" % number for number in range(3)], framing=framing, lockstep=True
    )

    async def read() -> list[str]:
        events = []
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "GET", f"{server.url}/s") as source,
        ):
            async for event in source.aiter_sse():
                events.append(event.data)
                server.proceed()
        return events

    assert asyncio.run(read()) == ["0", "1", "2"]
    assert server.late == 0


STALLED_CHUNK = b'data: {"id":"c5","choices":[{"index":0,"delta":{"content":"ab"}}]}\n\n'


async def accumulate_error(
    server: LoopbackServer, session_timeout: aiohttp.ClientTimeout, **options: Any
) -> StreamError:
    async with (
        aiohttp.ClientSession(timeout=session_timeout) as session,
        connect_sse(session, "GET", f"{server.url}/s", **options) as source,
    ):
        with pytest.raises(StreamError) as caught:
            await source.aaccumulate()
        return caught.value


def check_cut_by_the_total_timeout(error: StreamError) -> None:
    assert type(error) is IncompleteStreamError
    assert isinstance(error.__cause__, asyncio.TimeoutError)
    assert "total timeout" in error.message
    assert error.offset == 2 * len(STALLED_CHUNK)
    assert isinstance(error.partial, ChatCompletion)
    assert error.partial.choices[0].message.content == "abab"


def test_the_total_timeout_ending_a_stream_is_an_incomplete_stream_with_the_partial(
    server: LoopbackServer,
) -> None:
    server.replies["/s"] = Reply(parts=[STALLED_CHUNK, STALLED_CHUNK], stall=2.0)
    error = asyncio.run(accumulate_error(server, aiohttp.ClientTimeout(total=0.3)))
    check_cut_by_the_total_timeout(error)


@pytest.mark.parametrize("timeout", [0.3, aiohttp.ClientTimeout(total=0.3)])
def test_a_timeout_given_as_a_number_or_client_timeout_is_kept_beside_the_idle_timeout(
    server: LoopbackServer, timeout: float | aiohttp.ClientTimeout
) -> None:
    # aiohttp reads a number as the total; the idle timeout only replaces sock_read.
    server.replies["/s"] = Reply(parts=[STALLED_CHUNK, STALLED_CHUNK], stall=2.0)
    error = asyncio.run(
        accumulate_error(server, aiohttp.ClientTimeout(), idle_timeout=5, timeout=timeout)
    )
    check_cut_by_the_total_timeout(error)


def test_an_idle_timeout_still_fires_under_a_total_timeout_given_as_a_number(
    server: LoopbackServer,
) -> None:
    server.replies["/s"] = Reply(parts=[STALLED_CHUNK, STALLED_CHUNK], stall=2.0)
    error = asyncio.run(
        accumulate_error(server, aiohttp.ClientTimeout(), idle_timeout=0.2, timeout=30)
    )
    assert type(error) is IdleTimeoutError
    assert error.offset == 2 * len(STALLED_CHUNK)


def test_a_timeout_of_another_type_is_refused() -> None:
    async def connect() -> None:
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "GET", "http://127.0.0.1:9/", idle_timeout=1, timeout="30"),
        ):
            raise AssertionError("no request should be sent")

    with pytest.raises(TypeError, match="timeout must be"):
        asyncio.run(connect())


# One read: the decoder has seen "id: 8" before the event "a" is handled.
RESUMABLE = [b"retry: 1500\nid: 7\ndata: a\n\nid: 8\n\n: ping\n\n"]


def test_the_source_tells_the_last_event_id_and_retry_a_reconnect_needs(
    server: LoopbackServer,
) -> None:
    # An id in a block without data still counts, and so does a cut stream's last id.
    server.replies["/s"] = Reply(parts=RESUMABLE, cut=True)

    async def read() -> tuple[str, int | None]:
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "GET", f"{server.url}/s") as source,
        ):
            assert (source.last_event_id, source.retry) == ("", None)
            with pytest.raises(IncompleteStreamError):
                async for event in source.aiter_sse():
                    assert (event.data, source.last_event_id) == ("a", "7")
            return source.last_event_id, source.retry

    assert asyncio.run(read()) == ("8", 1500)




# How long a test waits for a read the idle timeout must end: a read that never ends fails the
# test instead of hanging it.
GUARD_SECONDS = 15.0


async def serve_broken_chunking(
    event: bytes,
    first_read: asyncio.Event,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    # A valid head and one good chunk holding ``event``; once the client read it, a chunk-size
    # line that is not hexadecimal (a packet of its own, so the break comes after the head), and
    # a close.
    await reader.readuntil(b"\r\n\r\n")
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n" % (len(event), event)
    )
    await writer.drain()
    await first_read.wait()
    writer.write(b"zz\r\ndata: 2\n\n\r\n")
    await writer.drain()
    writer.close()


async def read_broken_chunking(
    event: bytes,
    read: Callable[[EventSource, asyncio.Event], Awaitable[None]],
    **options: Any,
) -> IdleTimeoutError:
    """The error of ``read`` (which sets the event it is given once it has read the first
    event) over a chunked body broken after its first chunk, with a read timeout of 0.5 s
    (``idle_timeout`` unless ``options`` say otherwise)."""
    options = options or {"idle_timeout": 0.5}

    async def served() -> IdleTimeoutError:
        first_read = asyncio.Event()
        server = await asyncio.start_server(
            partial(serve_broken_chunking, event, first_read), "127.0.0.1", 0
        )
        port = server.sockets[0].getsockname()[1]
        async with (
            server,
            aiohttp.ClientSession() as session,
            connect_sse(session, "GET", f"http://127.0.0.1:{port}/", **options) as source,
        ):
            with pytest.raises(IdleTimeoutError) as caught:
                await read(source, first_read)
            return caught.value

    return await asyncio.wait_for(served(), GUARD_SECONDS)


@pytest.mark.parametrize(
    "options",
    [{"idle_timeout": 0.5}, {"timeout": aiohttp.ClientTimeout(sock_read=0.5)}],
    ids=["idle_timeout", "sock_read"],
)
def test_idle_timeout_ends_a_chunked_body_broken_after_the_head_and_closed(
    options: dict[str, Any],
) -> None:
    # aiohttp's parser stalls on the bad chunk size, and its sock_read stops timing once the
    # connection is closed: the adapter's own timer around each read still ends the wait.
    events: list[ServerSentEvent] = []

    async def read(source: EventSource, first_read: asyncio.Event) -> None:
        async for event in source.aiter_sse():
            events.append(event)
            first_read.set()

    error = asyncio.run(read_broken_chunking(b"data: 1\n\n", read, **options))
    assert events == [ServerSentEvent(data="1")]
    assert error.offset == len(b"data: 1\n\n")
    assert error.event_index == 1
    assert error.timeout == 0.5
    assert isinstance(error.__cause__, aiohttp.SocketTimeoutError)


def test_the_idle_timer_gives_a_broken_chat_stream_its_partial() -> None:
    chunk = b'data: {"id":"c6","choices":[{"index":0,"delta":{"content":"ab"}}]}\n\n'
    updates: list[ChatUpdate] = []

    async def read(source: EventSource, first_read: asyncio.Event) -> None:
        async for update in source.aiter_chat():
            updates.append(update)
            first_read.set()

    error = asyncio.run(read_broken_chunking(chunk, read))
    assert updates == [ContentDelta(0, "ab")]
    assert error.offset == len(chunk)
    assert isinstance(error.partial, ChatCompletion)
    assert error.partial.choices[0].message.content == "ab"


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_stream_read_with_an_idle_timeout_is_read_whole_and_leaves_no_timer_armed(
    server: LoopbackServer, framing: Framing, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = [b"data: %d\n\n" % number for number in range(5)]
    server.replies["/s"] = Reply(parts=parts, framing=framing, delays=[0.01] * len(parts))
    timers: list[asyncio.TimerHandle] = []

    async def read() -> list[ServerSentEvent]:
        loop = asyncio.get_running_loop()
        call_later = loop.call_later

        def recording(delay: float, callback: Any, *args: Any) -> asyncio.TimerHandle:
            handle = call_later(delay, callback, *args)
            if "_idle_timer" in callback.__qualname__:
                timers.append(handle)
            return handle

        monkeypatch.setattr(loop, "call_later", recording)
        async with (
            aiohttp.ClientSession() as session,
            connect_sse(session, "GET", f"{server.url}/s", idle_timeout=5) as source,
        ):
            return [event async for event in source.aiter_sse()]

    assert asyncio.run(read()) == decode_whole(b"".join(parts))
    assert len(timers) > 1
    assert all(timer.cancelled() for timer in timers)


@pytest.mark.parametrize("arrival", ["bytes", "end"])
def test_what_arrives_as_the_idle_timer_fires_is_not_a_timeout(arrival: str) -> None:
    # The read that was waiting has its bytes (or the end) even if its timer fires before the
    # reader resumes to cancel it: the next read must not fail.
    async def fired() -> BaseException | None:
        content = aiohttp.StreamReader(mock.Mock(), 2**16, loop=asyncio.get_running_loop())
        _idle_timer(content, 0.01)
        if arrival == "bytes":
            content.feed_data(b"data: 1\n\n")
        else:
            content.feed_eof()
        await asyncio.sleep(0.1)
        return content.exception()

    assert asyncio.run(fired()) is None
