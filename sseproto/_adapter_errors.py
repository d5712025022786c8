"""The errors of the HTTP adapters: a response that is no event stream, and a server gone silent."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .dialects.kit.errors import IncompleteStreamError, InvalidChunkError, provider_message
from .dialects.kit.payload import parse_json
from .fixtures.redact import REDACTED, is_secret_name
from .wire.errors import StreamError

if TYPE_CHECKING:
    from .dialects.kit.result import StreamResult

__all__ = [
    "MAX_ERROR_BODY",
    "REQUEST_ID_HEADERS",
    "BadResponseError",
    "IdleTimeoutError",
    "ResponseHeaders",
]

# Where APIs put the id their support asks for: OpenAI and most others, Anthropic, AWS.
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid")

# How much of a rejected response's body is kept on BadResponseError: enough for any JSON error
# object an API sends, bounded so that a misdirected multi-megabyte download is not read whole.
MAX_ERROR_BODY = 4096

# How much of a body without a provider message the error's message quotes.
_EXCERPT = 200

# How an event stream's body starts: a field or a comment.
_STREAM_STARTS = (b"data:", b"event:", b"id:", b"retry:", b":")


class ResponseHeaders(Mapping[str, str]):
    """A response's headers, looked up whatever the case of the name (``headers["Retry-After"]``
    and ``headers["retry-after"]`` are the same). A header sent more than once holds its values
    joined with ``", "``, as HTTP defines (RFC 9110 5.3).

    Printed (``repr``, ``str``), the value of a header whose name says it carries a credential
    (``set-cookie``, ``authorization``, ``x-api-key``: the names a recording redacts) shows as
    ``<redacted>``, so that logging an error never logs a session; looked up, every value is
    there as it came.
    """

    __slots__ = ("_names", "_values")

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._names: dict[str, str] = {}  # lowercased name -> the name as first sent
        self._values: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            if key in self._values:
                self._values[key] += f", {value}"
            else:
                self._names[key] = name
                self._values[key] = value

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __repr__(self) -> str:
        shown = {
            name: REDACTED if is_secret_name(name) else self._values[key]
            for key, name in self._names.items()
        }
        return f"ResponseHeaders({shown!r})"


class BadResponseError(StreamError):
    """An HTTP response that cannot carry an event stream: a non-2xx status, a 204 (No Content),
    or a content type other than ``text/event-stream`` (unless the check was turned off).

    APIs answer a bad request with a JSON error body, which decoded as an event stream would
    silently give no events; this error says what came back instead. Its message starts with
    the provider's own message when the body carries one (an ``error`` object, OpenAI's,
    Anthropic's and Gemini's shape, or a top-level ``message``), followed by the status, the
    content type, the request id and the ``Retry-After`` when the response had them; otherwise
    it quotes the start of the body.

    Attributes:
        status: the HTTP status code.
        content_type: the response's ``Content-Type`` header, or None if it had none.
        body: the start of the response body (bounded: at most the first few KiB).
        headers: the response headers (:class:`ResponseHeaders`: any case; credentials hidden
            when printed).
    """

    def __init__(
        self,
        *,
        status: int,
        content_type: str | None,
        body: bytes,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body
        self.headers = ResponseHeaders(headers)
        super().__init__(self._describe())

    def json(self) -> Any:
        """The body parsed as JSON (as the readers parse payloads: no ``NaN``, bounded
        nesting), or None when it is not JSON: text, HTML, a body cut at the bound kept, or
        bytes that are not UTF-8. None rather than an exception, because this is read in an
        ``except`` block, where a second error would hide the first.
        """
        try:
            return parse_json(self.body.decode("utf-8"))
        except (UnicodeDecodeError, InvalidChunkError):
            return None

    @property
    def request_id(self) -> str | None:
        """The request's id as the server gave it in a response header (``x-request-id``,
        ``request-id`` or ``x-amzn-requestid``, the first found), or None."""
        for name in REQUEST_ID_HEADERS:
            if name in self.headers:
                return self.headers[name]
        return None

    @property
    def retry_after(self) -> float | None:
        """How many seconds the server asks to wait before retrying, from ``retry-after-ms``
        (OpenAI's) or ``Retry-After`` (seconds or an HTTP date, counted from now, at least 0);
        None without either or when neither can be read."""
        milliseconds = _number(self.headers.get("retry-after-ms"))
        if milliseconds is not None:
            return milliseconds / 1000
        value = self.headers.get("retry-after")
        if value is None:
            return None
        seconds = _number(value)
        if seconds is not None:
            return seconds
        # Imported here: it loads socket and calendar, which importing sseproto need not.
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())

    def _describe(self) -> str:
        status = f"status {self.status}" + (" (No Content)" if self.status == 204 else "")
        facts = [status, f"content type {self.content_type!r}"]
        if self.request_id is not None:
            facts.append(f"request id {self.request_id}")
        if "retry-after" in self.headers:
            facts.append(f"Retry-After {self.headers['retry-after']}")
        message = _provider_error(self.json())
        if message is not None:
            return f"{message}; {', '.join(facts)} instead of an event stream"
        body = f"body {self.body[:_EXCERPT].decode('utf-8', 'replace')!r}" if self.body else ""
        return (
            f"expected a 2xx text/event-stream response, got {', '.join(facts)} and "
            f"{body or 'an empty body'}{self._hint() if 200 <= self.status < 300 else ''}"
        )

    def _hint(self) -> str:
        """What a successful response that is no stream suggests was done differently."""
        if looks_like_stream(self.body):
            return (
                " (the body looks like an event stream under another content type: "
                "check_content_type=False reads it)"
            )
        # An API answering a request that did not ask to stream sends the whole result as JSON.
        kind = type(self.json())
        if kind is type(None) and len(self.body) >= MAX_ERROR_BODY:
            # Only the start of a longer body was kept (a Gemini answer without ?alt=sse usually
            # is): it is told by how it starts, as the readers tell a body without events.
            kind = {b"{": dict, b"[": list}.get(self.body.lstrip()[:1], kind)
        if kind is dict:
            return " (the whole answer as JSON: was the request sent without stream: true?)"
        if kind is list:
            return (
                " (the whole answer as a JSON array: was the request sent without stream: "
                "true, or a Gemini request without ?alt=sse?)"
            )
        return ""


def looks_like_stream(body: bytes) -> bool:
    """Whether a body starts as an event stream does (a field or a comment), whatever its
    content type said."""
    return body.lstrip().startswith(_STREAM_STARTS)


def _provider_error(document: Any) -> str | None:
    """The provider's message in a JSON error body, described as a :class:`ProviderError` is."""
    if type(document) is list and len(document) == 1:
        (document,) = document  # Gemini without ?alt=sse: a JSON array of one response
    if type(document) is not dict:
        return None
    if document.get("error") is not None:
        return provider_message(document["error"])
    if isinstance(document.get("message"), str):
        return provider_message(document)
    return None


def _number(value: str | None) -> float | None:
    """A non-negative number of seconds (or milliseconds) written in a header, else None."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number < float("inf") else None


class IdleTimeoutError(IncompleteStreamError):
    """The server sent nothing for longer than the read timeout while the stream was open: the
    stream ended there, incomplete.

    ``offset`` is the number of body bytes received before the wait began; ``partial`` is the
    result rebuilt from them when updates or a result were being read. The HTTP client's own
    timeout exception is the ``__cause__``.

    Attributes:
        timeout: the read timeout that expired, in seconds (``idle_timeout`` when one was given,
            else the client's own read timeout when the adapter's ``connect_sse`` could tell
            it), or None when unknown.
    """

    def __init__(
        self,
        message: str,
        *,
        timeout: float | None = None,
        offset: int | None = None,
        event_index: int | None = None,
        partial: StreamResult | None = None,
    ) -> None:
        super().__init__(message, offset=offset, event_index=event_index, partial=partial)
        self.timeout = timeout
