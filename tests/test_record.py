"""record / arecord: bytes pass through unchanged, and replaying the recording gives back the same
bytes in the same reads; transport errors are recorded and re-raised; secrets never reach disk."""

from __future__ import annotations

import asyncio
import errno
import gc
import signal
import subprocess
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sseproto
from sseproto.fixtures.format import load_fixture, sidecar_path
from sseproto.fixtures.redact import redact, redact_headers

READS = st.lists(st.binary(max_size=64), max_size=30)


def source(reads: list[bytes], failure: Exception | None = None) -> Iterator[bytes]:
    yield from reads
    if failure is not None:
        raise failure


async def asource(reads: list[bytes], failure: Exception | None = None) -> AsyncIterator[bytes]:
    for data in reads:
        await asyncio.sleep(0)
        yield data
    if failure is not None:
        raise failure


@given(reads=READS)
def test_record_then_replay_keeps_bytes_and_read_boundaries(
    tmp_path_factory: pytest.TempPathFactory, reads: list[bytes]
) -> None:
    path = tmp_path_factory.mktemp("record") / "stream.sse"
    passed = list(sseproto.record(source(reads), path))
    assert passed == reads
    assert path.read_bytes() == b"".join(reads)
    assert list(sseproto.replay(path)) == reads
    recording = load_fixture(path).recording
    assert recording is not None and recording.ending.kind == "eof"
    times = [read.seconds for read in recording.reads]
    assert times == sorted(times) and all(t >= 0 for t in times)


@given(reads=READS)
def test_arecord_then_areplay_keeps_bytes_and_read_boundaries(
    tmp_path_factory: pytest.TempPathFactory, reads: list[bytes]
) -> None:
    path = tmp_path_factory.mktemp("arecord") / "stream.sse"

    async def run() -> tuple[list[bytes], list[bytes]]:
        passed = [data async for data in sseproto.arecord(asource(reads), path)]
        replayed = [data async for data in sseproto.areplay(path)]
        return passed, replayed

    assert asyncio.run(run()) == (reads, reads)


def test_reads_pass_through_as_the_same_objects(tmp_path: Path) -> None:
    reads: list[bytes | bytearray | memoryview] = [
        b"data: a\n", bytearray(b"\n"), memoryview(b"data: \xc3\xa9\n\n"),
    ]  # fmt: skip
    passed = list(sseproto.record(iter(reads), tmp_path / "s.sse"))
    assert all(got is sent for got, sent in zip(passed, reads, strict=True))
    assert list(sseproto.replay(tmp_path / "s.sse")) == [bytes(r) for r in reads]


def test_a_transport_error_is_recorded_and_re_raised(tmp_path: Path) -> None:
    path = tmp_path / "cut.sse"
    failure = ConnectionResetError("peer reset the connection")
    passed = []
    with pytest.raises(ConnectionResetError) as caught:
        for data in sseproto.record(source([b"data: one\n\n", b"data: tw"], failure), path):
            passed.append(data)
    assert caught.value is failure
    assert passed == [b"data: one\n\n", b"data: tw"]
    recording = load_fixture(path).recording
    assert recording is not None
    assert recording.ending.kind == "error"
    assert recording.ending.error_type == "ConnectionResetError"
    assert recording.ending.error_message == "peer reset the connection"
    # Replaying meets the same failure at the same place.
    replayed = []
    with pytest.raises(sseproto.RecordedTransportError) as again:
        for data in sseproto.replay(path):
            replayed.append(data)
    assert replayed == passed
    assert again.value.offset == len(b"data: one\n\ndata: tw")
    assert again.value.error_type == "ConnectionResetError"


def test_a_library_error_keeps_its_qualified_name(tmp_path: Path) -> None:
    httpx = pytest.importorskip("httpx")

    path = tmp_path / "cut.sse"
    with pytest.raises(httpx.RemoteProtocolError):
        list(sseproto.record(source([b"x"], httpx.RemoteProtocolError("peer closed")), path))
    recording = load_fixture(path).recording
    assert recording is not None
    assert recording.ending.error_type == "httpx.RemoteProtocolError"


