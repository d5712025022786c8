"""Dialect benchmarks: from the wire to the final message, sseproto beside each provider's SDK.

Usage: ``python benchmarks/dialects.py [--repeats N] [--markdown]``

Anthropic Messages, two workloads, each checked before it is timed (every path rebuilds the same
text and tool input):

- ``anthropic-text``: 20,000 ``text_delta`` events (about 8% multi-byte pieces), pings inside the
  block and data lines padded with spaces after the JSON, as the live API sends them; network
  reads. sseproto's ``feed`` (updates built) and its no-update path (what ``accumulate`` uses)
  against the anthropic SDK's path: its own ``SSEDecoder``, each event built with
  ``construct_type`` (what ``Stream`` does) and ``accumulate_event``.
- ``anthropic-tool-input``: one ``tool_use`` whose input arrives in 10-character
  ``input_json_delta`` pieces, at 64 KB and 1 MB: the cost per KB must stay flat (linear). The
  SDK re-parses the whole buffer on every delta (quadratic): it runs at 16 KB and 64 KB only.

And the Anthropic engine with its verified templates against the engine without them (every
event parsed): on the seeded ``anthropic`` workload of ``workloads.py`` (padded before the final
brace, as the real recordings show the live API pads) and on the real recordings.

Times are medians of interleaved repeats of CPU time (``timing.py``); ratios compare cases timed in
the same run. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
from collections.abc import Callable, Sequence
from functools import partial
from importlib import metadata
from typing import Any

from accumulators import REAL
from report import Table, Verdicts
from timing import interleaved, rounds
from workloads import anthropic_stream, split_reads

import sseproto
from sseproto import AnthropicAccumulator, StreamError
from sseproto.dialects.kit.drive import run as drive

SEED = 20240611
TEXT_DELTAS = 20_000
SDK_TARGET = 6.0  # anthropic-text: x the SDK's path
LINEARITY_TARGET = 1.2  # tool input: cost per KB at 1 MB / at 64 KB

_PROSE = (
    "the stream of tokens arrives as small deltas and every client must rebuild the message "
    "from them while it prints each piece as soon as it lands on the screen"
)
_WORDS = tuple(_PROSE.split())
_MULTIBYTE = ("é", " café", " naïve", " 東京", "の", " 😀", "—", " Ωμέγα", " ß")

# (text, tool input): what every path must rebuild.
Rebuilt = tuple[str, Any]
Rebuild = Callable[[list[bytes]], Rebuilt]


class _Writer:
    """Renders one Anthropic message as the API streams it: ``event:`` + a padded ``data:``."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.parts: list[str] = []

    def event(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        pad = " " * self._rng.randint(0, 12)
        self.parts.append(f"event: {payload['type']}\ndata: {data}{pad}\n\n")

    def ping(self) -> None:
        self.parts.append('event: ping\ndata: {"type": "ping"}\n\n')

    def start(self) -> None:
        message = {
            "id": "msg_01" + "".join(self._rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZabcdef123", k=22)),
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": 412,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": 1,
                "service_tier": "standard",
            },
        }
        self.event({"type": "message_start", "message": message})

    def finish(self, reason: str, output_tokens: int) -> bytes:
        self.event(
            {
                "type": "message_delta",
                "delta": {"stop_reason": reason, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            }
        )
        self.event({"type": "message_stop"})
        return "".join(self.parts).encode()


def text_stream(deltas: int = TEXT_DELTAS) -> tuple[bytes, str]:
    """A text answer of ``deltas`` text deltas; the body and the text."""
    rng = random.Random(SEED)
    writer = _Writer(rng)
    writer.start()
    writer.event(
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    )
    writer.ping()
    pieces = []
    for number in range(deltas):
        if rng.random() < 0.08:
            piece = rng.choice(_MULTIBYTE)
        else:
            piece = " " + " ".join(rng.choices(_WORDS, k=rng.randint(1, 2)))
        pieces.append(piece)
        writer.event(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": piece},
            }
        )
        if number % 5000 == 4999:
            writer.ping()
    writer.event({"type": "content_block_stop", "index": 0})
    return writer.finish("end_turn", deltas), "".join(pieces)


def tool_input_stream(size: int, *, delta: int = 10) -> tuple[bytes, Any]:
    """One tool call with about ``size`` characters of input in ``delta``-character pieces; the
    body and the input."""
    rng = random.Random(SEED + 2)
    rows = []
    length = 0
    while length < size:
        row = {
            "city": rng.choice(("Paris", "東京", "São Paulo")),
            "query": " ".join(rng.choices(_WORDS, k=rng.randint(2, 8))),
            "limit": rng.randint(1, 500),
            "strict": rng.random() < 0.5,
        }
        rows.append(row)
        length += len(json.dumps(row, ensure_ascii=False)) + 2
    arguments = {"requests": rows}
    text = json.dumps(arguments, ensure_ascii=False)
    writer = _Writer(rng)
    writer.start()
    writer.event(
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {
                "type": "tool_use",
                "id": "toolu_01Bench",
                "name": "lookup",
                "input": {},
            },
        }
    )
    for position in range(0, len(text), delta):
        writer.event(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {
                    "type": "input_json_delta",
                    "partial_json": text[position : position + delta],
                },
            }
        )
    writer.event({"type": "content_block_stop", "index": 0})
    return writer.finish("tool_use", len(text) // 3), arguments


def _of_message(message: Any) -> Rebuilt:
    """The text and the first tool input of a rebuilt message (sseproto's or the SDK's)."""
    text = "".join(block.text for block in message.content if block.type == "text")
    inputs = [block.input for block in message.content if block.type == "tool_use"]
    return text, inputs[0] if inputs else None


def _sseproto_updates(reads: list[bytes]) -> Rebuilt:
    """sseproto: ``feed`` per read, every update built, then ``result``."""
    accumulator = sseproto.AnthropicAccumulator()
    for data in reads:
        accumulator.feed(data)
    return _of_message(accumulator.result())


def _sseproto_quiet(reads: list[bytes]) -> Rebuilt:
    """sseproto without updates: the path ``accumulate`` takes."""
    accumulator = sseproto.AnthropicAccumulator()
    for data in reads:
        accumulator._feed_into(data, None)
    return _of_message(accumulator.result())


def _anthropic() -> Rebuild | None:
    """The anthropic SDK: what ``client.messages.stream(...)`` does with the bytes."""
    try:
        from anthropic._models import construct_type
        from anthropic._streaming import SSEDecoder
        from anthropic.lib.streaming._messages import accumulate_event
        from anthropic.types import RawMessageStreamEvent
    except ImportError:
        return None

    def rebuild(reads: list[bytes]) -> Rebuilt:
        snapshot: Any = None
        buffers: dict[int, bytes] = {}
        for sse in SSEDecoder().iter_bytes(iter(reads)):
            if sse.event == "ping":
                continue
            event: Any = construct_type(type_=RawMessageStreamEvent, value=sse.json())
            snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=buffers)
        return _of_message(snapshot)

    return rebuild


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def text_section(repeats: int, markdown: bool, verdicts: Verdicts) -> None:
    """20,000 text deltas, network reads: bytes to final message."""
    print("### Anthropic: bytes to final message, 20,000 text deltas, network reads\n")
    body, text = text_stream()
    reads = split_reads(body, "network")
    paths: dict[str, Rebuild] = {
        "sseproto feed": _sseproto_updates,
        "sseproto quiet": _sseproto_quiet,
    }
    sdk = _anthropic()
    if sdk is not None:
        paths["anthropic SDK"] = sdk
    for name, run in paths.items():
        if run(reads) != (text, None):
            raise AssertionError(f"{name} rebuilt another message")
    medians = interleaved({name: partial(run, reads) for name, run in paths.items()}, repeats)
    table = Table(["path", "ms", "MB/s", "vs anthropic SDK"], markdown=markdown)
    theirs = medians.get("anthropic SDK")
    for name, seconds in medians.items():
        table.add(
            name,
            f"{seconds * 1e3:.1f}",
            f"{len(body) / seconds / 1e6:.1f}",
            _ratio(None if theirs is None else theirs / seconds),
        )
    table.print()
    if theirs is not None:
        verdicts.check(
            "anthropic text: sseproto feed vs the SDK",
            theirs / medians["sseproto feed"],
            SDK_TARGET,
        )


