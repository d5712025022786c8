"""Recognising what a stream is: which dialect an event belongs to, and what arrived instead when a
stream is not the one expected.

The rules are those of the dialects' own payloads, never the SSE event name (OpenRouter sends
Responses events with no ``event:`` line):

1. ``type`` is one of Anthropic's event types: Anthropic Messages. ``type`` starts with
   ``response.``: OpenAI Responses. ``type`` is ``error``: Responses if the object has a
   ``sequence_number``, else Anthropic. Any other ``type`` (a keep-alive): no decision yet.
2. No ``type``: ``object`` is ``chat.completion.chunk`` or a ``choices`` key exists: chat (Azure's
   first chunk has ``object: ""``, ``choices: []``). ``candidates``, ``usageMetadata`` or
   ``promptFeedback`` and no ``object``: Gemini. An ``error`` key alone: a provider error, in any
   dialect.

Two shapes that look like chat are recognised as what they are, so that they are refused by
name instead of read as an empty completion: a non-streaming ``chat.completion`` object (its
choices carry ``message``, not ``delta``), and the updates sseproto's relay server writes
(``{"choice": 0, "text": ...}``).

A body in which no event at all was decoded is described from its first bytes: a JSON error
object is the provider's error (so is a JSON array holding one error object: Gemini's answer to a
request without ``?alt=sse``), a stream of only comments (keep-alives), blank lines or blocks
without a data line ended with no event, one that otherwise starts like an event stream was cut
inside its first event, anything else is not an event stream.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, Literal

from ...wire.errors import StreamError
from .errors import IncompleteStreamError, ProviderError, UnexpectedStreamError
from .result import Dialect

__all__ = [
    "DIALECTS",
    "DIALECT_TITLES",
    "HEAD_SIZE",
    "Recognition",
    "describe",
    "no_event_error",
    "recognise",
]

Recognition = Literal[
    "chat", "anthropic", "responses", "gemini", "error", "keepalive", "chat.completion", "relay"
]
"""What one payload is: a dialect's event, a provider error (any dialect), a keep-alive that
decides nothing, a non-streaming chat completion, or a relay update."""

DIALECTS: Final[Mapping[str, Dialect]] = {
    "chat": "chat",
    "anthropic": "anthropic",
    "responses": "responses",
    "gemini": "gemini",
}
"""The recognitions that are dialects, as dialects."""

DIALECT_TITLES: Final[Mapping[Dialect, str]] = {
    "chat": "an OpenAI chat stream",
    "anthropic": "an Anthropic Messages stream",
    "responses": "an OpenAI Responses stream",
    "gemini": "a Gemini stream",
}
"""Each dialect's name in words, for messages."""

# How much of a body is kept while no event has arrived: enough for any JSON error object an API
# sends, bounded so that a multi-megabyte download that is no stream is not held whole.
HEAD_SIZE: Final = 4096

_ANTHROPIC_TYPES = frozenset(
    {
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    }
)
_GEMINI_KEYS = ("candidates", "usageMetadata", "promptFeedback")
# The field lines an event stream starts with (after blank lines), comments included.
_FIELD_STARTS = (b":", b"data", b"event", b"id", b"retry")
# The fields of a block that dispatch no event without a data line.
_DATALESS_FIELDS = (b"event", b"id", b"retry")
# How much of a body a message quotes.
_QUOTED = 80


def recognise(payload: Any) -> Recognition | None:
    """What the parsed payload of one data event is; None if it is nothing any dialect sends."""
    if type(payload) is not dict:
        return None
    if "type" in payload:
        kind = payload["type"]
        if type(kind) is not str:
            return "keepalive"
        if kind in _ANTHROPIC_TYPES:
            return "anthropic"
        if kind.startswith("response."):
            return "responses"
        if kind == "error":
            return "responses" if "sequence_number" in payload else "anthropic"
        return "keepalive"
    if payload.get("object") == "chat.completion.chunk" or "choices" in payload:
        choices = payload.get("choices")
        if type(choices) is list and choices and _is_whole_message(choices[0]):
            return "chat.completion"
        return "chat"
    if "object" not in payload and any(key in payload for key in _GEMINI_KEYS):
        return "gemini"
    if "choice" in payload:
        return "relay"
    if "error" in payload:
        return "error"
    return None


def _is_whole_message(choice: object) -> bool:
    return type(choice) is dict and "message" in choice and "delta" not in choice


def describe(payload: Any) -> str:
    """What the parsed payload of one data event is, in words (for error messages)."""
    recognised = recognise(payload)
    if recognised == "anthropic":
        return f"an Anthropic Messages event ({payload['type']})"
    if recognised == "responses":
        return f"an OpenAI Responses event ({payload['type']})"
    if recognised == "gemini":
        key = next(key for key in _GEMINI_KEYS if key in payload)
        return f"a Gemini response chunk (with {key})"
    if recognised == "chat":
        return "a chat chunk"
    if recognised == "chat.completion":
        return (
            "a non-streaming chat.completion object, not a chunk (was the request sent "
            "without stream: true?)"
        )
    if recognised == "relay":
        return (
            "an update as sseproto's relay server writes it (event: content, ...), which "
            "is read with iter_events"
        )
    if recognised == "error":
        return f"a provider error ({_short(payload['error'])})"
    if recognised == "keepalive":
        return f"an event of type {_short(payload['type'])}"
    if type(payload) is dict:
        keys = ", ".join(_short(key) for key in list(payload)[:5])
        return f"a JSON object with keys {keys}" if payload else "an empty JSON object"
    if type(payload) is list:
        return "a JSON array"
    return f"the JSON value {_short(payload)}"


