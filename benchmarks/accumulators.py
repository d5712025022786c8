"""Bytes to final chat completion: sseproto, openai-python's own path, and two floors.

The ``json.loads`` floor (every payload parsed with ``json.loads``, nothing else) is the anchor
users understand: no accumulator built on ``json.loads`` can beat it. The scanner floor calls the
``json`` module's C scanner directly, as sseproto does, skipping the Python code ``json.loads``
wraps around it: the limit of any design that parses every payload.

Each adapter takes the reads of a stream and returns ``(content, tool arguments)`` of the rebuilt
completion, so one check proves every path rebuilt the same message before any of them is timed.

The chat and Responses engines read most deltas with verified templates; :func:`engine` runs one
with them or without them (every event parsed), on the seeded workloads and on the real
recordings.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import sseproto
from sseproto import ChatAccumulator, ResponsesAccumulator, StreamError
from sseproto.dialects.kit.drive import run

__all__ = [
    "Accumulate",
    "accumulators",
    "engine",
    "json_floor",
    "payloads",
    "real_chat_recordings",
    "real_responses_recordings",
    "scanner_floor",
]

# The real recorded streams, beside the repository (absent from a plain clone).
REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "real"

# (content, arguments of each tool call by index)
Result = tuple[str, tuple[str, ...]]
Accumulate = Callable[[list[bytes]], Result]


def _message_of(completion: Any) -> Result:
    """Content and tool arguments of choice 0 of an sseproto or openai completion."""
    message = completion.choices[0].message
    calls = message.tool_calls or []
    return message.content or "", tuple(call.function.arguments for call in calls)


def _sseproto(reads: list[bytes]) -> Result:
    """sseproto: ``accumulate`` over the reads."""
    return _message_of(sseproto.accumulate(reads))


def _openai() -> Accumulate | None:
    """openai-python: what ``client.chat.completions.stream(...)`` does with the bytes.

    Its ``SSEDecoder`` over the reads; each payload parsed and built into a ``ChatCompletionChunk``
    with ``construct_type`` (``Stream``'s path without strict response validation);
    ``ChatCompletionStreamState.handle_chunk`` per chunk (its events consumed); then
    ``get_final_completion``.
    """
    try:
        from openai._models import construct_type
        from openai._streaming import SSEDecoder
        from openai.lib.streaming.chat import ChatCompletionStreamState
        from openai.types.chat import ChatCompletionChunk
    except ImportError:
        return None

    def rebuild(reads: list[bytes]) -> Result:
        state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
        for sse in SSEDecoder().iter_bytes(iter(reads)):
            if sse.data.startswith("[DONE]"):
                break
            chunk = cast(
                ChatCompletionChunk, construct_type(type_=ChatCompletionChunk, value=sse.json())
            )
            for _ in state.handle_chunk(chunk):
                pass
        return _message_of(state.get_final_completion())

    return rebuild


def accumulators() -> dict[str, Accumulate]:
    """Every available path, sseproto first."""
    found: dict[str, Accumulate] = {"sseproto": _sseproto}
    openai = _openai()
    if openai is not None:
        found["openai"] = openai
    return found


def payloads(data: bytes) -> list[str]:
    """The JSON payload of every chunk event of a data-only stream, ``[DONE]`` left out."""
    blocks = data.replace(b"\r\n", b"\n").split(b"\n\n")
    texts = [block.decode("utf-8")[6:] for block in blocks if block.startswith(b"data: {")]
    return texts


def json_floor(texts: list[str]) -> int:
    """``json.loads`` of every payload and nothing else: the floor of a json-based accumulator."""
    loads = json.loads
    for text in texts:
        loads(text)
    return len(texts)


# An instance attribute JSONDecoder.__init__ sets (the C scanner); typeshed does not declare it.
_scan: Callable[[str, int], tuple[Any, int]] = vars(json.JSONDecoder())["scan_once"]


def scanner_floor(texts: list[str]) -> int:
    """The C scanner on every payload and nothing else: the floor of a JSON-parsing accumulator."""
    scan = _scan
    for text in texts:
        scan(text, 0)
    return len(texts)


class _WithoutTemplates(ChatAccumulator):
    """The chat engine with its templates turned off: every chunk takes the full path."""

    _TEMPLATES = False


class _ResponsesWithoutTemplates(ResponsesAccumulator):
    """The Responses engine with its templates turned off: every event takes the full path."""

    _TEMPLATES = False


def engine(*, templates: bool, dialect: str = "chat") -> Callable[[list[list[bytes]]], int]:
    """The chat (or Responses) engine run over each stream of a list (its reads), with or
    without templates; a stream that ends in a provider's error counts as read. Returns how many
    streams it read."""
    kind: type[ChatAccumulator | ResponsesAccumulator]
    if dialect == "chat":
        kind = ChatAccumulator if templates else _WithoutTemplates
    else:
        kind = ResponsesAccumulator if templates else _ResponsesWithoutTemplates

    def read_all(streams: list[list[bytes]]) -> int:
        for reads in streams:
            with contextlib.suppress(StreamError):
                run(kind(), iter(reads))
        return len(streams)

    return read_all


def real_chat_recordings() -> list[bytes]:
    """The bodies of the real recorded chat streams (OpenAI and compatible vendors); empty when
    the recordings are not beside the repository."""
    folders = (REAL / "openai-chat", REAL / "other-openai-compatible")
    return [path.read_bytes() for folder in folders for path in sorted(folder.rglob("*.sse"))]


def real_responses_recordings() -> list[bytes]:
    """The bodies of the real recorded Responses streams; empty when the recordings are not
    beside the repository."""
    return [path.read_bytes() for path in sorted((REAL / "openai-responses").rglob("*.sse"))]
