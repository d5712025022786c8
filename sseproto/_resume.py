"""Following a resumable event stream across reconnections, as browsers' ``EventSource`` does.

Strategy. A connection that ends, cleanly or not, is opened again with the ``Last-Event-ID``
header set to the last event ID received, after the server's ``retry`` (3 s when it never sent
one). Each attempt that brings no event doubles the wait, up to a cap, with jitter so that
clients cut off together do not come back together; an event resets it. A 204 response ends the
stream, any other rejected response (:class:`BadResponseError`) ends it with that error, and so
does running out of attempts. Each connection is decoded afresh (an event cut by the drop is
discarded, never half-delivered), but the last event ID carries over, as the specification says:
an event on the new connection before any ``id:`` field keeps the previous ID.

The clients differ only in how a connection is opened and which of their errors mean that it
could not be: each adapter's ``follow_sse`` gives those to :func:`follow` or :func:`afollow`.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager

from ._adapter import AsyncEventSourceBase, SyncEventSourceBase
from ._adapter_errors import BadResponseError, IdleTimeoutError
from .dialects.kit.errors import IncompleteStreamError
from .wire.events import ServerSentEvent

__all__ = ["DEFAULT_RETRY", "Backoff", "afollow", "follow", "refuse_recording"]

# The reconnection time in milliseconds before the server sets one (EventSource leaves it to the
# user agent; browsers use a few seconds).
DEFAULT_RETRY = 3000

# How a connection ended without an event stream error the caller must see.
_DROPS = (IncompleteStreamError, IdleTimeoutError)

_Headers = dict[str, str]


def refuse_recording(kwargs: dict[str, object]) -> None:
    """Refuse ``record=`` among a follower's request options: a followed stream spans several
    responses, and a fixture holds one (each connection would overwrite the last)."""
    if "record" in kwargs:
        raise TypeError(
            "follow_sse cannot record: a followed stream spans several responses and a fixture "
            "holds one; record a single connection with connect_sse(..., record=path)"
        )


def check_last_event_id(last_event_id: object) -> None:
    """Raise, at the call, for a ``last_event_id`` that no ``Last-Event-ID`` header can carry,
    which each client would otherwise refuse at the first request in words of its own."""
    if not isinstance(last_event_id, str) and last_event_id is not None:
        raise TypeError(f"last_event_id must be a str, not {type(last_event_id).__name__}")
    if last_event_id is not None and any(char in last_event_id for char in "\r\n\0"):
        raise ValueError(
            f"last_event_id must not contain CR, LF or NUL, which no header can carry: "
            f"{last_event_id!r}"
        )


class Backoff:
    """The wait before each reconnection.

    Args:
        max_attempts: how many reconnections in a row may bring no event before giving up.
        max_delay: the longest wait, in seconds.
        jitter: a source of numbers in [0, 1): the wait is between half and all of the delay.
    """

    def __init__(
        self, *, max_attempts: int, max_delay: float, jitter: Callable[[], float] = random.random
    ) -> None:
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"max_attempts must be a positive integer, not {max_attempts!r}")
        if not isinstance(max_delay, int | float) or not 0 <= max_delay < float("inf"):
            raise ValueError(f"max_delay must be a finite number of seconds, not {max_delay!r}")
        self._max_attempts = max_attempts
        self._max_delay = float(max_delay)
        self._jitter = jitter
        self._failures = 0  # connections in a row without an event

    def progressed(self) -> None:
        """An event arrived: the next wait starts again from the server's retry."""
        self._failures = 0

    def next_delay(self, retry: int | None) -> float | None:
        """The seconds to wait before the next connection, given the server's ``retry`` in
        milliseconds; None when the attempts are used up."""
        self._failures += 1
        if self._failures > self._max_attempts:
            return None
        base = (DEFAULT_RETRY if retry is None else retry) / 1000
        delay = min(self._max_delay, base * 2.0 ** min(self._failures - 1, 64))
        return delay / 2 + self._jitter() * delay / 2


class _Connection:
    """What one connection left for the next: the last event ID and the server's retry."""

    def __init__(self, last_event_id: str, retry: int | None) -> None:
        self.last_event_id = last_event_id
        self.retry = retry
        self._own_id = False  # whether this connection set an ID yet

    def headers(self) -> _Headers:
        return {"Last-Event-ID": self.last_event_id} if self.last_event_id else {}

    def carry(self, event: ServerSentEvent) -> ServerSentEvent:
        """``event`` with the ID carried from the connections before when its own stream has
        set none yet (the decoder of a new connection starts without one)."""
        if event.id:
            self._own_id = True
        elif not self._own_id and self.last_event_id:
            return ServerSentEvent(event.event, event.data, self.last_event_id, event.retry)
        return event

    def ended(self, source: SyncEventSourceBase | AsyncEventSourceBase) -> None:
        # An empty ID cannot be told from none: the one carried stays.
        self.last_event_id = source.last_event_id or self.last_event_id
        self.retry = source.retry if source.retry is not None else self.retry
        self._own_id = False


def follow(
    connect: Callable[[_Headers], AbstractContextManager[SyncEventSourceBase]],
    *,
    last_event_id: str,
    backoff: Backoff,
    is_connect_error: Callable[[Exception], bool],
) -> Iterator[ServerSentEvent]:
    """The events of a stream followed across reconnections (see the module's strategy).

    ``connect(headers)`` opens one connection with the extra request headers given.
    """
    state = _Connection(last_event_id, None)
    while True:
        failure: Exception | None = None
        try:
            with connect(state.headers()) as source:
                try:
                    for event in source.iter_sse():
                        backoff.progressed()
                        yield state.carry(event)
                except _DROPS as error:
                    failure = error
                finally:
                    state.ended(source)
        except BadResponseError as error:
            if error.status == 204:
                return
            raise
        except _DROPS as error:  # no response head within the idle timeout
            failure = error
        except Exception as error:
            if not is_connect_error(error):
                raise
            failure = error
        delay = backoff.next_delay(state.retry)
        if delay is None:
            if failure is not None:
                raise failure
            return
        time.sleep(delay)


async def afollow(
    connect: Callable[[_Headers], AbstractAsyncContextManager[AsyncEventSourceBase]],
    *,
    last_event_id: str,
    backoff: Backoff,
    is_connect_error: Callable[[Exception], bool],
) -> AsyncIterator[ServerSentEvent]:
    """The asynchronous twin of :func:`follow`."""
    # Imported here: the blocking clients' followers share this module and need no event loop.
    import asyncio

    state = _Connection(last_event_id, None)
    while True:
        failure: Exception | None = None
        try:
            async with connect(state.headers()) as source:
                try:
                    async for event in source.aiter_sse():
                        backoff.progressed()
                        yield state.carry(event)
                except _DROPS as error:
                    failure = error
                finally:
                    state.ended(source)
        except BadResponseError as error:
            if error.status == 204:
                return
            raise
        except _DROPS as error:
            failure = error
        except Exception as error:
            if not is_connect_error(error):
                raise
            failure = error
        delay = backoff.next_delay(state.retry)
        if delay is None:
            if failure is not None:
                raise failure
            return
        await asyncio.sleep(delay)
