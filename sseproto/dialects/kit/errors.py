"""The errors every dialect raises about the stream it reads: invalid, cut short (the wire's
:class:`IncompleteStreamError`, which its readers raise too), or failed at the provider. Each
carries the result rebuilt so far in ``partial``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...wire.errors import IncompleteStreamError, StreamError

if TYPE_CHECKING:
    from .result import StreamResult

__all__ = [
    "IncompleteStreamError",
    "InvalidChunkError",
    "ProviderError",
    "UnexpectedStreamError",
    "provider_message",
]


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
        partial: StreamResult | None = None,
    ) -> None:
        super().__init__(
            f"invalid chunk at {path}: {rule}",
            offset=offset,
            event_index=event_index,
            partial=partial,
        )
        self.path = path
        self.rule = rule


class ProviderError(StreamError):
    """The provider reported an error inside the stream: a chunk carrying ``error``, or an
    ``event: error``.

    Whatever the same chunk carried besides the error (choices, usage) is already in ``partial``.
    The message shows the provider's own message as it wrote it, with its ``type``, ``code`` and
    ``status`` (Gemini's) when it gave them: ``provider error: Rate limit reached (type: requests,
    code: 429)``, ``provider error: API key not valid (code: 401, status: UNAUTHENTICATED)``.

    Attributes:
        error: the provider's error object, always a dict: the object as sent (usually with
            ``message``, ``type``, ``code``), or, when the provider sent something else,
            ``{"message": text}``: the text itself for a string or a payload that was not JSON,
            the JSON text of any other value (``{"error": true}`` gives ``{"message": "true"}``).
        payload: the error exactly as it arrived: the value of the chunk's ``error``, the
            parsed data of an ``event: error``, or its raw text when that was not JSON.
    """

    def __init__(
        self,
        error: object,
        *,
        offset: int | None = None,
        event_index: int | None = None,
        partial: StreamResult | None = None,
    ) -> None:
        obj = _error_object(error)
        super().__init__(
            f"provider error: {provider_message(obj)}",
            offset=offset,
            event_index=event_index,
            partial=partial,
        )
        self.error = obj
        self.payload = error


def _error_object(payload: object) -> dict[str, Any]:
    """The provider's error as a dict: an object as sent, anything else as ``{"message": ...}``."""
    if isinstance(payload, dict):
        return payload
    return {"message": payload if isinstance(payload, str) else _json_text(payload)}


def provider_message(payload: object) -> str:
    """A provider's error (an object as sent, or a bare message) in words: its message unquoted,
    then its type, code and status; the whole object as JSON when it has no message."""
    error = _error_object(payload)
    message = error.get("message")
    if message is None:
        return _json_text(error)
    details = [
        f"{key}: {_text(error[key])}"
        for key in ("type", "code", "status")
        if error.get(key) is not None
    ]
    suffix = f" ({', '.join(details)})" if details else ""
    return f"{_text(message)}{suffix}"


def _text(value: object) -> str:
    return value if isinstance(value, str) else _json_text(value)


def _json_text(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        # Not JSON: an object a caller built the error with, not one the stream sent.
        return repr(value)


class UnexpectedStreamError(StreamError):
    """The input is not the stream being read: no event at all in its bytes (a JSON body, an
    HTML page, line ends stripped), a stream of another dialect, a non-streaming object, or no
    event of the expected dialect before the stream ended.

    The message says what arrived instead, quoting the start of the body when no event did.

    Attributes:
        detected: the dialect the input was recognised as (``"anthropic"``, ...) when it is
            one sseproto knows, but not the one being read; else None.
    """

    def __init__(
        self,
        message: str,
        *,
        detected: str | None = None,
        offset: int | None = None,
        event_index: int | None = None,
        partial: StreamResult | None = None,
    ) -> None:
        super().__init__(message, offset=offset, event_index=event_index, partial=partial)
        self.detected = detected
