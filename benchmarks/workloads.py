"""Seeded benchmark workloads: the streams, their ground truth, and how they are split into reads.

Every workload is generated from a fixed seed, so every run (and every machine) measures exactly the
same bytes. Each names the hot path it exercises:

- ``chat``: an OpenAI-style ``chat.completion.chunk`` stream (20,000 content deltas, about 8% of
  them multi-byte text), then a finish chunk, a usage-only chunk and ``[DONE]``: data-only
  events, LF line ends.
- ``chat-crlf``: the same stream with CRLF line ends (the CR handling of the fast path).
- ``tool-calls``: four parallel tool calls whose arguments arrive in 1-12 character deltas (the
  tool fan-out shape: the event data is JSON full of escaped quotes).
- ``multiline``: 20 KB events of many ``data:`` lines with ``event:`` and ``id:`` fields, and a
  keep-alive comment block between events (the general, line-by-line path).
- ``anthropic``: an Anthropic Messages stream (``event:`` + ``data:`` blocks): a thinking block of
  2,000 deltas and its signature, then a text block of 18,000 deltas, with a ``ping`` every 1,000
  deltas and every data line padded with 1-15 spaces before its final brace, as the live API
  pads them (the typed-event path).
- ``responses``: an OpenAI Responses stream (``event:`` + ``data:`` blocks): the full response
  object in ``response.created`` and ``response.in_progress``, 20,000
  ``response.output_text.delta`` events with ``sequence_number``, ``logprobs`` and
  ``obfuscation`` as the live API sends them, then the done events and ``response.completed``.
- ``huge-line``: one event of a single 5 MB line, read 1 KiB at a time (linear buffering: a
  decoder that re-copies its growing buffer on every read goes quadratic here).

Reads: ``network`` (1-16 KiB, what a socket hands over), ``whole`` (the whole body as one read, as
``iter_events(response.content)`` gets it), ``tiny`` (1-64 B, a proxy that flushes per token) and
``bytes`` (one byte per read, on a prefix of the stream so the run stays short).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = [
    "SINGLE_BYTE_PREFIX",
    "SPLITS",
    "Workload",
    "anthropic_stream",
    "chat_stream",
    "decoder_workloads",
    "fixed_reads",
    "huge_line_stream",
    "multiline_stream",
    "named",
    "named_reads",
    "read_sizes",
    "responses_stream",
    "split_reads",
    "stream_of_size",
    "tool_arguments_stream",
    "tool_call_stream",
    "with_crlf",
]

SEED = 20240611
# Where the split kinds draw their read sizes from (inclusive bounds).
_READ_SIZES = {"network": (1024, 16 * 1024), "tiny": (1, 64), "bytes": (1, 1)}
SPLITS = ("network", "whole", "tiny", "bytes")
# Single-byte reads cost one call per byte in every decoder: they run on this much of the stream.
SINGLE_BYTE_PREFIX = 64 * 1024

_MODEL = "gpt-4o-2024-08-06"
_PROSE = (
    "the stream of tokens arrives as small deltas and every client must rebuild the message "
    "from them while it prints each piece as soon as it lands on the screen so that the user "
    "sees the answer grow word by word instead of waiting for the whole response to finish"
)
_WORDS = tuple(_PROSE.split())
# Multi-byte pieces, some of them cut mid-word as real tokenisers do.
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MULTIBYTE = ("é", " café", " naïve", "ü", " 東京", "の", "天気", " 😀", "—", " Ωμέγα", " ß", "ç")


@dataclass(frozen=True)
class Workload:
    """One benchmark stream and what decoding or accumulating it must give.

    Attributes:
        name: the name used in tables and test ids.
        data: the stream's bytes.
        events: how many events it dispatches (keep-alive comment blocks dispatch nothing).
        content: the assistant text the chunks add up to ("" for non-chat streams).
        tool_arguments: the final arguments of each tool call, by tool index.
    """

    name: str
    data: bytes
    events: int
    content: str = ""
    tool_arguments: tuple[str, ...] = ()


def _dumps(payload: dict[str, Any]) -> str:
    # As OpenAI sends them: compact separators, non-ASCII text as raw UTF-8.
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class _ChunkWriter:
    """Renders chunks of one completion as SSE ``data:`` events."""

    def __init__(self, rng: random.Random, *, padded: bool = True, logprobs: bool = False) -> None:
        self._rng = rng
        self._padded = padded
        self._logprobs = logprobs
        self.id = "chatcmpl-" + "".join(
            rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij0123", k=29)
        )
        self.parts: list[str] = []

    def chunk(self, choices: list[dict[str, Any]], *, usage: dict[str, int] | None = None) -> None:
        payload: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": 1727346182,
            "model": _MODEL,
            "system_fingerprint": "fp_143bb8492c",
            "choices": choices,
            "usage": usage,
        }
        if not self._padded and usage is None:
            # As OpenAI streamed before it sent "usage": null and padding on every chunk.
            del payload["usage"]
        elif choices:
            # OpenAI pads every delta with a random-length "obfuscation" field.
            payload["obfuscation"] = "".join(
                self._rng.choices("abcdefXYZ0123", k=self._rng.randint(1, 12))
            )
        self.parts.append("data: " + _dumps(payload) + "\n\n")

    def delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> None:
        logprobs = None
        if self._logprobs and "content" in delta:
            token = delta["content"]
            entry = {"token": token, "logprob": -0.25, "bytes": list(token.encode())}
            logprobs = {"content": [{**entry, "top_logprobs": []}], "refusal": None}
        choice = {"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish_reason}
        self.chunk([choice])

    def finish(self, reason: str, completion_tokens: int) -> str:
        self.delta({}, reason)
        usage = {"prompt_tokens": 57, "completion_tokens": completion_tokens}
        usage["total_tokens"] = usage["prompt_tokens"] + completion_tokens
        self.chunk([], usage=usage)
        self.parts.append("data: [DONE]\n\n")
        return "".join(self.parts)


def chat_stream(
    chunks: int = 20_000, *, seed: int = SEED, padded: bool = True, logprobs: bool = False
) -> Workload:
    """A text completion of ``chunks`` content deltas (plus role, finish and usage chunks).

    ``padded``: every chunk carries ``"usage": null`` and an ``obfuscation`` pad, as OpenAI sends
    them today (named ``chat``); without, as gpt-4o streamed before (``chat-plain``).
    ``logprobs``: every content delta carries its token's logprobs (``chat-logprobs``).
    """
    rng = random.Random(seed)
    writer = _ChunkWriter(rng, padded=padded, logprobs=logprobs)
    writer.delta({"role": "assistant", "content": "", "refusal": None})
    pieces: list[str] = []
    for _ in range(chunks):
        piece = rng.choice(_MULTIBYTE) if rng.random() < 0.08 else " " + rng.choice(_WORDS)
        pieces.append(piece)
        writer.delta({"content": piece})
    text = writer.finish("stop", chunks)
    name = "chat-logprobs" if logprobs else "chat" if padded else "chat-plain"
    return Workload(name, text.encode(), chunks + 4, content="".join(pieces))


def _arguments_json(rng: random.Random, size: int) -> str:
    """A JSON object of roughly ``size`` characters, shaped like real tool arguments."""
    rows: list[dict[str, Any]] = []
    length = 2
    while length < size:
        row: dict[str, Any] = {
            "city": rng.choice(("Paris", "New York", "東京", "São Paulo", "Zürich")),
            "query": " ".join(rng.choices(_WORDS, k=rng.randint(2, 8))),
            "limit": rng.randint(1, 500),
            "strict": rng.random() < 0.5,
        }
        rows.append(row)
        length += len(_dumps(row)) + 1
    return _dumps({"requests": rows})


def _tool_call_writer(
    rng: random.Random, arguments: list[str], piece_sizes: tuple[int, int]
) -> _ChunkWriter:
    """Stream ``arguments`` as parallel tool calls, one after another as OpenAI sends them."""
    writer = _ChunkWriter(rng)
    writer.delta({"role": "assistant", "content": None, "refusal": None})
    low, high = piece_sizes
    for index, args in enumerate(arguments):
        call_id = "call_" + "".join(rng.choices("abcdefghijkLMNOPQRS0123456789", k=24))
        start = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": f"lookup_{index}", "arguments": ""},
        }
        writer.delta({"tool_calls": [start]})
        position = 0
        while position < len(args):
            step = rng.randint(low, high)
            piece = args[position : position + step]
            position += step
            writer.delta({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    return writer


def tool_call_stream(calls: int = 4, *, arguments_size: int = 30_000, seed: int = SEED) -> Workload:
    """``calls`` tool calls of about ``arguments_size`` characters each, in 1-12 char deltas."""
    rng = random.Random(seed + 1)
    arguments = [_arguments_json(rng, arguments_size) for _ in range(calls)]
    writer = _tool_call_writer(rng, arguments, (1, 12))
    deltas = len(writer.parts)
    text = writer.finish("tool_calls", deltas)
    return Workload("tool-calls", text.encode(), deltas + 3, tool_arguments=tuple(arguments))


def tool_arguments_stream(size: int, *, delta: int = 10, seed: int = SEED) -> Workload:
    """One tool call of about ``size`` characters of arguments, in ``delta``-character pieces."""
    rng = random.Random(seed + 2)
    arguments = _arguments_json(rng, size)
    writer = _tool_call_writer(rng, [arguments], (delta, delta))
    deltas = len(writer.parts)
    text = writer.finish("tool_calls", deltas)
    return Workload(f"tool-args-{size}", text.encode(), deltas + 3, tool_arguments=(arguments,))


def multiline_stream(events: int = 300, *, event_size: int = 20_000, seed: int = SEED) -> Workload:
    """``events`` events of about ``event_size`` bytes in many ``data:`` lines, with keep-alives."""
    rng = random.Random(seed + 3)
    parts: list[str] = []
    for number in range(events):
        lines = [f"event: {rng.choice(('update', 'delta', 'status'))}", f"id: evt-{number}"]
        size = 0
        while size < event_size:
            words = rng.choices(_WORDS + _MULTIBYTE, k=rng.randint(4, 40))
            line = "data: " + " ".join(words)
            lines.append(line)
            size += len(line.encode()) + 1
        parts.append("\n".join(lines) + "\n\n")
        if number % 3 == 0:
            parts.append(": keep-alive\n\n")
    return Workload("multiline", "".join(parts).encode(), events)


def _text_pieces(rng: random.Random, count: int) -> list[str]:
    """``count`` text deltas, about 8% of them multi-byte, as the chat workload draws them."""
    return [
        rng.choice(_MULTIBYTE) if rng.random() < 0.08 else " " + rng.choice(_WORDS)
        for _ in range(count)
    ]


def anthropic_stream(deltas: int = 20_000, *, seed: int = SEED) -> Workload:
    """An Anthropic Messages stream: thinking then text, pings, padded data lines."""
    rng = random.Random(seed + 5)
    parts: list[str] = []

    def send(payload: dict[str, Any]) -> None:
        # The live API pads the JSON with spaces before its final brace.
        body = _dumps(payload)
        padded = body[:-1] + " " * rng.randint(1, 15) + "}"
        parts.append(f"event: {payload['type']}\ndata: {padded}\n\n")

    def ping() -> None:
        parts.append('event: ping\ndata: {"type": "ping"}\n\n')

    message_id = "msg_01" + "".join(rng.choices(_LETTERS, k=22))
    send(
        {
            "type": "message_start",
            "message": {
                "model": "claude-sonnet-4-20250514",
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 43,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": 4,
                    "service_tier": "standard",
                },
            },
        }
    )
    thinking_count = deltas // 10
    blocks = (("thinking", thinking_count), ("text", deltas - thinking_count))
    text = ""
    sent = 0
    for index, (kind, count) in enumerate(blocks):
        start: dict[str, Any] = {"type": kind, kind: ""}
        if kind == "thinking":
            start["signature"] = ""
        send({"type": "content_block_start", "index": index, "content_block": start})
        if index == 0:
            ping()
        pieces = _text_pieces(rng, count)
        for piece in pieces:
            send(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": f"{kind}_delta", kind: piece},
                }
            )
            sent += 1
            if sent % 1000 == 0:
                ping()
        if kind == "thinking":
            signature = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/", k=344))
            send(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "signature_delta", "signature": signature},
                }
            )
        else:
            text = "".join(pieces)
        send({"type": "content_block_stop", "index": index})
    send(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": deltas},
        }
    )
    send({"type": "message_stop"})
    return Workload("anthropic", "".join(parts).encode(), len(parts), content=text)


def responses_stream(deltas: int = 20_000, *, seed: int = SEED) -> Workload:
    """An OpenAI Responses stream of one message whose text arrives in ``deltas`` events."""
    rng = random.Random(seed + 6)
    hexdigits = "0123456789abcdef"
    response_id = "resp_" + "".join(rng.choices(hexdigits, k=48))
    item_id = "msg_" + "".join(rng.choices(hexdigits, k=48))
    parts: list[str] = []

    def send(payload: dict[str, Any]) -> None:
        payload = {"type": payload["type"], "sequence_number": len(parts), **payload}
        parts.append(f"event: {payload['type']}\ndata: {_dumps(payload)}\n\n")

    def response(status: str, output: list[Any], usage: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "id": response_id,
            "object": "response",
            "created_at": 1757686054,
            "status": status,
            "background": False,
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "max_output_tokens": None,
            "model": "gpt-5-mini-2025-08-07",
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": "minimal", "summary": None},
            "store": True,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": {},
        }

    send({"type": "response.created", "response": response("in_progress", [], None)})
    send({"type": "response.in_progress", "response": response("in_progress", [], None)})
    item: dict[str, Any] = {
        "id": item_id,
        "type": "message",
        "status": "in_progress",
        "content": [],
        "role": "assistant",
    }
    send({"type": "response.output_item.added", "output_index": 0, "item": item})
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    empty = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    send({"type": "response.content_part.added", **where, "part": empty})
    pieces = _text_pieces(rng, deltas)
    for piece in pieces:
        obfuscation = "".join(rng.choices(_LETTERS, k=rng.randint(2, 15)))
        send(
            {
                "type": "response.output_text.delta",
                **where,
                "delta": piece,
                "logprobs": [],
                "obfuscation": obfuscation,
            }
        )
    text = "".join(pieces)
    send({"type": "response.output_text.done", **where, "text": text, "logprobs": []})
    part = {**empty, "text": text}
    send({"type": "response.content_part.done", **where, "part": part})
    done = {**item, "status": "completed", "content": [part]}
    send({"type": "response.output_item.done", "output_index": 0, "item": done})
    usage = {
        "input_tokens": 12,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": deltas,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 12 + deltas,
    }
    send({"type": "response.completed", "response": response("completed", [done], usage)})
    return Workload("responses", "".join(parts).encode(), len(parts), content=text)


def huge_line_stream(size: int = 5_000_000, *, seed: int = SEED) -> Workload:
    """One event whose single ``data:`` line is ``size`` bytes (a base64 image, a large result)."""
    rng = random.Random(seed + 4)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    line = "".join(rng.choices(alphabet, k=size))
    return Workload("huge-line", f"data: {line}\n\n".encode(), 1)


def fixed_reads(data: bytes, size: int) -> list[bytes]:
    """``data`` cut into reads of exactly ``size`` bytes (the last one shorter)."""
    return [data[position : position + size] for position in range(0, len(data), size)]


def with_crlf(workload: Workload) -> Workload:
    """The same stream with CRLF line ends."""
    return Workload(
        workload.name + "-crlf",
        workload.data.replace(b"\n", b"\r\n"),
        workload.events,
        workload.content,
        workload.tool_arguments,
    )


def decoder_workloads() -> list[Workload]:
    """The decoder benchmark's streams, in table order."""
    chat = chat_stream()
    return [
        chat,
        tool_call_stream(),
        multiline_stream(),
        with_crlf(chat),
        anthropic_stream(),
        responses_stream(),
    ]


