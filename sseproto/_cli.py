"""The ``sseproto`` command line (also ``python -m sseproto``).

Results go to stdout and messages to stderr, so every command pipes cleanly. Exit status: 0 on
success, 1 when the stream itself is at fault (a :class:`StreamError`: the one-line message names
the file, the byte offset and the event index), 2 for a usage error or a file that cannot be read.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

from ._decoder import SSEDecoder
from ._errors import StreamError
from ._events import ServerSentEvent

__all__ = ["main"]

EXIT_OK = 0
EXIT_STREAM_ERROR = 1
EXIT_USAGE = 2

# Large enough that reading a file costs little per call, small enough that a piped stream's
# events are printed as they arrive (``read1`` returns what is available, up to this size).
_READ_SIZE = 64 * 1024


class _UnreadableError(Exception):
    """A named input that cannot be opened or read (exit status 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    _tolerate_unencodable_output()
    try:
        status: int = args.run(args)
    except _UnreadableError as error:
        _message(str(error))
        return EXIT_USAGE
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
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    parse = commands.add_parser(
        "parse",
        help="print one JSON object per dispatched event (JSON Lines)",
        description="Decode an event stream and print one JSON object per dispatched event: "
        "event, data, id, retry and the byte offset where the event starts.",
    )
    parse.add_argument("file", metavar="FILE", help="the stream's bytes; - reads stdin")
    parse.set_defaults(run=_run_parse)
    return parser


def _run_parse(args: argparse.Namespace) -> int:
    name: str = args.file
    decoder = SSEDecoder()
    try:
        with _open_input(name) as stream:
            for chunk in _reads(stream, name):
                _print_events(decoder, decoder.feed(chunk))
        _print_events(decoder, decoder.close())
    except StreamError as error:
        _message(_stream_error_line(name, error))
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


@contextlib.contextmanager
def _open_input(name: str) -> Iterator[BinaryIO]:
    """The named file opened for binary reading; ``-`` is stdin, which is left open."""
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = open(name, "rb")  # noqa: SIM115 (closed below, after the caller's block)
    except OSError as error:
        raise _UnreadableError(f"cannot read {name}: {error.strerror or error}") from error
    with stream:
        yield stream


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
    offset = "?" if error.offset is None else str(error.offset)
    index = "?" if error.event_index is None else str(error.event_index)
    what = " ".join(error.message.split())
    return f"{name}: byte offset {offset}, event index {index}: {what}"


def _json_line(value: object) -> str:
    return json.dumps(value, ensure_ascii=not _stdout_is_utf8()) + "\n"


def _stdout_is_utf8() -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or ""
    return encoding.lower().replace("-", "").replace("_", "") == "utf8"


def _tolerate_unencodable_output() -> None:
    """Never fail on text the terminal's encoding cannot show; escape it instead."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")


def _message(text: str) -> None:
    print(f"sseproto: {text}", file=sys.stderr, flush=True)
