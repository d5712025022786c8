"""The life of a stream, the same four states in every dialect."""

from __future__ import annotations

from enum import Enum

__all__ = ["StreamState"]


class StreamState(Enum):
    """Where a stream is in its life."""

    STREAMING = "streaming"
    """Events are arriving."""
    DONE = "done"
    """The dialect's terminal event arrived (chat: ``data: [DONE]``): the stream is complete."""
    CLOSED = "closed"
    """The input ended and the stream was complete; the result is final."""
    FAILED = "failed"
    """An error was raised; every later call raises it again."""
