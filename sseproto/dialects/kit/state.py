"""The life of a stream, the same in every dialect: four states, what can happen to a stream, and
every legal move in one table."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

__all__ = ["Input", "StreamState", "Transitions", "transitions"]


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


class Input(Enum):
    """What can happen to a stream (the inputs of the state machine)."""

    EVENT = "an event"
    """An event, or a parsed payload, arrived."""
    TERMINAL = "the terminal event"
    """The dialect's terminal event arrived (chat ``data: [DONE]``, Anthropic ``message_stop``,
    a Responses ``response.completed`` or ``response.incomplete``; Gemini has none)."""
    PROVIDER_ERROR = "a provider error"
    INVALID = "an unreadable or invalid event"
    END_COMPLETE = "the end of a complete stream"
    END_TRUNCATED = "the end of a truncated stream"


Transitions = Mapping[tuple[StreamState, Input], StreamState]
"""Every legal move: (state, input) to the next state."""

_S = StreamState
_I = Input
_MOVES: Transitions = {
    (_S.STREAMING, _I.EVENT): _S.STREAMING,
    (_S.STREAMING, _I.TERMINAL): _S.DONE,
    (_S.STREAMING, _I.PROVIDER_ERROR): _S.FAILED,
    (_S.STREAMING, _I.INVALID): _S.FAILED,
    (_S.STREAMING, _I.END_TRUNCATED): _S.FAILED,
    # Nothing follows the terminal event: the default mode ignores what still arrives (the
    # result is complete and final, and never depends on whether a reader stopped at the read
    # that carried the terminal event), strict mode rejects it (as INVALID).
    (_S.DONE, _I.EVENT): _S.DONE,
    (_S.DONE, _I.INVALID): _S.FAILED,
    # After the terminal event the stream is complete by definition: its end is no truncation.
    (_S.DONE, _I.END_COMPLETE): _S.CLOSED,
}


def transitions(*, complete_without_terminal: bool) -> Transitions:
    """The legal moves of a dialect's streams: the table above, and, when
    ``complete_without_terminal``, the end of input while streaming when the stream shows itself
    complete (chat: every choice finished; Gemini, which has no terminal event: every candidate).
    Anything else raises: the stored error in FAILED, a :class:`StreamError` in CLOSED."""
    if not complete_without_terminal:
        return _MOVES
    return {**_MOVES, (_S.STREAMING, _I.END_COMPLETE): _S.CLOSED}
