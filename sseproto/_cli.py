"""The ``sseproto`` command line (also ``python -m sseproto``).

Results go to stdout and messages to stderr, so every command pipes cleanly. Exit status: 0 on
success, 1 when the stream itself is at fault (a :class:`StreamError`: the one-line message names
the file, the byte offset and the event index; for ``record``, what came back does not replay),
2 for a usage error or a file that cannot be read.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, TypeVar

from . import __version__
from .dialects.chat.completion import ChatCompletion, ToolCall
from .dialects.chat.updates import FunctionCallArgumentsDelta
from .dialects.gemini.updates import ToolCallPartialArg
from .dialects.kit.drive import Accumulator
from .dialects.kit.result import StreamResult
from .dialects.kit.updates import (
    ChatUpdate,
    ContentDelta,
    HostedToolArgumentsDelta,
    HostedToolCallStarted,
    ReasoningDelta,
    RefusalDelta,
    ToolCallArgumentsDelta,
)
from .dialects.readers import accumulate, new_accumulator
from .fixtures.errors import FixtureError
from .fixtures.format import Fixture, expected_path, load_fixture
from .fixtures.replay import CHUNKINGS, Chunking, plan, play
from .wire.decoder import SSEDecoder
from .wire.errors import StreamError, source_failure
from .wire.events import ServerSentEvent

__all__ = ["main"]

EXIT_OK = 0
EXIT_STREAM_ERROR = 1
EXIT_USAGE = 2

# Large enough that reading a file costs little per call, small enough that a piped stream's
# events are printed as they arrive (``read1`` returns what is available, up to this size).
_READ_SIZE = 64 * 1024

# How much of a body without events a message quotes: enough to recognise a JSON error or text.
_QUOTED_START = 80


class _UnreadableError(Exception):
    """A named input that cannot be opened or read (exit status 2)."""


class _UsageError(Exception):
    """Options that cannot go together (exit status 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    _tolerate_unencodable_output()
    try:
        status: int = args.run(args)
    except _UsageError as error:
        _message(f"{args.command}: {error}")
        return EXIT_USAGE
    except _UnreadableError as error:
        _message(str(error))
        return EXIT_USAGE
    except FixtureError as error:
        # A sidecar that does not describe its body: the message names the sidecar.
        _message(str(error))
        return EXIT_STREAM_ERROR
    except KeyboardInterrupt:
        # Ctrl-C during a --realtime replay or a long bench: stop quietly, as shells expect.
        return 130
    except BrokenPipeError:
        # The reader went away (``sseproto parse x.sse | head``): not an error of ours. Point
        # stdout at nothing so the interpreter's final flush does not raise again.
        sys.stdout = io.TextIOWrapper(io.BytesIO())
        return EXIT_OK
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sseproto",
        description="Decode, replay and check Server-Sent Events streams from LLM APIs.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    parse = commands.add_parser(
        "parse",
        help="print one JSON object per dispatched event (JSON Lines)",
        description="Decode an event stream and print one JSON object per dispatched event: "
        "event, data, id, retry and the byte offset where the event starts.",
    )
    parse.add_argument("file", metavar="FILE", help="the stream's bytes; - reads stdin")
    parse.set_defaults(run=_run_parse, command="parse")

    replay = commands.add_parser(
        "replay",
        help="replay a stream: its text as it streams, then a summary",
        description="Replay a recorded stream of any dialect (chat, Anthropic, Responses, "
        "Gemini: told by its first event) through its engine: print the assistant's text as it "
        "arrives, then the finish reason, the tool calls, the usage and the stream's size. Exit "
        "1 if the stream is invalid, incomplete or carried a provider error (the partial result "
        "is still printed).",
    )
    replay.add_argument("file", metavar="FILE", help="a fixture (NAME.sse); - reads stdin")
    _add_chunking(replay)
    replay.add_argument(
        "--realtime",
        action="store_true",
        help="deliver each read when it arrived in the recording (needs a sidecar)",
    )
    replay.add_argument(
        "--partial-json",
        action="store_true",
        help="print each call's arguments parsed so far, on a line of its own, after every "
        "delta (not with --json)",
    )
    replay.add_argument(
        "--json",
        action="store_true",
        help="print only the final (or partial) result and the error, as NAME.expected.json does",
    )
    replay.set_defaults(run=_run_replay, command="replay")

    check = commands.add_parser(
        "check",
        help="validate fixtures: one line per file",
        description="Check each fixture: its sidecar matches its body, the stream follows the "
        "SSE and chat chunk rules, the result does not depend on read boundaries and, when "
        "NAME.expected.json exists, equals it. Exit 1 if any file fails.",
    )
    check.add_argument("files", metavar="FILE", nargs="+", help="fixtures (NAME.sse)")
    check.set_defaults(run=_run_check, command="check")

    bench = commands.add_parser(
        "bench",
        help="decoder and accumulator throughput on files",
        description="Time the decoder and the accumulator of the stream's dialect on each file "
        "(best of --repeat runs) and print MB/s and events/s.",
    )
    bench.add_argument("files", metavar="FILE", nargs="+", help="streams (NAME.sse)")
    _add_chunking(bench)
    bench.add_argument(
        "--repeat", type=_positive_int, default=5, help="runs per measurement (default 5)"
    )
    bench.set_defaults(run=_run_bench, command="bench")

    record = commands.add_parser(
        "record",
        help="record a live stream into a fixture",
        description="Send a request and record the response into a fixture: the body as it "
        "arrived, with the time of each read from the request, the status, the headers, the "
        "method and the URL, credentials redacted. Exit 1 if no event stream came back whole "
        "(a rejected response, a cut, an idle timeout, a body with no event: what came is still "
        "recorded).",
    )
    record.add_argument("url", metavar="URL", help="the http or https URL")
    record.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the fixture to write (NAME.sse)"
    )
    record.add_argument(
        "-X", "--method", help="the request method (default: POST with a body, else GET)"
    )
    record.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        type=_header,
        metavar="'NAME: VALUE'",
        help="a request header (repeatable); never printed nor recorded",
    )
    record.add_argument(
        "-d", "--data", metavar="FILE", help="the JSON request body, from a file; - reads stdin"
    )
    record.add_argument(
        "--idle-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="the longest wait to connect and for each next read (default: none)",
    )
    record.set_defaults(run=_run_record, command="record")
    return parser


