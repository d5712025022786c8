"""What every dialect's engine is, apart from its dialect's rules: the surface, the state
machine, and where an error is located.

Strategy. :class:`Engine` holds the skeleton once: ``feed``/``feed_event``/``feed_chunk`` (each
with ``into=``), ``close``, ``result`` and the properties; the moves of the state machine
(:mod:`.state`) and the FAILED state, which re-raises the same error object for good; the
location of an error (``offset`` and ``event_index``: the event that raised it, in the bytes or
among the inputs fed one by one) and its ``partial``; and the :class:`~.guard.DialectGuard` that
says what came instead of the dialect. A dialect's engine subclasses it and supplies its rules
through a few hooks:

- :meth:`Engine._begin`: the dialect's own state of a new stream (the constructor and its
  options are shared, so that an option every dialect takes is added in one place).
- :meth:`Engine._read`: the events decoded from one read, in order. This is the hot path, so each
  dialect keeps its own loop there, with its fast cases inlined and its names bound to locals;
  the base adds one call per read, none per event.
- :meth:`Engine._event`: one decoded event by the general path (``feed_event``, and any event the
  hot loop does not take); :meth:`Engine._parsed`: one payload given to ``feed_chunk``.
- :meth:`Engine._end`: the dialect's terminal rules at the end of input: raise what keeps the
  stream from being complete, else move to CLOSED and add the last updates.
- :meth:`Engine.snapshot`: the dialect's result rebuilt so far.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import length_hint
from typing import Any, ClassVar, Generic, TypeVar

from ...wire.decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ...wire.display import call_repr
from ...wire.errors import StreamError
from ...wire.events import ServerSentEvent
from ...wire.reads import BytesLike
from .errors import IncompleteStreamError, ProviderError
from .guard import DialectGuard
from .live import LiveArguments, check_partial_json
from .payload import copy_payload
from .result import Dialect, StreamResult
from .state import Input, StreamState, Transitions
from .updates import ChatUpdate

__all__ = ["Engine", "Updates", "check_event", "progress_repr"]

Updates = list[ChatUpdate] | None
"""Where updates go: a list, or None when nobody reads them (``accumulate()`` builds none)."""

_R = TypeVar("_R", bound=StreamResult)


def check_event(value: object) -> None:
    """Refuse what an accumulator's ``feed_event()`` was given instead of a decoded event: not a
    :class:`ServerSentEvent`, or one whose name or data is not text.

    Raises:
        TypeError: saying what to pass instead.
    """
    if not isinstance(value, ServerSentEvent):
        raise TypeError(
            f"feed_event() takes a ServerSentEvent, not {type(value).__name__}: pass the "
            "stream's bytes to feed(), a parsed payload to feed_chunk()"
        )
    for field, text in (("event", value.event), ("data", value.data)):
        if not isinstance(text, str):
            raise TypeError(
                f"feed_event() takes an event whose {field} is a str, not {type(text).__name__}"
            )


# Module-level aliases: reading an Enum member off its class is slow on the hot path.
_STREAMING = StreamState.STREAMING
_CLOSED = StreamState.CLOSED
_FAILED = StreamState.FAILED


class Engine(ABC, Generic[_R]):
    """The sans-I/O engine of one stream of a dialect, its rules left to a subclass (see the
    module). Subclasses set :attr:`dialect`, :attr:`_TRANSITIONS` and, when the dialect's
    inputs are chunks, :attr:`_INPUT`.

    Args:
        strict: reject deviations from the dialect's documented stream instead of reading them.
        max_event_size: the largest event :meth:`feed` buffers (see :class:`SSEDecoder`).
        partial_json: parse tool-call arguments (and a JSON answer) as they arrive (live
            partial JSON, see :class:`~.live.LiveArguments`): every update that carries a live
            value gets it.

    Raises:
        ValueError: if ``strict`` or ``partial_json`` is not a bool or ``max_event_size`` is
            not valid.
    """

    __slots__ = (
        "_decode",
        "_decoder",
        "_error",
        "_guard",
        "_inputs",
        "_live",
        "_recognised",
        "_state",
        "_strict",
    )

    dialect: ClassVar[Dialect]
    """The dialect this engine reads."""
    _TRANSITIONS: ClassVar[Transitions]
    """Every legal move of the dialect's streams (:func:`.state.transitions`)."""
    _INPUT: ClassVar[str] = Input.EVENT.value
    """What one input is called in the error refusing it once the stream is closed."""
    _TEXTS: ClassVar[bool] = False
    """Whether :meth:`feed` asks the decoder for the data of data-only events rather than event
    objects (:meth:`~sseproto.wire.decoder.SSEDecoder._texts_feed`): the dialect then reads them
    with :meth:`_read_texts`."""

    def __init__(
        self,
        *,
        strict: bool = False,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        partial_json: bool = False,
    ) -> None:
        if not isinstance(strict, bool):
            raise ValueError(f"strict must be a bool, not {strict!r}")
        self._strict = strict
        # The watcher giving the updates their live values; None (the default) costs nothing.
        self._live = LiveArguments() if check_partial_json(partial_json) else None
        self._decoder = SSEDecoder(max_event_size=max_event_size)
        # Events, or texts standing for them (list[str] | list[ServerSentEvent]: one item type
        # per read, told by its first).
        self._decode: Callable[[BytesLike], list[Any]] = (
            self._decoder._texts_feed() if self._TEXTS else self._decoder.feed
        )
        self._state = _STREAMING
        self._error: StreamError | None = None
        # Events given to feed_event() and payloads given to feed_chunk(), for event_index.
        self._inputs = 0
        # Whether an event of the dialect has arrived; until one does, the guard keeps what came
        # instead (the first other event, and the body's first bytes while no event has come).
        self._recognised = False
        self._guard = DialectGuard(self.dialect)
        self._begin()

    @property
    def state(self) -> StreamState:
        """Where the stream is in its life."""
        return self._state

    @property
    def strict(self) -> bool:
        """Whether deviations from the dialect's documented stream are rejected."""
        return self._strict

    @property
    def partial_json(self) -> bool:
        """Whether the updates carry their parsed values as they arrive (live partial JSON)."""
        return self._live is not None

    @property
    def offset(self) -> int:
        """How many bytes of the stream :meth:`feed` has consumed."""
        return self._decoder.offset

    @property
    def events_received(self) -> int:
        """How many events have arrived: decoded by :meth:`feed`, or given to
        :meth:`feed_event` and :meth:`feed_chunk` (a payload counts as one event)."""
        return self._decoder.events_dispatched + self._inputs

    def __repr__(self) -> str:
        return progress_repr(
            type(self).__name__,
            (),
            self._state,
            self.offset,
            self.events_received,
            strict=self._strict,
            partial_json=self.partial_json,
        )

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
            InvalidChunkError, ProviderError, UnexpectedStreamError: as the event arrives;
                ``offset`` is the byte offset where that event starts in the stream.
            EventTooLargeError: from the decoder, with ``partial`` attached.
            TypeError: ``data`` is not bytes-like (a ``str`` from ``iter_text()``, an int, ...).
        """
        updates: list[ChatUpdate] = [] if into is None else into
        self._feed_into(data, updates)
        return updates

    def _feed_into(self, data: BytesLike, updates: Updates) -> None:
        """:meth:`feed`, appending to ``updates``; ``None`` builds no update at all (for callers
        that only want the result)."""
        if self._state is _CLOSED or self._state is _FAILED:
            self._move(Input.EVENT)
        decoder = self._decoder
        # The dialect's loop takes the events from this iterator, so that when one raises, the
        # events left in it say which (no counting per event on the hot path).
        pending: Iterator[Any] | None = None
        live = self._live
        start = 0 if live is None or updates is None else len(updates)
        try:
            events = self._decode(data)
            if self._guard.head is not None:
                self._guard.keep_head(data, self.events_received)
            if events:
                # Texts only from the decoder of a dialect that asks for them (see _TEXTS).
                pending = iter(events)
                if events[0].__class__ is str:
                    self._read_texts(pending, updates)
                else:
                    self._read(pending, updates)
        except StreamError as error:
            if pending is not None and error.event_index is None:
                error.event_index = decoder.events_dispatched - length_hint(pending) - 1
                error.offset = decoder.event_offset(error.event_index)
            self._fail(error)
            raise
        finally:
            # The updates before an error reach the caller too, so they are followed too.
            if live is not None and updates:
                live.annotate_from(updates, start)

    def feed_event(
        self, event: ServerSentEvent, into: list[ChatUpdate] | None = None
    ) -> list[ChatUpdate]:
        """Take one decoded event of the stream; return the updates it produced (appended to
        ``into`` when given, as :meth:`feed` does).

        Raises:
            TypeError: ``event`` is not a :class:`ServerSentEvent` (bytes go to :meth:`feed`), or
                its ``event`` or ``data`` is not a ``str``.
            InvalidChunkError, ProviderError, UnexpectedStreamError: ``event_index`` counts the
                events given to this method; ``offset`` is None.
        """
        check_event(event)
        updates: list[ChatUpdate] = [] if into is None else into
        self._guarded(updates, self._event, event.event, event.data)
        return updates

    def feed_chunk(
        self, payload: Mapping[str, Any] | Any, into: list[ChatUpdate] | None = None
    ) -> list[ChatUpdate]:
        """Take one parsed event payload: a mapping as ``json.loads`` gives it, or a pydantic
        model of the provider's SDK (read with ``model_dump(exclude_unset=True)``, so only the
        fields the wire carried count). The payload is copied, never kept, and refused as its
        JSON text would be (too deep, ``NaN``, ...). Return the updates it produced (appended to
        ``into`` when given, as :meth:`feed` does).

        Raises:
            InvalidChunkError, ProviderError, UnexpectedStreamError: ``event_index`` counts the
                payloads given to this method; ``offset`` is None. A payload that is not a JSON
                object (a string, a list, None) is an :class:`InvalidChunkError`.
        """
        updates: list[ChatUpdate] = [] if into is None else into
        self._guarded(updates, self._copied_payload, payload)
        return updates

    def _copied_payload(self, payload: Any, updates: Updates) -> None:
        self._parsed(copy_payload(payload), updates)

    def _guarded(
        self, updates: list[ChatUpdate], step: Callable[..., None], *arguments: Any
    ) -> None:
        """Run one event, payload or marker fed on its own through ``step(*arguments,
        updates)``, turning an error into the FAILED state; an error not located yet is at this
        input."""
        if self._state is _CLOSED or self._state is _FAILED:
            self._move(Input.EVENT)
        index = self._inputs
        self._inputs = index + 1
        start = len(updates)
        try:
            step(*arguments, updates)
        except StreamError as error:
            if error.event_index is None:
                error.event_index = index
            self._fail(error)
            raise
        finally:
            if self._live is not None:
                self._live.annotate_from(updates, start)

    def close(self) -> list[ChatUpdate]:
        """Signal the end of the input; return the last updates. Calling it again returns
        ``[]``.

        Raises:
            IncompleteStreamError: the input ended before the stream was complete; its
                ``offset`` is the number of stream bytes consumed (None if only events or
                payloads were fed) and its ``event_index`` the number of events received.
            UnexpectedStreamError: no event of the dialect arrived (another dialect's events,
                or none at all).
            ProviderError: no event arrived, and the body was a JSON ``{"error": ...}``.
            StreamError: the error already raised, if the accumulator has failed.
        """
        state = self._state
        if state is _CLOSED:
            return []
        if state is _FAILED:
            self._move(Input.END_COMPLETE)
        updates: list[ChatUpdate] = []
        try:
            # The decoder discards an unfinished final event (WHATWG); it never dispatches here.
            self._decoder.close()
            self._end(state, updates)
        except StreamError as error:
            self._fail(error)
            raise
        if self._live is not None:
            self._live.annotate_from(updates, 0)
        return updates

    # -- output -----------------------------------------------------------------------------

    @abstractmethod
    def snapshot(self) -> _R:
        """The result rebuilt from everything received so far. Never raises."""

    def result(self) -> _R:
        """The final result. Calls :meth:`close` first if it was not called.

        Raises:
            StreamError: the error the stream failed with (the same object every time).
        """
        if self._state is not _CLOSED:
            self.close()
        return self.snapshot()

    # -- the dialect's hooks ----------------------------------------------------------------

    @abstractmethod
    def _begin(self) -> None:
        """Set up the dialect's own state of a new stream (called by ``__init__``, once the
        options are checked and kept)."""

    @abstractmethod
    def _read(self, events: Iterator[ServerSentEvent], updates: Updates) -> None:
        """Apply the events one read decoded, in order (the hot path)."""

    def _read_texts(self, texts: Iterator[Any], updates: Updates) -> None:
        """Apply the data of the ``"message"`` events one read decoded, in order: the hot path
        of a dialect that sets ``_TEXTS`` (the only ones given texts)."""
        raise NotImplementedError

    @abstractmethod
    def _event(self, name: str, data: str, updates: Updates) -> None:
        """Apply one decoded event, from its SSE name and data text."""

    @abstractmethod
    def _parsed(self, payload: Any, updates: Updates) -> None:
        """Apply one parsed payload given to :meth:`feed_chunk` (already the engine's copy)."""

    @abstractmethod
    def _end(self, state: StreamState, updates: list[ChatUpdate]) -> None:
        """The end of input in ``state`` (STREAMING or DONE): raise what keeps the stream from
        being complete, else move to CLOSED and add the last updates."""

    # -- the state machine ------------------------------------------------------------------

    def _move(self, event: Input) -> None:
        """Apply a move of :attr:`_TRANSITIONS`, or raise if it is not a legal one."""
        target = self._TRANSITIONS.get((self._state, event))
        if target is None:
            if self._error is not None:
                raise self._error
            what = self._INPUT if event is Input.EVENT else event.value
            raise StreamError(
                f"{what} is not allowed once the stream is {self._state.value}",
                offset=self._decoder.offset,
                event_index=self.events_received,
                partial=self.snapshot(),
            )
        self._state = target

    def _fail(self, error: StreamError) -> None:
        """Record ``error`` as the stream's end: FAILED, with the partial result attached."""
        if isinstance(error, ProviderError):
            event = Input.PROVIDER_ERROR
        elif isinstance(error, IncompleteStreamError):
            event = Input.END_TRUNCATED
        else:
            event = Input.INVALID
        self._move(event)
        error.partial = self.snapshot()
        self._error = error

    # -- helpers for the terminal rules -----------------------------------------------------

    def _not_found(self) -> StreamError:
        """The error for a stream that ended without an event of the dialect
        (:meth:`.DialectGuard.not_found`)."""
        return self._guard.not_found(
            offset=self._decoder.offset, events=self.events_received, fed=bool(self._inputs)
        )

    def _cut(self, why: str) -> IncompleteStreamError:
        """The error for a stream that ended before it was complete (``why`` says how): at the
        end of the bytes consumed (no offset when only events or payloads were fed), at the
        index the missing next event would have had."""
        offset: int | None = self._decoder.offset
        if self._inputs and not offset:
            offset = None
        return IncompleteStreamError(why, offset=offset, event_index=self.events_received)


def progress_repr(
    name: str,
    first: Iterable[tuple[str, object]],
    state: StreamState,
    offset: int,
    events: int,
    *,
    strict: bool,
    partial_json: bool,
) -> str:
    """An accumulator's repr: where its stream is, as a person debugging it asks (after the
    ``first`` fields), then the options that are not the defaults."""
    fields = [*first, ("state", state.value), ("offset", offset), ("events_received", events)]
    options = {"strict": strict, "partial_json": partial_json}
    fields += [(option, True) for option, on in options.items() if on]
    return call_repr(name, fields, omit_empty=False)
