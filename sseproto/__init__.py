"""sseproto: exact, fast, sans-I/O Server-Sent Events for LLM streams.

Bytes flow through the package in one direction:
``_decoder`` (bytes -> :class:`ServerSentEvent`) -> ``_accumulator`` (events -> chat updates and the
rebuilt :class:`ChatCompletion`). Everything else is a thin wrapper around those two.
"""

from ._accumulator import ChatAccumulator, ChatState
from ._chat_stream import aaccumulate, accumulate, aiter_chat, iter_chat
from ._completion import ChatCompletion, ChatMessage, Choice, FunctionCall, ToolCall
from ._decoder import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from ._encoder import encode_comment, encode_event
from ._errors import (
    BadResponseError,
    EventTooLargeError,
    FixtureError,
    IdleTimeoutError,
    IncompleteStreamError,
    InvalidChunkError,
    ProviderError,
    RecordedTransportError,
    StreamError,
)
from ._events import ServerSentEvent
from ._record import arecord, record
from ._replay import Chunking, areplay, replay
from ._stream import aiter_events, iter_events
from ._updates import (
    ChatUpdate,
    ChoiceFinished,
    ContentDelta,
    ReasoningDelta,
    RefusalDelta,
    StreamDone,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageUpdate,
)

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "BadResponseError",
    "ChatAccumulator",
    "ChatCompletion",
    "ChatMessage",
    "ChatState",
    "ChatUpdate",
    "Choice",
    "ChoiceFinished",
    "Chunking",
    "ContentDelta",
    "EventTooLargeError",
    "FixtureError",
    "FunctionCall",
    "IdleTimeoutError",
    "IncompleteStreamError",
    "InvalidChunkError",
    "ProviderError",
    "ReasoningDelta",
    "RecordedTransportError",
    "RefusalDelta",
    "SSEDecoder",
    "ServerSentEvent",
    "StreamDone",
    "StreamError",
    "ToolCall",
    "ToolCallArgumentsDelta",
    "ToolCallDone",
    "ToolCallStarted",
    "UsageUpdate",
    "aaccumulate",
    "accumulate",
    "aiter_chat",
    "aiter_events",
    "arecord",
    "areplay",
    "encode_comment",
    "encode_event",
    "iter_chat",
    "iter_events",
    "record",
    "replay",
]