def _add_chunking(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--chunking",
        type=_chunking,
        default="recorded",
        metavar="{recorded,whole,byte,random,N}",
        help="how to split the body into reads: as recorded in the sidecar (the default; the "
        "whole body without one), whole, byte by byte, at random, or every N bytes",
    )
    command.add_argument(
        "--seed",
        type=int,
        help="seed of --chunking random (without it one is picked and printed on stderr)",
    )


def _chunking(text: str) -> Chunking:
    for name in CHUNKINGS:
        if text == name:
            return name
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be one of {', '.join(CHUNKINGS)} or a positive read size, not {text!r}"
        ) from None


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or name != name.strip():
        # The text itself is not shown: it may hold a credential.
        raise argparse.ArgumentTypeError("must be 'NAME: VALUE'")
    return name, value.strip()


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


# -- parse -----------------------------------------------------------------------------------


def _run_parse(args: argparse.Namespace) -> int:
    name: str = args.file
    decoder = SSEDecoder()
    start = bytearray()  # the body's first bytes, quoted when no event came of it
    try:
        with _open_input(name) as stream:
            for chunk in _reads(stream, name):
                if len(start) < _QUOTED_START:
                    start += chunk[: _QUOTED_START - len(start)]
                _print_events(decoder, decoder.feed(chunk))
        _print_events(decoder, decoder.close())
    except StreamError as error:
        _message(_stream_error_line(name, error))
        return EXIT_STREAM_ERROR
    if decoder.events_dispatched == 0:
        # Not an event stream (a JSON error body, text, lines stripped of their ends), or one
        # that carried none: either way not what the caller asked to see.
        what = f"the body starts {bytes(start)!r}" if start else "the input is empty"
        _message(f"{name}: no event in {decoder.offset} bytes; {what}")
        return EXIT_STREAM_ERROR
    return EXIT_OK


def _print_events(decoder: SSEDecoder, events: list[ServerSentEvent]) -> None:
    first = decoder.events_dispatched - len(events)
    lines = [
        _json_line(
            {
                "event": event.event,
                "data": event.data,
                "id": event.id,
                "retry": event.retry,
                "offset": decoder.event_offset(first + i),
            }
        )
        for i, event in enumerate(events)
    ]
    if lines:
        sys.stdout.write("".join(lines))
        sys.stdout.flush()