@cache
def named(name: str) -> Workload:
    """A decoder workload by name, generated once per process."""
    return {item.name: item for item in decoder_workloads()}[name]


@cache
def named_reads(name: str, split: str) -> list[bytes]:
    """The reads of a decoder workload by name, split once per process."""
    return split_reads(named(name).data, split)


def read_sizes(split: str, total: int, *, seed: int = SEED) -> list[int]:
    """Seeded read sizes of kind ``split`` covering ``total`` bytes."""
    low, high = _READ_SIZES[split]
    rng = random.Random(seed + 7)
    sizes: list[int] = []
    remaining = total
    while remaining > 0:
        size = min(rng.randint(low, high), remaining)
        sizes.append(size)
        remaining -= size
    return sizes


def _prefix(data: bytes, size: int) -> bytes:
    """The stream cut just after the last blank line within its first ``size`` bytes."""
    if len(data) <= size:
        return data
    head = data[:size]
    end = max(head.rfind(b"\n\n") + 2, head.rfind(b"\r\n\r\n") + 4)
    return head[:end]


def split_reads(data: bytes, split: str, *, seed: int = SEED) -> list[bytes]:
    """``data`` split into reads of kind ``split`` (single bytes run on a prefix only)."""
    if split == "whole":
        return [data]
    if split == "bytes":
        data = _prefix(data, SINGLE_BYTE_PREFIX)
    reads: list[bytes] = []
    position = 0
    for size in read_sizes(split, len(data), seed=seed):
        reads.append(data[position : position + size])
        position += size
    return reads


def stream_of_size(workload: Workload, total: int, *, seed: int = SEED) -> Iterator[bytes]:
    """Network-like reads of ``total`` bytes of ``workload`` repeated (without holding it all).

    The body is repeated without its ``[DONE]`` event, so it stays one well-formed stream. It is
    prepared here, before the first read is asked for, so a memory trace of the consumer does not
    count it.
    """
    body = workload.data.removesuffix(b"data: [DONE]\n\n")
    return _repeat_reads(body, read_sizes("network", total, seed=seed))


def _repeat_reads(body: bytes, sizes: list[int]) -> Iterator[bytes]:
    """Reads of the given sizes cut from ``body`` repeated endlessly."""
    position = 0
    pending = b""
    for size in sizes:
        while len(pending) < size:
            piece = body[position : position + size]
            pending += piece
            position = (position + len(piece)) % len(body)
        read, pending = pending[:size], pending[size:]
        yield read
