"""The Responses engine: OpenAI Responses stream events in, typed updates and the rebuilt Response
out.

Strategy. Two layers of state, kept apart:

1. The stream's lifecycle, the state machine every dialect shares (:class:`StreamState`, every
   legal move in :data:`_TRANSITIONS`; the skeleton in :class:`~..kit.engine.Engine`): events are
   read while ``STREAMING``; the first terminal event
   (``response.completed``, ``.incomplete``, ``.failed``) ends it (``DONE``); a provider error, an
   invalid event or a cut moves to ``FAILED`` for good; the end of input after the terminal event
   moves to ``CLOSED``.
2. What the stream carried, one rule per event type, never a generic deep merge: the last
   lifecycle ``response``; the output items by ``output_index`` (a dict: items may arrive, close
   and be addressed in any order), each with the strings its deltas build kept as pieces
   (``items``); the ``error`` event; the terminal ``response``. A ``.done`` value replaces what the
   deltas built, ``output_item.done`` replaces the whole item, and the terminal ``response``
   replaces everything: the provider's last word wins, so a stream cut just before its terminal
   event rebuilds what the complete one reports.

Dispatch is on the payload's ``type``, never on the SSE event name (OpenRouter sends none). The
hot path (text and argument deltas) is inlined in :meth:`ResponsesAccumulator._read`: one C
scan of the payload, a few type checks and an append; every other event goes through one handler
per type. Values of a wrong type become an :class:`InvalidChunkError` naming their JSON path, so
no input raises anything else. Unknown events, items and parts are never fatal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import length_hint
from typing import Any, ClassVar, cast

from ...wire.events import ServerSentEvent
from ...wire.reads import BytesLike, not_bytes
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
    RefusalDelta,
    StreamDone,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageUpdate,
)
from .fast import plan
from .items import (
    MAX_PART_INDEX,
    ItemState,
    Location,
    part_strings,
    streamed_strings,
    string_at,
)
from .result import Response
from .schema import StreamOrder
from .tree import copy_tree
from .updates import AnnotationAdded, HostedToolProgress, PartialImage

__all__ = ["ResponsesAccumulator"]

_STREAMING = StreamState.STREAMING
_DONE = StreamState.DONE
# Complete only at the terminal event.
_TRANSITIONS = transitions(complete_without_terminal=False)

# How many output items one stream may open. Real responses have a handful, agent loops with
# hosted tools tens or hundreds; the bound refuses a hostile stream before it builds (and every
# snapshot rebuilds) millions of items.
_MAX_ITEMS = 10_000

_TEXT_DELTA = "response.output_text.delta"
_ARGUMENTS_DELTA = "response.function_call_arguments.delta"
_TERMINALS = ("response.completed", "response.incomplete", "response.failed")
_HOSTED_ITEMS = (
    "web_search_call",
    "file_search_call",
    "code_interpreter_call",
    "image_generation_call",
    "mcp_call",
)
_HOSTED_STAGES = ("in_progress", "searching", "interpreting", "generating", "completed", "failed")
# response.<item type>.<stage>: the item's status becomes the stage. mcp_list_tools has no status:
# its events are reported and change nothing.
_STATUS_EVENTS: dict[str, tuple[str, str]] = {
    f"response.{item}.{stage}": (item, stage) for item in _HOSTED_ITEMS for stage in _HOSTED_STAGES
}
_STATUS_EVENTS.update(
    {
        f"response.mcp_list_tools.{stage}": ("mcp_list_tools", stage)
        for stage in ("in_progress", "completed", "failed")
    }
)


def _invalid(rule: str, path: str = "$") -> InvalidChunkError:
    return InvalidChunkError(rule, path=path)


def _index(payload: dict[str, Any], key: str) -> int:
    value = payload.get(key)
    if type(value) is not int or value < 0:
        raise _invalid(f"{key} must be a non-negative integer", f"$.{key}")
    return value


def _text_update(kind: str, state: ItemState, text: str, updates: list[ChatUpdate]) -> None:
    """Report ``text`` added to a string of kind ``kind`` (see :func:`streamed_strings`)."""
    if kind == "content":
        updates.append(ContentDelta(0, text))
    elif kind == "reasoning":
        updates.append(ReasoningDelta(0, text))
    elif kind == "refusal":
        updates.append(RefusalDelta(0, text))
    elif kind == "hosted":
        updates.append(HostedToolArgumentsDelta(0, state.index, text))
    elif state.call_index is not None:
        updates.append(ToolCallArgumentsDelta(0, state.call_index, text))


def _suffix(kind: str, state: ItemState, built: str, final: str, updates: Updates) -> None:
    """A final value extending what the deltas built: its missing suffix is one more delta (LM
    Studio sends arguments only in their ``.done``). A value that disagrees otherwise sends
    nothing: the final value is in the result and in ``ToolCallDone``."""
    if updates is not None and len(final) > len(built) and final.startswith(built):
        _text_update(kind, state, final[len(built) :], updates)


def _call_names(item: dict[str, Any], field: str) -> tuple[str, str, str]:
    """A call item's ``call_id``, ``name`` and arguments (``""`` where missing)."""
    values = (item.get("call_id"), item.get("name"), item.get(field))
    return cast(tuple[str, str, str], tuple(v if type(v) is str else "" for v in values))


