"""The loop that runs any dialect's accumulator over the reads of a stream, sync and async.

Strategy. Every accumulator is sans-I/O; this loop owns what reading from a source adds, the
same for every dialect:

1. Input: the reads of an iterable (or one whole ``bytes`` body), checked at the call
   (:mod:`.reads`).
2. The end: reading stops after the read that carried the dialect's terminal event (the
   accumulator's state leaves ``STREAMING``; what follows the event in that same read is the
   accumulator's to take or refuse, as its ``feed`` does), so a server that keeps the
   connection open after it (keep-alive comments after ``[DONE]``) cannot delay the result.
   The source, when it is a generator, is closed however the loop ends (the end of the stream,
   an error, or a consumer leaving early), so that its ``finally`` blocks run now (a
   recording's sidecar is written, a response closed).
3. Reads without a line end are held and handed on joined with the next read that has one,
   by the policy every reader shares (:func:`~sseproto.wire.reads.framed_reads`), instead of
   costing a call into the accumulator and its decoder each; the held bytes are handed on
   before the loop ends, and taken while a failure of the source is handled, before it is
   reported (:func:`~sseproto.wire.reads.take_held`): a line they make too long is the error
   then, the failure its ``__context__``.
4. Source failures: an exception raised by the source itself carries what was rebuilt. An
   :class:`IncompleteStreamError` (an adapter's cut or idle timeout, a replayed transport
   error) is given the ``partial``, ``offset`` and ``event_index`` it lacks; another
   :class:`StreamError` (an adapter's rejected response) is the source's own verdict and passes
   unchanged; any other exception (a dropped connection, whatever the client calls it) becomes
   an :class:`IncompleteStreamError` with the original as its cause. The wire's
   :func:`~sseproto.wire.errors.source_failure` makes these rules, the same for the readers of
   events.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Mapping
from typing import Any, NoReturn, Protocol, TypeVar, cast

from ...wire.errors import IncompleteStreamError, source_failure
from ...wire.events import ServerSentEvent
from ...wire.reads import BytesLike, aframed_reads, framed_reads, take_held
from .state import StreamState
from .updates import ChatUpdate

__all__ = ["Accumulator", "aiterate", "arun", "iterate", "run"]

_STREAMING = StreamState.STREAMING
_R = TypeVar("_R", covariant=True)


class Accumulator(Protocol[_R]):
    """What the loop needs of a dialect's accumulator (every one has this surface)."""

    @property
    def state(self) -> StreamState:
        """Where the stream is in its life."""

    @property
    def _state(self) -> StreamState | None:
        """:attr:`state`, read straight from the slot on the hot path; None for a front
        (:class:`_Front`) that has no state of its own."""

    @property
    def offset(self) -> int:
        """How many bytes of the stream have been consumed."""

    @property
    def events_received(self) -> int:
        """How many events have arrived."""

    def feed(self, data: BytesLike, /, *, into: list[ChatUpdate] | None = None) -> list[ChatUpdate]:
        """Take the next read; return the updates it produces, appended to ``into`` when given
        (so that a caller keeps the updates produced before an error)."""

    def _feed_into(self, data: BytesLike, updates: list[ChatUpdate] | None, /) -> None:
        """Take the next read, appending the updates it produces (None: build none)."""

    def feed_event(
        self, event: ServerSentEvent, /, *, into: list[ChatUpdate] | None = None
    ) -> list[ChatUpdate]:
        """Take one decoded event (its updates appended to ``into`` when given)."""

    def feed_chunk(
        self, payload: Mapping[str, Any] | Any, /, *, into: list[ChatUpdate] | None = None
    ) -> list[ChatUpdate]:
        """Take one parsed event payload (its updates appended to ``into`` when given)."""

    def close(self) -> list[ChatUpdate]:
        """End of input: the last updates, or the stream's error."""

    def snapshot(self) -> _R | None:
        """The result rebuilt so far."""

    def result(self) -> _R:
        """The final result, or the stream's error."""


class _Front(Protocol):
    """An accumulator that hands the stream on to another once it knows which one
    (``AutoAccumulator``, once the first data event has decided the dialect): the loop then
    feeds that one directly, so deciding costs nothing per read afterwards."""

    @property
    def accumulator(self) -> Accumulator[Any] | None:
        """The accumulator the stream was handed to, or None before then."""


