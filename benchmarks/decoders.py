"""sseproto's decoder and the peer decoders it is measured against, each driven as its library does.

Every adapter takes the reads of a stream (a list of bytes) and returns the library's own event
objects in a list: that is the whole timed path, glue included, so the comparison is what a user of
each library pays. :func:`normalise` turns any of those lists into comparable ``(type, data)`` pairs
for the correctness check that precedes every timing.

A peer whose package is not installed (the ``bench`` extra) is simply absent from :func:`decoders`.
"""

from __future__ import annotations

import codecs
import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sseproto

__all__ = ["DecoderCase", "decoders", "normalise", "split_floor"]

Decode = Callable[[list[bytes]], list[Any]]


@dataclass(frozen=True)
class DecoderCase:
    """A named decoder adapter; ``peer`` is False for sseproto itself."""

    name: str
    decode: Decode
    peer: bool = True


def decode_sseproto(reads: list[bytes]) -> list[Any]:
    """sseproto: ``SSEDecoder.feed`` per read, then ``close``."""
    decoder = sseproto.SSEDecoder()
    feed = decoder.feed
    events: list[Any] = []
    extend = events.extend
    for read in reads:
        extend(feed(read))
    extend(decoder.close())
    return events


def decode_sseproto_iter(reads: list[bytes]) -> list[Any]:
    """sseproto: ``iter_events`` over the reads (the iterator most users hold)."""
    return list(sseproto.iter_events(reads))


def _httpx_sse() -> Decode | None:
    """httpx-sse 0.4: httpx's incremental UTF-8 text decoding, then its line and event decoders.

    This is ``EventSource.iter_sse`` over ``Response.iter_text()`` without the HTTP response: the
    same classes, generator and per-line ``rstrip`` as the library's own loop.
    """
    try:
        from httpx_sse._decoders import SSEDecoder, SSELineDecoder
    except ImportError:
        return None

    def lines(reads: Iterable[bytes]) -> Iterator[str]:
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        decoder = SSELineDecoder()
        for read in reads:
            chunk = text.decode(read)
            if chunk:
                yield from decoder.decode(chunk)
        tail = text.decode(b"", True)
        if tail:
            yield from decoder.decode(tail)
        yield from decoder.flush()

    def decode(reads: list[bytes]) -> list[Any]:
        decoder = SSEDecoder()
        events: list[Any] = []
        for line in lines(reads):
            event = decoder.decode(line.rstrip("\n"))
            if event is not None:
                events.append(event)
        return events

    return decode


def _openai() -> Decode | None:
    """openai-python: ``SSEDecoder.iter_bytes`` over the reads, as its ``Stream`` does."""
    try:
        from openai._streaming import SSEDecoder
    except ImportError:
        return None

    def decode(reads: list[bytes]) -> list[Any]:
        return list(SSEDecoder().iter_bytes(iter(reads)))

    return decode


def _launchdarkly() -> Decode | None:
    """launchdarkly-eventsource: the line reader and event reader its ``SSEClient`` chains."""
    try:
        # Imported by name: the package ships no type information.
        reader = importlib.import_module("ld_eventsource.reader")
    except ImportError:
        return None
    lines_from = reader._BufferedLineReader.lines_from
    event_reader = reader._SSEReader

    def decode(reads: list[bytes]) -> list[Any]:
        return list(event_reader(lines_from(reads)).events_and_comments())

    return decode


def decoders() -> list[DecoderCase]:
    """sseproto's two entry points first, then every installed peer."""
    cases = [
        DecoderCase("sseproto", decode_sseproto, peer=False),
        DecoderCase("sseproto iter_events", decode_sseproto_iter, peer=False),
    ]
    for name, factory in (
        ("launchdarkly", _launchdarkly),
        ("httpx-sse", _httpx_sse),
        ("openai", _openai),
    ):
        decode = factory()
        if decode is not None:
            cases.append(DecoderCase(name, decode))
    return cases


def normalise(events: list[Any]) -> list[tuple[str, str]]:
    """``(type, data)`` of each event in any library's list, leaving out comments.

    Events with empty data are left out too: httpx-sse and openai dispatch a spurious empty event
    for every blank line once an ``id`` has been seen (a known spec deviation), which would make the
    keep-alive blocks of the multi-line workload look like events. :func:`spurious` counts them.
    """
    pairs: list[tuple[str, str]] = []
    for event in events:
        data = getattr(event, "data", None)
        if data:
            pairs.append((event.event or "message", data))
    return pairs


def spurious(events: list[Any]) -> int:
    """How many data-less events a decoder dispatched (the spec dispatches none)."""
    return sum(1 for event in events if getattr(event, "data", None) == "")


def split_floor(data: bytes) -> list[str]:
    """The floor of any decoder: cut the whole buffer at blank lines and decode each piece."""
    separator = b"\r\n\r\n" if 13 in data else b"\n\n"
    return [block.decode("utf-8", "replace") for block in data.split(separator)]
