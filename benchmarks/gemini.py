"""Gemini: bytes to the final ``GenerateContentResponse``, beside the ``json.loads`` floor, and the
cost per KB of long streams at two sizes.

Usage: ``python benchmarks/gemini.py [--repeats N]``

No Python library rebuilds a Gemini stream to compare with (google-genai has no accumulator; ADK's
aggregator comes with a large dependency tree), so the reference is the floor: ``json.loads`` alone
on every payload, the least any reader parsing the chunks must pay. Every case is checked to rebuild
the workload's exact text or arguments before it is timed; times are medians of interleaved repeats
of CPU time (see ``timing.py``). Exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from timing import interleaved
from workloads import split_reads

import sseproto

SEED = 20240611
MODEL = "gemini-2.5-flash"
FLOOR_TARGET = 0.6  # sseproto's speed / the json.loads floor's, long text, network reads
LINEARITY_TARGET = 1.2  # cost per KB at 1 MB / cost per KB at 64 KB
SIZES = (64_000, 1_000_000)
WORDS = ["stream", "chunk", "token", "Gemini", "réponse", "데이터", "—", "parts", "model", "の"]


def _data(payload: dict[str, Any]) -> bytes:
    # Gemini's own framing: spaced JSON, CRLF line ends, no terminal event.
    text = json.dumps(payload, separators=(",", ": "), ensure_ascii=False)
    return f"data: {text}\r\n\r\n".encode()


def text_stream(size: int, *, seed: int = SEED) -> tuple[bytes, str]:
    """An answer of about ``size`` characters in 20-60 character chunks, each with the cumulative
    usage and the metadata Gemini repeats on every chunk; the last one ends with ``STOP``."""
    rng = random.Random(seed)
    pieces: list[str] = []
    total = 0
    while total < size:
        piece = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
        pieces.append(piece)
        total += len(piece)
    body: list[bytes] = []
    for number, piece in enumerate(pieces):
        candidate: dict[str, Any] = {"content": {"parts": [{"text": piece}], "role": "model"}}
        if number == len(pieces) - 1:
            candidate["finishReason"] = "STOP"
        candidate["index"] = 0
        body.append(
            _data(
                {
                    "candidates": [candidate],
                    "usageMetadata": {
                        "promptTokenCount": 12,
                        "candidatesTokenCount": number + 1,
                        "totalTokenCount": number + 13,
                    },
                    "modelVersion": MODEL,
                    "responseId": "benchResponse01",
                }
            )
        )
    return b"".join(body), "".join(pieces)


def arguments_stream(size: int, *, piece: int = 10, seed: int = SEED) -> tuple[bytes, str]:
    """One Vertex streamed call whose ``code`` argument of ``size`` characters arrives as
    ``stringValue`` pieces of ``piece`` characters, closed by ``functionCall: {}``."""
    rng = random.Random(seed)
    code = "".join(rng.choice('abcdefghij (){}=+\n"é') for _ in range(size))
    meta = {"usageMetadata": {"trafficType": "ON_DEMAND"}, "modelVersion": MODEL}

    def chunk(part: dict[str, Any], **fields: Any) -> bytes:
        candidate = {"content": {"role": "model", "parts": [part]}, **fields}
        return _data({"candidates": [candidate], **meta})

    body = [chunk({"functionCall": {"name": "run", "willContinue": True}})]
    for start in range(0, size, piece):
        argument = {"jsonPath": "$.code", "stringValue": code[start : start + piece]}
        body.append(chunk({"functionCall": {"partialArgs": [argument], "willContinue": True}}))
    body.append(chunk({"functionCall": {}}, finishReason="STOP"))
    return b"".join(body), code


def rebuild(reads: list[bytes]) -> sseproto.GeminiResponse:
    """Bytes to the response, nobody reading updates (what ``accumulate`` does)."""
    accumulator = sseproto.GeminiAccumulator()
    for data in reads:
        accumulator._feed_into(data, None)
    return accumulator.result()


def rebuild_with_updates(reads: list[bytes]) -> sseproto.GeminiResponse:
    """Bytes to the response through ``feed``, every update built."""
    accumulator = sseproto.GeminiAccumulator()
    for data in reads:
        accumulator.feed(data)
    return accumulator.result()


def json_floor(texts: list[str]) -> None:
    """``json.loads`` on every payload, nothing else."""
    loads = json.loads
    for text in texts:
        loads(text)


def payloads(body: bytes) -> list[str]:
    lines = body.decode().split("\r\n")
    return [line[len("data: ") :] for line in lines if line.startswith("data: ")]


def _text_of(response: sseproto.GeminiResponse) -> str:
    return response.text or ""


def _arguments_of(response: sseproto.GeminiResponse) -> str:
    calls = response.tool_calls
    code = calls[0].args.get("code") if calls and calls[0].args else None
    return code if isinstance(code, str) else ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=9)
    repeats = parser.parse_args(argv).repeats
    failed = 0

    body, text = text_stream(600_000)
    reads = split_reads(body, "network")
    tiny = split_reads(body, "tiny")
    texts = payloads(body)
    for run in (rebuild, rebuild_with_updates):
        assert _text_of(run(reads)) == text and _text_of(run(tiny)) == text
    cases: dict[str, Callable[[], object]] = {
        "sseproto, network reads": lambda: rebuild(reads),
        "sseproto feed() with updates, network reads": lambda: rebuild_with_updates(reads),
        "sseproto, tiny reads": lambda: rebuild(tiny),
        "json.loads floor": lambda: json_floor(texts),
    }
    times = interleaved(cases, repeats)
    floor = times["json.loads floor"]
    print(f"Long text: {len(body) / 1e6:.1f} MB, {len(texts):,} chunks, CRLF")
    print("| path | ms | of floor |")
    print("|---|---:|---:|")
    for name, seconds in times.items():
        print(f"| {name} | {seconds * 1e3:.1f} | {floor / seconds:.2f} |")
    ratio = floor / times["sseproto, network reads"]
    verdict = "met" if ratio >= FLOOR_TARGET else "MISSED"
    print(f"\ntarget: network reads at >= {FLOOR_TARGET} of the floor: {ratio:.2f} ({verdict})\n")
    failed += ratio < FLOOR_TARGET

    print("Linearity: cost per KB of text or arguments, network reads")
    print("| stream | size | ms | us per KB | 1 MB / 64 KB |")
    print("|---|---:|---:|---:|---:|")
    for label, make, read in (
        ("text, 20-60 char chunks", text_stream, _text_of),
        ("streamed arguments, 10 char pieces", arguments_stream, _arguments_of),
    ):
        sized: dict[str, Callable[[], object]] = {}
        for size in SIZES:
            data, expected = make(size)
            size_reads = split_reads(data, "network")
            assert read(rebuild(size_reads)) == expected
            sized[str(size)] = partial(rebuild, size_reads)
        sized_times = interleaved(sized, repeats)
        per_kb = {size: sized_times[str(size)] / (size / 1000) for size in SIZES}
        growth = per_kb[SIZES[1]] / per_kb[SIZES[0]]
        for size in SIZES:
            cell = f"{growth:.2f}" if size == SIZES[1] else ""
            print(
                f"| {label} | {size // 1000} KB | {sized_times[str(size)] * 1e3:.1f} | "
                f"{per_kb[size] * 1e6:.1f} | {cell} |"
            )
        failed += growth > LINEARITY_TARGET
        verdict = "met" if growth <= LINEARITY_TARGET else "MISSED"
        print(f"\ntarget: {label}: at most {LINEARITY_TARGET}x: {growth:.2f} ({verdict})\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