def _hosted_started(item: dict[str, Any], output_index: int) -> HostedToolCallStarted:
    """The update opening an item the provider runs (an ``mcp_call``)."""
    kind, call_id, name, server = (
        value if type(value) is str else ""
        for value in (item.get("type"), item.get("id"), item.get("name"), item.get("server_label"))
    )
    return HostedToolCallStarted(0, output_index, kind, call_id, name, server)


class ResponsesAccumulator(Engine[Response]):
    """Sans-I/O engine for one OpenAI Responses stream (``POST /v1/responses`` with
    ``stream: true``; Azure, OpenRouter, xAI and other vendors serving the same events).

    Feed it the stream as raw bytes (:meth:`feed`), as decoded events (:meth:`feed_event`) or as
    parsed event payloads (:meth:`feed_chunk`); each call returns the :class:`ChatUpdate` objects
    the input produced. Call :meth:`close` at the end of the input, then :meth:`result` for the
    :class:`Response`; :meth:`snapshot` gives the Response rebuilt so far at any time.

    A stream is complete at its terminal event: ``response.completed`` or
    ``response.incomplete`` (a complete stream whose status says why it stopped) give
    :class:`StreamDone`; ``response.failed``, and any terminal event after an ``error`` event,
    raise :class:`ProviderError`. Events after the terminal one are ignored (strict mode rejects
    all but ``[DONE]``).

    Errors (all :class:`StreamError`, each with ``offset``, ``event_index`` and ``partial``):
    :class:`InvalidChunkError` is raised by the ``feed*`` call that meets it; :class:`ProviderError`
    at the terminal event, or by :meth:`close` when an ``error`` event came and no terminal event
    followed (its ``offset`` and ``event_index`` point at the ``error`` event, else at
    ``response.failed``); :class:`IncompleteStreamError` by :meth:`close` when the input ended
    before a terminal event. Once an error is raised the accumulator is ``FAILED`` and every later
    call raises the same error again.

    Args:
        strict: also check the stream's order: event names, ``sequence_number``, indexes appended
            without gaps, events addressing existing items and parts, ``.done`` strings equal to
            their deltas, nothing after the terminal event.
        max_event_size: the largest event :meth:`feed` buffers (see :class:`SSEDecoder`).
        partial_json: give the tool-call updates (and the answer's) their parsed value as
            they arrive (docs/partial-json.md); off by default, when it costs nothing.

    Raises:
        ValueError: if ``strict`` or ``partial_json`` is not a bool or ``max_event_size`` is
            not valid.
    """

    __slots__ = (
        "_at",
        "_calls",
        "_fast",
        "_final",
        "_from_bytes",
        "_items",
        "_learning",
        "_order",
        "_plain",
        "_response",
        "_stream_error",
        "_stream_error_at",
    )

    dialect = "responses"
    _TRANSITIONS = _TRANSITIONS
    # Whether deltas are read with verified templates when they can be (see ``fast``); the full
    # path alone when False, which the tests compare with.
    _TEMPLATES: ClassVar[bool] = True

    def _begin(self) -> None:
        self._plain = not self._strict
        # The event being read: its index, and whether it came from feed() (it has an offset).
        self._at = 0
        self._from_bytes = False
        self._order = StreamOrder()
        self._response: dict[str, Any] | None = None
        self._items: dict[int, ItemState] = {}
        # How many calls the caller runs have appeared (their compact index in the updates).
        self._calls = 0
        self._stream_error: dict[str, Any] | None = None
        self._stream_error_at: tuple[int | None, int] = (None, 0)
        self._final: Response | None = None
        # The template reading the deltas shaped like the last one, while nothing but such
        # deltas has come since (see ``fast``).
        self._fast = FastPath()
        # Whether templates are still learned: until learning gives up on the stream.
        self._learning = self._TEMPLATES

    # -- input ------------------------------------------------------------------------------

    def _feed_into(self, data: BytesLike, updates: Updates) -> None:
        # A read that is not bytes-like is refused as such even once the stream has ended.
        if data.__class__ is not bytes and not isinstance(data, bytearray | memoryview):
            raise not_bytes(data)
        super()._feed_into(data, updates)

    def _read(self, events: Iterator[ServerSentEvent], updates: Updates) -> None:
        dispatched = self._decoder.events_dispatched
        self._from_bytes = True
        scan = scan_json
        items = self._items
        fast = self._fast
        learns = self._learning
        while True:
            # The deltas shaped like the one before them, read by the template in one go; the
            # first other event comes back, and whatever it is, the template's delta may no
            # longer be repeated as if it came again at once.
            if fast.template is not None:
                event = fast.read(events, updates)
                if event is None:
                    break
                fast.drop()
            else:
                event = next(events, None)
                if event is None:
                    break
            text = event.data
            try:
                payload, end = scan(text, 0)
            except (StopIteration, ValueError, RecursionError):
                end = -1
            if end == len(text) and self._plain and type(payload) is dict:
                # The hot path: the text and argument deltas, inlined. Anything unusual
                # (a first delta, logprobs, a wrong type) takes the handler, which decides.
                kind = payload.get("type")
                if kind == _TEXT_DELTA:
                    oi = payload.get("output_index")
                    ci = payload.get("content_index")
                    delta = payload.get("delta")
                    if (
                        type(oi) is int
                        and type(ci) is int
                        and type(delta) is str
                        and not payload.get("logprobs")
                    ):
                        state = items.get(oi)
                        if state is not None:
                            pieces = state.strings.get(("content", ci, "text"))
                            if pieces is not None:
                                pieces.append(delta)
                                if delta and updates is not None:
                                    updates.append(ContentDelta(0, delta))
                                if learns:
                                    learns = self._learn(event.event, text, payload, pieces, state)
                                continue
                elif kind == _ARGUMENTS_DELTA:
                    oi = payload.get("output_index")
                    delta = payload.get("delta")
                    if type(oi) is int and type(delta) is str:
                        state = items.get(oi)
                        if state is not None:
                            pieces = state.strings.get(("", 0, "arguments"))
                            if pieces is not None:
                                pieces.append(delta)
                                if delta and updates is not None:
                                    if state.call_field == "arguments":
                                        if state.call_index is not None:
                                            updates.append(
                                                ToolCallArgumentsDelta(0, state.call_index, delta)
                                            )
                                    elif state.hosted_field == "arguments":
                                        updates.append(HostedToolArgumentsDelta(0, oi, delta))
                                if learns:
                                    learns = self._learn(event.event, text, payload, pieces, state)
                                continue
                self._at = dispatched - length_hint(events) - 1
                self._payload(payload, event.event, updates)
            else:
                self._at = dispatched - length_hint(events) - 1
                self._event(event.event, text, updates)

    def _learn(
        self, name: str, text: str, payload: dict[str, Any], pieces: list[str], state: ItemState
    ) -> bool:
        """Learn a template from the delta the hot path has just appended to ``pieces`` (a
        string of ``state``) when it is worth it; return whether learning goes on."""
        fast = self._fast
        if fast.worth_learning():
            is_text = pieces is not state.strings.get(("", 0, "arguments"))
            fast.learn(name, text, payload, plan(payload, pieces, state, is_text))
        elif fast.gave_up:
            self._learning = False
        return self._learning

    def _parsed(self, payload: Any, updates: Updates) -> None:
        self._payload(payload, None, updates)

    def _guarded(
        self, updates: list[ChatUpdate], step: Callable[..., None], *arguments: Any
    ) -> None:
        # The event being read is this input, which has no byte offset.
        self._at = self._inputs
        self._from_bytes = False
        # Whatever it changes (a new item at the template's index), the template's delta may no
        # longer be repeated as if it came again at once.
        self._fast.drop()
        super()._guarded(updates, step, *arguments)

    def _end(self, state: StreamState, updates: list[ChatUpdate]) -> None:
        """Complete only at the terminal event (whose updates came with it); an ``error`` event
        with no terminal event after it is the provider's error."""
        if state is not _DONE:
            if self._stream_error is not None:
                where, index = self._stream_error_at
                raise ProviderError(self._stream_error, offset=where, event_index=index)
            if not self._recognised:
                raise self._not_found()
            raise self._cut(
                "the stream ended before its terminal event (response.completed, "
                "response.incomplete or response.failed)"
            )
        self._move(Input.END_COMPLETE)

    # -- output -----------------------------------------------------------------------------

    def snapshot(self) -> Response:
        """The Response rebuilt from everything received so far. Never raises.

        After the terminal event: its ``response``. Before: the last lifecycle ``response``
        (``status`` still ``in_progress`` or ``queued``, ``usage`` null) with ``output`` rebuilt
        from the items that arrived, open ones included; ``{"output": [...]}`` without any
        lifecycle event.
        """
        if self._final is not None:
            return self._final
        response = dict(self._response) if self._response is not None else {}
        response["output"] = self._rebuilt_output()
        return Response(response)

    def _rebuilt_output(self) -> list[dict[str, Any]]:
        items = self._items
        return [items[index].build() for index in sorted(items)]

    # -- the state machine ------------------------------------------------------------------

    def _move(self, event: Input) -> None:
        super()._move(event)
        self._fast.drop()
        self._plain = self._state is _STREAMING and not self._strict

    def _where(self) -> tuple[int | None, int]:
        """The byte offset (None for events not read from bytes) and index of the event being
        read."""
        if self._from_bytes:
            return self._decoder.event_offset(self._at), self._at
        return None, self._at

    # -- events -----------------------------------------------------------------------------

    def _event(self, name: str, data: str, updates: Updates) -> None:
        """One decoded event, by the general path."""
        if data == "[DONE]":
            # OpenRouter's trailing marker: skipped, it never decides completeness.
            return
        if self._state is _DONE:
            self._after_terminal()
            return
        try:
            payload = parse_json(data)
        except InvalidChunkError:
            if name != "error":
                raise
            # An `event: error` whose data is not JSON: the provider's message as sent.
            self._record_error({"message": data})
            return
        self._payload(payload, name, updates)

    def _after_terminal(self) -> None:
        if self._strict:
            raise _invalid("only data: [DONE] may follow the terminal event")
        self._move(Input.EVENT)

    def _payload(self, payload: Any, name: str | None, updates: Updates) -> None:
        """One event payload: checked, then handled by its type."""
        if self._state is _DONE:
            self._after_terminal()
            return
        if type(payload) is not dict:
            raise _invalid("an event's payload must be a JSON object")
        if self._strict:
            self._order.check(payload, name)
        kind = payload.get("type")
        handler = _HANDLERS.get(kind) if type(kind) is str else None
        if handler is not None:
            self._recognised = True
            handler(self, payload, updates)
            return
        if kind is None and payload.get("error") is not None:
            # Not a Responses event but a bare {"error": ...} body, as a proxy may send it.
            raise ProviderError(payload["error"])
        if not self._recognised:
            self._recognise(payload)
        if type(kind) is not str and self._strict:
            raise _invalid("an event's payload has a string type", "$.type")
        # Any other type (keepalive, response.audio.*, events added since) is ignored.

    def _recognise(self, payload: dict[str, Any]) -> None:
        """Until a Responses event arrives, check what each other event is
        (:class:`DialectGuard`): an event of a type this version does not know, but of the
        dialect (``response.``...), counts as one; anything not refused is ignored."""
        if self._guard.recognise(payload) == "responses":
            self._recognised = True

    # -- handlers, one per event type ---------------------------------------------------------

    def _item(self, payload: dict[str, Any]) -> ItemState | None:
        """The item the event addresses; None (ignored; strict mode raises) if never added."""
        state = self._items.get(_index(payload, "output_index"))
        if state is None and self._strict:
            raise _invalid("the event addresses an output item never added", "$.output_index")
        return state

    def _missing_part(self, key: str) -> None:
        if self._strict:
            raise _invalid(f"the event addresses a part that does not exist in {key}", "$")

    def _lifecycle(self, payload: dict[str, Any], updates: Updates) -> None:
        response = payload.get("response")
        if type(response) is not dict:
            raise _invalid("response must be an object", "$.response")
        self._response = response

    def _item_event(self, payload: dict[str, Any], updates: Updates, done: bool) -> None:
        output_index = _index(payload, "output_index")
        item = payload.get("item")
        if type(item) is not dict:
            raise _invalid("item must be an object", "$.item")
        items = self._items
        state = items.get(output_index)
        built: dict[Location, str] = {}
        # Whether this event opens the item: its output_item.added, or a .done that came
        # without one.
        opens = not done or state is None
        if state is None:
            if self._strict:
                if done:
                    raise _invalid("output_item.done for an item never added", "$.output_index")
                if output_index != len(items):
                    raise _invalid(
                        f"output_index must be {len(items)}, the number of items",
                        "$.output_index",
                    )
            if len(items) >= _MAX_ITEMS:
                raise _invalid(f"a response has at most {_MAX_ITEMS} output items")
            state = items[output_index] = ItemState(item, output_index)
        else:
            if self._strict and not done:
                raise _invalid("output_item.added for an index already added", "$.output_index")
            for location, _ in streamed_strings(item):
                built[location] = state.value(location)
            state.replace(item)
        if state.call_field is not None and state.call_index is None:
            state.call_index = self._calls
            self._calls += 1
            if updates is not None:
                call_id, name, _ = _call_names(item, state.call_field)
                updates.append(ToolCallStarted(0, state.call_index, call_id, name))
        elif state.hosted_field is not None and opens:
            # An item added again at its index opens afresh: its arguments are all new.
            built.clear()
            if updates is not None:
                updates.append(_hosted_started(item, output_index))
        for location, kind in streamed_strings(item):
            _suffix(kind, state, built.get(location, ""), state.value(location), updates)
        if done and state.call_field is not None:
            self._call_done(state, item, updates)

    def _call_done(self, state: ItemState, item: dict[str, Any], updates: Updates) -> None:
        """The call is complete: ``ToolCallDone``, once."""
        if state.call_done or state.call_index is None or state.call_field is None:
            return
        state.call_done = True
        if updates is not None:
            call_id, name, arguments = _call_names(item, state.call_field)
            updates.append(ToolCallDone(0, state.call_index, call_id, name, arguments))

    def _part_event(
        self, payload: dict[str, Any], updates: Updates, key: str, index_key: str, done: bool
    ) -> None:
        state = self._item(payload)
        index = _index(payload, index_key)
        part = payload.get("part")
        if type(part) is not dict:
            raise _invalid("part must be an object", "$.part")
        if index >= MAX_PART_INDEX:
            raise _invalid(f"{index_key} must be below {MAX_PART_INDEX}", f"$.{index_key}")
        if state is None:
            return
        previous = state.part(key, index)
        if self._strict:
            parts = state.item.get(key)
            count = len(parts) if type(parts) is list else 0
            if not done and index != count:
                raise _invalid(
                    f"{index_key} must be {count}, the number of parts", f"$.{index_key}"
                )
            if done and previous is None:
                self._missing_part(key)
        item_type = state.item.get("type")
        strings = part_strings(item_type, key, index, part)
        built = {location: state.value(location) for location, _ in strings}
        if done and previous is not None:
            # OpenAI sends content_part.done with "logprobs": []: it never erases the logprobs
            # the deltas brought.
            kept = previous.get("logprobs")
            if part.get("logprobs") == [] and type(kept) is list and kept:
                part["logprobs"] = kept
        state.set_part(key, index, part)
        for location, kind in strings:
            _suffix(kind, state, built[location], state.value(location), updates)

    def _part_delta(
        self,
        payload: dict[str, Any],
        updates: Updates,
        key: str,
        index_key: str,
        field: str,
        kind: str,
    ) -> None:
        state = self._item(payload)
        index = _index(payload, index_key) if key else 0
        delta = payload.get("delta")
        if type(delta) is not str:
            raise _invalid("delta must be a string", "$.delta")
        if state is None:
            return
        pieces = state.pieces((key, index, field))
        if pieces is None:
            self._missing_part(key)
            return
        pieces.append(delta)
        logprobs = payload.get("logprobs")
        if logprobs and field == "text" and kind == "content":
            if type(logprobs) is not list:
                raise _invalid("logprobs must be a list", "$.logprobs")
            part = state.part(key, index)
            assert part is not None  # pieces exist only for existing parts
            kept = part.get("logprobs")
            if type(kept) is list:
                kept.extend(logprobs)
            else:
                part["logprobs"] = logprobs
        if delta and updates is not None:
            if key or state.call_field == field:
                _text_update(kind, state, delta, updates)
            elif state.hosted_field == field:
                _text_update("hosted", state, delta, updates)
            # Anything else (code being written) has no update.

    def _string_done(
        self,
        payload: dict[str, Any],
        updates: Updates,
        key: str,
        index_key: str,
        field: str,
        kind: str,
    ) -> None:
        state = self._item(payload)
        index = _index(payload, index_key) if key else 0
        value = payload.get(field)
        if type(value) is not str:
            raise _invalid(f"{field} must be a string", f"$.{field}")
        if state is None:
            return
        location = (key, index, field)
        part = state.part(key, index)
        if part is None:
            self._missing_part(key)
            return
        built = state.value(location)
        if self._strict and state.has_deltas(location) and built != value:
            raise _invalid(f"{field} differs from the concatenated deltas", f"$.{field}")
        if key or state.call_field == field:
            _suffix(kind, state, built, value, updates)
        elif state.hosted_field == field:
            _suffix("hosted", state, built, value, updates)
        state.set_string(location, value)
        logprobs = payload.get("logprobs")
        if kind == "content" and type(logprobs) is list and logprobs:
            part["logprobs"] = logprobs

    def _annotation(self, payload: dict[str, Any], updates: Updates) -> None:
        state = self._item(payload)
        output_index = _index(payload, "output_index")
        content_index = _index(payload, "content_index")
        index = _index(payload, "annotation_index")
        annotation = payload.get("annotation")
        if type(annotation) is not dict:
            raise _invalid("annotation must be an object", "$.annotation")
        if index >= MAX_PART_INDEX:
            raise _invalid(f"annotation_index must be below {MAX_PART_INDEX}", "$.annotation_index")
        if state is None:
            return
        part = state.part("content", content_index)
        if part is None:
            self._missing_part("content")
            return
        annotations = part.get("annotations")
        if type(annotations) is not list:
            annotations = part["annotations"] = []
        if self._strict and index != len(annotations):
            raise _invalid(
                f"annotation_index must be {len(annotations)}, the number of annotations",
                "$.annotation_index",
            )
        if index >= len(annotations):
            annotations.extend([None] * (index + 1 - len(annotations)))
        annotations[index] = annotation
        if updates is not None:
            updates.append(
                AnnotationAdded(0, output_index, content_index, index, copy_tree(annotation))
            )

    def _status(
        self, payload: dict[str, Any], updates: Updates, item_type: str, stage: str
    ) -> None:
        state = self._item(payload)
        if state is None:
            return
        if item_type != "mcp_list_tools" and state.item.get("type") == item_type:
            state.item["status"] = stage
        if updates is not None:
            updates.append(HostedToolProgress(0, _index(payload, "output_index"), item_type, stage))

    def _partial_image(self, payload: dict[str, Any], updates: Updates) -> None:
        state = self._item(payload)
        rank = _index(payload, "partial_image_index")
        image = payload.get("partial_image_b64")
        if type(image) is not str:
            raise _invalid("partial_image_b64 must be a string", "$.partial_image_b64")
        # A preview: reported, never written into the result.
        if state is not None and updates is not None:
            updates.append(PartialImage(0, _index(payload, "output_index"), rank, image))

    def _error_event(self, payload: dict[str, Any], updates: Updates) -> None:
        # The wire nests the error ({"type": "error", "error": {...}}); the SDK's type is flat.
        nested = payload.get("error")
        self._record_error(nested if type(nested) is dict else payload)

    def _record_error(self, error: dict[str, Any]) -> None:
        """The provider reported an error: read on, raise at the terminal event or the end."""
        self._stream_error = error
        self._stream_error_at = self._where()

    def _terminal(self, payload: dict[str, Any], updates: Updates) -> None:
        response = payload.get("response")
        if type(response) is not dict:
            raise _invalid("response must be an object", "$.response")
        output = response.get("output")
        if self._items and (output is None or output == []):
            # Some backends leave the terminal output empty: the items rebuilt take its place.
            response["output"] = self._rebuilt_output()
        final = self._final = Response(response)
        if self._stream_error is not None:
            offset, index = self._stream_error_at
            raise ProviderError(self._stream_error, offset=offset, event_index=index)
        if payload.get("type") == "response.failed":
            error = response.get("error")
            raise ProviderError(error if type(error) is dict else {"message": "response.failed"})
        self._move(Input.TERMINAL)
        if updates is None:
            return
        self._final_updates(response, updates)
        reason = final.finish_reason
        if reason is not None:
            updates.append(ChoiceFinished(0, reason))
        usage = final.usage
        if usage is not None:
            updates.append(UsageUpdate(usage))
        # StreamDone is annotated with the chat result; every dialect carries its own.
        updates.append(StreamDone(final))

    def _final_updates(self, response: dict[str, Any], updates: list[ChatUpdate]) -> None:
        """The terminal output is authoritative: text it adds to what was streamed is sent as
        one more delta, and every call not yet reported complete is, in output order."""
        output = response.get("output")
        if type(output) is not list:
            return
        items = self._items
        streamed = [items[index] for index in sorted(items)]
        for position, item in enumerate(output):
            if type(item) is not dict:
                continue
            state = streamed[position] if position < len(streamed) else None
            if state is None or state.item.get("type") != item.get("type"):
                # An item never streamed (a resumed stream, a backend sending only the final
                # output): everything in it is new.
                state = ItemState({"type": item.get("type")}, position)
            if state.call_field is not None and state.call_index is None:
                state.call_index = self._calls
                self._calls += 1
                call_id, name, _ = _call_names(item, state.call_field)
                updates.append(ToolCallStarted(0, state.call_index, call_id, name))
            for location, kind in streamed_strings(item):
                _suffix(kind, state, state.value(location), string_at(item, location), updates)
            if state.call_field is not None:
                self._call_done(state, item, updates)


