"""The readers: a stream's bytes to its result or its updates, for any dialect, sync and async.

They do no I/O of their own: pass ``response.iter_bytes()`` (httpx, requests),
``response.content.iter_any()`` (aiohttp), a replayed fixture, any iterable of ``bytes``, or one
whole ``bytes`` body. ``dialect="auto"`` (the default) decides the dialect from the stream's first
data event; naming one reads the stream as that dialect only.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Generator, Iterable
from typing import Literal, overload

from ..wire.decoder import DEFAULT_MAX_EVENT_SIZE
from ..wire.reads import BytesLike, async_reads, reads
from .anthropic.result import AnthropicMessage
from .auto import AutoAccumulator
from .chat.completion import ChatCompletion
from .gemini.result import GeminiResponse
from .kit.drive import Accumulator, aiterate, arun, iterate, run
from .kit.result import StreamResult
from .kit.updates import ChatUpdate
from .registry import DialectChoice, accumulator_class
from .responses.result import Response

__all__ = [
    "aaccumulate",
    "accumulate",
    "aiter_chat",
    "aiter_updates",
    "iter_chat",
    "iter_updates",
    "new_accumulator",
]

Reads = Iterable[BytesLike] | BytesLike
AsyncReads = AsyncIterable[BytesLike] | BytesLike


def new_accumulator(
    dialect: DialectChoice = "auto",
    *,
    strict: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    partial_json: bool = False,
) -> Accumulator[StreamResult]:
    """A fresh accumulator for a stream of ``dialect``: an :class:`AutoAccumulator`, which
    for a named dialect refuses another dialect's stream, and a body without events, by name
    before handing the stream to that dialect's accumulator.

    Raises:
        ValueError: ``dialect`` is no dialect, or ``strict``/``max_event_size``/
            ``partial_json`` is invalid.
    """
    if dialect != "auto":
        accumulator_class(dialect)  # a name refused in the reader's words, not expect's
    return AutoAccumulator(
        strict=strict,
        max_event_size=max_event_size,
        expect=None if dialect == "auto" else dialect,
        partial_json=partial_json,
    )


@overload
def accumulate(
    chunks: Reads,
    *,
    dialect: Literal["chat"],
    strict: bool = ...,
    max_event_size: int | None = ...,
) -> ChatCompletion: ...
@overload
def accumulate(
    chunks: Reads,
    *,
    dialect: Literal["anthropic"],
    strict: bool = ...,
    max_event_size: int | None = ...,
) -> AnthropicMessage: ...
@overload
def accumulate(
    chunks: Reads,
    *,
    dialect: Literal["responses"],
    strict: bool = ...,
    max_event_size: int | None = ...,
) -> Response: ...
@overload
def accumulate(
    chunks: Reads,
    *,
    dialect: Literal["gemini"],
    strict: bool = ...,
    max_event_size: int | None = ...,
) -> GeminiResponse: ...
@overload
def accumulate(
    chunks: Reads,
    *,
    dialect: DialectChoice = ...,
    strict: bool = ...,
    max_event_size: int | None = ...,
) -> StreamResult: ...
def accumulate(
    chunks: Reads,
    *,
    dialect: DialectChoice = "auto",
    strict: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> StreamResult:
    """Read a whole stream (its raw bytes, in reads of any size) and return its result: the
    provider's own object (:class:`ChatCompletion` for chat, :class:`AnthropicMessage` for
    Anthropic, :class:`Response` for Responses, :class:`GeminiResponse` for Gemini).

    Reading stops at the dialect's terminal event (chat: ``data: [DONE]``), and a generator
    source is closed however reading ends.

    Args:
        chunks: the body's reads as the client gives them (``response.iter_bytes()``, a
            :func:`~sseproto.replay`), or one whole ``bytes`` body.
        dialect: ``"auto"`` to tell the dialect from the first data event, or the one the
            stream must be: ``"chat"``, ``"anthropic"``, ``"responses"`` or ``"gemini"`` (the
            result is then typed as that dialect's).
        strict: reject deviations from the dialect's documented stream instead of reading them.
        max_event_size: the largest event buffered, in bytes (None: no limit).

    Raises:
        StreamError: the stream was invalid, carried a provider error, was cut short (its
            source failing included) or is not a stream of the dialect; the error's
            ``partial`` holds what was rebuilt.
        TypeError: ``chunks`` is not bytes reads (a ``str``, an async iterable, a path, events
            or parsed payloads: the message says what to pass instead).
        ValueError: ``dialect`` names no dialect (None included; the message says which to
            write), or ``strict`` or ``max_event_size`` is invalid.
    """
    source = reads(chunks)
    return run(new_accumulator(dialect, strict=strict, max_event_size=max_event_size), source)


@overload
async def aaccumulate(
    chunks: AsyncReads,
    *,
    dialect: Literal["chat"],
    strict: bool = ...,
    max_event_size: int | None = ...,
) -> ChatCompletion: ...
@overload
async def aaccumulate(
    chunks: AsyncReads,
    *,
    dialect: Literal["anthropic"],
    strict: bool = ...,
    max_event_size: int | None = ...,
) -> AnthropicMessage: ...
@overload
async def aaccumulate(
    chunks: AsyncReads,
    *,
    dialect: Literal["responses"],
    strict: bool = ...,
    max_event_size: int | None = ...,
) -> Response: ...
@overload
async def aaccumulate(
    chunks: AsyncReads,
    *,
    dialect: Literal["gemini"],
    strict: bool = ...,
    max_event_size: int | None = ...,
) -> GeminiResponse: ...
@overload
async def aaccumulate(
    chunks: AsyncReads,
    *,
    dialect: DialectChoice = ...,
    strict: bool = ...,
    max_event_size: int | None = ...,
) -> StreamResult: ...
async def aaccumulate(
    chunks: AsyncReads,
    *,
    dialect: DialectChoice = "auto",
    strict: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> StreamResult:
    """The async twin of :func:`accumulate`: ``chunks`` is an async iterable of reads (or one
    whole ``bytes`` body)."""
    source = async_reads(chunks)
    accumulator = new_accumulator(dialect, strict=strict, max_event_size=max_event_size)
    return await arun(accumulator, source)


def iter_updates(
    chunks: Reads,
    *,
    dialect: DialectChoice = "auto",
    strict: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    partial_json: bool = False,
) -> Generator[ChatUpdate, None, None]:
    """Yield the updates of a stream of any dialect as its bytes arrive.

    The last update of a complete stream is :class:`StreamDone`, whose ``completion`` is the
    result. An error is raised after every update produced before it was yielded. Reading
    stops at the terminal event, and a generator source is closed however iteration ends
    (a ``break`` included).

    ``partial_json=True`` parses tool-call arguments as they arrive: each
    :class:`ToolCallArgumentsDelta` carries the arguments parsed up to it in ``parsed``, each
    :class:`ToolCallDone` the whole arguments when they are valid JSON (the accumulator's own
    option, see :class:`~sseproto.ChatAccumulator`).

    Raises:
        StreamError: as :func:`accumulate`.
        TypeError, ValueError: at the call, as :func:`accumulate`.
    """
    source = reads(chunks)
    accumulator = new_accumulator(
        dialect, strict=strict, max_event_size=max_event_size, partial_json=partial_json
    )
    return iterate(accumulator, source)


def aiter_updates(
    chunks: AsyncReads,
    *,
    dialect: DialectChoice = "auto",
    strict: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    partial_json: bool = False,
) -> AsyncGenerator[ChatUpdate, None]:
    """The async twin of :func:`iter_updates`."""
    source = async_reads(chunks)
    accumulator = new_accumulator(
        dialect, strict=strict, max_event_size=max_event_size, partial_json=partial_json
    )
    return aiterate(accumulator, source)


def iter_chat(
    chunks: Reads,
    *,
    strict: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    partial_json: bool = False,
) -> Generator[ChatUpdate, None, None]:
    """The updates of a chat stream: ``iter_updates(chunks, dialect="chat", ...)``."""
    return iter_updates(
        chunks,
        dialect="chat",
        strict=strict,
        max_event_size=max_event_size,
        partial_json=partial_json,
    )


def aiter_chat(
    chunks: AsyncReads,
    *,
    strict: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    partial_json: bool = False,
) -> AsyncGenerator[ChatUpdate, None]:
    """The updates of a chat stream: ``aiter_updates(chunks, dialect="chat", ...)``."""
    return aiter_updates(
        chunks,
        dialect="chat",
        strict=strict,
        max_event_size=max_event_size,
        partial_json=partial_json,
    )
