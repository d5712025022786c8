"""The requests adapter over real loopback sockets: events, errors, leaving early, idle timeout."""

from __future__ import annotations

import gzip
from functools import partial

import pytest
import requests
from conftest import real_fixture_files, require_real_fixtures
from servers import (
    FRAMINGS,
    OBSERVE_SECONDS,
    Framing,
    LoopbackServer,
    Reply,
    chat_bodies,
    decode_whole,
    event_streams,
    outcome,
    serve_randomly,
)
from urllib3.response import HTTPResponse

import sseproto
from sseproto import (
    BadResponseError,
    ChatCompletion,
    ChatUpdate,
    ContentDelta,
    IdleTimeoutError,
    IncompleteStreamError,
    ServerSentEvent,
)
from sseproto.requests import EventSource, connect_sse


def require_unframed_streaming(framing: Framing) -> None:
    """Skip for a body without chunked framing when urllib3 (before 2.2) has no ``read1``: the
    adapter then reads with ``iter_content``, which gives such a body whole at its end."""
    if framing != "chunked" and not hasattr(HTTPResponse, "read1"):
        pytest.skip("urllib3 before 2.2 cannot read an unframed body as it arrives")


def read_all(server: LoopbackServer, names: list[str]) -> list[list[ServerSentEvent]]:
    results = []
    with requests.Session() as session:
        for name in names:
            with connect_sse(session, "GET", f"{server.url}/{name}") as source:
                results.append(list(source.iter_sse()))
    return results


def test_events_equal_decoding_the_whole_body(server: LoopbackServer) -> None:
    bodies = event_streams(seed=21)
    serve_randomly(server, bodies, seed=22)
    results = read_all(server, list(bodies))
    for (name, body), events in zip(bodies.items(), results, strict=True):
        assert events == decode_whole(body), name


def test_real_recordings(server: LoopbackServer) -> None:
    require_real_fixtures()
    files = real_fixture_files(
        "openai-chat", "other-openai-compatible", "openai-responses", "anthropic"
    )
    bodies = {f"real{number}": path.read_bytes() for number, path in enumerate(files)}
    serve_randomly(server, bodies, seed=23, max_part=4096)
    results = read_all(server, list(bodies))
    for (name, body), events in zip(bodies.items(), results, strict=True):
        assert events == decode_whole(body), name


def test_events_arrive_before_the_body_ends(server: LoopbackServer) -> None:
    # A fixed chunk size would hold the first event until more bytes came.
    server.replies["/s"] = Reply(parts=[b"data: 1\n\n"], stall=2.0)
    with (
        requests.Session() as session,
        connect_sse(session, "GET", f"{server.url}/s", idle_timeout=1.5) as source,
    ):
        assert next(source.iter_sse()) == ServerSentEvent(data="1")


