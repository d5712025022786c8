"""The command line, run as users run it (``python -m sseproto`` in a subprocess): exit codes,
results on stdout and messages on stderr, stdin, ``--json``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_FIXTURES, ROOT

import sseproto
from sseproto._cli import main
from sseproto.fixtures.format import expected_path, sidecar_path
from sseproto.fixtures.replay import Chunking

CHAT_TEXT = PROJECT_FIXTURES / "chat-text.sse"
TOOL_CALLS = PROJECT_FIXTURES / "tool-calls-parallel.sse"
PROVIDER_ERROR = PROJECT_FIXTURES / "provider-error-event.sse"
TRUNCATED = PROJECT_FIXTURES / "truncated.sse"


def run(*args: str | Path, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sseproto", *map(str, args)],
        input=stdin.decode("utf-8", "surrogateescape"),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def expected(path: Path) -> dict[str, object]:
    result: dict[str, object] = json.loads(expected_path(path).read_text(encoding="utf-8"))
    return result


def expected_outcome(path: Path) -> dict[str, object]:
    """What ``replay --json`` must print: the expected file without its description."""
    return {key: expected(path)[key] for key in ("completion", "error")}


# -- usage -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("frobnicate",),
        ("parse",),
        ("replay", "x.sse", "--chunking", "bytes"),
        ("replay", "x.sse", "--chunking", "0"),
        ("bench", "x.sse", "--repeat", "0"),
    ],
)
def test_usage_errors_exit_2_with_the_message_on_stderr(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "usage: sseproto" in result.stderr


@pytest.mark.parametrize("command", ["parse", "replay", "check", "bench"])
def test_an_unreadable_file_exits_2(tmp_path: Path, command: str) -> None:
    result = run(command, tmp_path / "absent.sse")
    assert result.returncode == 2
    assert "absent.sse" in result.stderr
    assert "Traceback" not in result.stderr


# -- parse -------------------------------------------------------------------------------------


def test_parse_prints_one_json_object_per_event() -> None:
    result = run("parse", CHAT_TEXT)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(events) == 9
    done_at = CHAT_TEXT.read_bytes().rindex(b"data: [DONE]")
    assert events[-1] == {
        "event": "message", "data": "[DONE]", "id": "", "retry": None, "offset": done_at
    }  # fmt: skip
    assert json.loads(events[3]["data"])["choices"][0]["delta"]["content"] == " le café"


def test_parse_reads_stdin_and_reports_every_field() -> None:
    stream = (
        b"\xef\xbb\xbfretry: 250\r\nid: 7\r\nevent: ping\r\ndata: a\r\ndata: b\r\n\r\n"
        b": c\n\ndata: x"
    )
    result = run("parse", "-", stdin=stream)
    assert result.returncode == 0, result.stderr
    # The unterminated last event is discarded, as the spec says.
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"event": "ping", "data": "a\nb", "id": "7", "retry": 250, "offset": 3}
    ]


def test_parse_stream_error_exits_1_naming_file_offset_and_event(tmp_path: Path) -> None:
    path = tmp_path / "huge.sse"
    # Two events, then a line over the default 16 MiB limit.
    path.write_bytes(b"data: 1\n\ndata: 2\n\ndata: " + b"x" * (16 * 1024 * 1024 + 10))
    result = run("parse", path)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 2
    message = result.stderr.strip()
    assert "\n" not in message
    assert str(path) in message and "byte offset 18" in message and "event index 2" in message


@pytest.mark.parametrize(
    "stdin",
    [
        b'{"error": {"message": "Incorrect API key"}}',  # an error body read without an adapter
        b"data: one data: two",  # lines with their ends stripped
        b": keep-alive\n\n",  # a stream that carried no event
        b"x" * 200,  # quoted up to its first 80 bytes
    ],
)
def test_parse_without_any_event_says_so_quoting_the_start_and_exits_1(stdin: bytes) -> None:
    result = run("parse", "-", stdin=stdin)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"sseproto: -: no event in {len(stdin)} bytes; the body starts {stdin[:80]!r}\n"
    )


def test_parse_of_empty_input_says_it_is_empty_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "empty.sse"
    path.write_bytes(b"")
    result = run("parse", path)
    assert result.returncode == 1
    assert result.stderr == f"sseproto: {path}: no event in 0 bytes; the input is empty\n"


# -- replay ------------------------------------------------------------------------------------


def test_replay_prints_the_text_then_a_summary() -> None:
    result = run("replay", CHAT_TEXT)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    text, summary = result.stdout.split("\n\n", 1)
    assert text == "Bonjour ! Voilà le café ☕ et 東京 🌸."
    assert "choice 0: finish_reason=stop" in summary
    assert f"events: 9, bytes: {CHAT_TEXT.stat().st_size}, reads: 7" in summary
    # The fixture's sidecar says the first content arrived with the read at 0.449 s.
    assert "time to first content: 0.449 s" in summary


@pytest.mark.parametrize(
    "chunking",
    [("--chunking", "whole"), ("--chunking", "byte"), ("--chunking", "7")]
    + [("--chunking", "random", "--seed", str(seed)) for seed in range(3)],
)
def test_the_time_to_first_content_is_the_recordings_whatever_the_chunking(
    chunking: tuple[str, ...],
) -> None:
    result = run("replay", CHAT_TEXT, *chunking)
    assert result.returncode == 0, result.stderr
    assert "time to first content: 0.449 s (as recorded)" in result.stdout


def test_replay_summarises_tool_calls_with_their_arguments() -> None:
    result = run("replay", TOOL_CALLS, "--chunking", "byte")
    assert result.returncode == 0, result.stderr
    assert "choice 0: finish_reason=tool_calls" in result.stdout
    assert 'tool call call_A1: get_weather({"city": "Paris"})' in result.stdout
    assert 'tool call call_B2: get_time({"tz": "Asia/Tokyo"})' in result.stdout
    # No timings without a sidecar: no time to first content.
    assert "time to first content" not in result.stdout


@pytest.mark.parametrize(
    "name",
    ["chat-text", "n3-choices", "tool-call-no-index", "provider-error-data", "truncated",
     "transport-error", "openrouter-error-after-length"],
)  # fmt: skip
def test_replay_json_prints_the_expected_file_error_included(name: str) -> None:
    path = PROJECT_FIXTURES / f"{name}.sse"
    result = run("replay", path, "--json", "--chunking", "7")
    want = expected(path)
    assert json.loads(result.stdout) == expected_outcome(path)
    assert result.returncode == (0 if want["error"] is None else 1)
    if want["error"] is None:
        assert result.stderr == ""
    else:
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("chunking", ["recorded", "whole", "byte", 7])
def test_replay_places_a_recorded_transport_error_where_the_readers_do(
    chunking: Chunking, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process, against accumulate itself: the command line has no rule of its own for
    # where a failing source leaves the stream (here, in the middle of an event).
    path = PROJECT_FIXTURES / "transport-error.sse"
    with pytest.raises(sseproto.StreamError) as raised:
        sseproto.accumulate(sseproto.replay(path, chunking=chunking))
    error = raised.value
    assert main(["replay", "--json", "--chunking", str(chunking), str(path)]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["error"] == {
        "type": type(error).__name__,
        "offset": error.offset,
        "event_index": error.event_index,
    }
    assert err.startswith(
        f"sseproto: {path}: byte offset {error.offset}, event index {error.event_index}: "
    )


def test_a_provider_error_exits_1_with_the_partial_result_printed() -> None:
    result = run("replay", PROVIDER_ERROR)
    assert result.returncode == 1
    error = expected(PROVIDER_ERROR)["error"]
    assert isinstance(error, dict)
    assert result.stderr == (
        f"sseproto: {PROVIDER_ERROR}: "
        f"byte offset {error['offset']}, event index {error['event_index']}: provider error: "
        "Tool call validation failed: parameters did not match schema "
        "(type: invalid_request_error, code: tool_use_failed)\n"
    )
    assert "choice 0: finish_reason=None" in result.stdout
    assert "reasoning: 22 characters" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        (CHAT_TEXT,),
        ("--partial-json", PROJECT_FIXTURES / "tool-call.sse"),
        ("--partial-json", PROJECT_FIXTURES / "reasoning-text-tool-call.sse"),
    ],
)
def test_the_summary_follows_the_streamed_lines_after_one_blank_line(
    args: tuple[str | Path, ...],
) -> None:
    # Whether the last thing streamed was text left open or a line of its own (a call's
    # arguments so far).
    result = run("replay", *args)
    assert result.returncode == 0, result.stderr
    summary = result.stdout.split("\n\n", 1)[1]
    assert summary.startswith("choice 0: ")


def test_replay_labels_refusal_text() -> None:
    result = run("replay", PROJECT_FIXTURES / "refusal.sse")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[refusal] I'm sorry, I can't help with that.\n\n")


def test_replay_streams_reasoning_labelled_apart_from_the_answer() -> None:
    result = run("replay", PROJECT_FIXTURES / "reasoning-content.sse", "--chunking", "byte")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "[reasoning] The user greets me. Reply briefly.\n[content] Hello! 👋\n\n"
    )


def test_replay_shows_the_text_that_came_before_an_error_in_the_same_read() -> None:
    result = run("replay", PROVIDER_ERROR, "--chunking", "whole")
    assert result.returncode == 1
    assert result.stdout.startswith("[reasoning] Need to call the tool.\n\n")


def test_replay_counts_of_a_failed_stream_stop_at_the_error(tmp_path: Path) -> None:
    more = b'data: {"id":"x","choices":[{"index":0,"delta":{"content":"late"}}]}\n\n'
    path = tmp_path / "error-then-more.sse"
    path.write_bytes(PROVIDER_ERROR.read_bytes() + more * 3)
    error = expected(PROVIDER_ERROR)["error"]
    assert isinstance(error, dict)
    for chunking in ("whole", "byte"):
        result = run("replay", path, "--chunking", chunking)
        assert result.returncode == 1
        assert (
            f"events: {error['event_index']}, bytes: {error['offset']} before the error"
            in result.stdout
        )


def test_a_truncated_stream_exits_1_naming_where_it_stopped() -> None:
    result = run("replay", "-", stdin=TRUNCATED.read_bytes())
    assert result.returncode == 1
    assert result.stdout.startswith("The connection dropped\n\n")
    assert re.fullmatch(
        rf"sseproto: -: byte offset {TRUNCATED.stat().st_size}, event index 3: "
        r"the stream ended before data: \[DONE\].*\n",
        result.stderr,
    )


def test_replay_reads_stdin_in_every_chunking() -> None:
    for chunking in ("recorded", "whole", "byte", "13"):
        body = CHAT_TEXT.read_bytes()
        result = run("replay", "-", "--json", "--chunking", chunking, stdin=body)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == expected_outcome(CHAT_TEXT)


def test_random_chunking_prints_its_seed_so_the_run_can_be_repeated() -> None:
    first = run("replay", TOOL_CALLS, "--chunking", "random")
    assert first.returncode == 0
    found = re.fullmatch(r"sseproto: random chunking with --seed (\d+)\n", first.stderr)
    assert found is not None
    again = run("replay", TOOL_CALLS, "--chunking", "random", "--seed", found.group(1))
    assert again.stderr == ""
    assert again.stdout == first.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--seed", "3"),
        ("--chunking", "byte", "--seed", "3"),
        ("--realtime",),
        ("--json", "--partial-json"),  # the live values are lines between the text
    ],
)
def test_options_that_do_not_go_together_exit_2(args: tuple[str, ...]) -> None:
    result = run("replay", TOOL_CALLS, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("sseproto: replay: ")


@pytest.mark.parametrize(
    "args", [("parse", "-"), ("replay", "-"), ("replay", "-", "--chunking", "byte")]
)
def test_a_closed_stdin_exits_2(args: tuple[str, ...]) -> None:
    # The interpreter sets sys.stdin to None when it starts without file descriptor 0.
    result = subprocess.run(
        [sys.executable, "-m", "sseproto", *args],
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(0),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "sseproto: cannot read -: standard input is closed\n"


def test_realtime_is_refused_on_stdin() -> None:
    result = run("replay", "-", "--realtime", stdin=CHAT_TEXT.read_bytes())
    assert result.returncode == 2
    assert "stdin" in result.stderr


def test_a_sidecar_that_does_not_match_its_body_exits_1(tmp_path: Path) -> None:
    body = tmp_path / "chat.sse"
    body.write_bytes(CHAT_TEXT.read_bytes() + b": one more comment\n\n")
    shutil.copy(sidecar_path(CHAT_TEXT), sidecar_path(body))
    for command in ("replay", "bench"):
        result = run(command, body)
        assert result.returncode == 1
        assert result.stdout == ""
        assert "chat.reads.jsonl" in result.stderr and "bytes" in result.stderr


def test_a_sidecar_time_too_large_for_a_float_exits_1_naming_the_line(tmp_path: Path) -> None:
    body = tmp_path / "chat.sse"
    body.write_bytes(CHAT_TEXT.read_bytes())
    lines = sidecar_path(CHAT_TEXT).read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[1])
    record["seconds"] = 10**400
    lines[1] = json.dumps(record) + "\n"
    sidecar_path(body).write_text("".join(lines), encoding="utf-8")
    for command in ("replay", "bench"):
        result = run(command, body)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert "chat.reads.jsonl" in result.stderr and "line 2" in result.stderr
    result = run("check", body)
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL") and "line 2" in result.stdout
    assert "Traceback" not in result.stderr


# -- check -------------------------------------------------------------------------------------


def test_check_passes_every_project_fixture() -> None:
    files = sorted(PROJECT_FIXTURES.glob("*.sse"))
    result = run("check", *files)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == len(files)
    assert all(line.startswith("ok ") for line in lines)
    assert result.stderr == ""


def test_check_fails_a_fixture_whose_result_differs_from_expected(tmp_path: Path) -> None:
    for suffix in (".sse", ".expected.json"):
        shutil.copy(PROJECT_FIXTURES / f"refusal{suffix}", tmp_path / f"refusal{suffix}")
    text = expected_path(tmp_path / "refusal.sse").read_text(encoding="utf-8")
    assert text.count('"refusal": "I\'m sorry, I can\'t help with that."') == 1
    expected_path(tmp_path / "refusal.sse").write_text(
        text.replace("I'm sorry, I can't help with that.", "No."), encoding="utf-8"
    )
    result = run("check", tmp_path / "refusal.sse", CHAT_TEXT)
    assert result.returncode == 1
    failed, passed = result.stdout.splitlines()
    assert failed.startswith("FAIL")
    assert "$.choices[0].message.refusal" in failed and '"No."' in failed
    assert passed.startswith("ok")


def test_check_without_expected_requires_a_complete_valid_stream(tmp_path: Path) -> None:
    good = tmp_path / "good.sse"
    good.write_bytes(CHAT_TEXT.read_bytes())
    bad = tmp_path / "bad.sse"
    bad.write_bytes(b'data: {"choices": "nope"}\n\n')
    result = run("check", good, bad)
    assert result.returncode == 1
    ok_line, fail_line = result.stdout.splitlines()
    assert ok_line.startswith("ok") and "complete stream" in ok_line
    assert fail_line.startswith("FAIL")
    assert "InvalidChunkError at byte offset 0, event index 0" in fail_line


def test_check_fail_lines_include_the_providers_message(tmp_path: Path) -> None:
    failing = tmp_path / "failing.sse"
    failing.write_bytes(PROVIDER_ERROR.read_bytes())
    result = run("check", failing)
    assert result.returncode == 1
    assert result.stdout == (
        f"FAIL  {failing}: ProviderError at byte offset 1123, event index 4: provider error: "
        "Tool call validation failed: parameters did not match schema "
        "(type: invalid_request_error, code: tool_use_failed)\n"
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"error":{"message":"no"}}',
        b"<html><body>502 Bad Gateway</body></html>",
        b"upstream connect error",
        b"",
        CHAT_TEXT.read_bytes(),
        PROVIDER_ERROR.read_bytes(),
    ],
    ids=["json-error-body", "html", "text", "empty", "chat", "provider-error"],
)
def test_what_replay_json_writes_check_accepts_as_the_expected_file(
    tmp_path: Path, body: bytes
) -> None:
    stream = tmp_path / "stream.sse"
    stream.write_bytes(body)
    written = run("replay", "--json", stream)
    assert written.stdout
    expected_path(stream).write_text(written.stdout, encoding="utf-8")
    result = run("check", stream)
    assert result.stdout.startswith(f"ok    {stream}: matches stream.expected.json"), result.stdout
    assert result.returncode == 0


@pytest.mark.parametrize(
    "content",
    [
        {"completion": {}, "error": "x"},
        {"completion": {}, "error": {"type": 1, "offset": 0, "event_index": 0}},
        {"completion": {}, "error": {"type": "ProviderError", "offset": "0", "event_index": 0}},
        {"completion": {}, "error": {"type": "ProviderError", "offset": True, "event_index": 0}},
        {"completion": {}, "error": {"type": "ProviderError", "offset": 0}},
        {"completion": [], "error": None},
        {"result": {}, "error": None},
        {"result": None, "completion": {}, "error": None},
        {"error": None},
        {"completion": {}},
        ["not", "an", "object"],
    ],
)
def test_check_fails_a_malformed_expected_file(tmp_path: Path, content: object) -> None:
    body = tmp_path / "chat.sse"
    body.write_bytes(CHAT_TEXT.read_bytes())
    expected_path(body).write_text(json.dumps(content), encoding="utf-8")
    result = run("check", body, CHAT_TEXT)
    assert result.returncode == 1
    failed, passed = result.stdout.splitlines()
    assert failed.startswith("FAIL") and "chat.expected.json is malformed" in failed
    assert passed.startswith("ok")
    assert result.stderr == ""


# -- bench -------------------------------------------------------------------------------------


def test_bench_prints_a_row_per_file_and_nothing_on_stderr_when_not_a_terminal() -> None:
    result = run("bench", CHAT_TEXT, PROVIDER_ERROR, "--repeat", "1")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    header, chat, failing = result.stdout.splitlines()
    assert header.split()[:3] == ["file", "bytes", "events"]
    assert chat.split()[:3] == [str(CHAT_TEXT), f"{CHAT_TEXT.stat().st_size:,}", "9"]
    assert chat.endswith("complete")
    assert failing.endswith("ProviderError")


# -- other dialects ----------------------------------------------------------------------------

# The fixtures of the other dialects, one folder each.
DIALECT_FIXTURES = sorted(PROJECT_FIXTURES.glob("*/*.sse"))


def test_check_passes_the_fixtures_of_every_dialect_read() -> None:
    assert DIALECT_FIXTURES
    result = run("check", *DIALECT_FIXTURES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(line.startswith("ok") for line in result.stdout.splitlines())


@pytest.mark.parametrize(
    "path", DIALECT_FIXTURES[::4], ids=lambda path: f"{path.parent.name}-{path.stem}"
)
def test_replay_json_of_another_dialect_prints_its_expected_file(path: Path) -> None:
    result = run("replay", path, "--json", "--chunking", "7")
    want = expected(path)
    key = "response" if "response" in want else "message"
    assert json.loads(result.stdout) == {key: want[key], "error": want["error"]}
    assert result.returncode == (0 if want["error"] is None else 1)


def test_replay_summarises_another_dialect_by_its_first_candidate() -> None:
    result = run("replay", PROJECT_FIXTURES / "responses" / "function-calls-parallel.sse")
    assert result.returncode == 0, result.stderr
    assert "responses: finish_reason=completed" in result.stdout
    assert 'tool call call_weather01: get_weather({"city":"Paris","unit":"celsius"})' in (
        result.stdout
    )


def test_bench_accumulates_a_stream_of_another_dialect_with_its_engine() -> None:
    path = PROJECT_FIXTURES / "responses" / "function-calls-parallel.sse"
    result = run("bench", path, "--repeat", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].endswith("complete")
