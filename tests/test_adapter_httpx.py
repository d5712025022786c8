"""The httpx adapter over real loopback sockets: sync and async, events, errors, cancellation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any

import httpx
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
    serving,
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
from sseproto.httpx import AsyncEventSource, EventSource, aconnect_sse, connect_sse


def read_sync(server: LoopbackServer, names: list[str]) -> list[list[ServerSentEvent]]:
    results = []
    with httpx.Client() as client:
        for name in names:
            with connect_sse(client, "GET", f"{server.url}/{name}") as source:
                results.append(list(source.iter_sse()))
    return results


async def read_async(server: LoopbackServer, names: list[str]) -> list[list[ServerSentEvent]]:
    async with httpx.AsyncClient() as client:

        async def read(name: str) -> list[ServerSentEvent]:
            async with aconnect_sse(client, "GET", f"{server.url}/{name}") as source:
                return [event async for event in source.aiter_sse()]

        return await asyncio.gather(*(read(name) for name in names))


def test_sync_events_equal_decoding_the_whole_body(server: LoopbackServer) -> None:
    bodies = event_streams(seed=1)
    serve_randomly(server, bodies, seed=2)
    results = read_sync(server, list(bodies))
    for (name, body), events in zip(bodies.items(), results, strict=True):
        assert events == decode_whole(body), name


def test_async_events_equal_decoding_the_whole_body(server: LoopbackServer) -> None:
    bodies = event_streams(seed=3)
    serve_randomly(server, bodies, seed=4)
    results = asyncio.run(read_async(server, list(bodies)))
    for (name, body), events in zip(bodies.items(), results, strict=True):
        assert events == decode_whole(body), name


def test_real_recordings_through_both_clients(server: LoopbackServer) -> None:
    require_real_fixtures()
    files = real_fixture_files(
        "openai-chat", "other-openai-compatible", "openai-responses", "anthropic"
    )
    bodies = {f"real{number}": path.read_bytes() for number, path in enumerate(files)}
    serve_randomly(server, bodies, seed=5, max_part=4096)
    async_results = asyncio.run(read_async(server, list(bodies)))
    sync_results = read_sync(server, list(bodies))
    for number, (name, body) in enumerate(bodies.items()):
        expected = decode_whole(body)
        assert expected, name
        assert async_results[number] == expected, name
        assert sync_results[number] == expected, name


def test_request_asks_for_an_event_stream_without_touching_caller_headers(
    server: LoopbackServer,
) -> None:
    server.replies["/s"] = Reply(parts=[b"data: x\n\n"])
    headers = {"X-Trace": "1"}
    with httpx.Client() as client:
        with connect_sse(client, "POST", f"{server.url}/s", headers=headers, json={}) as source:
            assert list(source.iter_sse()) == [ServerSentEvent(data="x")]
        own = httpx.Headers({"Accept": "text/event-stream; q=1"})
        with connect_sse(client, "GET", f"{server.url}/s", headers=own) as source:
            list(source.iter_sse())
    assert headers == {"X-Trace": "1"}
    assert dict(own) == {"accept": "text/event-stream; q=1"}
    first, second = server.requests
    assert first.headers["Accept"] == "text/event-stream"
    assert first.headers["Cache-Control"] == "no-store"
    assert first.headers["X-Trace"] == "1"
    assert first.body == b"{}"
    assert second.headers["Accept"] == "text/event-stream; q=1"


def test_json_error_status_raises_with_status_type_and_body(server: LoopbackServer) -> None:
    error_body = b'{"error": {"message": "Invalid API key", "type": "invalid_request_error"}}'
    server.replies["/s"] = Reply(
        status=401, headers={"Content-Type": "application/json"}, parts=[error_body]
    )
    with httpx.Client() as client, connect_sse(client, "POST", f"{server.url}/s") as source:
        with pytest.raises(BadResponseError) as caught:
            list(source.iter_sse())
        assert source.response.is_closed
    assert caught.value.status == 401
    assert caught.value.content_type == "application/json"
    assert caught.value.body == error_body
    assert "401" in str(caught.value) and "Invalid API key" in str(caught.value)


def test_wrong_content_type_raises_with_a_bounded_body(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(
        headers={"Content-Type": "text/html; charset=utf-8"}, parts=[b"<p>hi</p>" * 100_000]
    )

    async def read() -> BadResponseError:
        async with (
            httpx.AsyncClient() as client,
            aconnect_sse(client, "GET", f"{server.url}/s") as source,
        ):
            with pytest.raises(BadResponseError) as caught:
                [event async for event in source.aiter_sse()]
            return caught.value

    error = asyncio.run(read())
    assert error.status == 200
    assert error.content_type == "text/html; charset=utf-8"
    assert error.body == (b"<p>hi</p>" * 1000)[:4096]


def test_content_type_parameters_and_case_are_accepted(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(
        headers={"Content-Type": "Text/Event-Stream; charset=latin-1"},
        parts=[b"data: \xc3\xa9\n\n"],
    )
    # The charset is ignored: event streams are always UTF-8.
    assert read_sync(server, ["s"]) == [[ServerSentEvent(data="é")]]


def test_leaving_a_sync_loop_early_closes_the_connection(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: %d\n\n" % n for n in range(5)], endless=True)
    with httpx.Client() as client, connect_sse(client, "GET", f"{server.url}/s") as source:
        for event in source.iter_sse():
            if event.data == "2":
                break
        # Still inside the block: leaving the loop alone closed the response.
        assert source.response.is_closed
        assert server.disconnected.wait(OBSERVE_SECONDS)


def test_leaving_an_async_loop_early_closes_the_connection(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: %d\n\n" % n for n in range(5)], endless=True)

    async def read() -> None:
        async with (
            httpx.AsyncClient() as client,
            aconnect_sse(client, "GET", f"{server.url}/s") as source,
        ):
            async for event in source.aiter_sse():
                if event.data == "2":
                    break
            # Still inside the block: the abandoned generator is closed by the event loop.
            assert await asyncio.to_thread(server.disconnected.wait, OBSERVE_SECONDS)
            assert source.response.is_closed

    asyncio.run(read())


def test_cancelling_the_reading_task_closes_the_connection(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: %d\n\n" % n for n in range(5)], endless=True)
    seen: list[str] = []

    async def consume(source: AsyncEventSource, started: asyncio.Event) -> None:
        async for event in source.aiter_sse():
            seen.append(event.data)
            if len(seen) == 3:
                started.set()

    async def read() -> None:
        async with (
            httpx.AsyncClient() as client,
            aconnect_sse(client, "GET", f"{server.url}/s") as source,
        ):
            started = asyncio.Event()
            task = asyncio.create_task(consume(source, started))
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert source.response.is_closed
            assert await asyncio.to_thread(server.disconnected.wait, OBSERVE_SECONDS)

    asyncio.run(read())
    assert seen[:3] == ["0", "1", "2"]


def test_idle_timeout_raises_with_the_bytes_received(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: 1\n\n", b"data: 2\n"], stall=2.0)
    events: list[ServerSentEvent] = []
    with (
        httpx.Client() as client,
        connect_sse(client, "GET", f"{server.url}/s", idle_timeout=0.1) as source,
        pytest.raises(IdleTimeoutError) as caught,
    ):
        events.extend(source.iter_sse())
    assert events == [ServerSentEvent(data="1")]
    assert caught.value.offset == len(b"data: 1\n\ndata: 2\n")
    assert caught.value.partial is None
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


def test_idle_timeout_covers_the_wait_for_the_response_head(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: 1\n\n"], head_delay=2.0)

    async def read() -> None:
        async with (
            httpx.AsyncClient() as client,
            aconnect_sse(client, "GET", f"{server.url}/s", idle_timeout=0.1),
        ):
            raise AssertionError("the head should not have arrived")

    with pytest.raises(IdleTimeoutError) as caught:
        asyncio.run(read())
    assert caught.value.offset == 0


def test_idle_timeout_keeps_the_rest_of_the_callers_timeout(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: 1\n\n"], delays=[0.15])
    # The read timeout is replaced: a 0.15 s pause is fine with a 1 s idle timeout.
    with (
        httpx.Client(timeout=0.05) as client,
        connect_sse(client, "GET", f"{server.url}/s", idle_timeout=1.0) as source,
    ):
        assert list(source.iter_sse()) == [ServerSentEvent(data="1")]


def test_a_stream_is_read_once(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: 1\n\n"])
    with httpx.Client() as client, connect_sse(client, "GET", f"{server.url}/s") as source:
        assert len(list(source.iter_sse())) == 1
        with pytest.raises(RuntimeError):
            list(source.iter_sse())


def test_a_response_opened_by_the_caller_can_be_wrapped(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: 1\n\n"])
    with httpx.Client() as client, client.stream("GET", f"{server.url}/s") as response:
        assert list(EventSource(response).iter_sse()) == [ServerSentEvent(data="1")]
        assert response.is_closed


@pytest.mark.parametrize("idle_timeout", [0, -1.0, float("nan"), float("inf"), "1", True])
def test_invalid_idle_timeout_is_rejected(idle_timeout: Any) -> None:
    with (
        httpx.Client() as client,
        pytest.raises(ValueError, match="idle_timeout"),
        connect_sse(client, "GET", "http://127.0.0.1:9/", idle_timeout=idle_timeout),
    ):
        pass


def test_invalid_max_event_size_is_rejected_at_construction() -> None:
    response = httpx.Response(200)
    with pytest.raises(ValueError):
        EventSource(response, max_event_size=0)


def test_nothing_keeps_running_after_the_block() -> None:
    before = threading.active_count()
    with serving() as running:
        running.replies["/s"] = Reply(parts=[b"data: 1\n\n"], endless=True)
        with httpx.Client() as client, connect_sse(client, "GET", f"{running.url}/s") as source:
            next(iter(source.iter_sse()))
    assert threading.active_count() == before


# -- chat streams ----------------------------------------------------------------------------------


def test_accumulate_equals_accumulating_the_whole_body(server: LoopbackServer) -> None:
    bodies = chat_bodies()
    serve_randomly(server, bodies, seed=6, max_part=2048)

    async def read_async(names: list[str]) -> list[Outcome]:
        async with httpx.AsyncClient() as client:

            async def read(name: str) -> Outcome:
                async with aconnect_sse(client, "GET", f"{server.url}/{name}") as source:
                    return await aoutcome(source.aaccumulate())

            return await asyncio.gather(*(read(name) for name in names))

    async_results = asyncio.run(read_async(list(bodies)))
    with httpx.Client() as client:
        for number, (name, body) in enumerate(bodies.items()):
            expected = outcome(partial(sseproto.accumulate, [body]))
            assert async_results[number] == expected, name
            if number % 4 == 0:  # the sync path is read whole by the iter_chat test below
                with connect_sse(client, "GET", f"{server.url}/{name}") as source:
                    assert outcome(source.accumulate) == expected, name


def updates_and_error(updates: Iterator[ChatUpdate]) -> tuple[list[ChatUpdate], str | None]:
    """Every update a chat iteration yields, and the error that ended it (if one did)."""
    seen: list[ChatUpdate] = []
    try:
        seen.extend(updates)
    except StreamError as error:
        return seen, f"{type(error).__name__}: {error}"
    return seen, None


def test_iter_chat_equals_the_updates_of_the_whole_body(server: LoopbackServer) -> None:
    bodies = chat_bodies()
    serve_randomly(server, bodies, seed=7, max_part=2048)
    with httpx.Client() as client:
        for name, body in bodies.items():
            with connect_sse(client, "GET", f"{server.url}/{name}") as source:
                got = updates_and_error(source.iter_chat())
            assert got == updates_and_error(sseproto.iter_chat([body])), name


def test_idle_timeout_carries_the_partial_completion(server: LoopbackServer) -> None:
    head = (
        b'data: {"id":"c1","model":"m","created":1,'
        b'"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
    )
    server.replies["/s"] = Reply(parts=[head, b'data: {"choices"'], stall=2.0)

    async def read() -> IdleTimeoutError:
        async with (
            httpx.AsyncClient() as client,
            aconnect_sse(client, "GET", f"{server.url}/s", idle_timeout=0.1) as source,
        ):
            with pytest.raises(IdleTimeoutError) as caught:
                await source.aaccumulate()
            return caught.value

    error = asyncio.run(read())
    assert isinstance(error.partial, ChatCompletion)
    assert error.partial.id == "c1"
    assert error.partial.choices[0].message.content == "Hel"
    assert error.offset == len(head) + len(b'data: {"choices"')


def test_leaving_iter_chat_early_closes_the_connection(server: LoopbackServer) -> None:
    chunk = b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"x"}}]}\n\n'
    server.replies["/s"] = Reply(parts=[chunk] * 5, endless=True)
    with httpx.Client() as client, connect_sse(client, "GET", f"{server.url}/s") as source:
        for number, update in enumerate(source.iter_chat()):
            assert update == ContentDelta(0, "x")
            if number == 2:
                break
        assert server.disconnected.wait(OBSERVE_SECONDS)


# -- transport errors while reading the body ---------------------------------------------------

HEL = (
    b'data: {"id":"c1","model":"m","created":1,'
    b'"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
)


class FailingBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that yields ``parts`` and then fails with ``error``, as a cut connection does."""

    def __init__(self, parts: list[bytes], error: Exception) -> None:
        self.parts = parts
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts
        raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part
        raise self.error


