"""The errors every dialect raises about the stream it reads: invalid, cut short, or failed at
the provider. Each carries the result rebuilt so far in ``partial``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...wire.errors import StreamError

if TYPE_CHECKING:
    from ..chat.completion import ChatCompletion

__all__ = ["IncompleteStreamError", "InvalidChunkError", "ProviderError"]


class InvalidChunkError(StreamError):
    """A chat chunk that cannot be read, or (with ``strict=True``) that breaks OpenAI's documented
    ``chat.completion.chunk`` schema.

    Raised for a payload that is not JSON (also too deeply nested, or holding ``NaN``/``Infinity``),
    a value of the wrong type, and, in strict mode, every deviation from the documented stream.

    Attributes:
        path: JSON path of the offending value in the chunk, e.g. ``$.choices[0].delta.content``
            (``$`` is the payload itself).
        rule: the rule that was broken, in words.
    """

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$",
        offset: int | None = None,
        event_index: int | None = None,
        partial: ChatCompletion | None = None,
    ) -> None:
        super().__init__(
            f"invalid chunk at {path}: {rule}",
            offset=offset,
            event_index=event_index,
            partial=partial,
        )
        self.path = path
        self.rule = rule


class IncompleteStreamError(StreamError):
    """The input ended before ``data: [DONE]`` and before every choice had a finish_reason.

    The connection was most likely cut; ``partial`` holds everything received until then.
    ``offset`` and ``event_index`` say where the missing next event would have been: the stream
    bytes consumed (None when no bytes were fed, only events or parsed chunks) and the number of
    events received (the index that event would have had).
    """


class ProviderError(StreamError):
    """The provider reported an error inside the stream: a chunk carrying ``error``, or an
    ``event: error``.

    Whatever the same chunk carried besides the error (choices, usage) is already in ``partial``.

    Attributes:
        error: the provider's error object as sent (usually a dict with ``message``, ``type``,
            ``code``); the raw text when the payload was not JSON.
    """

    def __init__(
        self,
        error: object,
        *,
        offset: int | None = None,
        event_index: int | None = None,
        partial: ChatCompletion | None = None,
    ) -> None:
        message = error.get("message") if isinstance(error, dict) else None
        super().__init__(
            f"provider error: {message if isinstance(message, str) else error!r}",
            offset=offset,
            event_index=event_index,
            partial=partial,
        )
        self.error = error
