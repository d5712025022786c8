"""The chat chunk engine: ``chat.completion.chunk`` events in, typed updates and the rebuilt
completion out.

Strategy. Two layers of state, kept apart:

1. The stream's lifecycle, an explicit state machine (:class:`ChatState`, with every legal move in
   :data:`_TRANSITIONS`): chunks are accepted while ``STREAMING`` (and, leniently, after
   ``[DONE]``), an error moves to ``FAILED`` for good, the end of input moves to ``CLOSED``.
2. What each choice has received so far, rebuilt by one explicit rule per field (PROTOCOL.md §2),
   never by a generic deep merge: text arrives as pieces appended to lists and joined once, so any
   number of deltas costs linear time; ids, names and roles are set once; finish reasons and usage
   keep their last non-empty value.

The hot path parses each payload once with ``json`` and walks the resulting dicts with a few type
checks; no model object is built per chunk. Every value of an unexpected type becomes an
:class:`InvalidChunkError` naming its JSON path, so no input can raise anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, NoReturn

from ._chunk_schema import check_chunk
from ._completion import ChatCompletion, ChatMessage, Choice
from ._decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ._errors import (
    IncompleteStreamError,
    InvalidChunkError,
    ProviderError,
    StreamError,
)
from ._events import ServerSentEvent
from ._tool_calls import CallState, ToolCalls, apply_function, copy_extras, merge_extra
from ._updates import (
    ChatUpdate,
    ChoiceFinished,
    ContentDelta,
    ReasoningDelta,
    RefusalDelta,
    StreamDone,
    UsageUpdate,
)

__all__ = ["ChatAccumulator", "ChatInput", "ChatState"]


class ChatState(Enum):
    """Where a chat stream is in its life."""

    STREAMING = "streaming"
    """Chunks are arriving."""
    DONE = "done"
    """``data: [DONE]`` arrived: the stream is complete."""
    CLOSED = "closed"
    """The input ended and the stream was complete; the result is final."""
    FAILED = "failed"
    """An error was raised; every later call raises it again."""


class ChatInput(Enum):
    """What can happen to a chat stream (the inputs of the state machine)."""

    CHUNK = "a chunk"
    DONE_MARKER = "data: [DONE]"
    PROVIDER_ERROR = "a provider error"
    INVALID = "an unreadable or invalid event"
    END_COMPLETE = "the end of a complete stream"
    END_TRUNCATED = "the end of a truncated stream"


# Where updates go: a list, or None when nobody reads them (accumulate() builds none).
Updates = list[ChatUpdate] | None

_S = ChatState
_I = ChatInput
# Module-level aliases: reading an Enum member off its class is slow on the hot path.
_STREAMING = ChatState.STREAMING
_DONE = ChatState.DONE
_CLOSED = ChatState.CLOSED
_FAILED = ChatState.FAILED
# Every legal move. Anything else raises: the stored error in FAILED, a StreamError in CLOSED.
_TRANSITIONS: Mapping[tuple[ChatState, ChatInput], ChatState] = {
    (_S.STREAMING, _I.CHUNK): _S.STREAMING,
    (_S.STREAMING, _I.DONE_MARKER): _S.DONE,
    (_S.STREAMING, _I.PROVIDER_ERROR): _S.FAILED,
    (_S.STREAMING, _I.INVALID): _S.FAILED,
    (_S.STREAMING, _I.END_COMPLETE): _S.CLOSED,
    (_S.STREAMING, _I.END_TRUNCATED): _S.FAILED,
    # PROTOCOL §2: data after [DONE] is a protocol violation. Strict mode reports it (as INVALID);
    # the default mode keeps whatever still arrives, since nothing received is ever dropped.
    (_S.DONE, _I.CHUNK): _S.DONE,
    (_S.DONE, _I.DONE_MARKER): _S.DONE,
    (_S.DONE, _I.PROVIDER_ERROR): _S.FAILED,
    (_S.DONE, _I.INVALID): _S.FAILED,
    # After [DONE] the stream is complete by definition, so its end is never a truncation.
    (_S.DONE, _I.END_COMPLETE): _S.CLOSED,
}

# Fields with a rule of their own at each level; any other field is a vendor extra, except a
# chunk's "error", which is left out here so that the extras test also catches it (see _chunk).
_CHUNK_FIELDS = frozenset(
    {"id", "object", "created", "model", "choices", "usage", "system_fingerprint", "service_tier"}
)
_CHOICE_FIELDS = frozenset({"index", "delta", "finish_reason", "logprobs"})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# json.loads accepts NaN and Infinity, which are not JSON; this decoder refuses them.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_decode_json = _DECODER.decode
# The C scanner behind decode(): one JSON value at an index. Calling it directly skips the two
# whitespace regex matches and Python-level calls json.loads adds around it (about a third of
# json.loads's time on a typical chunk). Payloads with surrounding whitespace, trailing data or
# errors take the full decoder, which gives the exact json.loads result or error.
# (An instance attribute JSONDecoder.__init__ sets; typeshed does not declare it.)
_scan_json: Callable[[str, int], tuple[Any, int]] = vars(_DECODER)["scan_once"]


def _parse(data: str) -> Any:
    try:
        value, end = _scan_json(data, 0)
        if end == len(data):
            return value
    except (StopIteration, ValueError, RecursionError):
        pass
    try:
        return _decode_json(data)
    except (ValueError, RecursionError) as exc:
        raise _not_json(exc) from None


def _not_json(exc: Exception) -> InvalidChunkError:
    # ValueError covers malformed JSON, NaN/Infinity and over-long integers; RecursionError is
    # how the json module reports nesting deeper than the interpreter allows.
    reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
    return InvalidChunkError(f"the payload is not valid JSON ({reason})")


# How many vendor field names are tracked per level. Real streams use a handful; the bound keeps
# a hostile stream that invents a new field in every chunk linear (each chunk would otherwise
# re-read every name seen so far, and widening the set copies it).
_MAX_TRACKED_EXTRAS = 32


def _track(
    fields: frozenset[str], tracked: tuple[str, ...], new: tuple[str, ...]
) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """Start tracking the vendor field names ``new``: the widened ``fields`` and ``tracked``, and
    the names left untracked (beyond the bound) that the caller reads from this chunk itself."""
    if len(tracked) + len(new) > _MAX_TRACKED_EXTRAS:
        return fields, tracked, new
    return fields.union(new), tracked + new, ()


def _invalid(rule: str, path: str) -> InvalidChunkError:
    return InvalidChunkError(rule, path=path)


class _ChoiceState:
    """One choice being rebuilt. Text fields are None until the stream sends a string for them."""

    __slots__ = (
        "content",
        "extras",
        "finish_reason",
        "function_call",
        "index",
        "logprobs",
        "message_extras",
        "reasoning",
        "reasoning_field",
        "refusal",
        "role",
        "tool_calls",
    )

    def __init__(self, index: int, strict: bool) -> None:
        self.index = index
        self.role = ""
        self.content: list[str] | None = None
        self.refusal: list[str] | None = None
        self.reasoning: list[str] | None = None
        self.reasoning_field = "reasoning"
        self.tool_calls = ToolCalls(index, strict)
        self.function_call: CallState | None = None
        self.finish_reason: str | None = None
        # None until a chunk carries logprobs; then {"content": list | None, "refusal": ...}.
        self.logprobs: dict[str, list[Any] | None] | None = None
        self.extras: dict[str, Any] = {}
        self.message_extras: dict[str, Any] = {}

    def build(self) -> Choice:
        logprobs = self.logprobs
        return Choice(
            index=self.index,
            message=ChatMessage(
                role=self.role or "assistant",
                content=None if self.content is None else "".join(self.content),
                refusal=None if self.refusal is None else "".join(self.refusal),
                reasoning=None if self.reasoning is None else "".join(self.reasoning),
                reasoning_field=self.reasoning_field,
                tool_calls=self.tool_calls.build(),
                function_call=None if self.function_call is None else self.function_call.function(),
                extras=copy_extras(self.message_extras),
            ),
            finish_reason=self.finish_reason,
            logprobs=None
            if logprobs is None
            else {key: None if held is None else list(held) for key, held in logprobs.items()},
            extras=copy_extras(self.extras),
        )


class ChatAccumulator:
    """Sans-I/O engine for one OpenAI-style chat completion stream.

    Feed it the stream as raw bytes (:meth:`feed`), as decoded events (:meth:`feed_event`) or as
    parsed chunks (:meth:`feed_chunk`); each call returns the :class:`ChatUpdate` objects the input
    produced. Call :meth:`close` at the end of the input, then :meth:`result` for the completion.
    :meth:`snapshot` gives the completion rebuilt so far at any time.

    The default mode reads every OpenAI-compatible vendor's stream (PROTOCOL.md §2 lists the
    quirks). ``strict=True`` instead rejects every deviation from OpenAI's documented chunk schema
    with an :class:`InvalidChunkError` naming the rule; fields the schema does not name are still
    allowed.

    Errors (all :class:`StreamError`, each with ``offset``, ``event_index`` and ``partial``):
    :class:`InvalidChunkError` and :class:`ProviderError` are raised by the ``feed*`` call that
    meets them, after what the chunk carried has been taken; :class:`IncompleteStreamError` by
    :meth:`close` when the input ended before ``[DONE]`` and before every choice finished. Once an
    error is raised the accumulator is ``FAILED``: every later ``feed*``, :meth:`close` and
    :meth:`result` raises the same error again. In the default mode, chunks arriving after
    ``[DONE]`` are still applied (strict mode rejects them).

    Args:
        strict: reject deviations from the documented schema instead of reading them.
        max_event_size: the largest event :meth:`feed` buffers (see :class:`SSEDecoder`).

    Raises:
        ValueError: if ``strict`` is not a bool or ``max_event_size`` is not valid.
    """

    __slots__ = (
        "_choice_extra_keys",
        "_choice_fields",
        "_choices",
        "_chunk_fields",
        "_created",
        "_decoder",
        "_done_sent",
        "_error",
        "_extra_keys",
        "_extras",
        "_id",
        "_inputs",
        "_meta_rank",
        "_model",
        "_plain",
        "_service_tier",
        "_state",
        "_strict",
        "_system_fingerprint",
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
        self._done_sent = False
        # Stream metadata (PROTOCOL §2): taken from the first chunk with a non-empty id (rank 2),
        # or failing that from the first with a non-empty model (rank 1).
        self._meta_rank = 0
        self._plain = False
        self._id = ""
        self._model = ""
        self._created = 0
        self._system_fingerprint: str | None = None
        self._service_tier: str | None = None
        self._choices: dict[int, _ChoiceState] = {}
        self._usage: dict[str, Any] | None = None
        self._extras: dict[str, Any] = {}
        # Vendor extras are found with one C-level subset test per chunk and per choice: the
        # fields with a rule of their own plus the extra keys seen so far. Only a chunk bringing
        # a new extra key fails it and widens the set; the known extras are then read with get().
        self._chunk_fields = _CHUNK_FIELDS
        self._extra_keys: tuple[str, ...] = ()
        self._choice_fields = _CHOICE_FIELDS
        self._choice_extra_keys: tuple[str, ...] = ()

    @property
    def state(self) -> ChatState:
        """Where the stream is in its life."""
        return self._state

    @property
    def strict(self) -> bool:
        """Whether deviations from the documented chunk schema are rejected."""
        return self._strict

    # -- input ------------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> list[ChatUpdate]:
        """Take the next bytes of the raw ``text/event-stream`` body; return the updates they
        complete. Reads may be split anywhere.

        Raises:
            InvalidChunkError, ProviderError: as the event arrives; ``offset`` is the byte offset
                where that event starts in the stream. The updates this call produced before
                the error are not returned (:func:`iter_chat` hands them out first).
            EventTooLargeError: from the decoder, with ``partial`` attached.
        """
        updates: list[ChatUpdate] = []
        self._feed_into(data, updates)
        return updates

    def _feed_into(self, data: bytes | bytearray | memoryview, updates: Updates) -> None:
        """:meth:`feed`, appending to ``updates`` so that a caller keeps the updates produced
        before an error (the streaming wrappers yield them before re-raising)."""
        if self._state is _CLOSED or self._state is _FAILED:
            self._move(ChatInput.CHUNK)
        decoder = self._decoder
        events: list[ServerSentEvent] = []
        event = None
        try:
            events = decoder.feed(data)
            chunk_of = self._chunk
            scan = _scan_json
            for event in events:
                payload = event.data
                # The common case inlined: a message event carrying a JSON chunk.
                if event.event == "message":
                    try:
                        chunk, end = scan(payload, 0)
                    except (StopIteration, ValueError, RecursionError):
                        end = -1
                    if end == len(payload):
                        chunk_of(chunk, updates)
                        continue
                # Anything else ([DONE], an error event, whitespace around the JSON, not JSON)
                # takes the general path, which decides exactly.
                self._event(event.event, payload, updates)
        except StreamError as error:
            if event is not None:
                # Found by identity, off the hot path: events equal by value may repeat.
                position = next(i for i, other in enumerate(events) if other is event)
                error.event_index = decoder.events_dispatched - len(events) + position
                error.offset = decoder.event_offset(error.event_index)
            self._fail(error)
            raise

    def feed_event(self, event: ServerSentEvent) -> list[ChatUpdate]:
        """Take one decoded event of the stream; return the updates it produced.

        Raises:
            InvalidChunkError, ProviderError: ``event_index`` counts the events given to this
                method; ``offset`` is None.
        """
        updates: list[ChatUpdate] = []
        self._guarded(self._event, event.event, event.data, updates)
        return updates

    def feed_chunk(self, chunk: Mapping[str, Any] | Any) -> list[ChatUpdate]:
        """Take one parsed chunk: a mapping as ``json.loads`` gives it, or a pydantic model such
        as an openai SDK ``ChatCompletionChunk`` (read with ``model_dump(exclude_unset=True)``,
        so only the fields the wire carried count and ``usage`` stays verbatim). Return the
        updates it produced.

        Raises:
            InvalidChunkError, ProviderError: ``event_index`` counts the chunks given to this
                method; ``offset`` is None.
        """
        updates: list[ChatUpdate] = []
        self._guarded(self._chunk_object, chunk, updates)
        return updates

    def feed_done(self) -> list[ChatUpdate]:
        """Say that ``data: [DONE]`` arrived, for callers who feed parsed chunks: the openai SDK
        consumes the marker itself and simply ends its loop. Return the updates it produced (tool
        calls completed, :class:`StreamDone`).

        Raises:
            InvalidChunkError: in strict mode, if the marker was already given.
        """
        updates: list[ChatUpdate] = []
        self._guarded(self._done, updates)
        return updates

    def _chunk_object(self, chunk: Any, updates: Updates) -> None:
        model_dump = getattr(chunk, "model_dump", None)
        if callable(model_dump):
            # Pydantic fills every field its model knows with None unless told to keep only the
            # fields that were set; warnings=False because vendors send what the SDK's types do
            # not foresee (Mistral's content arrays), which is ours to read, not pydantic's.
            chunk = model_dump(exclude_unset=True, warnings=False)
        elif isinstance(chunk, Mapping) and type(chunk) is not dict:
            chunk = dict(chunk)
        self._chunk(chunk, updates)

    def _guarded(self, step: Any, *arguments: Any) -> None:
        """Run one event, chunk or marker through ``step``, turning an error into the FAILED
        state."""
        if self._state is _CLOSED or self._state is _FAILED:
            self._move(ChatInput.CHUNK)
        index = self._inputs
        self._inputs = index + 1
        try:
            step(*arguments)
        except StreamError as error:
            error.event_index = index
            self._fail(error)
            raise

    def close(self) -> list[ChatUpdate]:
        """Signal the end of the input; return the last updates (tool calls completed at the
        end, :class:`StreamDone`). Calling it again returns ``[]``.

        Raises:
            IncompleteStreamError: the input ended before ``[DONE]`` and before every choice
                had a finish_reason (at least one choice must have been seen).
            StreamError: the error already raised, if the accumulator has failed.
        """
        state = self._state
        if state is _CLOSED:
            return []
        if state is _FAILED:
            self._move(ChatInput.END_COMPLETE)
        updates: list[ChatUpdate] = []
        try:
            # The decoder discards an unfinished final event (WHATWG); it never dispatches here.
            self._decoder.close()
            choices = self._choices.values()
            complete = state is _DONE or (
                bool(choices) and all(choice.finish_reason is not None for choice in choices)
            )
            if not complete:
                raise IncompleteStreamError(
                    "the stream ended before data: [DONE] and before every choice finished",
                    offset=self._decoder.offset or None,
                )
            self._move(ChatInput.END_COMPLETE)
            self._finish_stream(updates)
        except StreamError as error:
            self._fail(error)
            raise
        return updates

    # -- output -----------------------------------------------------------------------------

    def snapshot(self) -> ChatCompletion:
        """The completion rebuilt from everything received so far. Never raises."""
        choices = self._choices
        return ChatCompletion(
            id=self._id,
            model=self._model,
            created=self._created,
            choices=tuple(choices[index].build() for index in sorted(choices)),
            usage=self._usage,
            system_fingerprint=self._system_fingerprint,
            service_tier=self._service_tier,
            extras=dict(self._extras),
        )

    def result(self) -> ChatCompletion:
        """The final completion. Calls :meth:`close` first if it was not called.

        Raises:
            StreamError: the error the stream failed with (the same object every time).
        """
        if self._state is not _CLOSED:
            self.close()
        return self.snapshot()

    # -- the state machine ------------------------------------------------------------------

    def _move(self, event: ChatInput) -> None:
        """Apply a move of :data:`_TRANSITIONS`, or raise if it is not a legal one."""
        target = _TRANSITIONS.get((self._state, event))
        if target is None:
            if self._error is not None:
                raise self._error
            raise StreamError(
                f"{event.value} is not allowed once the stream is {self._state.value}"
            )
        self._state = target
        self._plain = self._is_plain()

    def _is_plain(self) -> bool:
        """Whether a chunk needs nothing but the common path: streaming, lenient, metadata
        known. One flag the hot path tests instead of three."""
        return self._state is _STREAMING and not self._strict and self._meta_rank == 2

    def _fail(self, error: StreamError) -> None:
        """Record ``error`` as the stream's end: FAILED, with the partial completion attached."""
        if isinstance(error, ProviderError):
            event = ChatInput.PROVIDER_ERROR
        elif isinstance(error, IncompleteStreamError):
            event = ChatInput.END_TRUNCATED
        else:
            event = ChatInput.INVALID
        self._move(event)
        error.partial = self.snapshot()
        self._error = error

    # -- events and chunks ------------------------------------------------------------------

    def _event(self, kind: str, data: str, updates: Updates) -> None:
        if data == "[DONE]":
            self._done(updates)
        elif kind == "message":
            self._chunk(_parse(data), updates)
        elif kind == "error":
            # Some vendors (Groq) report a mid-stream failure as `event: error`.
            self._error_event(data, updates)
        elif self._strict:
            raise InvalidChunkError(f"chat chunks are message events, not {kind!r}")
        else:
            # The event type is no part of the chat protocol: read the payload as a chunk.
            self._chunk(_parse(data), updates)

    def _done(self, updates: Updates) -> None:
        if self._state is _DONE and self._strict:
            raise InvalidChunkError("nothing may follow data: [DONE]")
        self._move(ChatInput.DONE_MARKER)
        self._finish_stream(updates)

    def _finish_stream(self, updates: Updates) -> None:
        """The stream is complete: every tool call is done, and the stream too (once)."""
        if updates is None:
            return
        choices = self._choices
        for index in sorted(choices):
            choices[index].tool_calls.complete(updates)
        if not self._done_sent:
            self._done_sent = True
            updates.append(StreamDone(self.snapshot()))

    def _error_event(self, data: str, updates: Updates) -> None:
        try:
            payload = _parse(data)
        except InvalidChunkError:
            raise ProviderError(data) from None
        if type(payload) is dict and payload.get("error") is not None:
            self._chunk(payload, updates)
        raise ProviderError(payload)

    def _chunk(self, chunk: Any, updates: Updates) -> None:
        """Check and apply one chunk, field by field (PROTOCOL §2).

        The hot path, hence one function: the choices are walked inline, the common delta fields
        (content, tool_calls) are handled here, and vendor extras cost one subset test.
        """
        if type(chunk) is not dict:
            raise _invalid("a chunk must be a JSON object", "$")
        if not self._chunk_fields.issuperset(chunk):
            # A field without a rule of its own: a vendor extra (kept from now on), or "error",
            # which is never added to the set so that every chunk carrying it comes here.
            if chunk.get("error") is not None:
                self._error_chunk(chunk, updates)
            new = tuple(key for key in chunk.keys() - self._chunk_fields if key != "error")
            self._chunk_fields, self._extra_keys, new = _track(
                self._chunk_fields, self._extra_keys, new
            )
            for key in new:
                if chunk[key] is not None:
                    self._extras[key] = chunk[key]
        if not self._plain:
            if self._state is not _STREAMING:
                if self._strict:
                    raise InvalidChunkError("nothing may follow data: [DONE]")
                self._move(ChatInput.CHUNK)
            if self._strict:
                check_chunk(chunk)
            if self._meta_rank < 2:
                self._take_metadata(chunk)
        for key in self._extra_keys:
            # Vendor extras at the top level (citations, x_groq, prompt_filter_results, ...) are
            # whole values resent or updated per chunk: the last non-null one is kept.
            value = chunk.get(key)
            if value is not None:
                self._extras[key] = value
        choices = chunk.get("choices")
        if type(choices) is list:
            states = self._choices
            choice: Any = None
            try:
                for choice in choices:
                    if type(choice) is not dict:
                        raise _invalid("a choice must be an object", "")
                    index = choice.get("index")
                    if type(index) is not int or index < 0:
                        if index is not None:
                            raise _invalid("index must be a non-negative integer", ".index")
                        # Lenient: a vendor omitting the index has one choice, index 0.
                        index = 0
                    state = states.get(index)
                    if state is None:
                        # A dict, not a list: a hostile index of 10**9 allocates nothing.
                        state = states[index] = _ChoiceState(index, self._strict)
                    elif self._strict and state.finish_reason is not None:
                        raise _invalid(
                            "a choice receives nothing after its finish_reason",
                            "",
                        )
                    delta = choice.get("delta")
                    if type(delta) is dict:
                        content = delta.get("content")
                        if type(content) is str:
                            # PROTOCOL §2: string deltas concatenated; "" makes the content "".
                            pieces = state.content
                            if pieces is None:
                                state.content = [content]
                            else:
                                pieces.append(content)
                            if content and updates is not None:
                                updates.append(ContentDelta(index, content))
                        elif content is not None:
                            self._apply_content_parts(state, content, updates)
                        calls = delta.get("tool_calls")
                        if calls is not None:
                            state.tool_calls.apply(calls, updates)
                        # Any other field (role, refusal, reasoning, extras) takes the general path.
                        if len(delta) > 1 or (content is None and calls is None and delta):
                            self._apply_delta(state, delta, updates)
                    elif delta is not None:
                        raise _invalid("delta must be an object", ".delta")
                    if not self._choice_fields.issuperset(choice):
                        self._choice_fields, self._choice_extra_keys, new = _track(
                            self._choice_fields,
                            self._choice_extra_keys,
                            tuple(choice.keys() - self._choice_fields),
                        )
                        for key in new:
                            if choice[key] is not None:
                                merge_extra(state.extras, key, choice[key])
                    for key in self._choice_extra_keys:
                        value = choice.get(key)
                        if value is not None:
                            merge_extra(state.extras, key, value)
                    logprobs = choice.get("logprobs")
                    if logprobs is not None:
                        self._apply_logprobs(state, logprobs)
                    reason = choice.get("finish_reason")
                    # PROTOCOL §2: the last non-empty finish_reason; a later null or "" never clears
                    # it, whatever the chunk's object (Perplexity ends on "chat.completion.done").
                    if reason:
                        if reason != state.finish_reason:
                            self._finish_choice(state, reason, updates)
                    elif reason is not None and reason != "":
                        raise _invalid(
                            "finish_reason must be a string or null",
                            ".finish_reason",
                        )
            except InvalidChunkError as error:
                # The choice's position, found by identity only when reporting: the paths
                # inside are relative to the choice, so the hot loop needs no counter.
                position = next(i for i, other in enumerate(choices) if other is choice)
                raise _invalid(error.rule, f"$.choices[{position}]{error.path}") from None
        elif choices is not None:
            raise _invalid("choices must be a list", "$.choices")
        usage = chunk.get("usage")
        if usage is not None:
            if type(usage) is not dict:
                raise _invalid("usage must be an object or null", "$.usage")
            if self._strict and self._usage is not None:
                raise _invalid("usage is sent once, in the final chunk", "$.usage")
            # PROTOCOL §2: the last non-null usage, verbatim; cumulative usage is never summed.
            self._usage = usage
            if updates is not None:
                updates.append(UsageUpdate(usage))

    def _error_chunk(self, chunk: dict[str, Any], updates: Updates) -> NoReturn:
        """PROTOCOL §2: take what an error chunk carried (OpenRouter sends choices and usage in
        it), then report the error. A malformed remainder must not hide the error."""
        error = chunk["error"]
        rest = {key: value for key, value in chunk.items() if key != "error"}
        try:
            self._chunk(rest, updates)
        except InvalidChunkError as exc:
            raise ProviderError(error) from exc
        raise ProviderError(error)

    @staticmethod
    def _finish_choice(state: _ChoiceState, reason: Any, updates: Updates) -> None:
        if type(reason) is not str:
            raise _invalid("finish_reason must be a string or null", ".finish_reason")
        first = state.finish_reason is None
        state.finish_reason = reason
        if updates is not None:
            # The choice's tool calls are complete once it finishes: report them before it.
            if first:
                state.tool_calls.complete(updates)
            updates.append(ChoiceFinished(state.index, reason))

    def _take_metadata(self, chunk: dict[str, Any]) -> None:
        chunk_id = chunk.get("id")
        model = chunk.get("model")
        # PROTOCOL §2: from the first chunk with a non-empty id (Azure's prompt-filter chunk has
        # id ""), else from the first with a non-empty model.
        if type(chunk_id) is str and chunk_id:
            rank = 2
        elif self._meta_rank == 0 and type(model) is str and model:
            rank = 1
        else:
            return
        created = chunk.get("created")
        fingerprint = chunk.get("system_fingerprint")
        tier = chunk.get("service_tier")
        if chunk_id is not None and type(chunk_id) is not str:
            raise _invalid("id must be a string", "$.id")
        if model is not None and type(model) is not str:
            raise _invalid("model must be a string", "$.model")
        if created is not None and type(created) is not int:
            raise _invalid("created must be an integer", "$.created")
        if fingerprint is not None and type(fingerprint) is not str:
            raise _invalid("system_fingerprint must be a string or null", "$.system_fingerprint")
        if tier is not None and type(tier) is not str:
            raise _invalid("service_tier must be a string or null", "$.service_tier")
        self._meta_rank = rank
        self._plain = self._is_plain()
        self._id = chunk_id or ""
        self._model = model or ""
        self._created = created or 0
        self._system_fingerprint = fingerprint
        self._service_tier = tier

    def _apply_delta(self, state: _ChoiceState, delta: dict[str, Any], updates: Updates) -> None:
        for key, value in delta.items():
            if value is None:
                continue
            if key == "content" or key == "tool_calls":
                continue  # applied by _chunk, the hot path
            if key == "role":
                if type(value) is not str:
                    raise self._wrong_type(key, "a string or null")
                # PROTOCOL §2: set once, never concatenated (vendors resend it on every chunk).
                if not state.role:
                    state.role = value
                elif self._strict and value and value != state.role:
                    raise _invalid("role is set once per choice", ".delta.role")
            elif key == "refusal":
                if type(value) is not str:
                    raise self._wrong_type(key, "a string or null")
                if state.refusal is None:
                    state.refusal = [value]
                else:
                    state.refusal.append(value)
                if value and updates is not None:
                    updates.append(RefusalDelta(state.index, value))
            elif key == "reasoning_content" or key == "reasoning":
                if type(value) is not str:
                    raise self._wrong_type(key, "a string or null")
                # One text whichever field carried it; a delta sending both is read once.
                if key == "reasoning" and type(delta.get("reasoning_content")) is str:
                    continue
                if key == "reasoning_content":
                    state.reasoning_field = key
                self._add_reasoning(state, value, updates)
            elif key == "function_call":
                # The legacy single function call, rebuilt by the tool call rules.
                call = state.function_call
                if call is None:
                    call = state.function_call = CallState(0)
                try:
                    apply_function(call, value)
                except InvalidChunkError as exc:
                    where = f".delta.function_call{exc.path}"
                    raise _invalid(exc.rule, where) from None
            else:
                merge_extra(state.message_extras, key, value)

    @staticmethod
    def _wrong_type(key: str, expected: str) -> InvalidChunkError:
        return _invalid(f"{key} must be {expected}", f".delta.{key}")

    @staticmethod
    def _add_reasoning(state: _ChoiceState, text: str, updates: Updates) -> None:
        if state.reasoning is None:
            state.reasoning = [text]
        else:
            state.reasoning.append(text)
        if text and updates is not None:
            updates.append(ReasoningDelta(state.index, text))

    def _apply_content_parts(self, state: _ChoiceState, parts: Any, updates: Updates) -> None:
        """Content sent as a list of typed parts (Mistral Magistral): ``thinking`` parts are
        reasoning; strings and ``text`` parts are content."""
        path = ".delta.content"
        if type(parts) is not list:
            raise _invalid("content must be a string, a list of parts or null", path)
        if self._strict:
            raise _invalid("content must be a string or null", path)
        for number, part in enumerate(parts):
            part_path = f"{path}[{number}]"
            if type(part) is dict:
                kind = part.get("type")
                if kind == "thinking":
                    self._apply_thinking(state, part.get("thinking"), part_path, updates)
                    continue
                if kind != "text":
                    raise _invalid('a content part must have type "text" or "thinking"', part_path)
                part = part.get("text")
                part_path += ".text"
            if type(part) is not str:
                raise _invalid("a text part must be a string", part_path)
            if state.content is None:
                state.content = [part]
            else:
                state.content.append(part)
            if part and updates is not None:
                updates.append(ContentDelta(state.index, part))

    def _apply_thinking(
        self, state: _ChoiceState, thinking: Any, path: str, updates: Updates
    ) -> None:
        path += ".thinking"
        items = [thinking] if type(thinking) is str else thinking
        if type(items) is not list:
            raise _invalid("thinking must be a string or a list of text parts", path)
        for number, item in enumerate(items):
            text = item
            if type(item) is dict and item.get("type") == "text":
                text = item.get("text")
            if type(text) is not str:
                raise _invalid("a thinking part must be text", f"{path}[{number}]")
            self._add_reasoning(state, text, updates)

    def _apply_logprobs(self, state: _ChoiceState, logprobs: Any) -> None:
        path = ".logprobs"
        if type(logprobs) is not dict:
            raise _invalid("logprobs must be an object or null", path)
        held = state.logprobs
        if held is None:
            held = state.logprobs = {"content": None, "refusal": None}
        # PROTOCOL §2: the content and refusal token lists of every chunk, concatenated.
        for key in ("content", "refusal"):
            tokens = logprobs.get(key)
            if tokens is None:
                continue
            if type(tokens) is not list:
                raise _invalid(f"{key} must be a list or null", f"{path}.{key}")
            previous = held[key]
            if previous is None:
                held[key] = list(tokens)
            else:
                previous.extend(tokens)
