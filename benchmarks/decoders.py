"""sseproto's decoder and the peer decoders it is measured against, each driven as its library does.

Every case takes the reads of a stream (a list of bytes) two ways: ``decode`` returns the library's
own event objects in a list, for the correctness check that precedes every timing (:func:`normalise`
turns any of those lists into comparable ``(type, data)`` pairs); ``drain`` is the timed path, glue
included, so the comparison is what a user of each library pays: it consumes the events one by one
as a streaming client does, dropping each, and returns their count. Retaining every event in one
list would time the allocator and the memory bus more than the decoder (such a run moves by up to a
third between runs of the same code).

:func:`streaming_floor` is what any decoder must at least do, consumed the same way.

A peer whose package is not installed (the ``bench`` extra) is simply absent from :func:`decoders`.
"""

from __future__ import annotations

import codecs
import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sseproto

__all__ = ["DecoderCase", "decoders", "normalise", "streaming_floor"]

Decode = Callable[[list[bytes]], list[Any]]
Drain = Callable[[list[bytes]], int]
Events = Callable[[list[bytes]], Iterable[Any]]


@dataclass(frozen=True)
class DecoderCase:
    """A named decoder adapter; ``peer`` is False for sseproto itself."""

    name: str
    decode: Decode
    drain: Drain
    peer: bool = True


def _count(events: Iterable[Any]) -> int:
    """Consume ``events`` one by one, as a streaming client does; their count."""
    count = 0
    for _ in events:
        count += 1
    return count


def _case(name: str, events: Events, *, peer: bool = True) -> DecoderCase:
    """A case whose library hands out its events as one iterable over the reads."""
    return DecoderCase(
        name, lambda reads: list(events(reads)), lambda reads: _count(events(reads)), peer
    )


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


def drain_sseproto(reads: list[bytes]) -> int:
    """sseproto: ``SSEDecoder.feed`` per read, each event consumed, then ``close``."""
    decoder = sseproto.SSEDecoder()
    feed = decoder.feed
    count = 0
    for read in reads:
        for _ in feed(read):
            count += 1
    return count + len(decoder.close())


def _httpx_sse() -> Events | None:
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

    def events(reads: list[bytes]) -> Iterator[Any]:
        decoder = SSEDecoder()
        for line in lines(reads):
            event = decoder.decode(line.rstrip("\n"))
            if event is not None:
                yield event

    return events


def _openai() -> Events | None:
    """openai-python: ``SSEDecoder.iter_bytes`` over the reads, as its ``Stream`` does."""
    try:
        from openai._streaming import SSEDecoder
    except ImportError:
        return None

    def events(reads: list[bytes]) -> Iterator[Any]:
        return SSEDecoder().iter_bytes(iter(reads))

    return events


def _launchdarkly() -> Events | None:
    """launchdarkly-eventsource: the line reader and event reader its ``SSEClient`` chains."""
    try:
        # Imported by name: the package ships no type information.
        reader = importlib.import_module("ld_eventsource.reader")
    except ImportError:
        return None
    lines_from = reader._BufferedLineReader.lines_from
    event_reader = reader._SSEReader

    def events(reads: list[bytes]) -> Iterator[Any]:
        found: Iterator[Any] = event_reader(lines_from(reads)).events_and_comments()
        return found

    return events


def decoders() -> list[DecoderCase]:
    """sseproto's two entry points first, then every installed peer."""
    cases = [
        DecoderCase("sseproto", decode_sseproto, drain_sseproto, peer=False),
        _case("sseproto iter_events", sseproto.iter_events, peer=False),
    ]
    for name, factory in (
        ("launchdarkly", _launchdarkly),
        ("httpx-sse", _httpx_sse),
        ("openai", _openai),
    ):
        events = factory()
        if events is not None:
            cases.append(_case(name, events))
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


def streaming_floor(reads: list[bytes]) -> int:
    """The floor of any decoder of these reads: each read (after what the previous one left
    unfinished) cut at its blank lines in one call, each event's first field name (``data: ``)
    sliced off and the rest decoded, the text consumed and dropped as a streaming client drops
    it; the number of events.

    No decoder can do less: it must find the events, cut them out and decode them. It takes the
    first line end for the stream's only kind and reads no field, so it is no decoder itself; and
    it cuts the unfinished tail again with every read, so it is a floor only for reads that are
    not much smaller than the events (network reads, a whole body).
    """
    first = next((read for read in reads if 10 in read or 13 in read), b"")
    separator = b"\r\n\r\n" if 13 in first else b"\n\n"
    count = 0
    tail = b""
    for read in reads:
        blocks = (tail + read).split(separator)
        tail = blocks.pop()
        for block in blocks:
            block[6:].decode()
            count += 1
    return count
