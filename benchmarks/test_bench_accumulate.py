"""Accumulation: bytes to final chat completion, beside openai-python and the json.loads floor.

Every path is checked to rebuild the workload's exact message before it is timed. openai-python's
path is slow (it builds pydantic models on every chunk), so it runs fewer rounds, and the
tool-argument scaling runs it only at the small sizes.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from accumulators import Accumulate, accumulators, json_floor, payloads
from timing import bench
from workloads import Workload, chat_stream, split_reads, tool_arguments_stream, tool_call_stream

SPLITS = ("network", "tiny")
SIZES = (10_000, 100_000, 1_000_000)
OPENAI_SIZES = (10_000, 100_000)


@cache
def _workload(name: str) -> Workload:
    return chat_stream() if name == "chat" else tool_call_stream()


@cache
def _reads(name: str, split: str) -> list[bytes]:
    return split_reads(_workload(name).data, split)


def _path(name: str) -> Accumulate:
    found = accumulators().get(name)
    if found is None:
        pytest.skip(f"{name} is not installed (the bench extra)")
    return found


def _check(run: Accumulate, workload: Workload, reads: list[bytes]) -> None:
    assert run(reads) == (workload.content, workload.tool_arguments)


@pytest.mark.parametrize("path", ["sseproto", "openai"])
@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("name", ["chat", "tool-calls"])
def test_accumulate(benchmark: Any, name: str, split: str, path: str) -> None:
    if path == "openai" and split != "network":
        pytest.skip("openai-python's path is timed on network reads only, to keep the run short")
    run = _path(path)
    reads = _reads(name, split)
    _check(run, _workload(name), reads)
    benchmark.group = f"accumulate {name} / {split} reads"
    median = bench(benchmark, run, reads, rounds=2 if path == "openai" else 5)
    if median is not None:
        benchmark.extra_info["chunks/s"] = round(_workload(name).events / median)


@pytest.mark.parametrize("name", ["chat", "tool-calls"])
def test_json_loads_floor(benchmark: Any, name: str) -> None:
    texts = payloads(_workload(name).data)
    assert len(texts) == _workload(name).events - 1  # every event but [DONE]
    benchmark.group = f"accumulate {name} / network reads"
    bench(benchmark, json_floor, texts)


@pytest.mark.parametrize("path", ["sseproto", "openai"])
@pytest.mark.parametrize("size", SIZES)
def test_tool_argument_scaling(benchmark: Any, size: int, path: str) -> None:
    if path == "openai" and size not in OPENAI_SIZES:
        pytest.skip("openai-python's path is super-linear: timed at the small sizes only")
    run = _path(path)
    workload = tool_arguments_stream(size)
    reads = split_reads(workload.data, "network")
    _check(run, workload, reads)
    benchmark.group = "tool-argument scaling"
    median = bench(benchmark, run, reads, rounds=1 if path == "openai" else 3)
    if median is not None:
        benchmark.extra_info["us per KB"] = round(
            median / (len(workload.tool_arguments[0]) / 1000) * 1e6, 1
        )