# -- replay ----------------------------------------------------------------------------------


def _run_replay(args: argparse.Namespace) -> int:
    name: str = args.file
    if args.json and args.partial_json:
        # The live values are lines between the streamed text; --json prints the result alone.
        raise _UsageError(
            "--partial-json prints the arguments parsed after each delta, between the streamed "
            "text, and --json only the result: give one or the other"
        )
    seed = _seed(args)
    reads, fixture = _replay_reads(name, args.chunking, seed, args.realtime)
    accumulator = _replay_accumulator(args.partial_json)
    stats = _ReplayStats()
    text = None if args.json else _Text(args.partial_json)
    failure: StreamError | None = None
    try:
        for data in _placed(reads, accumulator):
            stats.reads += 1
            updates: list[ChatUpdate] = []
            try:
                accumulator.feed(data, into=updates)
            finally:
                # The updates before an error in the same read are shown too.
                _show(updates, text)
        accumulator.close()
    except StreamError as error:
        failure = error
    result = accumulator.snapshot()
    error_fields = None if failure is None else _error_fields(failure)
    if text is None:
        # The shape of NAME.expected.json: ``replay --json`` writes one.
        document = {**_result_fields(result), "error": error_fields}
        sys.stdout.write(_json_text(document, indent=2) + "\n")
    else:
        # The summary starts on a line of its own, after a blank line when text was printed.
        separator = "\n\n" if text.line_open else "\n" if text.kind is not None else ""
        stats.first_content = _recorded_first_content(fixture)
        sys.stdout.write(separator + _summary(result, accumulator, stats, failure) + "\n")
    sys.stdout.flush()
    if failure is not None:
        _message(_stream_error_line(name, failure))
        return EXIT_STREAM_ERROR
    return EXIT_OK


def _replay_accumulator(partial_json: bool) -> Accumulator[StreamResult]:
    """The reader of ``replay``, which ``record`` runs too on what it recorded."""
    return new_accumulator(partial_json=partial_json)


class _ReplayStats:
    """What a replay observed beyond the completion itself."""

    __slots__ = ("first_content", "reads")

    def __init__(self) -> None:
        self.reads = 0
        # Recorded seconds from the request to the recorded read that brought the first content.
        self.first_content: float | None = None


_TextDelta = ContentDelta | RefusalDelta | ReasoningDelta

# A run of text of another kind than the answer starts on a line of its own with its label.
_LABELS: dict[type[ChatUpdate], str] = {
    ContentDelta: "[content] ",
    RefusalDelta: "[refusal] ",
    ReasoningDelta: "[reasoning] ",
}


class _Text:
    """Choice 0's text as it streams: the answer as it is, refusal and reasoning labelled.

    Each run of refusal or reasoning starts on a line of its own with its label, and so does
    the answer when another kind came before it: a plain answer prints exactly as it streamed.
    """

    def __init__(self, calls: bool) -> None:
        self.calls = calls  # whether the calls' lines are printed too (--partial-json)
        self.kind: type[ChatUpdate] | None = None  # of the text printed last; None: nothing yet
        self.line_open = False  # the text printed last did not end its line

    def line(self, kind: type[ChatUpdate], out: str) -> None:
        """Print ``out`` on a line of its own; text after it starts a line with its label."""
        sys.stdout.write(("\n" if self.line_open else "") + out + "\n")
        sys.stdout.flush()
        self.kind = kind
        self.line_open = False

    def write(self, update: ContentDelta | RefusalDelta | ReasoningDelta) -> None:
        kind = type(update)
        out = update.text
        if kind is not self.kind and (self.kind is not None or kind is not ContentDelta):
            out = ("\n" if self.line_open else "") + _LABELS[kind] + out
        self.kind = kind
        self.line_open = not out.endswith("\n")
        sys.stdout.write(out)
        sys.stdout.flush()


