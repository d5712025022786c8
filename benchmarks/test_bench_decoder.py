"""Decoder throughput: every workload, every read size, sseproto and each installed peer.

pytest-benchmark groups each workload/read-size pair, so its table shows the peers side by side;
ratios worth quoting come from ``python benchmarks/report.py`` (interleaved, one run).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from decoders import DecoderCase, decode_sseproto, decoders, normalise
from timing import bench
from workloads import SPLITS, fixed_reads, huge_line_stream, named, named_reads

WORKLOADS = ("chat", "tool-calls", "multiline", "chat-crlf", "anthropic", "responses")
DECODERS = ("sseproto", "sseproto iter_events", "launchdarkly", "httpx-sse", "openai")


def _case(name: str) -> DecoderCase:
    for case in decoders():
        if case.name == name:
            return case
    pytest.skip(f"{name} is not installed (the bench extra)")


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("name", WORKLOADS)
def test_decode(benchmark: Any, name: str, split: str, decoder: str) -> None:
    case = _case(decoder)
    chunks = named_reads(name, split)
    ours = decode_sseproto(chunks)
    # Checked before timing: sseproto matches a whole-buffer decode, the peer matches sseproto.
    assert ours == decode_sseproto([b"".join(chunks)])
    if split != "bytes":
        assert len(ours) == named(name).events
    assert normalise(case.decode(chunks)) == normalise(ours)

    benchmark.group = f"decode {name} / {split} reads"
    median = bench(benchmark, case.drain, chunks)
    if median is None:
        return
    size = sum(map(len, chunks))
    benchmark.extra_info["MB/s"] = round(size / median / 1e6, 1)
    benchmark.extra_info["events/s"] = round(len(ours) / median)


@pytest.mark.parametrize("decoder", DECODERS)
def test_decode_huge_line(benchmark: Any, decoder: str) -> None:
    """One 5 MB line in 1 KiB reads: linear buffering, whatever the read size."""
    case = _case(decoder)
    chunks = _huge_line_reads()
    ours = decode_sseproto(chunks)
    assert len(ours) == 1
    assert normalise(case.decode(chunks)) == normalise(ours)
    benchmark.group = "decode one 5 MB line / 1 KiB reads"
    bench(benchmark, case.drain, chunks)


@cache
def _huge_line_reads() -> list[bytes]:
    return fixed_reads(huge_line_stream().data, 1024)
