"""The chat chunk engine: ``chat.completion.chunk`` events in, typed updates and the rebuilt
completion out.

Strategy. Two layers of state, kept apart:

1. The stream's lifecycle, the state machine every dialect shares (:class:`ChatState`, every
   legal move in :data:`_TRANSITIONS`; the skeleton in :class:`~..kit.engine.Engine`): chunks
   are accepted while ``STREAMING`` (and, leniently, ignored after ``[DONE]``), an error moves
   to ``FAILED`` for good, the end of input moves to ``CLOSED``.
2. What each choice has received so far, rebuilt by one explicit rule per field,
   never by a generic deep merge: text arrives as pieces appended to lists and joined once, so any
   number of deltas costs linear time; ids, names and roles are set once; finish reasons and usage
   keep their last non-empty value.

This module holds chat's rules of the first layer (its hot loop, ``[DONE]``, when a stream is
complete) and the walk over each chunk; the per-field rules of a choice
live in ``choice``, those of tool calls in ``tool_calls``, strict mode's schema check in
``schema``. The hot path parses each payload once with the ``json`` scanner and walks the
resulting dicts with a few type checks; no model object is built per chunk. Every value of an
unexpected type becomes an :class:`InvalidChunkError` naming its JSON path, so no input can raise
anything else; the one exception is the stream's metadata, which the default mode reads only when
well typed. Each rule judges a value the same wherever in the stream it comes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, NoReturn

from ...wire.errors import StreamError
from ...wire.events import ServerSentEvent
from ..kit.engine import Engine, Updates
from ..kit.errors import InvalidChunkError, ProviderError
from ..kit.payload import SHORT_PAYLOAD, parse_json, scan_short_json
from ..kit.state import Input, StreamState, transitions
from ..kit.template import FastPath
from ..kit.updates import ChatUpdate, ContentDelta, StreamDone, UsageUpdate
from .choice import ChoiceState
from .completion import ChatCompletion
from .extras import merge_extra
from .fast import plan
from .schema import check_chunk

__all__ = ["ChatAccumulator", "ChatState"]


ChatState = StreamState
"""The states of a chat stream (the same as every dialect's)."""

# Module-level aliases: reading an Enum member off its class is slow on the hot path.
_STREAMING = ChatState.STREAMING
_DONE = ChatState.DONE
# A chat stream is complete at [DONE], or without it once every choice has finished.
_TRANSITIONS = transitions(complete_without_terminal=True)

# Fields with a rule of their own at each level; any other field is a vendor extra, except a
# chunk's "error", which is left out here so that the extras test also catches it (see _chunk).
_CHUNK_FIELDS = frozenset(
    {"id", "object", "created", "model", "choices", "usage", "system_fingerprint", "service_tier"}
)
_CHOICE_FIELDS = frozenset({"index", "delta", "finish_reason", "logprobs"})


# How many vendor field names are tracked per level. Real streams use a handful; the bound keeps
# a hostile stream that invents a new field in every chunk linear (each chunk would otherwise
# re-read every name seen so far, and widening the set copies it).
_MAX_TRACKED_EXTRAS = 32


# How many choices one stream may open. OpenAI caps the request's n at 128; the bound is eight
# times that, so no real stream meets it, while a hostile chunk listing 80,000 choice indexes is
# refused before it builds (and every snapshot rebuilds) 80,000 choices.
_MAX_CHOICES = 1024


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


class ChatAccumulator(Engine[ChatCompletion]):
    """Sans-I/O engine for one OpenAI-style chat completion stream.

    Feed it the stream as raw bytes (:meth:`feed`), as decoded events (:meth:`feed_event`) or as
    parsed chunks (:meth:`feed_chunk`); each call returns the :class:`ChatUpdate` objects the input
    produced. Call :meth:`close` at the end of the input, then :meth:`result` for the completion.
    :meth:`snapshot` gives the completion rebuilt so far at any time.

    The default mode reads every OpenAI-compatible vendor's stream, quirks included (Azure's
    prompt-filter chunk first, roles sent again, empty continuation ids, tool indexes from 1,
    reused or missing, whole calls in one chunk, arguments as an object, the legacy
    ``function_call``, metadata of an unexpected type ignored); the documentation's chat engine
    page (docs/chat.md) gives every rule.
    ``strict=True`` instead rejects every deviation from OpenAI's documented chunk schema
    with an :class:`InvalidChunkError` naming the rule; fields the schema does not name are still
    allowed.

    Errors (all :class:`StreamError`, each with ``offset``, ``event_index`` and ``partial``):
    :class:`InvalidChunkError` and :class:`ProviderError` are raised by the ``feed*`` call that
    meets them, after what the chunk carried has been taken; :class:`IncompleteStreamError` by
    :meth:`close` when the input ended before ``[DONE]`` and before every choice finished. Once an
    error is raised the accumulator is ``FAILED``: every later ``feed*``, :meth:`close` and
    :meth:`result` raises the same error again. In the default mode, anything arriving after
    ``[DONE]`` is ignored (strict mode rejects it), as every dialect ignores what follows its
    terminal event.

    Args:
        strict: reject deviations from the documented schema instead of reading them.
        max_event_size: the largest event :meth:`feed` buffers (see :class:`SSEDecoder`).
        partial_json: give the tool-call updates (and the answer's) their parsed value as
            they arrive (docs/partial-json.md); off by default, when it costs nothing.

    Raises:
        ValueError: if ``strict`` or ``partial_json`` is not a bool or ``max_event_size`` is
            not valid.
    """

    __slots__ = (
        "_choice_extra_keys",
        "_choice_fields",
        "_choices",
        "_chunk_fields",
        "_created",
        "_done_sent",
        "_extra_keys",
        "_extras",
        "_fast",
        "_id",
        "_learning",
        "_meta_rank",
        "_model",
        "_plain",
        "_service_tier",
        "_system_fingerprint",
        "_usage",
    )

    dialect = "chat"
    _TRANSITIONS = _TRANSITIONS
    _INPUT = "a chunk"
    # Data-only "message" events (the chat wire) come from the decoder as their data alone.
    _TEXTS = True
    # Whether chunks are read with verified templates when they can be (see ``fast``); the full
    # path alone when False, which the tests compare with.
    _TEMPLATES: ClassVar[bool] = True

    def _begin(self) -> None:
        self._done_sent = False
        # Stream metadata: taken from the first chunk with a non-empty id (rank 2),
        # or failing that from the first with a non-empty model (rank 1).
        self._meta_rank = 0
        self._plain = False
        self._id = ""
        self._model = ""
        self._created = 0
        self._system_fingerprint: str | None = None
        self._service_tier: str | None = None
        self._choices: dict[int, ChoiceState] = {}
        self._usage: dict[str, Any] | None = None
        self._extras: dict[str, Any] = {}
        # Vendor extras are found with one C-level subset test per chunk and per choice: the
        # fields with a rule of their own plus the extra keys seen so far. Only a chunk bringing
        # a new extra key fails it and widens the set; the known extras are then read with get().
        self._chunk_fields = _CHUNK_FIELDS
        self._extra_keys: tuple[str, ...] = ()
        self._choice_fields = _CHOICE_FIELDS
        self._choice_extra_keys: tuple[str, ...] = ()
        # The template reading the chunks shaped like the last one, while nothing but such
        # chunks has come since (see ``fast``).
        self._fast = FastPath()
        # Whether templates are still learned: until learning gives up on the stream.
        self._learning = self._TEMPLATES

    # -- input ------------------------------------------------------------------------------

    def feed_done(self, into: list[ChatUpdate] | None = None) -> list[ChatUpdate]:
        """Say that ``data: [DONE]`` arrived, for callers who feed parsed chunks: the openai SDK
        consumes the marker itself and simply ends its loop. Return the updates it produced (tool
        calls completed, :class:`StreamDone`), appended to ``into`` when given.

        Raises:
            InvalidChunkError: in strict mode, if the marker was already given.
            UnexpectedStreamError: no chat chunk came before it.
        """
        updates: list[ChatUpdate] = [] if into is None else into
        self._guarded(updates, self._done)
        return updates

    def _read(self, events: Iterator[ServerSentEvent], updates: Updates) -> None:
        self._read_texts(events, updates, False)

    def _read_texts(self, texts: Iterator[Any], updates: Updates, are_texts: bool = True) -> None:
        # The data of the "message" events of one read, in order; or (are_texts False: from _read)
        # its events: one loop for both. Texts are the commoner (the chat wire is data-only),
        # so they come without a call in between.
        # The hot loop stays here rather than in the shared skeleton: a hook per event (or a
        # shared helper for the scan) would cost a Python call per chunk, measurable on the
        # chat benchmarks; the skeleton calls this once per read.
        chunk_of = self._chunk
        scan = scan_short_json
        short = SHORT_PAYLOAD
        fast = self._fast
        kind = "message"
        events = texts
        while True:
            # The commonest chunks of all, shaped like the one before them, read by the
            # template in one go; the first other chunk comes back for the full path. The
            # template is called here, not through fast.read: a call less per read, and a read
            # of 1-64 bytes brings about one chunk.
            template = fast.template
            if template is not None:
                event, count = template.read(events, updates, are_texts)
                fast.reads += count
            else:
                event = next(events, None)
            if event is None:
                break
            if are_texts:
                payload = event
            else:
                kind, payload = event.event, event.data
            # A JSON chunk short enough to be within the nesting bound (a longer one takes the
            # general path, which checks).
            if kind == "message" and len(payload) <= short:
                try:
                    chunk, end = scan(payload, 0)
                except (StopIteration, ValueError, RecursionError):
                    end = -1
                if end == len(payload):
                    chunk_of(chunk, updates)
                    if self._learning and self._plain:
                        if fast.worth_learning():
                            plan_of = plan(chunk, self._choices)
                            fast.learn("message", payload, chunk, plan_of, self._extras)
                        elif fast.gave_up:
                            self._learning = False
                    continue
            # Anything else ([DONE], an error event, whitespace around the JSON, not JSON)
            # takes the general path, which decides exactly.
            self._event(kind, payload, updates)

    def _parsed(self, payload: Any, updates: Updates) -> None:
        self._chunk(payload, updates)

    def _end(self, state: StreamState, updates: list[ChatUpdate]) -> None:
        """Complete at ``[DONE]``, or once every choice has a finish_reason (at least one choice
        must have been seen): then the tool calls are completed and :class:`StreamDone` sent."""
        if not self._recognised:
            raise self._not_found()
        choices = self._choices.values()
        complete = state is _DONE or (
            bool(choices) and all(choice.finish_reason is not None for choice in choices)
        )
        if not complete:
            raise self._cut("the stream ended before data: [DONE] and before every choice finished")
        self._move(Input.END_COMPLETE)
        self._finish_stream(updates)

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

    # -- the state machine ------------------------------------------------------------------

    def _move(self, event: Input) -> None:
        super()._move(event)
        self._plain = self._is_plain()
        self._fast.drop()

    def _is_plain(self) -> bool:
        """Whether a chunk needs nothing but the common path: streaming, lenient, metadata
        known. One flag the hot path tests instead of three."""
        return (
            self._state is _STREAMING
            and not self._strict
            and self._meta_rank == 2
            and self._recognised
        )

    # -- events and chunks ------------------------------------------------------------------

    def _event(self, kind: str, data: str, updates: Updates) -> None:
        if self._state is _DONE:
            self._after_done()
        elif data == "[DONE]":
            self._done(updates)
        elif kind == "message":
            self._chunk(parse_json(data), updates)
        elif kind == "error":
            # Some vendors (Groq) report a mid-stream failure as `event: error`.
            self._error_event(data, updates)
        elif self._strict:
            raise InvalidChunkError(f"chat chunks are message events, not {kind!r}")
        else:
            # The event type is no part of the chat protocol: read the payload as a chunk.
            self._chunk(parse_json(data), updates)

    def _done(self, updates: Updates) -> None:
        if not self._recognised:
            error = self._not_found()
            # Located by the caller, at this marker, not at the end of the input.
            error.event_index = None
            raise error
        if self._state is _DONE:
            self._after_done()
            return
        self._move(Input.TERMINAL)
        self._finish_stream(updates)

    def _after_done(self) -> None:
        """An event after ``[DONE]``: strict mode rejects it; the default mode ignores it."""
        if self._strict:
            raise InvalidChunkError("nothing may follow data: [DONE]")

    def _finish_stream(self, updates: Updates) -> None:
        """The stream is complete (its first ``[DONE]``, or the end of a complete input): report
        every call done (tool calls, a legacy function call), then the stream.

        Tool calls are reported here rather than at their choice's finish_reason, which vendors
        follow with more argument deltas; nothing after this changes one, since what follows
        ``[DONE]`` is ignored.
        """
        if updates is None or self._done_sent:
            return
        choices = self._choices
        for index in sorted(choices):
            choices[index].complete(updates)
        self._done_sent = True
        updates.append(StreamDone(self.snapshot()))

    def _error_event(self, data: str, updates: Updates) -> None:
        try:
            payload = parse_json(data)
        except InvalidChunkError:
            raise ProviderError(data) from None
        if type(payload) is dict and payload.get("error") is not None:
            self._chunk(payload, updates)
        raise ProviderError(payload)

    def _chunk(self, chunk: Any, updates: Updates) -> None:
        """Check and apply one chunk, field by field.

        The hot path, hence one function: the choices are walked inline, the common delta fields
        (content, tool_calls) are handled here, and vendor extras cost one subset test.
        """
        # Whatever this chunk changes, the template's chunk may no longer be repeated as if it
        # came again at once.
        self._fast.drop()
        # The state first: what follows [DONE] is ignored whatever it is, as it is when it comes
        # in a later read, which the readers never take.
        if not self._plain and self._state is not _STREAMING:
            self._after_done()
            return
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
            if not self._recognised:
                self._recognise(chunk)
            if self._strict:
                check_chunk(chunk)
            if self._meta_rank < 2:
                self._take_metadata(chunk)
        # Read from every chunk, the last non-null value kept (vLLM sends its fingerprint only
        # with the usage, after the text). Like the rest of the metadata, a value of another type
        # is not read, wherever it comes (strict mode rejects it).
        fingerprint = chunk.get("system_fingerprint")
        if type(fingerprint) is str:
            self._system_fingerprint = fingerprint
        tier = chunk.get("service_tier")
        if type(tier) is str:
            self._service_tier = tier
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
                        if len(states) >= _MAX_CHOICES:
                            raise _invalid(f"a stream has at most {_MAX_CHOICES} choices", ".index")
                        # A dict, not a list: a hostile index of 10**9 allocates nothing.
                        state = states[index] = ChoiceState(index, self._strict)
                    elif self._strict and state.finish_reason is not None:
                        raise _invalid(
                            "a choice receives nothing after its finish_reason",
                            "",
                        )
                    delta = choice.get("delta")
                    if type(delta) is dict:
                        content = delta.get("content")
                        if type(content) is str:
                            # String deltas concatenated; "" makes the content "".
                            pieces = state.content
                            if pieces is None:
                                state.content = [content]
                            else:
                                pieces.append(content)
                            if content and updates is not None:
                                updates.append(ContentDelta(index, content))
                        elif content is not None:
                            state.apply_content_parts(content, updates)
                        calls = delta.get("tool_calls")
                        if calls is not None:
                            state.tool_calls.apply(calls, updates)
                        # Any other field (role, refusal, reasoning, extras) takes the general path.
                        if len(delta) > 1 or (content is None and calls is None and delta):
                            state.apply_delta(delta, updates)
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
                        state.apply_logprobs(logprobs)
                    reason = choice.get("finish_reason")
                    # The last non-empty finish_reason; a later null or "" never clears
                    # it, whatever the chunk's object (Perplexity ends on "chat.completion.done").
                    if reason:
                        if reason != state.finish_reason:
                            state.finish(reason, updates)
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
            # The last non-null usage, verbatim; cumulative usage is never summed.
            self._usage = usage
            if updates is not None:
                updates.append(UsageUpdate(usage))

    def _error_chunk(self, chunk: dict[str, Any], updates: Updates) -> NoReturn:
        """Take what an error chunk carried (OpenRouter sends choices and usage in
        it), then report the error. A malformed remainder must not hide the error."""
        error = chunk["error"]
        rest = {key: value for key, value in chunk.items() if key != "error"}
        try:
            self._chunk(rest, updates)
        except StreamError as exc:
            raise ProviderError(error) from exc
        raise ProviderError(error)

    def _recognise(self, chunk: dict[str, Any]) -> None:
        """Until a chat chunk arrives, check what each chunk is (:class:`DialectGuard`); a
        vendor's object before the first chunk is still read."""
        if self._guard.recognise(chunk) == "chat":
            self._recognised = True
            self._plain = self._is_plain()

    def _take_metadata(self, chunk: dict[str, Any]) -> None:
        """The stream's id, model and created, from the first chunk with a non-empty id (Azure's
        prompt-filter chunk has id ""), else from the first with a non-empty model.

        Lenient mode reads a metadata value only when it has its documented type, and ignores
        any other wherever it comes (strict mode rejects it in every chunk): metadata describes
        the stream, and a vendor's odd ``created`` is no reason to lose the answer.
        """
        chunk_id = chunk.get("id")
        model = chunk.get("model")
        if type(chunk_id) is str and chunk_id:
            rank = 2
        elif self._meta_rank == 0 and type(model) is str and model:
            rank = 1
        else:
            return
        created = chunk.get("created")
        self._meta_rank = rank
        self._plain = self._is_plain()
        self._id = chunk_id if type(chunk_id) is str else ""
        self._model = model if type(model) is str else ""
        self._created = created if type(created) is int else 0