def tool_input_section(repeats: int, markdown: bool, verdicts: Verdicts) -> None:
    """One tool input in 10-character deltas: linear or not."""
    print("### Anthropic: one tool input in 10-character deltas, network reads\n")
    table = Table(
        ["input", "deltas", "sseproto ms", "sseproto us/KB", "SDK ms", "SDK us/KB"],
        markdown=markdown,
    )
    sdk = _anthropic()
    per_kb: dict[int, float] = {}
    for size in (16_000, 64_000, 1_000_000):
        body, arguments = tool_input_stream(size)
        reads = split_reads(body, "network")
        paths: dict[str, Rebuild] = {"sseproto": _sseproto_updates}
        if sdk is not None and size <= 64_000:
            paths["sdk"] = sdk
        for name, run in paths.items():
            if run(reads) != ("", arguments):
                raise AssertionError(f"{name} rebuilt another input")
        medians = interleaved(
            {name: partial(run, reads) for name, run in paths.items()}, repeats, limits={"sdk": 3}
        )
        length = len(json.dumps(arguments, ensure_ascii=False))
        per_kb[size] = medians["sseproto"] / (length / 1000)
        theirs = medians.get("sdk")
        table.add(
            f"{length / 1000:,.0f} KB",
            f"{-(-length // 10):,}",
            f"{medians['sseproto'] * 1e3:.1f}",
            f"{per_kb[size] * 1e6:.2f}",
            "-" if theirs is None else f"{theirs * 1e3:.0f}",
            "-" if theirs is None else f"{theirs / (length / 1000) * 1e6:.0f}",
        )
    table.print()
    verdicts.check(
        "anthropic tool input: cost per KB at 1 MB / at 64 KB",
        per_kb[1_000_000] / per_kb[64_000],
        LINEARITY_TARGET,
        at_most=True,
    )


