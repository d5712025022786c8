"""The Gemini engine: ``streamGenerateContent?alt=sse`` chunks in, typed updates and the rebuilt
``GenerateContentResponse`` out.

Strategy, as for chat: the stream's lifecycle is the state machine every dialect shares
(:data:`_TRANSITIONS`; the skeleton in :class:`~..kit.engine.Engine`), and what each candidate
received is rebuilt by one rule per field (``candidate``), never by a generic deep merge. Gemini has
no terminal event: every chunk is a whole ``GenerateContentResponse`` carrying the next parts, and
the stream ends with the body. So completeness is decided at the end of input: every candidate has a
``finishReason`` (or the prompt was blocked) and no streamed function call is left open.

The hot path parses each payload once with the ``json`` scanner and walks the resulting dicts with a
few type checks; a value of an unexpected type becomes an :class:`InvalidChunkError` naming its JSON
path, so no input can raise anything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...wire.events import ServerSentEvent
from ..kit.engine import Engine, Updates
from ..kit.errors import InvalidChunkError, ProviderError
from ..kit.payload import parse_json, scan_json
from ..kit.state import Input, StreamState, transitions
from ..kit.updates import ChatUpdate, ChoiceFinished, StreamDone, UsageUpdate
from .candidate import CandidateState
from .result import GeminiResponse

__all__ = ["GeminiAccumulator"]

# There is no terminal event: a Gemini stream is never DONE, it goes from STREAMING straight to
# CLOSED (complete, as its candidates show) or FAILED.
_TRANSITIONS = transitions(complete_without_terminal=True)

# How many candidates one stream may open. Gemini's candidateCount is at most 8; the bound
# refuses a hostile chunk listing thousands of indexes before each snapshot rebuilds them all.
MAX_CANDIDATES = 1024

# Top-level keys kept as the first value sent (they repeat on every chunk).
_FIRST_VALUE = ("modelVersion", "responseId", "createTime")
# The keys of nearly every chunk: a chunk with no other takes the hot path.
_COMMON_KEYS = frozenset({"candidates", "usageMetadata", *_FIRST_VALUE})


def _invalid(rule: str, path: str) -> InvalidChunkError:
    return InvalidChunkError(rule, path=path)


class GeminiAccumulator(Engine[GeminiResponse]):
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
        partial_json: give the tool-call updates (and the answer's) their parsed value as
            they arrive (docs/partial-json.md); off by default, when it costs nothing.

    Raises:
        ValueError: if ``strict`` or ``partial_json`` is not a bool or ``max_event_size`` is
            not valid.
    """

    __slots__ = (
        "_candidates",
        "_extras",
        "_first",
        "_first_pending",
        "_prompt_feedback",
        "_usage",
    )

    dialect = "gemini"
    _TRANSITIONS = _TRANSITIONS
    _INPUT = "a chunk"

    def _begin(self) -> None:
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

    # -- input ------------------------------------------------------------------------------

    def _read(self, events: Iterator[ServerSentEvent], updates: Updates) -> None:
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
                self._event(event.event, payload, updates)

    def _parsed(self, payload: Any, updates: Updates) -> None:
        if type(payload) is not dict:
            # Given as a chunk, so refused as one; only the wire's stray values are skipped.
            raise _invalid("a chunk must be a JSON object", "$")
        self._chunk(payload, updates)

    def _end(self, state: StreamState, updates: list[ChatUpdate]) -> None:
        """Complete when every candidate has a ``finishReason`` (or the prompt was blocked) and
        no streamed call is open: then :class:`ChoiceFinished` for each candidate with a
        ``finishReason``, and :class:`StreamDone`."""
        if not self._recognised:
            raise self._not_found()
        missing = self._incompleteness()
        if missing is not None:
            raise self._cut(f"the stream ended before it was complete: {missing}")
        self._move(Input.END_COMPLETE)
        candidates = self._candidates
        for key, candidate in candidates.items():
            reason = candidate.finish_reason
            if reason is not None:
                updates.append(ChoiceFinished(key, reason))
        updates.append(StreamDone(self.snapshot()))

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

    # -- events and chunks ------------------------------------------------------------------

    def _event(self, name: str, data: str, updates: Updates) -> None:
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