def failing_transport(
    parts: list[bytes], error: Exception, status: int = 200, content_type: str = "text/event-stream"
) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status, headers={"Content-Type": content_type}, stream=FailingBody(parts, error)
        )

    return httpx.MockTransport(answer)


def cut() -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def check_cut_short(error: IncompleteStreamError, partial: bool) -> None:
    assert isinstance(error.__cause__, httpx.RemoteProtocolError)
    assert "httpx.RemoteProtocolError" in error.message and "peer closed" in error.message
    assert error.offset == len(HEL)
    if partial:
        assert isinstance(error.partial, ChatCompletion)
        assert error.partial.id == "c1"
        assert error.partial.choices[0].message.content == "Hel"
    else:
        assert error.partial is None


def test_a_transport_error_mid_body_is_an_incomplete_stream_with_the_partial() -> None:
    with httpx.Client(transport=failing_transport([HEL], cut())) as client:
        with (
            connect_sse(client, "GET", "http://test/s") as source,
            pytest.raises(IncompleteStreamError) as caught,
        ):
            source.accumulate()
        check_cut_short(caught.value, partial=True)

        with connect_sse(client, "GET", "http://test/s") as source:
            updates = source.iter_chat()
            assert next(updates) == ContentDelta(0, "Hel")
            with pytest.raises(IncompleteStreamError) as caught:
                next(updates)
        check_cut_short(caught.value, partial=True)

        with connect_sse(client, "GET", "http://test/s") as source:
            events = source.iter_sse()
            assert next(events).data.startswith('{"id":"c1"')
            with pytest.raises(IncompleteStreamError) as caught:
                next(events)
        check_cut_short(caught.value, partial=False)


