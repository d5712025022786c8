"""``sseproto record``, run as users run it, against a loopback server: the request it sends, the
fixture it writes (reads, timings, the exchange redacted), its exit status and messages, and the
fixture replayed by ``sseproto replay``."""

from __future__ import annotations

import gzip
import json
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_FIXTURES, ROOT
from servers import FRAMINGS, Framing, LoopbackServer, Reply, random_parts

from sseproto.fixtures.format import load_fixture, sidecar_path

CHAT = PROJECT_FIXTURES / "chat-text.sse"
REQUEST = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
SECRET = "sk-proj-0123456789abcdefghij"


def sseproto(*args: str | Path, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sseproto", *map(str, args)],
        input=stdin.decode(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_recorded_stream_replays_as_the_original(
    server: LoopbackServer, tmp_path: Path, framing: Framing
) -> None:
    body = CHAT.read_bytes()
    server.replies["/v1/chat?key=abc"] = Reply(
        parts=random_parts(body, random.Random(framing), max_part=64),
        headers={"Content-Type": "text/event-stream", "Set-Cookie": "session=s3cr3t"},
        framing=framing,
        head_delay=0.05,
    )
    request = tmp_path / "request.json"
    request.write_text(json.dumps(REQUEST))
    output = tmp_path / "fixtures" / "hi.sse"
    result = sseproto(
        "record",
        f"{server.url}/v1/chat?key=abc",
        "-d",
        request,
        "-H",
        f"Authorization: Bearer {SECRET}",
        "-H",
        "X-Trace: 1",
        "-o",
        output,
    )
    assert result.returncode == 0, result.stderr
    assert f"recorded {output}: status 200" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    # The request: POST, the JSON body, the headers given and the event-stream defaults.
    (sent,) = server.requests
    assert sent.method == "POST"
    assert json.loads(sent.body) == REQUEST
    assert sent.headers["Authorization"] == f"Bearer {SECRET}"
    assert sent.headers["X-Trace"] == "1"
    assert sent.headers["Accept"] == "text/event-stream"
    assert sent.headers["Content-Type"] == "application/json"
    # The fixture: the body exactly, its reads timed from the request, the exchange redacted.
    fixture = load_fixture(output)
    assert fixture.body == body
    recording = fixture.recording
    assert recording is not None
    assert recording.ending.kind == "eof"
    assert recording.reads[0].seconds >= 0.05
    assert (recording.status, recording.method) == (200, "POST")
    assert recording.url == f"{server.url}/v1/chat?key=<redacted>"
    sidecar = sidecar_path(output).read_text()
    assert "s3cr3t" not in sidecar and SECRET not in sidecar
    # Replayed, it is the original stream.
    replayed = sseproto("replay", "--json", output)
    original = sseproto("replay", "--json", CHAT)
    assert replayed.returncode == original.returncode == 0
    assert json.loads(replayed.stdout) == json.loads(original.stdout)
    assert sseproto("check", output).returncode == 0


def test_the_body_can_come_from_stdin_and_the_method_be_named(
    server: LoopbackServer, tmp_path: Path
) -> None:
    server.replies["/s"] = Reply(parts=[CHAT.read_bytes()])
    output = tmp_path / "s.sse"
    result = sseproto(
        "record", f"{server.url}/s", "-X", "put", "-d", "-", "-o", output,
        stdin=json.dumps(REQUEST).encode(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (sent,) = server.requests
    assert sent.method == "PUT" and json.loads(sent.body) == REQUEST
    recording = load_fixture(output).recording
    assert recording is not None and recording.method == "PUT"


def test_without_a_body_it_is_a_get(server: LoopbackServer, tmp_path: Path) -> None:
    server.replies["/s"] = Reply(parts=[CHAT.read_bytes()])
    assert sseproto("record", f"{server.url}/s", "-o", tmp_path / "s.sse").returncode == 0
    (sent,) = server.requests
    assert (sent.method, sent.body) == ("GET", b"")


def test_a_rejected_response_is_recorded_and_exits_1_with_the_providers_message(
    server: LoopbackServer, tmp_path: Path
) -> None:
    error = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
    server.replies["/s"] = Reply(
        status=401,
        headers={"Content-Type": "application/json", "X-Request-Id": "req_7"},
        parts=[json.dumps(error).encode()],
    )
    output = tmp_path / "rejected.sse"
    result = sseproto("record", f"{server.url}/s", "-o", output)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "sseproto: record: Incorrect API key provided (type: invalid_request_error); status 401"
    )
    assert "request id req_7" in result.stderr
    fixture = load_fixture(output)
    assert json.loads(fixture.body) == error
    assert fixture.recording is not None and fixture.recording.status == 401


@pytest.mark.parametrize("framing", ["chunked", "length"])
def test_a_cut_body_is_recorded_as_a_cut_and_exits_1(
    server: LoopbackServer, tmp_path: Path, framing: Framing
) -> None:
    server.replies["/s"] = Reply(parts=[b"data: a\n\n", b"data: b"], cut=True, framing=framing)
    output = tmp_path / "cut.sse"
    result = sseproto("record", f"{server.url}/s", "-o", output)
    assert result.returncode == 1
    assert "IncompleteRead" in result.stderr and f"recorded in {output}" in result.stderr
    fixture = load_fixture(output)
    assert fixture.body == b"data: a\n\ndata: b"
    assert fixture.recording is not None and fixture.recording.ending.kind == "error"
    replayed = sseproto("replay", output)
    assert replayed.returncode == 1
    assert "the recorded stream ended with http.client.IncompleteRead" in replayed.stderr


def test_an_idle_timeout_is_recorded_and_named(server: LoopbackServer, tmp_path: Path) -> None:
    server.replies["/s"] = Reply(parts=[b"data: a\n\n"], stall=3.0)
    output = tmp_path / "idle.sse"
    result = sseproto("record", f"{server.url}/s", "--idle-timeout", "0.3", "-o", output)
    assert result.returncode == 1
    assert "the server sent nothing for 0.3 s (--idle-timeout) after 9 bytes" in result.stderr
    recording = load_fixture(output).recording
    assert recording is not None and recording.ending.error_type == "TimeoutError"


def test_no_response_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    output = tmp_path / "none.sse"
    result = sseproto("record", f"http://127.0.0.1:{port}/s?key=abc", "-o", output)
    assert result.returncode == 1
    assert "no response from" in result.stderr and "abc" not in result.stderr
    assert not output.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ftp://example.com/",), "not an http or https URL"),
        (("http://127.0.0.1:1/", "-H", "Authorization Bearer sk-secret"), "NAME: VALUE"),
        (("http://127.0.0.1:1/", "--idle-timeout", "0"), "positive number of seconds"),
        (("http://127.0.0.1:1/", "-d", "missing.json"), "cannot read missing.json"),
    ],
)
def test_usage_errors_exit_2_before_anything_is_sent(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = sseproto("record", *args, "-o", tmp_path / "x.sse")
    assert result.returncode == 2
    assert message in result.stderr
    assert "sk-secret" not in result.stderr


def test_a_body_that_is_not_json_is_refused_before_it_is_sent(
    server: LoopbackServer, tmp_path: Path
) -> None:
    result = sseproto(
        "record", f"{server.url}/s", "-d", "-", "-o", tmp_path / "x.sse", stdin=b"{model: 1}"
    )
    assert result.returncode == 2
    assert "- is not JSON" in result.stderr
    assert server.requests == []


def test_a_mislabelled_stream_is_recorded_and_said_to_replay(
    server: LoopbackServer, tmp_path: Path
) -> None:
    server.replies["/s"] = Reply(
        headers={"Content-Type": "text/plain"}, parts=[CHAT.read_bytes()]
    )
    output = tmp_path / "mislabelled.sse"
    result = sseproto("record", f"{server.url}/s", "-o", output)
    assert result.returncode == 1
    # The adapters' option is no help on the command line: what is recorded replays.
    assert "check_content_type" not in result.stderr
    assert result.stderr == (
        f"sseproto: record: status 200 with content type 'text/plain', not text/event-stream, "
        f"but the body is an event stream; recorded in {output}, which sseproto replay reads\n"
    )
    assert sseproto("replay", output).returncode == 0


@pytest.mark.parametrize(
    ("parts", "headers", "said"),
    [
        ([], {}, "the stream ended before its first byte"),
        # Compressed though no compression was asked for: the bytes as the socket gave them.
        (
            [gzip.compress(CHAT.read_bytes())],
            {"Content-Encoding": "gzip"},
            "it is gzip-compressed",
        ),
        ([b": keep-alive\n\n"], {}, "the stream ended with no event in 14 bytes"),
        # Events, but of no dialect: replay cannot tell how to read them.
        ([b"data: a\n\n"], {}, "no event of a known dialect"),
        # A chat stream cut after its second event, before its choice finished.
        (
            [b"".join(CHAT.read_bytes().splitlines(keepends=True)[:4])],
            {},
            "the stream ended before data: [DONE] and before every choice finished",
        ),
    ],
)
def test_an_event_stream_that_replay_refuses_is_recorded_and_exits_1_as_replay_says(
    server: LoopbackServer,
    tmp_path: Path,
    parts: list[bytes],
    headers: dict[str, str],
    said: str,
) -> None:
    server.replies["/s"] = Reply(
        parts=parts, headers={"Content-Type": "text/event-stream", **headers}
    )
    output = tmp_path / "refused.sse"
    result = sseproto("record", f"{server.url}/s", "-o", output)
    assert result.returncode == 1
    assert "recorded refused.sse" not in result.stderr
    assert result.stderr.startswith("sseproto: record: status 200, but at byte offset ")
    assert result.stderr.endswith(f"; recorded in {output}\n")
    assert said in result.stderr
    # What the server sent is the fixture, and replay refuses it in the same words, at the same
    # place.
    assert load_fixture(output).body == b"".join(parts)
    replayed = sseproto("replay", output)
    assert replayed.returncode == 1
    error = result.stderr.removeprefix("sseproto: record: status 200, but at ")
    error = error.removesuffix(f"; recorded in {output}\n")
    assert replayed.stderr == f"sseproto: {output}: {error}\n"
