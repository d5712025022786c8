"""Encoding events for servers: the inverse of the decoder."""

from __future__ import annotations

from .decoder import MAX_RETRY
from .text import mend_surrogates

__all__ = ["encode_comment", "encode_event"]


def encode_event(
    data: str, *, event: str | None = None, id: str | None = None, retry: int | None = None
) -> bytes:
    """Encode one event as ``text/event-stream`` bytes, ending with the blank line that ends it.

    Multi-line ``data`` (split at CRLF, CR or LF, the stream's own line ends) becomes one ``data:``
    line per line, so the decoder gives back the same text with LF line ends. Decoding the output
    gives back ``ServerSentEvent(event or "message", data, id, retry)``, except that UTF-16
    surrogates, which UTF-8 cannot carry, are written mended: a pair as the character it encodes,
    a lone half as U+FFFD.

    Raises:
        TypeError: if ``data``, or ``event`` or ``id`` when given, is not a ``str``, or
            ``retry`` when given is not an ``int`` (a ``bool`` is refused too).
        ValueError: if ``event`` or ``id`` holds CR or LF (it would end the field early), ``id``
            holds NUL (the decoder must ignore such an id), or ``retry`` is not from 0 to
            ``MAX_RETRY`` (the decoder clamps a larger one, so it would not decode to itself).
    """
    _check_text("data", data)
    lines = []
    if event is not None:
        _check_single_line("event", event)
        lines.append(f"event: {event}")
    if id is not None:
        _check_single_line("id", id)
        if "\0" in id:
            raise ValueError("id must not contain NUL: the spec ignores such ids")
        lines.append(f"id: {id}")
    if retry is not None:
        if isinstance(retry, bool) or not isinstance(retry, int):
            # bool is an int subclass, but True would be written as "retry: True".
            raise TypeError(f"retry must be an int, not {type(retry).__name__}")
        if not 0 <= retry <= MAX_RETRY:  # (not shown: a huge int may exceed the str digit limit)
            raise ValueError(f"retry must be from 0 to MAX_RETRY = {MAX_RETRY} ms")
        lines.append(f"retry: {retry}")
    normalised = data.replace("\r\n", "\n").replace("\r", "\n")
    lines.extend(f"data: {line}" for line in normalised.split("\n"))
    return _utf8("\n".join(lines) + "\n\n")


def encode_comment(text: str = "") -> bytes:
    """Encode a comment block, such as a keep-alive that stops proxies timing the stream out.

    Multi-line text becomes several comment lines. Decoders ignore comments, and the blank line
    after it dispatches nothing.

    Raises:
        TypeError: if ``text`` is not a ``str``.
    """
    _check_text("text", text)
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return _utf8("".join(f":{line}\n" for line in normalised.split("\n")) + "\n")


def _check_text(field: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a str, not {type(value).__name__}")


def _check_single_line(field: str, value: str) -> None:
    _check_text(field, value)
    if "\n" in value or "\r" in value:
        raise ValueError(f"{field} must not contain CR or LF: {value!r}")


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Only surrogates make UTF-8 encoding fail.
        return mend_surrogates(text).encode("utf-8")
