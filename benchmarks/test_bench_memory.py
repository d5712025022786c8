"""Decoder memory: decoding a 100 MB stream must peak like decoding a 10 MB one.

Measured with tracemalloc while a chat stream, generated lazily in network-sized reads, is decoded
and its events dropped: what remains is the decoder's own buffering, which must stay
O(largest event + one read) however long the stream runs.
"""

from __future__ import annotations

from collections.abc import Iterable

from timing import peak_memory
from workloads import chat_stream, stream_of_size

import sseproto


def _drain(reads: Iterable[bytes]) -> None:
    decoder = sseproto.SSEDecoder()
    for read in reads:
        decoder.feed(read)
    decoder.close()


def test_memory_does_not_grow_with_stream_length() -> None:
    chat = chat_stream()
    small = peak_memory(_drain, stream_of_size(chat, 10_000_000))
    large = peak_memory(_drain, stream_of_size(chat, 100_000_000))
    print(f"\ntracemalloc peak: 10 MB stream {small / 1024:.0f} KiB, 100 MB {large / 1024:.0f} KiB")
    assert large <= 1.5 * small
    # O(largest event + one read): the chat events are < 1 KiB, the reads at most 16 KiB.
    assert large < 1024 * 1024
