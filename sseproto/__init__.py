"""sseproto: exact, fast, sans-I/O Server-Sent Events for LLM streams.

Bytes flow through the package in one direction:
``_decoder`` (bytes -> :class:`ServerSentEvent`) -> ``_accumulator`` (events -> chat updates and the
rebuilt :class:`ChatCompletion`). Everything else is a thin wrapper around those two.
"""

from ._decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ._encoder import encode_comment, encode_event
from ._errors import BadResponseError, EventTooLargeError, IdleTimeoutError, StreamError
from ._events import ServerSentEvent
from ._stream import aiter_events, iter_events

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "BadResponseError",
    "EventTooLargeError",
    "IdleTimeoutError",
    "SSEDecoder",
    "ServerSentEvent",
    "StreamError",
    "aiter_events",
    "encode_comment",
    "encode_event",
    "iter_events",
]