def test_an_async_transport_error_mid_body_is_an_incomplete_stream_with_the_partial() -> None:
    async def read() -> list[IncompleteStreamError]:
        caught: list[IncompleteStreamError] = []
        async with httpx.AsyncClient(transport=failing_transport([HEL], cut())) as client:
            async with aconnect_sse(client, "GET", "http://test/s") as source:
                try:
                    await source.aaccumulate()
                except IncompleteStreamError as error:
                    caught.append(error)
            async with aconnect_sse(client, "GET", "http://test/s") as source:
                updates: list[ChatUpdate] = []
                try:
                    async for update in source.aiter_chat():
                        updates.append(update)
                except IncompleteStreamError as error:
                    caught.append(error)
                assert updates == [ContentDelta(0, "Hel")]
            async with aconnect_sse(client, "GET", "http://test/s") as source:
                try:
                    async for _ in source.aiter_sse():
                        pass
                except IncompleteStreamError as error:
                    caught.append(error)
        return caught

    accumulated, chatted, events = asyncio.run(read())
    check_cut_short(accumulated, partial=True)
    check_cut_short(chatted, partial=True)
    check_cut_short(events, partial=False)


def test_any_other_error_of_the_body_is_an_incomplete_stream_caused_by_it() -> None:
    # Not the client's own transport error, yet the body ended there: the same source failure
    # as sseproto.accumulate(response.iter_bytes()) reports, the original as its cause.
    failure = KeyError("ours")
    with (
        httpx.Client(transport=failing_transport([HEL], failure)) as client,
        connect_sse(client, "GET", "http://test/s") as source,
        pytest.raises(IncompleteStreamError, match="failed with KeyError") as caught,
    ):
        source.accumulate(dialect="chat")
    assert caught.value.__cause__ is failure
    assert caught.value.offset == len(HEL)
    assert caught.value.partial is not None


