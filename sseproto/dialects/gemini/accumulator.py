"""The Gemini engine: ``streamGenerateContent?alt=sse`` chunks in, typed updates and the rebuilt
``GenerateContentResponse`` out.

Strategy, as for chat: the stream's lifecycle is an explicit state machine (:data:`_TRANSITIONS`),
and what each candidate received is rebuilt by one rule per field (``candidate``), never by a
generic deep merge. Gemini has no terminal event: every chunk is a whole
``GenerateContentResponse`` carrying the next parts, and the stream ends with the body. So
completeness is decided at the end of input: every candidate has a ``finishReason`` (or the
prompt was blocked) and no streamed function call is left open.

The hot path parses each payload once with the ``json`` scanner and walks the resulting dicts
with a few type checks; a value of an unexpected type becomes an :class:`InvalidChunkError`
naming its JSON path, so no input can raise anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from ...wire.decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ...wire.errors import StreamError
from ...wire.events import ServerSentEvent
from ...wire.reads import BytesLike, not_an_event
from ..kit.errors import IncompleteStreamError, InvalidChunkError, ProviderError
from ..kit.guard import DialectGuard
from ..kit.payload import copy_payload, parse_json, scan_json
from ..kit.state import StreamState
from ..kit.updates import ChatUpdate, ChoiceFinished, StreamDone, UsageUpdate
from .candidate import CandidateState
from .result import GeminiResponse

if TYPE_CHECKING:
    pass

__all__ = ["GeminiAccumulator", "GeminiInput"]


class GeminiInput(Enum):
    """What can happen to a Gemini stream (the inputs of the state machine)."""

    CHUNK = "a chunk"
    PROVIDER_ERROR = "a provider error"
    INVALID = "an unreadable or invalid event"
    END_COMPLETE = "the end of a complete stream"
    END_TRUNCATED = "the end of a truncated stream"


Updates = list[ChatUpdate] | None

_S = StreamState
_I = GeminiInput
_STREAMING = StreamState.STREAMING
_CLOSED = StreamState.CLOSED
_FAILED = StreamState.FAILED
# Every legal move; anything else raises. There is no terminal event, so a Gemini stream never
# is DONE: it goes from STREAMING straight to CLOSED (complete) or FAILED.
_TRANSITIONS: Mapping[tuple[StreamState, GeminiInput], StreamState] = {
    (_S.STREAMING, _I.CHUNK): _S.STREAMING,
    (_S.STREAMING, _I.PROVIDER_ERROR): _S.FAILED,
    (_S.STREAMING, _I.INVALID): _S.FAILED,
    (_S.STREAMING, _I.END_COMPLETE): _S.CLOSED,
    (_S.STREAMING, _I.END_TRUNCATED): _S.FAILED,
}

# How many candidates one stream may open. Gemini's candidateCount is at most 8; the bound
# refuses a hostile chunk listing thousands of indexes before each snapshot rebuilds them all.
MAX_CANDIDATES = 1024

# Top-level keys kept as the first value sent (they repeat on every chunk).
_FIRST_VALUE = ("modelVersion", "responseId", "createTime")
# The keys of nearly every chunk: a chunk with no other takes the hot path.
_COMMON_KEYS = frozenset({"candidates", "usageMetadata", *_FIRST_VALUE})


def _invalid(rule: str, path: str) -> InvalidChunkError:
    return InvalidChunkError(rule, path=path)


class GeminiAccumulator:
    """Sans-I/O engine for one Gemini ``streamGenerateContent?alt=sse`` stream (Gemini API or
    Vertex AI).

    Feed it the stream as raw bytes (:meth:`feed`), as decoded events (:meth:`feed_event`) or as
    parsed chunks (:meth:`feed_chunk`); each call returns the :class:`ChatUpdate` objects the
    input produced. Call :meth:`close` at the end of the input, then :meth:`result` for the
    :class:`GeminiResponse`. :meth:`snapshot` gives the response rebuilt so far at any time.

    ``strict=True`` also rejects what the API never sends: a data event that is not a JSON object
    or has ``type`` or ``object``, metadata (``modelVersion``, ``responseId``, ``createTime``)
    changing between chunks, a candidate ``index`` below 0, a nameless ``functionCall`` with no
    streamed call open, and a ``partialArg`` that cannot be applied (the default mode skips it).

    Errors (all :class:`StreamError`, each with ``offset``, ``event_index`` and ``partial``):
    :class:`InvalidChunkError` and :class:`ProviderError` (a chunk carrying ``error``) are raised
    by the ``feed*`` call that meets them; :class:`IncompleteStreamError` by :meth:`close` when
    some candidate has no ``finishReason`` (and the prompt was not blocked), no candidate came,
    or a streamed call is still open. :class:`UnexpectedStreamError` for another dialect's event
    before any Gemini chunk (at once), and by :meth:`close` when no Gemini chunk came (saying what
    came instead; a body that is a JSON error object is a :class:`ProviderError`). Once an error
    is raised the accumulator is ``FAILED``: every later call raises the same error again.

    Args:
        strict: reject what the API never sends instead of reading it.
        max_event_size: the largest event :meth:`feed` buffers (see :class:`SSEDecoder`).

    Raises:
        ValueError: if ``strict`` is not a bool or ``max_event_size`` is not valid.
    """

    __slots__ = (
        "_candidates",
        "_decoder",
        "_error",
        "_extras",
        "_first",
        "_first_pending",
        "_guard",
        "_inputs",
        "_prompt_feedback",
        "_recognised",
        "_state",
        "_strict",
        "_usage",
    )

    def __init__(
        self, *, strict: bool = False, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
    ) -> None:
        if not isinstance(strict, bool):
            raise ValueError(f"strict must be a bool, not {strict!r}")
        self._strict = strict
        self._decoder = SSEDecoder(max_event_size=max_event_size)
        self._state = _STREAMING
        self._error: StreamError | None = None
        # Events given to feed_event() and chunks given to feed_chunk(), for event_index.
        self._inputs = 0
        # Candidates by index, in order of first appearance (a dict: a hostile index of 10**9
        # allocates nothing).
        self._candidates: dict[int, CandidateState] = {}
        self._usage: dict[str, Any] | None = None
        self._prompt_feedback: dict[str, Any] | None = None
        # modelVersion, responseId, createTime: their first values.
        self._first: dict[str, str] = {}
        # Those of them not seen yet: the hot path looks only for these.
        self._first_pending: tuple[str, ...] = _FIRST_VALUE
        # Any other top-level key: its last non-null value.
        self._extras: dict[str, Any] = {}
        # Whether a Gemini chunk has arrived; until one does, what came instead.
        self._recognised = False
        self._guard = DialectGuard("gemini")

    @property
    def state(self) -> StreamState:
        """Where the stream is in its life."""
        return self._state

    @property
    def strict(self) -> bool:
        """Whether what the API never sends is rejected."""
        return self._strict

    @property
    def offset(self) -> int:
        """How many bytes of the stream :meth:`feed` has consumed."""
        return self._decoder.offset

    @property
    def events_received(self) -> int:
        """How many events have arrived: decoded by :meth:`feed`, or given to
        :meth:`feed_event` and :meth:`feed_chunk` (a chunk counts as one event)."""
        return self._decoder.events_dispatched + self._inputs

    # -- input ------------------------------------------------------------------------------

    def feed(self, data: BytesLike, into: list[ChatUpdate] | None = None) -> list[ChatUpdate]:
        """Take the next bytes of the raw ``text/event-stream`` body; return the updates they
        complete. Reads may be split anywhere.

        Args:
            data: the next read of the body.
            into: a list to append the updates to as they are produced (and to return), so
                that when the call raises, the caller still has the updates produced before the
                error. A new list when omitted.

        Raises:
            InvalidChunkError, ProviderError: as the event arrives; ``offset`` is the byte offset
                where that event starts in the stream.
            EventTooLargeError: from the decoder, with ``partial`` attached.
        """
        updates: list[ChatUpdate] = [] if into is None else into
        self._feed_into(data, updates)
        return updates

    def _feed_into(self, data: BytesLike, updates: Updates) -> None:
        """:meth:`feed`, appending to ``updates`` so that a caller keeps the updates produced
        before an error; ``updates=None`` builds none (nobody reads them)."""
        if self._state is not _STREAMING:
            self._move(GeminiInput.CHUNK)
        decoder = self._decoder
        events: list[ServerSentEvent] = []
        event = None
        try:
            events = decoder.feed(data)
            if self._guard.head is not None:
                self._guard.keep_head(data, self.events_received)
            chunk_of = self._chunk
            scan = scan_json
            for event in events:
                payload = event.data
                # The common case inlined: a payload that is exactly one JSON value.
                try:
                    chunk, end = scan(payload, 0)
                except (StopIteration, ValueError, RecursionError):
                    end = -1
                if end == len(payload):
                    chunk_of(chunk, updates)
                else:
                    self._event(payload, updates)
        except StreamError as error:
            if event is not None:
                # Found by identity, off the hot path: events equal by value may repeat.
                position = next(i for i, other in enumerate(events) if other is event)
                error.event_index = decoder.events_dispatched - len(events) + position
                error.offset = decoder.event_offset(error.event_index)
            self._fail(error)
            raise

    def feed_event(
        self, event: ServerSentEvent, into: list[ChatUpdate] | None = None
    ) -> list[ChatUpdate]:
        """Take one decoded event of the stream (its name is never used); return the updates
        it produced (appended to ``into`` when given, as :meth:`feed` does).

        Raises:
            TypeError: ``event`` is not a :class:`ServerSentEvent` (bytes go to :meth:`feed`).
            InvalidChunkError, ProviderError: ``event_index`` counts the events given to this
                method; ``offset`` is None.
        """
        if not isinstance(event, ServerSentEvent):
            raise not_an_event(event)
        updates: list[ChatUpdate] = [] if into is None else into
        self._guarded(self._event, event.data, updates)
        return updates

    def feed_chunk(
        self, payload: Mapping[str, Any], into: list[ChatUpdate] | None = None
    ) -> list[ChatUpdate]:
        """Take one parsed chunk (a ``GenerateContentResponse`` as ``json.loads`` gives it);
        return the updates it produced (appended to ``into`` when given, as :meth:`feed`
        does). The chunk is copied: the caller may reuse it.

        Raises:
            InvalidChunkError, ProviderError: ``event_index`` counts the chunks given to this
                method; ``offset`` is None. A payload that is not a JSON object (a string, a
                list, None) is an :class:`InvalidChunkError`.
        """
        updates: list[ChatUpdate] = [] if into is None else into
        self._guarded(self._chunk_object, payload, updates)
        return updates

    def _chunk_object(self, payload: Any, updates: Updates) -> None:
        chunk = copy_payload(payload)
        if type(chunk) is not dict:
            # Given as a chunk, so refused as one; only the wire's stray values are skipped.
            raise _invalid("a chunk must be a JSON object", "$")
        self._chunk(chunk, updates)

    def _guarded(self, step: Any, *arguments: Any) -> None:
        """Run one event or chunk through ``step``, turning an error into the FAILED state."""
        if self._state is not _STREAMING:
            self._move(GeminiInput.CHUNK)
        index = self._inputs
        self._inputs = index + 1
        try:
            step(*arguments)
        except StreamError as error:
            error.event_index = index
            self._fail(error)
            raise

    def close(self) -> list[ChatUpdate]:
        """Signal the end of the input; return the last updates (:class:`ChoiceFinished` for
        each candidate with a ``finishReason``, then :class:`StreamDone`). Calling it again
        returns ``[]``.

        Raises:
            IncompleteStreamError: the stream is not complete (see the class); its ``offset`` is
                the number of stream bytes consumed (None if only events or chunks were fed)
                and its ``event_index`` the number of events received.
            StreamError: the error already raised, if the accumulator has failed.
        """
        state = self._state
        if state is _CLOSED:
            return []
        if state is _FAILED:
            self._move(GeminiInput.END_COMPLETE)
        updates: list[ChatUpdate] = []
        try:
            # The decoder discards an unfinished final event (WHATWG); it never dispatches here.
            self._decoder.close()
            if not self._recognised:
                raise self._guard.not_found(
                    offset=self._decoder.offset,
                    events=self.events_received,
                    fed=bool(self._inputs),
                )
            missing = self._incompleteness()
            if missing is not None:
                offset: int | None = self._decoder.offset
                if self._inputs and not offset:
                    offset = None
                raise IncompleteStreamError(
                    f"the stream ended before it was complete: {missing}",
                    offset=offset,
                    event_index=self.events_received,
                )
            self._move(GeminiInput.END_COMPLETE)
            candidates = self._candidates
            for key, candidate in candidates.items():
                reason = candidate.finish_reason
                if reason is not None:
                    updates.append(ChoiceFinished(key, reason))
            updates.append(StreamDone(self.snapshot()))
        except StreamError as error:
            self._fail(error)
            raise
        return updates

    def _incompleteness(self) -> str | None:
        """What keeps the stream from being complete, or None if it is."""
        candidates = self._candidates.values()
        for candidate in candidates:
            if candidate.open_call is not None:
                return f"function call {candidate.open_call.name!r} is still open"
        feedback = self._prompt_feedback
        if feedback is not None and feedback.get("blockReason") is not None:
            return None
        if not candidates:
            return "no candidate arrived"
        for candidate in candidates:
            if candidate.finish_reason is None:
                return f"candidate {candidate.key} has no finishReason"
        return None

    # -- output -----------------------------------------------------------------------------

    def snapshot(self) -> GeminiResponse:
        """The response rebuilt from everything received so far; a streamed call still open is
        included with the arguments built so far. Never raises."""
        first = self._first
        return GeminiResponse(
            candidates=tuple(candidate.build() for candidate in self._candidates.values()),
            usage_metadata=self._usage,
            prompt_feedback=self._prompt_feedback,
            model_version=first.get("modelVersion"),
            response_id=first.get("responseId"),
            create_time=first.get("createTime"),
            extras=dict(self._extras),
        )

    def result(self) -> GeminiResponse:
        """The final response. Calls :meth:`close` first if it was not called.

        Raises:
            StreamError: the error the stream failed with (the same object every time).
        """
        if self._state is not _CLOSED:
            self.close()
        return self.snapshot()

    # -- the state machine ------------------------------------------------------------------

    def _move(self, event: GeminiInput) -> None:
        """Apply a move of :data:`_TRANSITIONS`, or raise if it is not a legal one."""
        target = _TRANSITIONS.get((self._state, event))
        if target is None:
            if self._error is not None:
                raise self._error
            raise StreamError(
                f"{event.value} is not allowed once the stream is {self._state.value}",
                offset=self._decoder.offset,
                event_index=self.events_received,
                partial=self.snapshot(),
            )
        self._state = target

    def _fail(self, error: StreamError) -> None:
        """Record ``error`` as the stream's end: FAILED, with the partial response attached."""
        if isinstance(error, ProviderError):
            event = GeminiInput.PROVIDER_ERROR
        elif isinstance(error, IncompleteStreamError):
            event = GeminiInput.END_TRUNCATED
        else:
            event = GeminiInput.INVALID
        self._move(event)
        error.partial = self.snapshot()
        self._error = error

    # -- events and chunks ------------------------------------------------------------------

    def _event(self, data: str, updates: Updates) -> None:
        """Any event the hot path did not take: whitespace around the JSON, ``[DONE]``, or
        something that is not JSON."""
        if data.strip() == "[DONE]":
            # Gemini sends none; a proxy that adds one says nothing about completeness.
            return
        self._chunk(parse_json(data), updates)

    def _chunk(self, chunk: Any, updates: Updates) -> None:
        """Apply one ``GenerateContentResponse`` chunk, key by key."""
        if not self._recognised and self._guard.recognise(chunk) == "gemini":
            self._recognised = True
        if type(chunk) is not dict:
            if self._strict:
                raise _invalid("a chunk must be a JSON object", "$")
            # Not a chunk of this dialect (a JSON array, a number): nothing to read in it.
            return
        if self._strict or not _COMMON_KEYS.issuperset(chunk):
            self._uncommon_chunk(chunk, updates)
            return
        # The hot path: a chunk with nothing but candidates, usage and the repeated metadata.
        candidates = chunk.get("candidates")
        if type(candidates) is list and len(candidates) == 1:
            # One candidate already known, its index as before: no new state, nothing to check.
            candidate = candidates[0]
            # (Not a dict: False, an index no state has, left to the general path to report.)
            index = candidate.get("index") if type(candidate) is dict else False
            if index is None or type(index) is int:
                state = self._candidates.get(index or 0)
                if state is not None and (index is None or index == state.index):
                    try:
                        state.apply(candidate, updates)
                    except InvalidChunkError as error:
                        raise _invalid(error.rule, f"$.candidates[0]{error.path}") from None
                    candidates = None
        if candidates is not None:
            self._candidates_of(candidates, updates)
        usage = chunk.get("usageMetadata")
        if usage is not None:
            if type(usage) is dict and updates is None:
                self._usage = usage
            else:
                self._take_usage(usage, updates)
        for key in self._first_pending:
            value = chunk.get(key)
            if value is not None:
                self._take_first(key, value)

    def _uncommon_chunk(self, chunk: dict[str, Any], updates: Updates) -> None:
        """Any chunk the hot path does not take: an error, strict mode, other keys."""
        error = chunk.get("error")
        if error is not None:
            # Reading stops here: nothing else of an error chunk is taken.
            raise ProviderError(error)
        if self._strict:
            self._check_strict(chunk)
        for key, value in chunk.items():
            if value is None:
                continue
            if key == "candidates":
                self._candidates_of(value, updates)
            elif key == "usageMetadata":
                self._take_usage(value, updates)
            elif key == "promptFeedback":
                if type(value) is not dict:
                    raise _invalid("promptFeedback must be an object", "$.promptFeedback")
                self._prompt_feedback = value
            elif key in _FIRST_VALUE:
                if key in self._first_pending:
                    self._take_first(key, value)
            else:
                self._extras[key] = value

    def _take_usage(self, usage: Any, updates: Updates) -> None:
        if type(usage) is not dict:
            raise _invalid("usageMetadata must be an object", "$.usageMetadata")
        # Cumulative: the last object wins, whole; never summed or merged.
        self._usage = usage
        if updates is not None:
            updates.append(UsageUpdate(usage))

    def _take_first(self, key: str, value: Any) -> None:
        if type(value) is not str:
            raise _invalid(f"{key} must be a string", f"$.{key}")
        self._first[key] = value
        self._first_pending = tuple(other for other in self._first_pending if other != key)

    def _candidates_of(self, candidates: Any, updates: Updates) -> None:
        if type(candidates) is not list:
            raise _invalid("candidates must be a list", "$.candidates")
        states = self._candidates
        for position, candidate in enumerate(candidates):
            try:
                if type(candidate) is not dict:
                    raise _invalid("a candidate must be an object", "")
                index = candidate.get("index")
                if index is None:
                    key = 0
                elif type(index) is not int:
                    raise _invalid("index must be an integer", ".index")
                elif index < 0 and self._strict:
                    raise _invalid("index must not be negative", ".index")
                else:
                    key = index
                state = states.get(key)
                if state is None:
                    if len(states) >= MAX_CANDIDATES:
                        raise _invalid(f"a stream has at most {MAX_CANDIDATES} candidates", "")
                    state = states[key] = CandidateState(key, self._strict)
                if index is not None:
                    state.index = index
                state.apply(candidate, updates)
            except InvalidChunkError as error:
                raise _invalid(error.rule, f"$.candidates[{position}]{error.path}") from None

    def _check_strict(self, chunk: dict[str, Any]) -> None:
        for key in ("type", "object"):
            if key in chunk:
                raise _invalid(f"a Gemini chunk has no {key!r}", f"$.{key}")
        first = self._first
        for key in _FIRST_VALUE:
            value = chunk.get(key)
            if value is not None and key in first and value != first[key]:
                raise _invalid(f"{key} changed from {first[key]!r} to {value!r}", f"$.{key}")