class _WithoutTemplates(AnthropicAccumulator):
    """The Anthropic engine with its templates turned off: every event takes the full path."""

    _TEMPLATES = False


def _engine(kind: type[AnthropicAccumulator], streams: list[list[bytes]]) -> None:
    for reads in streams:
        with contextlib.suppress(StreamError):
            drive(kind(), iter(reads))


def templates_section(repeats: int, markdown: bool) -> None:
    """The engine with and without its templates, in network reads."""
    print("### Anthropic: the engine with and without templates, network reads\n")
    cases = {"anthropic": [split_reads(anthropic_stream().data, "network")]}
    recordings = sorted((REAL / "anthropic").glob("*.sse"))
    if recordings:
        # One pass over them takes a few ms, too short to time on a loaded machine: a round
        # makes ten.
        cases[f"real recordings ({len(recordings)}), ten passes"] = [
            split_reads(path.read_bytes(), "network") for path in recordings
        ] * 10
    table = Table(["streams", "with ms", "without ms", "with vs without"], markdown=markdown)
    for name, streams in cases.items():
        timed = rounds(
            {
                "with": partial(_engine, AnthropicAccumulator, streams),
                "without": partial(_engine, _WithoutTemplates, streams),
            },
            repeats,
        )
        medians = timed.medians()
        table.add(
            name,
            f"{medians['with'] * 1e3:.1f}",
            f"{medians['without'] * 1e3:.1f}",
            str(timed.speedup("with", "without")),
        )
    table.print()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sections; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--markdown", action="store_true")
    options = parser.parse_args(argv)
    try:
        version = f"anthropic {metadata.version('anthropic')}"
    except metadata.PackageNotFoundError:
        version = "anthropic (not installed)"
    print(f"Python {sys.version.split()[0]}; {version}; {options.repeats} repeats\n")
    verdicts = Verdicts()
    text_section(options.repeats, options.markdown, verdicts)
    tool_input_section(options.repeats, options.markdown, verdicts)
    templates_section(options.repeats, options.markdown)
    verdicts.print(markdown=options.markdown)
    return 1 if verdicts.failed else 0


if __name__ == "__main__":
    sys.exit(main())
