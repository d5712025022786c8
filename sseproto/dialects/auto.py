"""An accumulator for a stream of any dialect: it decides the dialect from the stream's first data
event, then is that dialect's accumulator.

Strategy. Until the dialect is known, the input is held (every read, event or chunk, as given)
and the reads are decoded by a probe decoder of their own. The first data event that parses to
a JSON object decides (:func:`~.kit.detect.recognise`); keep-alives, non-JSON data and
``[DONE]`` decide nothing. Once decided, the dialect's accumulator is created and given the held
input exactly as it came, so its offsets, event indexes and results are those it would have
given alone; from then on every call goes straight to it. Held input is bounded: a stream that
decides nothing in twice ``max_event_size`` bytes is refused (an event fed alone counting
:data:`_EVENT_COST` bytes besides its data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from ..wire.decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ..wire.errors import StreamError
from ..wire.events import ServerSentEvent
from ..wire.reads import BytesLike
from .kit.detect import DIALECT_TITLES, DIALECTS, HEAD_SIZE, describe, no_event_error, recognise
from .kit.drive import Accumulator
from .kit.engine import check_event, progress_repr
from .kit.errors import InvalidChunkError, ProviderError, UnexpectedStreamError
from .kit.guard import foreign_dialect_error
from .kit.live import check_partial_json
from .kit.payload import parse_json, wire_fields
from .kit.result import Dialect, StreamResult
from .kit.state import StreamState
from .kit.updates import ChatUpdate
from .registry import ACCUMULATORS, accumulator_class

__all__ = ["AutoAccumulator"]

# The input held until the dialect is decided: ("feed", bytearray), ("event", ServerSentEvent) or
# ("chunk", payload), in order.
_Held = tuple[str, Any]

# What holding an event fed alone costs besides its data, in the bytes the bound on held input
# counts: so that events without data (keep-alives fed one by one) are bounded in number too.
_EVENT_COST = 128


class AutoAccumulator:
    """Sans-I/O engine for a stream of any dialect sseproto reads (chat, Gemini, ...), with the
    surface of every accumulator: :meth:`feed`, :meth:`feed_event`, :meth:`feed_chunk`,
    :meth:`close`, :meth:`snapshot`, :meth:`result`.

    The first data event that parses to a JSON object decides the dialect (:attr:`dialect`);
    from then on this is that dialect's accumulator (:attr:`accumulator`), given everything
    received so far. Before the decision no update is produced and :meth:`snapshot` is None.

    Errors: everything the decided accumulator raises; and before the decision an
    :class:`UnexpectedStreamError` for a first event that matches no dialect, for input that
    decides nothing within twice ``max_event_size`` bytes, and at :meth:`close` for input in
    which no event decided (what came is said, the start of the body quoted when no event came
    at all); a :class:`ProviderError` for a first event that is only an ``error`` object.

    With ``expect``, the stream must be of that dialect: the first data event decides it unless
    it is another dialect's, which is refused naming both (the readers read a named dialect
    this way, so that every dialect refuses the others and a body without events alike).

    Args:
        strict: passed to the dialect's accumulator.
        max_event_size: passed to the dialect's accumulator (see :class:`SSEDecoder`).
        expect: the one dialect the stream may be, or None for any.
        partial_json: passed to the dialect's accumulator (live partial JSON).

    Raises:
        ValueError: if ``strict`` or ``partial_json`` is not a bool, ``max_event_size`` is not
            valid or ``expect`` is no dialect.
    """

    __slots__ = (
        "_decided",
        "_dialect",
        "_error",
        "_expected",
        "_first_other",
        "_held",
        "_held_size",
        "_inputs",
        "_limit",
        "_max_event_size",
        "_named",
        "_partial_json",
        "_probe",
        "_state",
        "_strict",
    )

    def __init__(
        self,
        *,
        strict: bool = False,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        expect: Dialect | None = None,
        partial_json: bool = False,
    ) -> None:
        if not isinstance(strict, bool):
            raise ValueError(f"strict must be a bool, not {strict!r}")
        self._strict = strict
        self._partial_json = check_partial_json(partial_json)
        self._expected = expect
        # A named dialect's accumulator, made now: its empty result is the partial of an error
        # met before the stream reaches it.
        self._named = (
            None
            if expect is None
            else accumulator_class(expect, option="expect")(
                strict=strict, max_event_size=max_event_size, partial_json=partial_json
            )
        )
        self._max_event_size = max_event_size
        self._probe = SSEDecoder(max_event_size=max_event_size)
        self._limit = 2 * (DEFAULT_MAX_EVENT_SIZE if max_event_size is None else max_event_size)
        self._held: list[_Held] = []
        self._held_size = 0
        self._inputs = 0
        self._first_other: str | None = None
        self._decided: Accumulator[StreamResult] | None = None
        self._dialect: Dialect | None = None
        self._error: StreamError | None = None
        # No state of its own: the reading loop sees None and feeds the decided accumulator.
        self._state: StreamState | None = None

    @property
    def dialect(self) -> Dialect | None:
        """The dialect decided, or None before the first data event that decides it."""
        return self._dialect

    @property
    def accumulator(self) -> Accumulator[StreamResult] | None:
        """The dialect's accumulator, once decided."""
        return self._decided

    @property
    def strict(self) -> bool:
        """Whether the dialect's accumulator is strict."""
        return self._strict

    @property
    def partial_json(self) -> bool:
        """Whether the dialect's accumulator gives the updates their parsed values (live
        partial JSON)."""
        return self._partial_json

    @property
    def state(self) -> StreamState:
        """Where the stream is in its life."""
        if self._decided is not None:
            return self._decided.state
        return StreamState.STREAMING if self._error is None else StreamState.FAILED

    @property
    def offset(self) -> int:
        """How many bytes of the stream have been consumed."""
        return self._probe.offset if self._decided is None else self._decided.offset

    @property
    def events_received(self) -> int:
        """How many events have arrived."""
        if self._decided is not None:
            return self._decided.events_received
        return self._probe.events_dispatched + self._inputs

    def __repr__(self) -> str:
        # The dialect named, or the one decided once it is.
        first = [("expect", self._expected)] if self._expected else [("dialect", self._dialect)]
        return progress_repr(
            type(self).__name__,
            [(name, value) for name, value in first if value is not None],
            self.state,
            self.offset,
            self.events_received,
            strict=self._strict,
            partial_json=self._partial_json,
        )

    # -- input ------------------------------------------------------------------------------

    def feed(self, data: BytesLike, into: list[ChatUpdate] | None = None) -> list[ChatUpdate]:
        """Take the next bytes of the raw body; return the updates they complete (none before
        the dialect is decided; all those of the held input once it is).

        Args:
            data: the next read of the body.
            into: a list to append the updates to as they are produced (and to return), so
                that when the call raises, the caller still has the updates produced before the
                error. A new list when omitted.

        Raises:
            StreamError: as the class says.
            TypeError: ``data`` is not bytes-like.
        """
        updates: list[ChatUpdate] = [] if into is None else into
        self._feed_into(data, updates)
        return updates

    def _feed_into(self, data: BytesLike, updates: list[ChatUpdate] | None) -> None:
        """:meth:`feed`, appending to ``updates`` (None: build none)."""
        decided = self._decided
        if decided is not None:
            decided._feed_into(data, updates)
            return
        self._check_open()
        try:
            events = self._probe.feed(data)  # refuses a read that is not bytes-like
        except StreamError as error:
            self._fail(error)
            raise
        held = self._held
        if held and held[-1][0] == "feed":
            # Joined to the read held before it (a copy: the caller may reuse a bytearray): an
            # engine's result never depends on where reads split, and many small reads then
            # cost their bytes, not an object each.
            held[-1][1].extend(data)
            self._count(len(data))
        elif len(data):
            self._hold(("feed", bytearray(data)), len(data))
        first = self._probe.events_dispatched - len(events)
        for position, event in enumerate(events):
            dialect = self._decide(event.data, first + position, self._probe)
            if dialect is not None:
                self._start(dialect, updates)
                return

    def feed_event(
        self, event: ServerSentEvent, into: list[ChatUpdate] | None = None
    ) -> list[ChatUpdate]:
        """Take one decoded event of the stream; return the updates it produced (appended to
        ``into`` when given, as :meth:`feed` does).

        Raises:
            TypeError: ``event`` is not a :class:`ServerSentEvent` (bytes go to :meth:`feed`), or
                its ``event`` or ``data`` is not a ``str``.
            StreamError: as the class says; ``offset`` is None.
        """
        if self._decided is not None:
            return self._decided.feed_event(event, into=into)
        check_event(event)
        self._check_open()
        self._hold(("event", event), _EVENT_COST + len(event.data))
        self._inputs += 1
        updates: list[ChatUpdate] = [] if into is None else into
        dialect = self._decide(event.data, self.events_received - 1, None)
        if dialect is not None:
            self._start(dialect, updates)
        return updates

    def feed_chunk(
        self, payload: Mapping[str, Any] | Any, into: list[ChatUpdate] | None = None
    ) -> list[ChatUpdate]:
        """Take one parsed event payload; return the updates it produced (appended to ``into``
        when given, as :meth:`feed` does).

        Raises:
            StreamError: as the class says; ``offset`` is None.
        """
        if self._decided is not None:
            return self._decided.feed_chunk(payload, into=into)
        self._check_open()
        self._hold(("chunk", payload), 1)
        self._inputs += 1
        updates: list[ChatUpdate] = [] if into is None else into
        readable = wire_fields(payload)
        if isinstance(readable, Mapping):
            readable = dict(readable)
        elif self._expected is None:
            # Every engine refuses it in feed_chunk, so no dialect need be decided to refuse it
            # (a named dialect's engine is given it, to refuse it in its own words).
            error = InvalidChunkError(
                "a payload must be a JSON object", event_index=self.events_received - 1
            )
            self._fail(error)
            raise error
        dialect = self._decide_on(readable, self.events_received - 1, None)
        if dialect is not None:
            self._start(dialect, updates)
        return updates

    def close(self) -> list[ChatUpdate]:
        """Signal the end of the input; return the last updates.

        Raises:
            UnexpectedStreamError, IncompleteStreamError, ProviderError: no event decided the
                dialect (see the class).
            StreamError: the decided accumulator's error at the end of input.
        """
        if self._decided is not None:
            return self._decided.close()
        self._end_undecided()

    def _end_undecided(self) -> NoReturn:
        """The end of an input in which no event decided the dialect: raise what came instead."""
        self._check_open()
        self._probe.close()
        events = self.events_received
        if not events:
            head = b"".join(data for kind, data in self._held if kind == "feed")
            error = no_event_error(head[:HEAD_SIZE], self._probe.offset)
        else:
            wanted = "a known dialect" if self._expected is None else DIALECT_TITLES[self._expected]
            error = UnexpectedStreamError(
                f"no event of {wanted}: none of the stream's {events} events decides it, the "
                f"first being {self._first_other}",
                offset=self._probe.offset if not self._inputs else None,
                event_index=events,
            )
        self._fail(error)
        raise error

    # -- output -----------------------------------------------------------------------------

    def snapshot(self) -> StreamResult | None:
        """The result rebuilt so far: None before any dialect is decided (the named dialect's
        empty result when one was named). Never raises."""
        accumulator = self._decided or self._named
        return None if accumulator is None else accumulator.snapshot()

    def result(self) -> StreamResult:
        """The final result. Calls :meth:`close` first if it was not called.

        Raises:
            StreamError: the error the stream failed with.
        """
        if self._decided is None:
            self._end_undecided()
        return self._decided.result()

    # -- deciding ---------------------------------------------------------------------------

    def _decide(self, data: str, index: int, decoder: SSEDecoder | None) -> Dialect | None:
        """The dialect event ``index`` (its data ``data``) decides, or None if it decides
        nothing; raise if it shows the stream is none."""
        if data == "[DONE]":
            return self._undecided("data: [DONE]")
        try:
            payload = parse_json(data)
        except StreamError:
            return self._undecided(f"the non-JSON data {data[:40]!r}")
        return self._decide_on(payload, index, decoder)

    def _decide_on(self, payload: Any, index: int, decoder: SSEDecoder | None) -> Dialect | None:
        recognised = recognise(payload)
        if recognised == "keepalive" or (recognised is None and type(payload) is not dict):
            return self._undecided(describe(payload))
        dialect = DIALECTS.get(recognised or "")
        expected = self._expected
        if expected is not None and dialect in (None, expected):
            # Anything but another dialect's event is the named dialect's to read or refuse.
            dialect = expected
        if dialect in ACCUMULATORS and (expected is None or dialect == expected):
            self._dialect = dialect
            return dialect
        offset = None if decoder is None else decoder.event_offset(index)
        error: StreamError
        if expected is not None and dialect is not None:
            error = foreign_dialect_error(
                dialect, expected, payload, offset=offset, event_index=index
            )
        elif recognised == "error":
            error = ProviderError(payload["error"], offset=offset, event_index=index)
        else:
            error = UnexpectedStreamError(
                f"no dialect recognised: the stream's first data event is {describe(payload)}",
                offset=offset,
                event_index=index,
            )
        self._fail(error)
        raise error

    def _start(self, dialect: Dialect, updates: list[ChatUpdate] | None) -> None:
        """Create the dialect's accumulator and give it the held input."""
        accumulator = self._named or ACCUMULATORS[dialect](
            strict=self._strict,
            max_event_size=self._max_event_size,
            partial_json=self._partial_json,
        )
        self._decided = accumulator
        held, self._held = self._held, []
        for kind, value in held:
            if kind == "feed":
                accumulator._feed_into(value, updates)
            elif kind == "event":
                accumulator.feed_event(value, into=updates)
            else:
                accumulator.feed_chunk(value, into=updates)

    def _hold(self, item: _Held, size: int) -> None:
        self._held.append(item)
        self._count(size)

    def _count(self, size: int) -> None:
        """Count ``size`` more bytes of held input; refuse the stream past the bound."""
        self._held_size += size
        if self._held_size > self._limit:
            error = UnexpectedStreamError(
                f"no dialect recognised in the stream's first {self._held_size} bytes",
                offset=self._probe.offset,
                event_index=self.events_received,
            )
            self._fail(error)
            raise error

    def _undecided(self, what: str) -> Dialect | None:
        """An event that decides no dialect (``what`` it was): the named dialect's to read or
        refuse, else remembered (if first) and skipped."""
        if self._expected is not None:
            self._dialect = self._expected
            return self._expected
        if self._first_other is None:
            self._first_other = what
        return None

    def _check_open(self) -> None:
        if self._error is not None:
            raise self._error

    def _fail(self, error: StreamError) -> None:
        self._error = error
        self._held = []
        if error.partial is None and self._named is not None:
            error.partial = self._named.snapshot()