def test_any_other_error_of_the_body_read_as_events_is_placed_as_accumulate_places_it() -> None:
    failure = KeyError("ours")
    with (
        httpx.Client(transport=failing_transport([HEL, b"data: x"], failure)) as client,
        connect_sse(client, "GET", "http://test/s") as source,
    ):
        events = source.iter_sse()
        next(events)
        with pytest.raises(IncompleteStreamError, match="failed with KeyError") as caught:
            next(events)
    assert caught.value.__cause__ is failure
    assert (caught.value.offset, caught.value.event_index) == (len(HEL) + 7, 1)

    async def read() -> None:
        transport = failing_transport([HEL, b"data: x"], failure)
        async with (
            httpx.AsyncClient(transport=transport) as client,
            aconnect_sse(client, "GET", "http://test/s") as source,
        ):
            async for _ in source.aiter_sse():
                pass

    with pytest.raises(IncompleteStreamError, match="failed with KeyError") as acaught:
        asyncio.run(read())
    assert acaught.value.__cause__ is failure
    assert (acaught.value.offset, acaught.value.event_index) == (len(HEL) + 7, 1)


def test_a_timeout_reading_a_rejected_body_keeps_the_rejection_and_its_start() -> None:
    timeout = httpx.ReadTimeout("timed out")
    transport = failing_transport([b"Internal "], timeout, status=500, content_type="text/plain")
    with (
        httpx.Client(transport=transport) as client,
        connect_sse(client, "GET", "http://test/s") as source,
        pytest.raises(BadResponseError) as caught,
    ):
        source.accumulate()
    assert caught.value.status == 500 and caught.value.body == b"Internal "
    assert caught.value.__cause__ is timeout

    async def read() -> BadResponseError:
        async with (
            httpx.AsyncClient(transport=transport) as client,
            aconnect_sse(client, "GET", "http://test/s") as source,
        ):
            with pytest.raises(BadResponseError) as caught:
                async for _ in source.aiter_sse():
                    pass
            return caught.value

    error = asyncio.run(read())
    assert error.status == 500 and error.body == b"Internal "