def _show(updates: list[ChatUpdate], text: _Text | None) -> None:
    """Print choice 0's text among ``updates`` (and with live partial JSON on, its calls'
    arguments parsed so far after each delta, of a tool call, a call the provider runs or a
    legacy function call, and after each piece of Gemini's streamed arguments; and what a call
    the provider runs is, when it opens)."""
    if text is None:
        return
    for update in updates:
        if isinstance(update, _TextDelta) and update.choice == 0:
            text.write(update)
        elif isinstance(update, _ArgumentsDelta) and update.choice == 0:
            # Read in order: each delta's value is the arguments up to it.
            parsed = update.parsed
            if parsed is not None:
                text.line(type(update), f"[{_arguments_label(update)}] {_json_text(parsed)}")
        elif isinstance(update, HostedToolCallStarted) and update.choice == 0 and text.calls:
            # What the lines of its arguments that follow are about.
            server = f" on {update.server}" if update.server else ""
            text.line(
                type(update),
                f"[hosted {update.index}] opened: {update.type} {update.name}{server}",
            )


_ArgumentsDelta = (
    ToolCallArgumentsDelta
    | ToolCallPartialArg
    | HostedToolArgumentsDelta
    | FunctionCallArgumentsDelta
)


def _arguments_label(update: _ArgumentsDelta) -> str:
    """What a line of live arguments names: a tool call by its index, a call the provider runs
    by its block's or item's, the legacy function call."""
    if isinstance(update, ToolCallArgumentsDelta | ToolCallPartialArg):
        return f"arguments {update.index}"
    if isinstance(update, HostedToolArgumentsDelta):
        return f"hosted {update.index}"
    return "function_call"


def _recorded_first_content(fixture: Fixture | None) -> float | None:
    """Recorded seconds from the request to the read that brought choice 0's first answer or
    refusal text; None without timings or without such text.

    The body is read again in its recorded reads, so the figure is the recording's whatever the
    chunking replayed (a replayed piece can span many recorded reads).
    """
    if fixture is None or fixture.recording is None:
        return None
    accumulator = new_accumulator()
    for read in fixture.recording.reads:
        updates: list[ChatUpdate] = []
        failed = False
        try:
            accumulator._feed_into(fixture.body[read.offset : read.offset + read.length], updates)
        except StreamError:
            failed = True  # the updates before the error in this read count
        if any(_is_content(update) for update in updates):
            return read.seconds
        if failed:
            return None
    return None


def _is_content(update: ChatUpdate) -> bool:
    return isinstance(update, ContentDelta | RefusalDelta) and update.choice == 0


def _placed(reads: Iterator[bytes], accumulator: Accumulator[StreamResult]) -> Iterator[bytes]:
    """``reads``, a stream error they raise (the recorded transport error ending a replay)
    placed where ``accumulator`` stopped by the rule of every reader
    (:func:`~sseproto.wire.errors.source_failure`), so that the message, ``--json`` and
    ``check`` all say what ``accumulate`` says."""
    try:
        yield from reads
    except StreamError as error:
        # The same error, an IncompleteStreamError given the place it lacks: no new cause.
        raise source_failure(  # noqa: B904
            error, offset=accumulator.offset, event_index=accumulator.events_received
        )


def _seed(args: argparse.Namespace) -> int | None:
    seed: int | None = args.seed
    if args.chunking == "random" and seed is None:
        seed = random.SystemRandom().randrange(2**32)
        _message(f"random chunking with --seed {seed}")
    elif seed is not None and args.chunking != "random":
        raise _UsageError("--seed applies to --chunking random only")
    return seed


def _replay_reads(
    name: str, chunking: Chunking, seed: int | None, realtime: bool
) -> tuple[Iterator[bytes], Fixture | None]:
    """The reads to replay and the fixture they come from (None for live stdin); everything
    that can fail before the first read fails here, at the call."""
    if name == "-" and chunking == "recorded":
        if realtime:
            raise _UsageError("--realtime needs recorded timings; stdin has none")
        # Live input: every read as it arrives, so a piped stream prints as it streams.
        return _reads(_stdin(), name), None
    fixture = _load(name)
    try:
        pieces = plan(fixture, chunking=chunking, seed=seed, realtime=realtime)
    except ValueError as error:
        raise _UsageError(str(error)) from error
    return play(fixture, pieces, realtime), fixture


