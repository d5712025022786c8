"""sseproto: exact, fast, sans-I/O Server-Sent Events for LLM streams.

Bytes flow through the package in one direction, one layer per folder:

- ``wire``: bytes to :class:`ServerSentEvent` (the decoder, the encoder, the event iterators). It
  knows nothing of any dialect.
- ``dialects``: events to typed updates and the provider's own result, one folder per dialect
  (``chat``, ``anthropic``, ``responses``, ``gemini``) over a shared ``kit`` (updates, errors,
  the loop that drives an accumulator).
- ``partial_json``: one JSON text parsed as it arrives, with the value so far (below the dialects,
  which use it for tool-call arguments).
- ``fixtures``: recording a live stream and replaying it with any read boundaries.
- The faces, the top-level modules: the command line (``_cli``), the HTTP adapters (``httpx``,
  ``aiohttp``, ``requests``, over ``_adapter``) and the relay server (``server``, its Starlette
  response in ``starlette``, over ``_relay`` and ``_shutdown``).

Imports point down the layers only. Import public names from ``sseproto`` itself (and the faces
from ``sseproto.httpx`` and its siblings); the folders' modules are internal.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from ._adapter_errors import BadResponseError, IdleTimeoutError
from .dialects.anthropic.accumulator import AnthropicAccumulator
from .dialects.anthropic.result import (
    AnthropicMessage,
    CompactionBlock,
    ContentBlock,
    MCPToolUseBlock,
    RedactedThinkingBlock,
    ServerToolUseBlock,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from .dialects.anthropic.updates import BlockDone, CitationAdded, ServerToolCallStarted
from .dialects.auto import AutoAccumulator
from .dialects.chat.accumulator import ChatAccumulator, ChatState
from .dialects.chat.completion import (
    ChatAudio,
    ChatCompletion,
    ChatMessage,
    Choice,
    FunctionCall,
    ToolCall,
)
from .dialects.chat.updates import (
    FunctionCallArgumentsDelta,
    FunctionCallDone,
    FunctionCallStarted,
)
from .dialects.gemini.accumulator import GeminiAccumulator
from .dialects.gemini.result import (
    GeminiCandidate,
    GeminiFunctionCall,
    GeminiPart,
    GeminiResponse,
)
from .dialects.gemini.updates import (
    CodeExecutionResultUpdate,
    ExecutableCodeUpdate,
    GroundingUpdate,
    ToolCallPartialArg,
)
from .dialects.kit.errors import (
    IncompleteStreamError,
    InvalidChunkError,
    ProviderError,
    UnexpectedStreamError,
)
from .dialects.kit.live import LiveArguments
from .dialects.kit.result import Dialect, StreamResult, ToolCallView
from .dialects.kit.state import StreamState
from .dialects.kit.updates import (
    ChatUpdate,
    ChoiceFinished,
    ContentDelta,
    HostedToolArgumentsDelta,
    HostedToolCallStarted,
    ReasoningDelta,
    RefusalDelta,
    StreamDone,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageUpdate,
)
from .dialects.readers import (
    aaccumulate,
    accumulate,
    aiter_chat,
    aiter_updates,
    iter_chat,
    iter_updates,
)
from .dialects.registry import DialectChoice
from .dialects.responses.accumulator import ResponsesAccumulator
from .dialects.responses.result import Response, ResponseToolCall
from .dialects.responses.updates import AnnotationAdded, HostedToolProgress, PartialImage
from .fixtures.errors import FixtureError, RecordedTransportError
from .partial_json.errors import InvalidJSONError
from .partial_json.parser import (
    JSONChange,
    JSONPath,
    JSONTextAppended,
    JSONValueAdded,
    PartialJSONParser,
)
from .wire.decoder import DEFAULT_MAX_EVENT_SIZE, MAX_RETRY, SSEDecoder
from .wire.encoder import encode_comment, encode_event
from .wire.errors import EventTooLargeError, StreamError
from .wire.events import ServerSentEvent
from .wire.iterate import aiter_events, iter_events

if TYPE_CHECKING:
    from .fixtures.record import arecord, record
    from .fixtures.replay import Chunking, areplay, replay

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "MAX_RETRY",
    "AnnotationAdded",
    "AnthropicAccumulator",
    "AnthropicMessage",
    "AutoAccumulator",
    "BadResponseError",
    "BlockDone",
    "ChatAccumulator",
    "ChatAudio",
    "ChatCompletion",
    "ChatMessage",
    "ChatState",
    "ChatUpdate",
    "Choice",
    "ChoiceFinished",
    "Chunking",
    "CitationAdded",
    "CodeExecutionResultUpdate",
    "CompactionBlock",
    "ContentBlock",
    "ContentDelta",
    "Dialect",
    "DialectChoice",
    "EventTooLargeError",
    "ExecutableCodeUpdate",
    "FixtureError",
    "FunctionCall",
    "FunctionCallArgumentsDelta",
    "FunctionCallDone",
    "FunctionCallStarted",
    "GeminiAccumulator",
    "GeminiCandidate",
    "GeminiFunctionCall",
    "GeminiPart",
    "GeminiResponse",
    "GroundingUpdate",
    "HostedToolArgumentsDelta",
    "HostedToolCallStarted",
    "HostedToolProgress",
    "IdleTimeoutError",
    "IncompleteStreamError",
    "InvalidChunkError",
    "InvalidJSONError",
    "JSONChange",
    "JSONPath",
    "JSONTextAppended",
    "JSONValueAdded",
    "LiveArguments",
    "MCPToolUseBlock",
    "PartialImage",
    "PartialJSONParser",
    "ProviderError",
    "ReasoningDelta",
    "RecordedTransportError",
    "RedactedThinkingBlock",
    "RefusalDelta",
    "Response",
    "ResponseToolCall",
    "ResponsesAccumulator",
    "SSEDecoder",
    "ServerSentEvent",
    "ServerToolCallStarted",
    "ServerToolUseBlock",
    "StreamDone",
    "StreamError",
    "StreamResult",
    "StreamState",
    "TextBlock",
    "ThinkingBlock",
    "ToolCall",
    "ToolCallArgumentsDelta",
    "ToolCallDone",
    "ToolCallPartialArg",
    "ToolCallStarted",
    "ToolCallView",
    "ToolResultBlock",
    "ToolUseBlock",
    "UnexpectedStreamError",
    "UsageUpdate",
    "__version__",
    "aaccumulate",
    "accumulate",
    "aiter_chat",
    "aiter_events",
    "aiter_updates",
    "arecord",
    "areplay",
    "encode_comment",
    "encode_event",
    "iter_chat",
    "iter_events",
    "iter_updates",
    "record",
    "replay",
]

# Recording and replaying need hashlib, random and pathlib (which loads urllib.parse and
# ipaddress), which a client that only reads streams never uses: their names load on first use.
# Type checkers see the imports above instead, so a misspelt name stays an error for them.
_LOADED_ON_FIRST_USE = {
    "arecord": ".fixtures.record",
    "record": ".fixtures.record",
    "Chunking": ".fixtures.replay",
    "areplay": ".fixtures.replay",
    "replay": ".fixtures.replay",
}

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        """Load a recording or replaying name when it is first used."""
        from importlib import import_module

        module = _LOADED_ON_FIRST_USE.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(module, __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        """The module's names, those not yet loaded included."""
        return sorted({*globals(), *_LOADED_ON_FIRST_USE})
