"""The Anthropic Messages engine: stream events in, typed updates and the rebuilt Message out.

Strategy. Two layers of state, kept apart, as in the chat engine:

1. The stream's lifecycle, the state machine every dialect shares (:class:`StreamState`, every
   legal move in :data:`_TRANSITIONS`; the skeleton in :class:`~..kit.engine.Engine`): events
   are accepted while ``STREAMING``; ``message_stop`` moves to ``DONE`` (later events are
   ignored, or rejected in strict mode); an error moves to ``FAILED`` for good; the end of
   input moves to ``CLOSED``.
2. What the message has received: its fields (the ``message_start`` object, updated by each
   ``message_delta``) and its content blocks, one :class:`BlockState` per ``index`` in a dict.

Every event is dispatched on its payload's ``type`` (never on the SSE event name); unknown event,
delta and block types are never fatal. The hot path (a ``content_block_delta`` of text) parses the
payload once with the ``json`` scanner and appends the text to its block's list of pieces. Strict
mode's consistency rules live in ``schema``; values of a wrong type are an
:class:`InvalidChunkError` naming their JSON path in every mode, so no input raises anything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from ...wire.events import ServerSentEvent
from ..kit.engine import Engine, Updates
from ..kit.errors import InvalidChunkError, ProviderError
from ..kit.payload import parse_json, scan_json
from ..kit.state import Input, StreamState, transitions
from ..kit.template import FastPath
from ..kit.updates import (
    ChatUpdate,
    ChoiceFinished,
    ContentDelta,
    HostedToolArgumentsDelta,
    HostedToolCallStarted,
    ReasoningDelta,
    StreamDone,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageUpdate,
)
from .blocks import BlockState
from .fast import plan
from .result import AnthropicMessage, string_field
from .schema import StrictChecker
from .updates import BlockDone, CitationAdded

__all__ = ["AnthropicAccumulator"]

_STREAMING = StreamState.STREAMING
_DONE = StreamState.DONE
# Complete only at message_stop.
_TRANSITIONS = transitions(complete_without_terminal=False)

# How many content blocks one message may have. Each costs the model at least one output token and
# the stream three events; the most cited answers seen have a few dozen. The bound keeps a hostile
# stream from making every snapshot rebuild millions of blocks.
MAX_BLOCKS = 16384

# Keys of a message_delta with a rule of their own (the rest are set on the message when not null).
_DELTA_EVENT_KEYS = frozenset({"type", "delta", "usage"})
# Delta keys set whenever carried, null included.
_NULLABLE_DELTA_KEYS = frozenset({"stop_reason", "stop_sequence", "stop_details"})
# Keys a message_delta may never overwrite: the engine rebuilds them.
_REBUILT_KEYS = frozenset({"content", "usage", "type"})


def _invalid(rule: str, path: str = "$") -> InvalidChunkError:
    return InvalidChunkError(rule, path=path)


def _index_of(payload: dict[str, Any]) -> int:
    index = payload.get("index")
    if type(index) is not int or index < 0:
        raise _invalid("index must be a non-negative integer", "$.index")
    return index


class AnthropicAccumulator(Engine[AnthropicMessage]):
    """Sans-I/O engine for one Anthropic Messages stream.

    Feed it the stream as raw bytes (:meth:`feed`), as decoded events (:meth:`feed_event`) or as
    parsed event payloads (:meth:`feed_chunk`); each call returns the :class:`ChatUpdate` objects
    the input produced: the common ones (text, thinking, tool calls, the calls the API runs,
    usage, the end) and Anthropic's own (:class:`CitationAdded`, :class:`BlockDone`).
    Call :meth:`close` at the end of the input, then :meth:`result` for the
    :class:`AnthropicMessage`. :meth:`snapshot` gives the message rebuilt so far at any time.

    The default mode reads any stream of the dialect, applying events out of order as they come.
    ``strict=True`` also enforces the grammar of the stream (``message_start`` first, block indexes
    in order, deltas that fit their block, blocks stopped before ``message_delta``, nothing after
    ``message_stop``, SSE event names equal to the payload's ``type``, tool input that parses).

    Errors (all :class:`StreamError`, each with ``offset``, ``event_index`` and ``partial``, the
    message rebuilt so far with open blocks finalised): :class:`InvalidChunkError` and
    :class:`ProviderError` (an ``error`` event; ``.error`` is its error object) are raised by the
    ``feed*`` call that meets them; :class:`IncompleteStreamError` by :meth:`close` when the input
    ended before ``message_stop``. Once an error is raised the accumulator is ``FAILED``: every
    later ``feed*``, :meth:`close` and :meth:`result` raises the same error again.

    Args:
        strict: enforce the stream's grammar instead of reading what arrives.
        max_event_size: the largest event :meth:`feed` buffers (see :class:`SSEDecoder`).
        partial_json: give the tool-call updates (and the answer's) their parsed value as
            they arrive (docs/partial-json.md); off by default, when it costs nothing.

    Raises:
        ValueError: if ``strict`` or ``partial_json`` is not a bool or ``max_event_size`` is
            not valid.
    """

    __slots__ = ("_blocks", "_checker", "_fast", "_fields", "_run", "_run_index", "_tool_calls")

    dialect = "anthropic"
    _TRANSITIONS = _TRANSITIONS
    # Whether deltas are read with verified templates when they can be (see ``fast``); the full
    # path alone when False, which the tests compare with.
    _TEMPLATES: ClassVar[bool] = True
    # A template is learned from this delta of a run of deltas of one block in a row (planned from
    # the one before), never sooner. Learning costs about three parses, and reading a short event
    # with a template saves a fraction of one: the live API's deltas come in runs of a handful,
    # often split by other events, where learning sooner made real streams slower (see the
    # performance page). Until then an event costs a comparison and a counter.
    _LEARN_AT: ClassVar[int] = 20

    def _begin(self) -> None:
        self._checker = StrictChecker() if self._strict else None
        # The template reading the deltas shaped like the last one, while nothing but such
        # deltas has come since (see ``fast``).
        self._fast = FastPath()
        # The block index of the run of deltas the full path has applied in a row (None after
        # any other event), and how many it holds (see ``_LEARN_AT``).
        self._run_index: Any = None
        self._run = 0
        # The message's keys but content: message_start's object, updated by message_delta.
        self._fields: dict[str, Any] = {}
        # A dict, not a list: a hostile index of 10**9 allocates nothing.
        self._blocks: dict[int, BlockState] = {}
        self._tool_calls = 0

    # -- the events -------------------------------------------------------------------------

    def _read(self, events: Iterator[ServerSentEvent], updates: Updates) -> None:
        payload_of = self._payload
        scan = scan_json
        checker = self._checker
        fast = self._fast
        learns = self._TEMPLATES and checker is None
        while True:
            # The commonest events of all, deltas shaped like the one before them, read by the
            # template in one go; the first other event comes back for the full path.
            event = fast.read(events, updates) if fast.template is not None else next(events, None)
            if event is None:
                break
            data_text = event.data
            try:
                payload, end = scan(data_text, 0)
            except (StopIteration, ValueError, RecursionError):
                end = -1
            # The live API pads data lines with spaces after the JSON.
            if end != len(data_text) and (end < 0 or not data_text[end:].isspace()):
                # Not JSON alone ([DONE], leading whitespace, malformed): decided exactly.
                self._event(event.event, data_text, updates)
                continue
            if checker is not None:
                checker.event_name(event.event, payload)
            payload_of(payload, updates)
            # Nothing is learned once the stream has ended: what follows its terminal event is
            # ignored, whatever it is (not even an object).
            if not learns or self._state is not _STREAMING:
                continue
            if event.event != "content_block_delta":
                self._run_index = None
            elif payload.get("index") != self._run_index:
                self._run_index = payload.get("index")
                self._run = 1
            else:
                self._run += 1
                if self._run >= self._LEARN_AT - 1 and fast.worth_learning():
                    fast.learn(event.event, data_text, payload, plan(payload, self._blocks))

    def _end(self, state: StreamState, updates: list[ChatUpdate]) -> None:
        """Complete only at ``message_stop`` (even a ``message_delta`` with a stop reason is
        not the end); :class:`StreamDone` came with it."""
        if not self._recognised:
            raise self._not_found()
        if state is not _DONE:
            raise self._cut("the stream ended before message_stop")
        self._move(Input.END_COMPLETE)

    def snapshot(self) -> AnthropicMessage:
        """The message rebuilt from everything received so far, open blocks finalised (a tool
        input that is not yet valid JSON is its raw text). Never raises."""
        fields = dict(self._fields)
        usage = fields.get("usage")
        if type(usage) is dict:
            # Merged in place by message_delta: the snapshot keeps its own.
            fields["usage"] = dict(usage)
        blocks = self._blocks
        return AnthropicMessage(
            fields=fields, content=tuple(blocks[index].build() for index in sorted(blocks))
        )

    def _parsed(self, payload: Any, updates: Updates) -> None:
        self._payload(payload, updates)

    def _event(self, name: str, data: str, updates: Updates) -> None:
        """One event from its SSE name and data text, off the hot path."""
        if data == "[DONE]":
            # Not part of the dialect; a gateway's marker never decides completeness.
            return
        if self._state is not _STREAMING:
            # Not parsed: what follows message_stop is ignored whatever it is, as it is when
            # it comes in a later read, which the readers never take.
            self._after_stop()
            return
        try:
            payload = parse_json(data)
        except InvalidChunkError:
            if name == "error":
                # An error event whose data is not JSON is still the provider's error.
                raise ProviderError(data) from None
            raise
        if self._checker is not None:
            self._checker.event_name(name, payload)
        self._payload(payload, updates)

    def _payload(self, payload: Any, updates: Updates) -> None:
        """Apply one event payload, dispatched on its ``type``."""
        # Whatever this event changes, the template's event may no longer be repeated as if it
        # came again at once.
        self._fast.drop()
        if self._state is not _STREAMING:
            self._after_stop()
            return
        if type(payload) is not dict:
            raise _invalid("an event must be a JSON object")
        if not self._recognised:
            self._recognise(payload)
        kind = payload.get("type")
        if kind == "content_block_delta":
            self._block_delta(payload, updates)
        elif kind == "ping":
            if self._checker is not None:
                self._checker.known_event(kind)
        elif kind == "content_block_start":
            self._block_start(payload, updates)
        elif kind == "content_block_stop":
            self._block_stop(payload, updates)
        elif kind == "message_delta":
            self._message_delta(payload, updates)
        elif kind == "message_start":
            self._message_start(payload, updates)
        elif kind == "message_stop":
            self._message_stop(updates)
        elif kind == "error" or (kind is None and "error" in payload):
            raise ProviderError(payload.get("error", payload))
        elif self._strict and not isinstance(kind, str):
            raise _invalid("an event must have a string type", "$.type")
        # Any other type is an event this version does not know: ignored, in every mode.

    def _after_stop(self) -> None:
        """An event after message_stop: refused in strict mode; else ignored, the message being
        complete and final."""
        if self._strict:
            raise _invalid("nothing may follow message_stop", "$.type")

    def _recognise(self, payload: dict[str, Any]) -> None:
        """Until an Anthropic event arrives, check what each payload is
        (:class:`DialectGuard`); anything not refused is read as before."""
        if self._guard.recognise(payload) in ("anthropic", "error"):
            self._recognised = True

    def _message_start(self, payload: dict[str, Any], updates: Updates) -> None:
        message = payload.get("message")
        if type(message) is not dict:
            raise _invalid("message must be an object", "$.message")
        usage = message.get("usage")
        if usage is not None and type(usage) is not dict:
            raise _invalid("usage must be an object or null", "$.message.usage")
        if self._checker is not None:
            self._checker.message_start()
        # Every key kept, content rebuilt from the blocks.
        self._fields = {key: value for key, value in message.items() if key != "content"}
        if usage is not None and updates is not None:
            updates.append(UsageUpdate(dict(usage)))

    def _block_start(self, payload: dict[str, Any], updates: Updates) -> None:
        index = _index_of(payload)
        fields = payload.get("content_block")
        if type(fields) is not dict:
            raise _invalid("content_block must be an object", "$.content_block")
        blocks = self._blocks
        if self._checker is not None:
            self._checker.block_start(index)
        if index not in blocks and len(blocks) >= MAX_BLOCKS:
            raise _invalid(f"a message has at most {MAX_BLOCKS} content blocks", "$.index")
        kind = fields.get("type")
        if kind == "tool_use":
            # The call's position among the message's tool calls, compact: 0, 1, ...
            block = BlockState(fields, self._tool_calls)
            self._tool_calls += 1
        else:
            block = BlockState(fields)
        blocks[index] = block
        if updates is None:
            return
        if block.pieces:
            # A start carrying text (none seen live) counts as its first delta.
            text = block.pieces[0]
            updates.append(ContentDelta(0, text) if kind == "text" else ReasoningDelta(0, text))
        call_id, name = string_field(fields, "id"), string_field(fields, "name")
        if kind == "tool_use":
            updates.append(ToolCallStarted(0, block.tool_index, call_id, name))
        elif block.tracks_input:
            server = string_field(fields, "server_name")
            updates.append(HostedToolCallStarted(0, index, block.type, call_id, name, server))
        citations = fields.get("citations")
        if type(citations) is list:
            updates.extend(CitationAdded(index, citation) for citation in citations)

    def _block_delta(self, payload: dict[str, Any], updates: Updates) -> None:
        """The hot path: one delta of one block."""
        index: Any = payload.get("index")
        block = self._blocks.get(index) if type(index) is int else None
        if block is None:
            index = _index_of(payload)
            if self._checker is not None:
                self._checker.missing_block(index)
            # Lenient: a delta for a block never started has nowhere to go.
            return
        delta = payload.get("delta")
        if type(delta) is not dict:
            raise _invalid("delta must be an object", "$.delta")
        kind = delta.get("type")
        if self._checker is not None:
            self._checker.block_delta(index, block, kind)
        if kind == "text_delta":
            text = delta.get("text")
            if type(text) is not str:
                raise _invalid("text must be a string", "$.delta.text")
            if block.text_key == "text":
                block.pieces.append(text)
                if text and updates is not None:
                    updates.append(ContentDelta(0, text))
        elif kind == "input_json_delta":
            text = delta.get("partial_json")
            if type(text) is not str:
                raise _invalid("partial_json must be a string", "$.delta.partial_json")
            if block.tracks_input:
                block.json.append(text)
                if text and updates is not None:
                    if block.tool_index >= 0:
                        updates.append(ToolCallArgumentsDelta(0, block.tool_index, text))
                    else:
                        # server_tool_use, mcp_tool_use: the API runs them, never a tool call.
                        updates.append(HostedToolArgumentsDelta(0, index, text))
        elif kind == "thinking_delta":
            text = delta.get("thinking")
            if type(text) is not str:
                raise _invalid("thinking must be a string", "$.delta.thinking")
            if block.text_key == "thinking":
                block.pieces.append(text)
                if text and updates is not None:
                    updates.append(ReasoningDelta(0, text))
        elif kind == "citations_delta":
            if block.text_key == "text":
                citation = delta.get("citation")
                block.add_citation(citation)
                if updates is not None:
                    updates.append(CitationAdded(index, citation))
        elif kind == "signature_delta":
            signature = delta.get("signature")
            if type(signature) is not str:
                raise _invalid("signature must be a string", "$.delta.signature")
            if block.text_key == "thinking":
                block.fields["signature"] = signature
        elif kind == "compaction_delta" and block.type == "compaction":
            block.fields.update((key, value) for key, value in delta.items() if key != "type")
        # Any other delta type is one this version does not know: ignored, in every mode.

    def _block_stop(self, payload: dict[str, Any], updates: Updates) -> None:
        index = _index_of(payload)
        block = self._blocks.get(index)
        if self._checker is not None:
            self._checker.block_stop(index, block)
        if block is None:
            return
        first_stop = not block.stopped
        block.stopped = True
        if block.tracks_input:
            # The input is parsed once, here.
            _, arguments, parsed = block.tool_input()
            if not parsed and self._checker is not None:
                self._checker.unparsable_input(index)
            if first_stop and block.tool_index >= 0 and updates is not None:
                fields = block.fields
                updates.append(
                    ToolCallDone(
                        0,
                        block.tool_index,
                        string_field(fields, "id"),
                        string_field(fields, "name"),
                        arguments,
                    )
                )
        if updates is not None:
            updates.append(BlockDone(index, block.build()))

    def _message_delta(self, payload: dict[str, Any], updates: Updates) -> None:
        delta = payload.get("delta")
        if delta is not None and type(delta) is not dict:
            raise _invalid("delta must be an object", "$.delta")
        usage = payload.get("usage")
        if usage is not None and type(usage) is not dict:
            raise _invalid("usage must be an object or null", "$.usage")
        fields = self._fields
        if delta:
            reason = delta.get("stop_reason")
            if reason is not None and type(reason) is not str:
                raise _invalid("stop_reason must be a string or null", "$.delta.stop_reason")
            for key, value in delta.items():
                if key in _NULLABLE_DELTA_KEYS or (value is not None and key not in _REBUILT_KEYS):
                    fields[key] = value
        for key, value in payload.items():
            if value is not None and key not in _DELTA_EVENT_KEYS and key not in _REBUILT_KEYS:
                fields[key] = value
        if usage:
            merged = fields.get("usage")
            if type(merged) is not dict:
                merged = fields["usage"] = {}
            # Cumulative counts: each value sent replaces the one before, never added to it.
            for key, value in usage.items():
                if value is not None:
                    merged[key] = value
        if self._checker is not None:
            self._checker.message_delta(self._blocks, fields.get("stop_reason"))
        if updates is not None and type(fields.get("usage")) is dict:
            updates.append(UsageUpdate(dict(fields["usage"])))

    def _message_stop(self, updates: Updates) -> None:
        if self._checker is not None:
            self._checker.message_stop(self._fields.get("stop_reason"))
        self._move(Input.TERMINAL)
        if updates is None:
            return
        message = self.snapshot()
        reason = message.stop_reason
        if reason is not None:
            updates.append(ChoiceFinished(0, reason))
        updates.append(StreamDone(message))