def _load(name: str) -> Fixture:
    """The fixture named on the command line (``-``: stdin's bytes, without a sidecar)."""
    if name == "-":
        with _open_input(name) as stream:
            return Fixture(Path(name), b"".join(_reads(stream, name)), None)
    try:
        return load_fixture(name)
    except OSError as error:
        raise _UnreadableError(f"cannot read {name}: {error.strerror or error}") from error


# The key under which NAME.expected.json holds a stream's result: the provider's own word for it,
# or ``"result": null`` when no event told the dialect (a JSON error body, HTML, text). Written
# by ``replay --json`` and read by ``check`` from these names only.
_RESULT_KEYS = {
    "chat": "completion",
    "anthropic": "message",
    "responses": "response",
    "gemini": "response",
}
_NO_RESULT_KEY = "result"
_EXPECTED_RESULT_KEYS = (*dict.fromkeys(_RESULT_KEYS.values()), _NO_RESULT_KEY)


def _result_fields(result: StreamResult | None) -> dict[str, Any]:
    """The result as ``NAME.expected.json`` holds it."""
    if result is None:
        return {_NO_RESULT_KEY: None}
    return {_RESULT_KEYS[result.dialect]: result.to_dict()}


def _summary(
    result: StreamResult | None,
    accumulator: Accumulator[StreamResult],
    stats: _ReplayStats,
    failure: StreamError | None,
) -> str:
    if isinstance(result, ChatCompletion):
        lines = _choice_lines(result)
    elif result is not None:
        lines = _result_lines(result)
    else:
        lines = ["no event told the stream's dialect"]
    if result is not None:
        lines.append(f"usage: {_json_text(result.usage)}")
    if failure is None:
        size = f"events: {accumulator.events_received}, bytes: {accumulator.offset}"
    else:
        # What came before the error: the rest of its read was never taken.
        size = f"events: {failure.event_index}, bytes: {failure.offset} before the error"
    lines.append(f"{size}, reads: {stats.reads}")
    if stats.first_content is not None:
        lines.append(f"time to first content: {stats.first_content:.3f} s (as recorded)")
    return "\n".join(lines)


def _result_lines(result: StreamResult) -> list[str]:
    """The summary of another dialect than chat: its first candidate, as every dialect has."""
    lines = [f"{result.dialect}: finish_reason={result.finish_reason}"]
    if result.reasoning:
        lines.append(f"  reasoning: {len(result.reasoning)} characters")
    for call in result.tool_calls:
        ident = f" {call.id}" if call.id else ""
        lines.append(f"  tool call{ident}: {call.name}({call.arguments})")
    return lines


def _choice_lines(result: ChatCompletion) -> list[str]:
    lines = []
    for choice in result.choices:
        message = choice.message
        lines.append(f"choice {choice.index}: finish_reason={choice.finish_reason}")
        if choice.index != 0 and message.content:
            lines.append(f"  text: {message.content}")
        if choice.index != 0 and message.refusal:
            lines.append(f"  refusal: {message.refusal}")
        if message.reasoning:
            lines.append(f"  reasoning: {len(message.reasoning)} characters")
        calls = list(message.tool_calls)
        if message.function_call is not None:
            calls.append(ToolCall("", "function_call", message.function_call))
        for call in calls:
            ident = f" {call.id}" if call.id else ""
            lines.append(f"  tool call{ident}: {call.function.name}({call.function.arguments})")
    return lines


# -- check -----------------------------------------------------------------------------------

# A fixture must rebuild the same under every one of these, whatever its recorded reads.
_CHECK_CHUNKINGS: tuple[tuple[Chunking, int | None], ...] = (
    ("recorded", None),
    ("whole", None),
    ("random", 0),
)