Handler = Callable[[ResponsesAccumulator, dict[str, Any], Updates], None]


def _on_part(key: str, index_key: str, done: bool) -> Handler:
    return lambda engine, payload, updates: engine._part_event(
        payload, updates, key, index_key, done
    )


def _on_delta(key: str, index_key: str, field: str, kind: str) -> Handler:
    return lambda engine, payload, updates: engine._part_delta(
        payload, updates, key, index_key, field, kind
    )


def _on_done(key: str, index_key: str, field: str, kind: str) -> Handler:
    return lambda engine, payload, updates: engine._string_done(
        payload, updates, key, index_key, field, kind
    )


def _on_status(item_type: str, stage: str) -> Handler:
    return lambda engine, payload, updates: engine._status(payload, updates, item_type, stage)


def _on_item(done: bool) -> Handler:
    return lambda engine, payload, updates: engine._item_event(payload, updates, done)


# One handler per event type. Strings built by deltas: (list key, index key, field, update
# kind), the list key "" meaning the item itself.
_HANDLERS: dict[str, Handler] = {
    "response.created": ResponsesAccumulator._lifecycle,
    "response.queued": ResponsesAccumulator._lifecycle,
    "response.in_progress": ResponsesAccumulator._lifecycle,
    "response.output_item.added": _on_item(False),
    "response.output_item.done": _on_item(True),
    "response.content_part.added": _on_part("content", "content_index", False),
    "response.content_part.done": _on_part("content", "content_index", True),
    "response.reasoning_summary_part.added": _on_part("summary", "summary_index", False),
    "response.reasoning_summary_part.done": _on_part("summary", "summary_index", True),
    "response.output_text.annotation.added": ResponsesAccumulator._annotation,
    "response.image_generation_call.partial_image": ResponsesAccumulator._partial_image,
    "error": ResponsesAccumulator._error_event,
}
for _suffix_name, _key, _index_key, _field, _kind in (
    ("output_text", "content", "content_index", "text", "content"),
    ("refusal", "content", "content_index", "refusal", "refusal"),
    ("reasoning_summary_text", "summary", "summary_index", "text", "reasoning"),
    ("reasoning_text", "content", "content_index", "text", "reasoning"),
    ("function_call_arguments", "", "", "arguments", "arguments"),
    ("mcp_call_arguments", "", "", "arguments", "arguments"),
    ("custom_tool_call_input", "", "", "input", "arguments"),
    ("code_interpreter_call_code", "", "", "code", "arguments"),
):
    _HANDLERS[f"response.{_suffix_name}.delta"] = _on_delta(_key, _index_key, _field, _kind)
    _HANDLERS[f"response.{_suffix_name}.done"] = _on_done(_key, _index_key, _field, _kind)
for _type, (_item_type, _stage) in _STATUS_EVENTS.items():
    _HANDLERS[_type] = _on_status(_item_type, _stage)
for _type in _TERMINALS:
    _HANDLERS[_type] = ResponsesAccumulator._terminal
