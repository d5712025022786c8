"""Telling open relay streams that the server is shutting down.

Strategy. ASGI gives a request no signal that the server is stopping: uvicorn stops accepting
connections and then waits for every open response to finish (forever, unless a graceful timeout
is set) before it sends the lifespan shutdown, so an event stream that never ends on its own holds
the whole shutdown. Servers learn of a shutdown from SIGTERM or SIGINT, through a handler they
install when they start. The first relay stream opened in the main thread chains a handler of its
own in front of theirs: it marks the process as shutting down, wakes every open stream, then calls
the server's handler, so the server shuts down exactly as it would have. A signal whose handler is
the default action or ignored is left alone (nothing in the process waits for that signal to shut
down gracefully).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["watching_shutdown"]

_SIGNALS = (signal.SIGTERM, signal.SIGINT)

# The open streams, each as its loop and the event to set in it. Signal handlers run in the main
# thread between two bytecodes, and streams may live in other threads' loops: the handler only
# schedules the wake-ups, through each loop's thread-safe entry.
_open: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
_shutting_down = False


class _ChainedHandler:
    """Wakes every open stream, then hands the signal to the handler it replaced."""

    __slots__ = ("previous",)

    def __init__(self, previous: Callable[[int, FrameType | None], object]) -> None:
        self.previous = previous

    def __call__(self, number: int, frame: FrameType | None) -> None:
        global _shutting_down
        _shutting_down = True
        for loop, event in list(_open):
            # A loop closed under a stream that never ended has nothing left to wake.
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)
        self.previous(number, frame)


def _chain_handlers() -> None:
    global _shutting_down
    # Only the main thread may install signal handlers; a server running in another thread
    # handles no signal either.
    if threading.current_thread() is not threading.main_thread():
        return
    for number in _SIGNALS:
        current = signal.getsignal(number)
        if callable(current) and not isinstance(current, _ChainedHandler):
            signal.signal(number, _ChainedHandler(current))
            # A handler not chained yet is a server that started after the last shutdown (in
            # the same process): its streams must not be ended by the shutdown of the one before.
            _shutting_down = False


@contextmanager
def watching_shutdown() -> Iterator[asyncio.Event]:
    """An event, set when the server starts shutting down, for one stream's lifetime (already
    set if the shutdown began before it opened)."""
    _chain_handlers()
    entry = (asyncio.get_running_loop(), asyncio.Event())
    if _shutting_down:
        entry[1].set()
    _open.add(entry)
    try:
        yield entry[1]
    finally:
        _open.discard(entry)