def no_event_error(head: bytes, size: int) -> StreamError:
    """The error for a body of ``size`` bytes, starting with ``head``, in which no event arrived.

    A body that is one JSON object with ``error``, or a JSON array of one such object (Gemini
    without ``?alt=sse``), is a :class:`ProviderError` carrying it; a stream that carried no data
    line (only comments, blank lines, or ``id``/``retry``/``event`` fields) ended with no event,
    and one that otherwise starts like an event stream was cut inside its first event (both
    :class:`IncompleteStreamError`, saying which); anything else (JSON, HTML, text, binary,
    line ends stripped) is no event stream (:class:`UnexpectedStreamError`).
    """
    if size == 0:
        return IncompleteStreamError(
            "the stream ended before its first byte", offset=0, event_index=0
        )
    if size == len(head):
        error = _error_object(head)
        if error is not None:
            return ProviderError(error, offset=0, event_index=0)
    quoted = f"no event in {size} bytes; the body starts {_quote(head)}"
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    without_data = _without_data(start, whole=size == len(head))
    if without_data is not None:
        return IncompleteStreamError(
            f"the stream ended with no event in {size} bytes: {without_data}",
            offset=size,
            event_index=0,
        )
    if b"\n" not in head and b"\r" not in head and head.count(b"data:") > 1:
        hint = (
            "its line ends were stripped (requests' iter_lines() does that: read the body "
            "with iter_content(chunk_size=None) or iter_bytes())"
        )
    elif start.startswith(_FIELD_STARTS) or (
        # Cut inside its first field name ("d", "dat").
        start and any(field.startswith(start) for field in _FIELD_STARTS)
    ):
        return IncompleteStreamError(
            f"the stream ended inside its first event: {quoted}", offset=size, event_index=0
        )
    elif start.lstrip().startswith(b"{"):
        hint = "it is JSON, not an event stream (was the request sent without stream: true?)"
    elif start.lstrip().startswith(b"["):
        hint = (
            "it is a JSON array, not an event stream (was the request sent without stream: "
            "true, or a Gemini request without ?alt=sse?)"
        )
    elif start.lstrip()[:1] == b"<":
        hint = "it is HTML or XML, not an event stream"
    elif head.startswith(b"\x1f\x8b"):
        hint = (
            "it is gzip-compressed (read the body decompressed: httpx's iter_bytes(), not "
            "iter_raw())"
        )
    else:
        hint = "it is not an event stream"
    return UnexpectedStreamError(f"{quoted}: {hint}", offset=0, event_index=0)


def _without_data(start: bytes, *, whole: bool) -> str | None:
    """What came, in words, when the body starting with ``start`` (its BOM and leading blank
    lines removed; the whole body when ``whole``) is a stream that carried no data line: only
    comments (the keep-alives a server sends while it waits), only blank lines, or blocks of
    fields that dispatch nothing (``id``, ``retry``, ``event``). None when it may hold data (a
    body cut inside a data line, or not an event stream at all).

    Spec: only a ``data`` field makes a block an event, so a stream of complete blocks with none
    ended between events, not inside one.
    """
    lines = [
        line for line in start.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n") if line
    ]
    if not lines:
        return "only blank lines came" if whole else None
    comments = [line for line in lines if line[:1] == b":"]
    if len(comments) == len(lines):
        first = _quote(comments[0])
        counted = f"{len(comments)} of them, the first {first}" if len(comments) > 1 else first
        what = f"the keep-alives a server sends while it waits ({counted})"
        if whole:
            return f"only comments came, {what}"
        return f"its first {len(start)} bytes are only comments, {what}"
    ended_between_blocks = start.endswith((b"\n\n", b"\r\r", b"\n\r", b"\n\r\n", b"\r\r\n"))
    if (
        whole
        and ended_between_blocks
        and all(line[:1] == b":" or line.partition(b":")[0] in _DATALESS_FIELDS for line in lines)
    ):
        return "only blocks without a data line came (comments and id, retry or event fields)"
    return None


def _error_object(body: bytes) -> object:
    """The ``error`` of a body that is one JSON object carrying one, or a JSON array of one such
    object, else None."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if type(payload) is list and len(payload) == 1:
        (payload,) = payload
    if type(payload) is dict and payload.get("error") is not None:
        return payload["error"]
    return None


def _quote(head: bytes) -> str:
    text = head[:_QUOTED].decode("utf-8", "replace")
    return repr(text) + ("..." if len(head) > _QUOTED else "")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _QUOTED else text[: _QUOTED - 3] + "..."
