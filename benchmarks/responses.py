"""OpenAI Responses: bytes to the final Response, sseproto beside openai-python's own path, and the
cost per KB of a long function call at two sizes.

Usage: ``python benchmarks/responses.py [--repeats N]``

openai-python's path is what ``client.responses.stream(...)`` does with the bytes: its
``SSEDecoder`` over the reads, each payload built into a ``ResponseStreamEvent`` with
``construct_type`` (``Stream``'s path without strict response validation),
``ResponseStreamState.handle_event`` per event, then the completed response
(``get_final_response()``). sseproto's is ``ResponsesAccumulator`` fed the same reads, building no
update (as ``accumulate`` does), then ``result()``. The workloads are OpenAI's framing (``event:``
lines, ``sequence_number``, ``obfuscation`` pads, ``logprobs: []``), seeded; network-like reads of
1-16 KiB. Every path is checked to rebuild the workload's exact text or arguments before it is
timed; times are medians of interleaved repeats of CPU time (see ``timing.py``); openai-python's
1 MB call (about half a minute) runs once. Exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from typing import Any

from timing import interleaved
from workloads import split_reads

import sseproto

SEED = 20240611
RATIO_TARGET = 28.0  # openai-python's time / sseproto's, each workload
LINEARITY_TARGET = 1.2  # cost per KB at 1 MB / cost per KB at 100 KB
TEXT_DELTAS = 20_000
CALL_SIZES = (100_000, 1_000_000)
WORDS = ["stream", "delta", "token", "Responses", "réponse", "데이터", "—", "item", "model", "の"]
ITEM_ID = "msg_0c3b09d20eedf2d30068f966bad8b88190af96d232f504ef1f"
CALL_ID = "fc_0c3b09d20eedf2d30068f966bafd288190a9045fdc554de6d5"

Rebuild = Callable[[list[bytes]], str]


class _Stream:
    """A Responses stream being written: ``event:`` + ``data:`` blocks, numbered events."""

    def __init__(self) -> None:
        self.blocks: list[bytes] = []
        self.response: dict[str, Any] = {
            "id": "resp_0c3b09d20eedf2d30068f966ba5c508190b5e9a9e1e2f1f1f1",
            "object": "response",
            "created_at": 1761240762,
            "status": "in_progress",
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "model": "gpt-4o-2024-08-06",
            "output": [],
            "parallel_tool_calls": True,
            "temperature": 1.0,
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "usage": None,
            "metadata": {},
        }
        self.send({"type": "response.created", "response": self.response})
        self.send({"type": "response.in_progress", "response": self.response})

    def send(self, payload: dict[str, Any]) -> None:
        payload = {**payload, "sequence_number": len(self.blocks)}
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        self.blocks.append(f"event: {payload['type']}\ndata: {text}\n\n".encode())

    def complete(self, item: dict[str, Any]) -> bytes:
        self.send({"type": "response.output_item.done", "output_index": 0, "item": item})
        usage = {
            "input_tokens": 12,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": len(self.blocks),
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 12 + len(self.blocks),
        }
        final = {**self.response, "status": "completed", "output": [item], "usage": usage}
        self.send({"type": "response.completed", "response": final})
        return b"".join(self.blocks)


def text_stream(deltas: int = TEXT_DELTAS, *, seed: int = SEED) -> tuple[bytes, str]:
    """One message whose text arrives in ``deltas`` deltas of one or two words."""
    rng = random.Random(seed)
    stream = _Stream()
    opening = {
        "id": ITEM_ID,
        "type": "message",
        "status": "in_progress",
        "content": [],
        "role": "assistant",
    }
    stream.send({"type": "response.output_item.added", "output_index": 0, "item": opening})
    where = {"item_id": ITEM_ID, "output_index": 0, "content_index": 0}
    empty = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    stream.send({"type": "response.content_part.added", **where, "part": empty})
    pieces = [
        " " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 2))) for _ in range(deltas)
    ]
    for piece in pieces:
        pad = "".join(rng.choice("abcdefXYZ0123") for _ in range(rng.randint(2, 14)))
        stream.send(
            {
                "type": "response.output_text.delta",
                **where,
                "delta": piece,
                "logprobs": [],
                "obfuscation": pad,
            }
        )
    text = "".join(pieces)
    stream.send({"type": "response.output_text.done", **where, "text": text, "logprobs": []})
    part = {**empty, "text": text}
    stream.send({"type": "response.content_part.done", **where, "part": part})
    item = {**opening, "status": "completed", "content": [part]}
    return stream.complete(item), text


def call_stream(size: int, *, seed: int = SEED) -> tuple[bytes, str]:
    """One function call whose arguments (a JSON object of about ``size`` characters) arrive in
    10-character deltas."""
    rng = random.Random(seed)
    stream = _Stream()
    opening = {
        "id": CALL_ID,
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": "call_sKC7OABqf2A2PTLCm0CLeRWV",
        "name": "write_file",
    }
    stream.send({"type": "response.output_item.added", "output_index": 0, "item": opening})
    content = " ".join(rng.choice(WORDS) for _ in range(size // 6))[: size - 40]
    arguments = json.dumps({"path": "notes/draft.md", "content": content}, ensure_ascii=False)
    where = {"item_id": CALL_ID, "output_index": 0}
    for start in range(0, len(arguments), 10):
        pad = "".join(rng.choice("abcdefXYZ0123") for _ in range(rng.randint(2, 14)))
        stream.send(
            {
                "type": "response.function_call_arguments.delta",
                **where,
                "delta": arguments[start : start + 10],
                "obfuscation": pad,
            }
        )
    stream.send({"type": "response.function_call_arguments.done", **where, "arguments": arguments})
    return stream.complete({**opening, "status": "completed", "arguments": arguments}), arguments


def sseproto_text(reads: list[bytes]) -> str:
    return _sseproto(reads).text or ""


def sseproto_arguments(reads: list[bytes]) -> str:
    return _sseproto(reads).tool_calls[0].arguments


def _sseproto(reads: list[bytes]) -> sseproto.Response:
    accumulator = sseproto.ResponsesAccumulator()
    for data in reads:
        # No one reads the updates: build none, as accumulate() does.
        accumulator._feed_into(data, None)
    return accumulator.result()


def openai_paths() -> tuple[Rebuild, Rebuild] | None:
    """openai-python's path, returning the text and the arguments; None without openai."""
    try:
        from openai._models import construct_type
        from openai._streaming import SSEDecoder
        from openai._types import omit
        from openai.lib.streaming.responses._responses import ResponseStreamState
        from openai.types.responses import ResponseStreamEvent
    except ImportError:
        return None

    def final(reads: list[bytes]) -> Any:
        state: Any = ResponseStreamState(input_tools=omit, text_format=omit)
        for sse in SSEDecoder().iter_bytes(iter(reads)):
            if sse.data.startswith("[DONE]"):
                break
            state.handle_event(construct_type(type_=ResponseStreamEvent, value=sse.json()))
        if state._completed_response is None:
            raise RuntimeError("Didn't receive a `response.completed` event.")
        return state._completed_response

    def text(reads: list[bytes]) -> str:
        output: str = final(reads).output_text
        return output

    def arguments(reads: list[bytes]) -> str:
        output: str = final(reads).output[0].arguments
        return output

    return text, arguments


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    peers = openai_paths()
    if peers is None:
        print("openai-python is not installed (pip install -e '.[bench]')")
        return 1
    openai_text, openai_arguments = peers

    text_data, text = text_stream()
    text_reads = split_reads(text_data, "network")
    calls = {size: call_stream(size) for size in CALL_SIZES}
    call_reads = {size: split_reads(data, "network") for size, (data, _) in calls.items()}

    # Every path rebuilds the exact text and arguments before anything is timed.
    assert sseproto_text(text_reads) == text
    assert openai_text(text_reads) == text
    for size, (_, arguments) in calls.items():
        assert sseproto_arguments(call_reads[size]) == arguments
    assert openai_arguments(call_reads[CALL_SIZES[0]]) == calls[CALL_SIZES[0]][1]

    cases: dict[str, Callable[[], object]] = {
        "sseproto text": lambda: sseproto_text(text_reads),
        "openai text": lambda: openai_text(text_reads),
    }
    for size in CALL_SIZES:
        cases[f"sseproto call {size}"] = lambda size=size: sseproto_arguments(call_reads[size])
        cases[f"openai call {size}"] = lambda size=size: openai_arguments(call_reads[size])
    limits = {
        "openai text": 3,
        f"openai call {CALL_SIZES[0]}": 3,
        f"openai call {CALL_SIZES[1]}": 1,
    }
    times = interleaved(cases, args.repeats, limits=limits)

    print(
        f"Workloads: text, {TEXT_DELTAS:,} deltas ({len(text_data) / 1e6:.1f} MB); "
        + "; ".join(
            f"a function call of {size // 1000:,} KB in 10-character deltas "
            f"({len(calls[size][0]) / 1e6:.1f} MB)"
            for size in CALL_SIZES
        )
        + ". Network reads (1-16 KiB).\n"
    )
    print("| workload | sseproto ms | openai-python ms | vs openai-python |")
    print("|---|---:|---:|---:|")
    ratios: dict[str, float] = {}
    for name in ["text", *(f"call {size}" for size in CALL_SIZES)]:
        ours, theirs = times[f"sseproto {name}"], times[f"openai {name}"]
        ratios[name] = theirs / ours
        label = name if name == "text" else f"function call, {int(name.split()[1]) // 1000:,} KB"
        print(f"| {label} | {ours * 1e3:.1f} | {theirs * 1e3:.0f} | {ratios[name]:.1f}x |")
    per_kb = {size: times[f"sseproto call {size}"] / (size / 1000) for size in CALL_SIZES}
    linearity = per_kb[CALL_SIZES[1]] / per_kb[CALL_SIZES[0]]
    print()
    print(
        f"sseproto per KB of arguments: {per_kb[CALL_SIZES[0]] * 1e6:.0f} us at 100 KB, "
        f"{per_kb[CALL_SIZES[1]] * 1e6:.0f} us at 1 MB"
    )
    checks = [
        (
            f"text vs openai-python >= {RATIO_TARGET}",
            ratios["text"],
            ratios["text"] >= RATIO_TARGET,
        ),
        *(
            (
                f"function call {size // 1000:,} KB vs openai-python >= {RATIO_TARGET}",
                ratios[f"call {size}"],
                ratios[f"call {size}"] >= RATIO_TARGET,
            )
            for size in CALL_SIZES
        ),
        (
            f"cost per KB at 1 MB / at 100 KB <= {LINEARITY_TARGET}",
            linearity,
            linearity <= LINEARITY_TARGET,
        ),
    ]
    print("\n| target | measured | met |\n|---|---:|---:|")
    for label, value, met in checks:
        print(f"| {label} | {value:.2f} | {'yes' if met else '**no**'} |")
    return 0 if all(met for _, _, met in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