def _run_check(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for name in args.files:
        try:
            verdict = _check_one(name)
        except _UnreadableError as error:
            _message(str(error))
            status = EXIT_USAGE
            continue
        sys.stdout.write(f"{'ok   ' if verdict.ok else 'FAIL '} {name}: {verdict.detail}\n")
        sys.stdout.flush()
        if not verdict.ok and status == EXIT_OK:
            status = EXIT_STREAM_ERROR
    return status


class _Verdict(NamedTuple):
    ok: bool
    detail: str


def _check_one(name: str) -> _Verdict:
    try:
        fixture = _load(name)
    except FixtureError as error:
        return _Verdict(False, error.message)
    outcomes = [_outcome(fixture, chunking, seed) for chunking, seed in _CHECK_CHUNKINGS]
    result, failure, message = outcomes[0]
    for (chunking, _), other in zip(_CHECK_CHUNKINGS[1:], outcomes[1:], strict=True):
        if other != outcomes[0]:
            return _Verdict(False, f"the result differs between {chunking} and recorded reads")
    expected_file = expected_path(fixture.path)
    if not expected_file.is_file():
        if failure is not None:
            return _Verdict(False, _error_text(failure, message))
        return _Verdict(True, "complete stream")
    try:
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _UnreadableError(f"cannot read {expected_file}: {exc}") from exc
    if not _is_expected(expected):
        return _Verdict(
            False,
            f"{expected_file.name} is malformed: it must be an object with one result object "
            '("completion", "message" or "response", or "result": null when no event told the '
            'dialect) and an "error" that is null or {"type", "offset", "event_index"}',
        )
    want = expected["error"]
    if failure != want:
        return _Verdict(
            False,
            f"expected {_error_text(want) if want else 'no error'}, got "
            f"{_error_text(failure, message) if failure else 'no error'}",
        )
    (key,) = (key for key in _EXPECTED_RESULT_KEYS if key in expected)
    if key not in result:
        found = next(iter(result))
        return _Verdict(False, f"{expected_file.name} holds a {key}, the stream gave a {found}")
    difference = _first_difference(expected[key], result[key], "$")
    if difference is not None:
        return _Verdict(False, f"{key} differs from {expected_file.name} {difference}")
    suffix = f" ({_error_text(failure)}, as expected)" if failure else ""
    return _Verdict(True, f"matches {expected_file.name}{suffix}")


def _is_expected(value: object) -> bool:
    """Whether ``value`` has the shape of ``NAME.expected.json``: the one check of it, so that
    the comparison after it can rely on every field."""
    if not isinstance(value, dict):
        return False
    results = [key for key in _EXPECTED_RESULT_KEYS if key in value]
    if len(results) != 1:
        return False
    (key,) = results
    if not (value[key] is None if key == _NO_RESULT_KEY else isinstance(value[key], dict)):
        return False
    error = value.get("error", False)
    if error is None:
        return True
    return (
        isinstance(error, dict)
        and isinstance(error.get("type"), str)
        and all(_is_offset(error.get(name, False)) for name in ("offset", "event_index"))
    )


def _is_offset(value: object) -> bool:
    # bool is an int in Python, never in this format.
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _outcome(
    fixture: Fixture, chunking: Chunking, seed: int | None
) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """The result (partial on error) and the error, as ``NAME.expected.json`` holds them, and
    the error's message (``""`` without one)."""
    accumulator = new_accumulator()
    try:
        reads = play(fixture, plan(fixture, chunking=chunking, seed=seed))
        for data in _placed(reads, accumulator):
            accumulator.feed(data)
        accumulator.close()
    except StreamError as error:
        return (
            _result_fields(accumulator.snapshot()),
            _error_fields(error),
            " ".join(error.message.split()),
        )
    return _result_fields(accumulator.snapshot()), None, ""


def _error_fields(error: StreamError) -> dict[str, Any]:
    """The error as ``NAME.expected.json`` holds it."""
    return {"type": type(error).__name__, "offset": error.offset, "event_index": error.event_index}


def _error_text(error: Mapping[str, Any], message: str = "") -> str:
    where = (
        f"{error.get('type')} at byte offset {error.get('offset')}, "
        f"event index {error.get('event_index')}"
    )
    return f"{where}: {message}" if message else where


def _first_difference(expected: Any, got: Any, path: str) -> str | None:
    """Where two JSON values first differ, as ``at PATH: expected X, got Y``; None if equal."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in list(expected) + [key for key in got if key not in expected]:
            found = _first_difference(expected.get(key), got.get(key), f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for number, (want, have) in enumerate(zip(expected, got, strict=True)):
            found = _first_difference(want, have, f"{path}[{number}]")
            if found is not None:
                return found
        return None
    if expected == got and type(expected) is type(got):
        return None
    return f"at {path}: expected {_json_text(expected)}, got {_json_text(got)}"


# -- bench -----------------------------------------------------------------------------------


def _run_bench(args: argparse.Namespace) -> int:
    seed = _seed(args)
    progress = sys.stderr.isatty()
    rows: list[tuple[str, ...]] = [
        ("file", "bytes", "events", "decode MB/s", "events/s", "accumulate MB/s", "stream")
    ]
    for number, name in enumerate(args.files, 1):
        if progress:
            sys.stderr.write(f"\rbench [{number}/{len(args.files)}] {name}\033[K")
            sys.stderr.flush()
        fixture = _load(name)
        try:
            pieces = plan(fixture, chunking=args.chunking, seed=seed)
        except ValueError as error:
            raise _UsageError(str(error)) from error
        reads = [fixture.body[piece.start : piece.end] for piece in pieces]
        rows.append(_bench_one(name, reads, args.repeat))
    if progress:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1], strict=True)]
        cells.append(row[-1])
        sys.stdout.write("  ".join(cells) + "\n")
    return EXIT_OK


def _bench_one(name: str, reads: list[bytes], repeat: int) -> tuple[str, ...]:
    size = sum(map(len, reads))
    decode_seconds, events = _best(repeat, lambda: _decode_all(reads))
    accumulate_seconds, verdict = _best(repeat, lambda: _accumulate_all(reads))
    megabytes = size / 1e6
    return (
        name,
        f"{size:,}",
        f"{events:,}",
        f"{megabytes / decode_seconds:,.1f}",
        f"{events / decode_seconds:,.0f}",
        f"{megabytes / accumulate_seconds:,.1f}",
        verdict,
    )


_T = TypeVar("_T")


def _best(repeat: int, run: Callable[[], _T]) -> tuple[float, _T]:
    """The shortest of ``repeat`` timed runs (the least disturbed by a noisy machine)."""
    best = math.inf
    result: _T | None = None
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - began)
    assert result is not None, "repeat is at least 1"
    # A timer tick of zero on a tiny input would divide by zero.
    return max(best, 1e-9), result


def _decode_all(reads: list[bytes]) -> int:
    decoder = SSEDecoder(max_event_size=None)
    for data in reads:
        decoder.feed(data)
    decoder.close()
    return decoder.events_dispatched


def _accumulate_all(reads: list[bytes]) -> str:
    # What ``accumulate`` does: the stream's dialect told by its first event, no update built.
    try:
        accumulate(reads, max_event_size=None)
    except StreamError as error:
        return type(error).__name__
    return "complete"


# -- record ----------------------------------------------------------------------------------


def _run_record(args: argparse.Namespace) -> int:
    # Imported here: the other commands need no HTTP client.
    import http.client

    from ._adapter import MAX_ERROR_BODY, is_event_stream
    from ._adapter_errors import BadResponseError, looks_like_stream
    from ._fetch import send
    from .fixtures.redact import redact

    body = None if args.data is None else _json_body(args.data)
    method = (args.method or ("GET" if body is None else "POST")).upper()
    output = Path(args.output)
    try:
        exchange = send(
            args.url, method=method, headers=args.header, body=body, idle_timeout=args.idle_timeout
        )
    except ValueError as error:
        raise _UsageError(str(error)) from error
    except (OSError, http.client.HTTPException) as error:
        _message(f"record: no response from {redact(args.url)}: {redact(_describe(error))}")
        return EXIT_STREAM_ERROR
    head = exchange.head
    try:
        exchange.record(output)
    except KeyboardInterrupt:
        _message(f"record: stopped; what came is recorded in {output}")
        raise
    except (OSError, http.client.HTTPException) as error:
        try:
            received = len(load_fixture(output).body)
        except OSError:
            # Not the body failing: the fixture could not be written.
            raise _UnreadableError(f"cannot write {output}: {_describe(error)}") from error
        if isinstance(error, TimeoutError) and args.idle_timeout is not None:
            what = f"the server sent nothing for {args.idle_timeout:g} s (--idle-timeout)"
        else:
            what = f"the body ended with {redact(_describe(error))}"
        _message(f"record: {what} after {received} bytes; recorded in {output}")
        return EXIT_STREAM_ERROR
    fixture = load_fixture(output)
    if not is_event_stream(head, check_content_type=True):
        if is_event_stream(head, check_content_type=False) and looks_like_stream(fixture.body):
            # The adapters' check_content_type=False means nothing here: the recording replays.
            _message(
                f"record: status {head.status} with content type {head.content_type!r}, not "
                f"text/event-stream, but the body is an event stream; recorded in {output}, "
                "which sseproto replay reads"
            )
            return EXIT_STREAM_ERROR
        rejection = BadResponseError(
            status=head.status,
            content_type=head.content_type,
            body=fixture.body[:MAX_ERROR_BODY],
            headers=head.headers,
        )
        _message(f"record: {rejection}; recorded in {output}")
        return EXIT_STREAM_ERROR
    failure = _replay_failure(fixture)
    if failure is not None:
        # What the server sent is recorded, but it does not replay: said as replay will say it.
        _message(
            f"record: status {head.status}, but at {_stream_error_place(failure)}; "
            f"recorded in {output}"
        )
        return EXIT_STREAM_ERROR
    recording = fixture.recording
    assert recording is not None, "a recording always writes its sidecar"
    reads = len(recording.reads)
    _message(
        f"recorded {output}: status {head.status}, {len(fixture.body):,} bytes in {reads} "
        f"read{'' if reads == 1 else 's'} over {recording.ending.seconds:.3f} s; "
        f"replay it with: sseproto replay {output}"
    )
    return EXIT_OK


def _replay_failure(fixture: Fixture) -> StreamError | None:
    """The error ``sseproto replay`` stops at on ``fixture``, or None when it replays whole."""
    accumulator = _replay_accumulator(partial_json=False)
    try:
        for data in play(fixture, plan(fixture, chunking="recorded")):
            accumulator.feed(data)
        accumulator.close()
    except StreamError as error:
        return error
    return None


def _json_body(name: str) -> bytes:
    """The request body named on the command line, checked to be JSON before anything is sent."""
    with _open_input(name) as stream:
        body = b"".join(_reads(stream, name))
    try:
        json.loads(body)
    except ValueError as error:
        raise _UsageError(f"{name} is not JSON: {error}") from error
    return body


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


# -- input and output ------------------------------------------------------------------------


@contextlib.contextmanager
def _open_input(name: str) -> Iterator[BinaryIO]:
    """The named file opened for binary reading; ``-`` is stdin, which is left open."""
    if name == "-":
        yield _stdin()
        return
    try:
        stream = open(name, "rb")  # noqa: SIM115 (closed below, after the caller's block)
    except OSError as error:
        raise _UnreadableError(f"cannot read {name}: {error.strerror or error}") from error
    with stream:
        yield stream


def _stdin() -> BinaryIO:
    """Standard input's bytes; a process started with stdin closed has none to read."""
    stdin = sys.stdin
    if stdin is None:
        raise _UnreadableError("cannot read -: standard input is closed")
    return stdin.buffer


def _reads(stream: BinaryIO, name: str) -> Iterator[bytes]:
    """The stream's bytes as they become available (a pipe's data is not held back)."""
    # ``read1`` returns what is there instead of waiting for a full buffer.
    read: Callable[[int], bytes] = getattr(stream, "read1", stream.read)
    while True:
        try:
            chunk = read(_READ_SIZE)
        except OSError as error:
            raise _UnreadableError(f"cannot read {name}: {error.strerror or error}") from error
        if not chunk:
            return
        yield chunk


def _stream_error_line(name: str, error: StreamError) -> str:
    """One line naming the file, where in it the stream went wrong, and what was wrong."""
    return f"{name}: {_stream_error_place(error)}"


def _stream_error_place(error: StreamError) -> str:
    """Where the stream went wrong and what was wrong, on one line."""
    offset = "?" if error.offset is None else str(error.offset)
    index = "?" if error.event_index is None else str(error.event_index)
    return f"byte offset {offset}, event index {index}: {_what(error)}"


def _what(error: StreamError) -> str:
    """What was wrong, on one line."""
    return " ".join(error.message.split())


def _json_line(value: object) -> str:
    return _json_text(value) + "\n"


def _json_text(value: object, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=not _stdout_is_utf8(), indent=indent)


def _stdout_is_utf8() -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or ""
    return encoding.lower().replace("-", "").replace("_", "") == "utf8"


def _tolerate_unencodable_output() -> None:
    """Never fail on text the terminal's encoding cannot show; escape it instead."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")


def _message(text: str) -> None:
    print(f"sseproto: {text}", file=sys.stderr, flush=True)