@pytest.mark.parametrize("framing", FRAMINGS)
def test_events_arrive_as_sent_whatever_the_framing(
    server: LoopbackServer, framing: Framing
) -> None:
    # The server sends each event only once the previous one reached the client.
    server.replies["/s"] = Reply(
        parts=[b"data: %d\n\n" % number for number in range(3)], framing=framing, lockstep=True
    )
    events = []
    with httpx.Client() as client, connect_sse(client, "GET", f"{server.url}/s") as source:
        for event in source.iter_sse():
            events.append(event.data)
            server.proceed()
    assert events == ["0", "1", "2"]
    assert server.late == 0


# One read: the decoder has seen "id: 8" before the event "a" is handled.
RESUMABLE = [b"retry: 1500\nid: 7\ndata: a\n\nid: 8\n\n: ping\n\n"]


def test_the_sources_tell_the_last_event_id_and_retry_a_reconnect_needs(
    server: LoopbackServer,
) -> None:
    # An id in a block without data still counts, and so does a cut stream's last id.
    server.replies["/s"] = Reply(parts=RESUMABLE, cut=True)
    with httpx.Client() as client, connect_sse(client, "GET", f"{server.url}/s") as source:
        assert (source.last_event_id, source.retry) == ("", None)
        with pytest.raises(IncompleteStreamError):
            for event in source.iter_sse():
                assert (event.data, source.last_event_id) == ("a", "7")
        assert (source.last_event_id, source.retry) == ("8", 1500)

    async def read() -> tuple[str, int | None]:
        async with (
            httpx.AsyncClient() as client,
            aconnect_sse(client, "GET", f"{server.url}/s") as source,
        ):
            with pytest.raises(IncompleteStreamError):
                async for event in source.aiter_sse():
                    assert (event.data, source.last_event_id) == ("a", "7")
            return source.last_event_id, source.retry

    assert asyncio.run(read()) == ("8", 1500)