def run(accumulator: Accumulator[_R], reads: Iterator[BytesLike]) -> _R:
    """Feed the reads of ``reads`` to ``accumulator`` until its terminal event (or the end of
    the reads) and return its result."""
    target: Accumulator[Any] = accumulator
    feed = target._feed_into
    fed: Exception | None = None  # an error of the accumulator's, not of the source
    held: list[bytes] = []
    framed = framed_reads(reads, held)
    try:
        for data in framed:
            try:
                # No one reads the updates: let the accumulator skip building them.
                feed(data, None)
            except Exception as error:
                fed = error
                raise
            if target._state is not _STREAMING:
                following = _following(target)
                if following is None:
                    break
                target = following
                feed = target._feed_into
    except Exception as error:
        if error is fed:
            raise
        _raise_source_failure(accumulator, error, feed, held)
    finally:
        framed.close()
        if isinstance(reads, Generator):
            reads.close()
    return accumulator.result()


def iterate(
    accumulator: Accumulator[Any], reads: Iterator[BytesLike]
) -> Generator[ChatUpdate, None, None]:
    """Yield the updates ``accumulator`` produces from ``reads`` until its terminal event (or
    the end of the reads), then those of the end of input. An error is raised after every
    update produced before it."""
    target = accumulator
    feed = target._feed_into
    fed: Exception | None = None
    held: list[bytes] = []
    framed = framed_reads(reads, held)
    try:
        for data in framed:
            updates: list[ChatUpdate] = []
            try:
                feed(data, updates)
            except Exception as error:
                fed = error
                # The updates before the error in this read still reach the caller, then the error.
                yield from updates
                raise
            yield from updates
            if target._state is not _STREAMING:
                following = _following(target)
                if following is None:
                    break
                target = following
                feed = target._feed_into
    except Exception as error:
        if error is fed:
            raise
        _raise_source_failure(accumulator, error, feed, held)
    finally:
        framed.close()
        if isinstance(reads, Generator):
            reads.close()
    yield from accumulator.close()


async def arun(accumulator: Accumulator[_R], reads: AsyncIterator[BytesLike]) -> _R:
    """The async twin of :func:`run`."""
    target: Accumulator[Any] = accumulator
    feed = target._feed_into
    fed: Exception | None = None
    held: list[bytes] = []
    framed = aframed_reads(reads, held)
    try:
        async for data in framed:
            try:
                feed(data, None)
            except Exception as error:
                fed = error
                raise
            if target._state is not _STREAMING:
                following = _following(target)
                if following is None:
                    break
                target = following
                feed = target._feed_into
    except Exception as error:
        if error is fed:
            raise
        _raise_source_failure(accumulator, error, feed, held)
    finally:
        await framed.aclose()
        if isinstance(reads, AsyncGenerator):
            await reads.aclose()
    return accumulator.result()


async def aiterate(
    accumulator: Accumulator[Any], reads: AsyncIterator[BytesLike]
) -> AsyncGenerator[ChatUpdate, None]:
    """The async twin of :func:`iterate`."""
    target = accumulator
    feed = target._feed_into
    fed: Exception | None = None
    held: list[bytes] = []
    framed = aframed_reads(reads, held)
    try:
        async for data in framed:
            updates: list[ChatUpdate] = []
            try:
                feed(data, updates)
            except Exception as error:
                fed = error
                for update in updates:
                    yield update
                raise
            for update in updates:
                yield update
            if target._state is not _STREAMING:
                following = _following(target)
                if following is None:
                    break
                target = following
                feed = target._feed_into
    except Exception as error:
        if error is fed:
            raise
        _raise_source_failure(accumulator, error, feed, held)
    finally:
        await framed.aclose()
        if isinstance(reads, AsyncGenerator):
            await reads.aclose()
    for update in accumulator.close():
        yield update


def _following(target: Accumulator[Any]) -> Accumulator[Any] | None:
    """Where the reads go after one that left ``target`` not streaming: nowhere once its
    stream has reached its end, or on to the accumulator a front has handed the stream to."""
    if target._state is not None:
        return None
    decided = cast(_Front, target).accumulator
    if decided is None:
        return target
    return decided if decided._state is _STREAMING else None


def _raise_source_failure(
    accumulator: Accumulator[Any],
    error: Exception,
    feed: Callable[[BytesLike, list[ChatUpdate] | None], object],
    held: list[bytes],
) -> NoReturn:
    """Raise the stream's error for ``error``, raised by the source after what ``accumulator``
    has taken and the ``held`` bytes it takes now through ``feed`` (see the module)."""
    # Bytes without a line end complete no event, so no update is lost by building none.
    take_held(held, lambda data: feed(data, None))
    failure = source_failure(
        error, offset=accumulator.offset, event_index=accumulator.events_received
    )
    if isinstance(failure, IncompleteStreamError) and failure.partial is None:
        failure.partial = accumulator.snapshot()
    raise failure