def test_request_headers_are_added_to_a_copy(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: x\n\n"])
    headers = {"X-Trace": "1", "accept": "text/event-stream, */*"}
    with (
        requests.Session() as session,
        connect_sse(session, "POST", f"{server.url}/s", headers=headers, json={}) as source,
    ):
        assert list(source.iter_sse()) == [ServerSentEvent(data="x")]
    assert headers == {"X-Trace": "1", "accept": "text/event-stream, */*"}
    (request,) = server.requests
    assert request.headers["Accept"] == "text/event-stream, */*"
    assert request.headers["Cache-Control"] == "no-store"


def test_json_error_status_raises_with_status_type_and_body(server: LoopbackServer) -> None:
    error_body = b'{"error": {"message": "model not found"}}'
    server.replies["/s"] = Reply(
        status=404, headers={"Content-Type": "application/json"}, parts=[error_body]
    )
    with (
        requests.Session() as session,
        connect_sse(session, "POST", f"{server.url}/s") as source,
        pytest.raises(BadResponseError) as caught,
    ):
        list(source.iter_sse())
    assert (caught.value.status, caught.value.content_type) == (404, "application/json")
    assert caught.value.body == error_body


def test_wrong_content_type_raises(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(headers={"Content-Type": "text/plain"}, parts=[b"data: x\n\n"])
    with (
        requests.Session() as session,
        connect_sse(session, "GET", f"{server.url}/s") as source,
        pytest.raises(BadResponseError, match="text/plain"),
    ):
        list(source.iter_sse())


def test_leaving_the_loop_early_closes_the_connection(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: %d\n\n" % n for n in range(5)], endless=True)
    with requests.Session() as session:
        response = session.get(f"{server.url}/s", stream=True)
        for event in EventSource(response).iter_sse():
            if event.data == "2":
                break
        assert server.disconnected.wait(OBSERVE_SECONDS)


def test_idle_timeout_raises_with_the_bytes_received(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: 1\n\n", b"data: 2\n"], stall=2.0)
    events: list[ServerSentEvent] = []
    with (
        requests.Session() as session,
        connect_sse(session, "GET", f"{server.url}/s", idle_timeout=0.1, timeout=5) as source,
        pytest.raises(IdleTimeoutError) as caught,
    ):
        events.extend(source.iter_sse())
    assert events == [ServerSentEvent(data="1")]
    assert caught.value.offset == len(b"data: 1\n\ndata: 2\n")
    assert isinstance(caught.value.__cause__, requests.ConnectionError)


def test_idle_timeout_covers_the_wait_for_the_response_head(server: LoopbackServer) -> None:
    server.replies["/s"] = Reply(parts=[b"data: 1\n\n"], head_delay=2.0)
    with (
        requests.Session() as session,
        pytest.raises(IdleTimeoutError) as caught,
        connect_sse(session, "GET", f"{server.url}/s", idle_timeout=0.1),
    ):
        raise AssertionError("the head should not have arrived")
    assert caught.value.offset == 0


def test_accumulate_equals_accumulating_the_whole_body(server: LoopbackServer) -> None:
    bodies = chat_bodies()
    serve_randomly(server, bodies, seed=24, max_part=2048)
    with requests.Session() as session:
        for name, body in bodies.items():
            with connect_sse(session, "GET", f"{server.url}/{name}") as source:
                result = outcome(source.accumulate)
            assert result == outcome(partial(sseproto.accumulate, [body])), name


def test_iter_chat_yields_updates_then_the_idle_timeout_with_the_partial(
    server: LoopbackServer,
) -> None:
    chunk = b'data: {"id":"c3","choices":[{"index":0,"delta":{"content":"ab"}}]}\n\n'
    server.replies["/s"] = Reply(parts=[chunk, chunk], stall=2.0)
    updates: list[ChatUpdate] = []
    with (
        requests.Session() as session,
        connect_sse(session, "GET", f"{server.url}/s", idle_timeout=0.1) as source,
        pytest.raises(IdleTimeoutError) as caught,
    ):
        updates.extend(source.iter_chat())
    assert updates == [ContentDelta(0, "ab"), ContentDelta(0, "ab")]
    assert isinstance(caught.value.partial, ChatCompletion)
    assert caught.value.partial.choices[0].message.content == "abab"


def test_a_connection_dropped_mid_body_is_an_incomplete_stream_with_the_partial(
    server: LoopbackServer,
) -> None:
    head = (
        b'data: {"id":"c1","model":"m","created":1,'
        b'"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
    )
    server.replies["/s"] = Reply(parts=[head], cut=True)
    with requests.Session() as session:
        with (
            connect_sse(session, "GET", f"{server.url}/s") as source,
            pytest.raises(IncompleteStreamError) as caught,
        ):
            source.accumulate()
        with connect_sse(session, "GET", f"{server.url}/s") as source:
            updates: list[ChatUpdate] = []
            with pytest.raises(IncompleteStreamError) as chatted:
                updates.extend(source.iter_chat())
    assert updates == [ContentDelta(0, "Hel")]
    for error in (caught.value, chatted.value):
        assert isinstance(error.__cause__, requests.RequestException)
        assert "requests." in error.message
        assert error.offset == len(head)
        assert isinstance(error.partial, ChatCompletion)
        assert error.partial.choices[0].message.content == "Hel"


@pytest.mark.parametrize("framing", FRAMINGS)
def test_events_arrive_as_sent_whatever_the_framing(
    server: LoopbackServer, framing: Framing
) -> None:
    require_unframed_streaming(framing)
    # The server sends each event only once the previous one reached the client: a client that
    # waits for the body's end before giving anything makes the server wait in vain.
    server.replies["/s"] = Reply(
        parts=[b"data: %d\n\n" % number for number in range(3)],
        framing=framing,
        lockstep=True,
    )
    events = []
    with (
        requests.Session() as session,
        connect_sse(session, "GET", f"{server.url}/s") as source,
    ):
        for event in source.iter_sse():
            events.append(event.data)
            server.proceed()
    assert events == ["0", "1", "2"]
    assert server.late == 0


CHUNK = b'data: {"id":"c4","choices":[{"index":0,"delta":{"content":"ab"}}]}\n\n'


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_stall_reports_the_bytes_and_partial_received_whatever_the_framing(
    server: LoopbackServer, framing: Framing
) -> None:
    require_unframed_streaming(framing)
    # The body is unfinished while the server stalls (a Content-Length reply promises more).
    server.replies["/s"] = Reply(parts=[CHUNK, CHUNK], framing=framing, stall=2.0, cut=True)
    with (
        requests.Session() as session,
        connect_sse(session, "GET", f"{server.url}/s", idle_timeout=0.2) as source,
        pytest.raises(IdleTimeoutError) as caught,
    ):
        source.accumulate()
    assert caught.value.offset == 2 * len(CHUNK)
    assert isinstance(caught.value.partial, ChatCompletion)
    assert caught.value.partial.choices[0].message.content == "abab"


@pytest.mark.parametrize("framing", ["chunked", "length"])
def test_a_cut_reports_the_bytes_and_partial_received_whatever_the_framing(
    server: LoopbackServer, framing: Framing
) -> None:
    require_unframed_streaming(framing)
    # A body ended by closing the connection cannot be cut: its end is the close.
    server.replies["/s"] = Reply(parts=[CHUNK, CHUNK], framing=framing, cut=True)
    with (
        requests.Session() as session,
        connect_sse(session, "GET", f"{server.url}/s") as source,
        pytest.raises(IncompleteStreamError) as caught,
    ):
        source.accumulate()
    assert isinstance(caught.value.__cause__, requests.RequestException)
    assert caught.value.offset == 2 * len(CHUNK)
    assert isinstance(caught.value.partial, ChatCompletion)
    assert caught.value.partial.choices[0].message.content == "abab"


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_compressed_body_is_decompressed_whatever_the_framing(
    server: LoopbackServer, framing: Framing
) -> None:
    require_unframed_streaming(framing)
    body = b"".join(b"data: %d\n\n" % number for number in range(50))
    compressed = gzip.compress(body)
    server.replies["/s"] = Reply(
        parts=[compressed[:10], compressed[10:30], compressed[30:]],
        headers={"Content-Type": "text/event-stream", "Content-Encoding": "gzip"},
        framing=framing,
    )
    with (
        requests.Session() as session,
        connect_sse(session, "GET", f"{server.url}/s") as source,
    ):
        assert list(source.iter_sse()) == decode_whole(body)


# One read: the decoder has seen "id: 8" before the event "a" is handled.
RESUMABLE = [b"retry: 1500\nid: 7\ndata: a\n\nid: 8\n\n: ping\n\n"]


def test_the_source_tells_the_last_event_id_and_retry_a_reconnect_needs(
    server: LoopbackServer,
) -> None:
    # An id in a block without data still counts, and so does a cut stream's last id.
    server.replies["/s"] = Reply(parts=RESUMABLE, cut=True)
    seen = []
    with (
        requests.Session() as session,
        connect_sse(session, "GET", f"{server.url}/s") as source,
    ):
        assert (source.last_event_id, source.retry) == ("", None)
        with pytest.raises(IncompleteStreamError):
            for event in source.iter_sse():
                seen.append((event.data, source.last_event_id))
        assert (source.last_event_id, source.retry) == ("8", 1500)
    assert seen == [("a", "7")]