def test_an_async_transport_error_is_recorded_and_re_raised(tmp_path: Path) -> None:
    path = tmp_path / "cut.sse"
    failure = TimeoutError("idle")

    async def run() -> list[bytes]:
        passed = []
        with pytest.raises(TimeoutError) as caught:
            async for data in sseproto.arecord(asource([b"data: a\n\n"], failure), path):
                passed.append(data)
        assert caught.value is failure
        return passed

    assert asyncio.run(run()) == [b"data: a\n\n"]
    recording = load_fixture(path).recording
    assert recording is not None and recording.ending[::2] == ("error", "TimeoutError")


def test_a_reader_that_stops_early_leaves_a_closed_recording(tmp_path: Path) -> None:
    path = tmp_path / "early.sse"
    recorder = sseproto.record(source([b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"]), path)
    assert next(recorder) == b"data: 1\n\n"
    recorder.close()
    assert path.read_bytes() == b"data: 1\n\n"
    recording = load_fixture(path).recording
    assert recording is not None and recording.ending.kind == "closed"
    assert list(sseproto.replay(path)) == [b"data: 1\n\n"]


def test_the_exchange_is_kept_with_credentials_redacted(tmp_path: Path) -> None:
    path = tmp_path / "s.sse"
    headers = {
        "Content-Type": "text/event-stream",
        "Authorization": "Bearer sk-live-123",
        "Set-Cookie": "session=abc",
        "X-Api-Key": "k-1",
        "x-goog-api-key": "g-2",
        "OpenAI-Organization": "org-7",
        "x-request-id": "req_123",
    }
    url = "https://user:hunter2@example.com/v1/chat?key=AIza-secret&alt=sse"
    list(sseproto.record(source([b"data: x\n\n"]), path, status=200, headers=headers,
                         method="POST", url=url, client="httpx/0.28"))  # fmt: skip
    text = sidecar_path(path).read_text()
    for secret in ("sk-live-123", "session=abc", "k-1", "g-2", "hunter2", "AIza-secret"):
        assert secret not in text
    recording = load_fixture(path).recording
    assert recording is not None
    assert dict(recording.headers) == {
        "Content-Type": "text/event-stream",
        "Authorization": "<redacted>",
        "Set-Cookie": "<redacted>",
        "X-Api-Key": "<redacted>",
        "x-goog-api-key": "<redacted>",
        "OpenAI-Organization": "org-7",
        "x-request-id": "req_123",
    }
    assert recording.url == "https://<redacted>@example.com/v1/chat?key=<redacted>&alt=sse"
    assert (recording.status, recording.method, recording.client) == (200, "POST", "httpx/0.28")


def test_repeated_headers_given_as_pairs_are_all_kept(tmp_path: Path) -> None:
    pairs = [("set-cookie", "a=1"), ("set-cookie", "b=2"), ("vary", "origin"), ("vary", "x")]
    assert redact_headers(pairs) == (
        ("set-cookie", "<redacted>"), ("set-cookie", "<redacted>"),
        ("vary", "origin"), ("vary", "x"),
    )  # fmt: skip


@pytest.mark.parametrize(
    "url",
    [
        "https://api.openai.com/v1/chat/completions",
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:"
        "streamGenerateContent?alt=sse",
        "http://[::1]:8080/p?alt=sse&n=1;stream=true",
    ],
)
def test_urls_without_credentials_are_unchanged(url: str) -> None:
    assert redact(url) == url


def test_read_times_count_from_the_request(tmp_path: Path) -> None:
    path = tmp_path / "s.sse"
    started = time.monotonic() - 5.0
    list(sseproto.record(source([b"data: x\n\n"]), path, started=started))
    recording = load_fixture(path).recording
    assert recording is not None
    assert recording.reads[0].seconds >= 5.0


@pytest.mark.parametrize(
    "arguments",
    [
        {"status": "200"},
        {"status": True},
        {"started": time.monotonic() + 3600},
        {"started": time.monotonic() - 31 * 24 * 3600},
        {"started": "now"},
        {"url": b"https://example.com"},
        {"method": 1},
        {"client": ["httpx"]},
    ],
)
def test_bad_arguments_raise_at_the_call(tmp_path: Path, arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        sseproto.record(source([]), tmp_path / "s.sse", **arguments)
    with pytest.raises(ValueError):
        sseproto.arecord(asource([]), tmp_path / "s.sse", **arguments)
    assert not (tmp_path / "s.sse").exists()


# -- crash-safe and prompt -----------------------------------------------------------------------


def test_each_read_is_on_disk_as_soon_as_it_is_passed_on(tmp_path: Path) -> None:
    path = tmp_path / "s.sse"
    reads = [b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"]
    recorder = sseproto.record(source(reads), path)
    for count, data in enumerate(recorder, 1):
        assert data == reads[count - 1]
        assert path.read_bytes() == b"".join(reads[:count])
    assert path.read_bytes() == b"".join(reads)


KILLED_AFTER_THREE_READS = """
import os, signal, sys
import sseproto

def reads():
    yield from (b"data: 1\\n\\n", b"data: 2\\n\\n", b"data: 3\\n\\n")
    os.kill(os.getpid(), signal.SIGKILL)
    yield b"never"

for data in sseproto.record(reads(), sys.argv[1]):
    pass
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_process_killed_mid_stream_leaves_every_read_passed_on_and_a_replayable_fixture(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sse"
    # An earlier recording at the same place: its sidecar must not outlive its body.
    list(sseproto.record(source([b"data: old\n\n"]), path))
    result = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_THREE_READS, str(path)], check=False, timeout=60
    )
    assert result.returncode == -signal.SIGKILL
    assert path.read_bytes() == b"data: 1\n\ndata: 2\n\ndata: 3\n\n"
    assert not sidecar_path(path).exists()
    assert list(sseproto.replay(path)) == [path.read_bytes()]


def test_a_sidecar_that_cannot_be_written_whole_is_not_written_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_bytes = Path.write_bytes

    def disk_full(self: Path, data: bytes) -> int:
        write_bytes(self, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    path = tmp_path / "s.sse"
    with pytest.raises(OSError, match="No space"):
        list(sseproto.record(source([b"data: 1\n\n"]), path))
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == [path]
    assert list(sseproto.replay(path)) == [b"data: 1\n\n"]


def test_the_fixtures_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "tests" / "fixtures" / "s.sse"
    assert list(sseproto.record(source([b"data: x\n\n"]), path)) == [b"data: x\n\n"]
    assert list(sseproto.replay(path)) == [b"data: x\n\n"]


class FakeClock:
    """Stands in for the record module's time module: time moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_a_consumer_failing_inside_the_with_block_finishes_the_recording_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr("sseproto.fixtures.record.time", clock)
    path = tmp_path / "s.sse"
    failure = sseproto.ProviderError({"message": "overloaded"})
    chunks = source([b"data: 1\n\n", b"data: 2\n\n"])
    with pytest.raises(sseproto.ProviderError) as caught, sseproto.record(chunks, path) as recorder:
        for _ in recorder:
            clock.now += 0.5
            raise failure
    clock.now += 60  # the exception (and its traceback) lives on: the sidecar must not wait
    assert caught.value is failure
    recording = load_fixture(path).recording
    assert recording is not None
    assert recording.ending == ("closed", 0.5, None, None)
    assert [read.length for read in recording.reads] == [9]


def test_a_recorder_closed_or_dropped_finishes_at_once_with_the_end_time_of_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr("sseproto.fixtures.record.time", clock)
    gc.disable()  # nothing may wait for the cycle collector
    try:
        for finish in ("close", "drop"):
            path = tmp_path / f"{finish}.sse"
            recorder = sseproto.record(source([b"data: 1\n\n", b"data: 2\n\n"]), path)
            assert next(recorder) == b"data: 1\n\n"
            clock.now += 2.0
            if finish == "close":
                recorder.close()
            else:
                del recorder
            clock.now += 60
            recording = load_fixture(path).recording
            assert recording is not None
            assert recording.ending[:2] == ("closed", 2.0)
    finally:
        gc.enable()


def test_closing_the_recorder_closes_its_source(tmp_path: Path) -> None:
    closed = []

    def reads() -> Iterator[bytes]:
        try:
            yield from (b"data: 1\n\n", b"data: 2\n\n")
        finally:
            closed.append(True)

    chunks = reads()
    with sseproto.record(chunks, tmp_path / "s.sse") as recorder:
        assert next(recorder) == b"data: 1\n\n"
    assert closed == [True]


def test_the_recorder_is_a_generator_readers_can_close(tmp_path: Path) -> None:
    recorder = sseproto.record(source([b"data: 1\n\n"]), tmp_path / "s.sse")
    assert isinstance(recorder, Generator)
    assert iter(recorder) is recorder
    assert recorder.send(None) == b"data: 1\n\n"
    with pytest.raises(KeyError):
        recorder.throw(KeyError("stop"))
    recording = load_fixture(tmp_path / "s.sse").recording
    assert recording is not None and recording.ending.kind == "closed"


def test_an_async_consumer_failing_inside_the_async_with_block_finishes_the_recording_then(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sse"
    closed = []

    async def reads() -> AsyncIterator[bytes]:
        try:
            yield b"data: 1\n\n"
            yield b"data: 2\n\n"
        finally:
            closed.append(True)

    async def run() -> None:
        chunks = reads()
        with pytest.raises(ZeroDivisionError):
            async with sseproto.arecord(chunks, path) as recorder:
                assert isinstance(recorder, AsyncGenerator)
                async for _ in recorder:
                    raise ZeroDivisionError
        # Still inside the event loop, before any finaliser could run.
        recording = load_fixture(path).recording
        assert recording is not None and recording.ending.kind == "closed"
        assert closed == [True]

    asyncio.run(run())


# -- any text ----------------------------------------------------------------------------------

# aiohttp decodes header bytes that are not UTF-8 with surrogateescape: "caf\xe9" arrives as
# "caf\udce9". A lone surrogate cannot be encoded as UTF-8.
LONE = "caf\udce9 \ud83d"


def test_lone_surrogates_in_the_exchange_and_the_error_are_written_and_read_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sse"
    failure = ConnectionResetError(f"reset by {LONE}")
    with pytest.raises(ConnectionResetError):
        list(
            sseproto.record(
                source([b"data: x\n\n"], failure), path, headers={"X-Name": LONE},
                method="POST", url=f"https://h/{LONE}", client=LONE,
            )
        )  # fmt: skip
    sidecar_path(path).read_text(encoding="utf-8")  # valid UTF-8 text
    recording = load_fixture(path).recording
    assert recording is not None
    assert recording.headers == (("X-Name", LONE),)
    assert (recording.url, recording.client) == (f"https://h/{LONE}", LONE)
    assert recording.ending.error_message == f"reset by {LONE}"
    with pytest.raises(sseproto.RecordedTransportError):
        list(sseproto.replay(path))


def test_raw_header_bytes_that_are_not_utf8_are_kept_as_aiohttp_decodes_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sse"
    list(sseproto.record(source([b"x"]), path, headers=[(b"X-Name", b"caf\xe9")]))
    recording = load_fixture(path).recording
    assert recording is not None and recording.headers == (("X-Name", "caf\udce9"),)


def joined(text: str) -> str:
    """``text`` with each high-and-low surrogate pair as the one character it encodes, as JSON
    reads two escapes that form a pair."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


# st.text() leaves surrogates out whatever its alphabet: join the characters by hand.
ANY_TEXT = st.lists(st.one_of(st.characters(), st.characters(categories=["Cs"]))).map("".join)


@given(text=ANY_TEXT)
def test_any_text_in_the_exchange_is_written_and_read_back(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("text") / "s.sse"
    list(sseproto.record(source([b"x"]), path, headers=[("X-Text", text)], url=text, client=text))
    recording = load_fixture(path).recording
    assert recording is not None
    assert recording.headers == (("X-Text", joined(redact(text))),)
    assert recording.url == recording.client == joined(redact(text))


# -- read by the library's readers --------------------------------------------------------------

CHUNK = (
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":'
    b'[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n'
)
FINISH = (
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":'
    b'[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
)
PROVIDER_ERROR = b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'


def keeps_the_connection_open(closed: list[bool]) -> Iterator[bytes]:
    """A chat stream whose server sends keep-alive comments after [DONE] (a hundred, where a
    real one may never stop)."""
    try:
        yield from (CHUNK, FINISH, b"data: [DONE]\n\n")
        yield from [b": keep-alive\n\n"] * 100
    finally:
        closed.append(True)


def test_accumulate_failing_on_a_provider_error_finishes_the_recording_at_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sse"
    gc.disable()  # the error's traceback keeps the reader's frame alive: no collector may help
    try:
        with pytest.raises(sseproto.ProviderError) as caught:
            sseproto.accumulate(sseproto.record(iter([CHUNK, PROVIDER_ERROR, FINISH]), path))
        recording = load_fixture(path).recording
        assert recording is not None and recording.ending.kind == "closed"
        assert path.read_bytes() == CHUNK + PROVIDER_ERROR
        assert caught.value.partial is not None
    finally:
        gc.enable()


def test_accumulate_stopping_at_done_finishes_the_recording_and_closes_the_source(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sse"
    closed: list[bool] = []
    chunks = sseproto.record(keeps_the_connection_open(closed), path)
    completion = sseproto.accumulate(chunks, dialect="chat")
    assert completion.choices[0].message.content == "Hi"
    assert closed == [True]
    recording = load_fixture(path).recording
    assert recording is not None and recording.ending.kind == "closed"
    assert sseproto.accumulate(sseproto.replay(path), dialect="chat") == completion


def test_iter_chat_left_early_finishes_the_recording_at_once(tmp_path: Path) -> None:
    path = tmp_path / "s.sse"
    closed: list[bool] = []
    gc.disable()
    try:
        updates = sseproto.iter_chat(sseproto.record(keeps_the_connection_open(closed), path))
        assert isinstance(next(updates), sseproto.ContentDelta)
        updates.close()
        assert closed == [True]
        recording = load_fixture(path).recording
        assert recording is not None and recording.ending.kind == "closed"
    finally:
        gc.enable()


def test_aaccumulate_failing_on_a_provider_error_finishes_the_recording_at_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sse"

    async def run() -> None:
        with pytest.raises(sseproto.ProviderError):
            await sseproto.aaccumulate(sseproto.arecord(asource([CHUNK, PROVIDER_ERROR]), path))
        # Still inside the event loop, before any finaliser could run.
        recording = load_fixture(path).recording
        assert recording is not None and recording.ending.kind == "closed"

    asyncio.run(run())


def test_a_source_of_the_other_kind_names_the_recorder_to_use(tmp_path: Path) -> None:
    # aiohttp's response.content.iter_any() given to record, a list of reads to arecord, and
    # arecord's recorder in a plain with: each says what to write, and nothing is recorded.
    async def reads() -> AsyncIterator[bytes]:
        yield b"data: x\n\n"

    asynchronous: Any = reads()
    with pytest.raises(TypeError, match=r"an async iterable goes to sseproto\.arecord"):
        sseproto.record(asynchronous, tmp_path / "a.sse")
    synchronous: Any = [b"data: x\n\n"]
    with pytest.raises(TypeError, match=r"a sync iterable goes to sseproto\.record"):
        sseproto.arecord(synchronous, tmp_path / "b.sse")

    async def in_sync_with() -> None:
        recorder: Any = sseproto.arecord(reads(), tmp_path / "c.sse")
        with recorder:
            pass

    with pytest.raises(TypeError, match=r"async with sseproto\.arecord\(\.\.\.\) as reads:"):
        asyncio.run(in_sync_with())
    assert list(tmp_path.iterdir()) == []
