"""Interleaved timing: the only kind whose ratios mean anything on a shared, noisy machine.

Each repeat runs every case once, in an order rotated from the previous repeat, so a burst of load
from elsewhere hits all cases alike; the median of each case's repeats is its time.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

__all__ = ["bench", "interleaved", "peak_memory"]

T = TypeVar("T")


def interleaved(
    cases: dict[str, Callable[[], object]],
    repeats: int,
    *,
    limits: dict[str, int] | None = None,
) -> dict[str, float]:
    """The median wall time in seconds of each case over ``repeats`` interleaved runs.

    ``limits`` caps the number of runs of slow cases (they run in the first repeats only).
    """
    limits = limits or {}
    names = list(cases)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            if len(samples[name]) >= limits.get(name, repeats):
                continue
            run = cases[name]
            gc.collect()
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def peak_memory(consume: Callable[[Iterable[bytes]], object], reads: Iterable[bytes]) -> int:
    """The peak traced allocation in bytes while ``consume`` reads ``reads`` (a lazy iterable)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        consume(reads)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench(
    benchmark: Any, function: Callable[[T], object], argument: T, *, rounds: int = 5
) -> float | None:
    """Time ``function(argument)`` with pytest-benchmark; the median in seconds (None if disabled).

    ``benchmark`` is typed Any because pytest-benchmark ships no type information for it.
    """
    benchmark.pedantic(function, args=(argument,), rounds=rounds, warmup_rounds=1)
    if benchmark.disabled:
        return None
    median: float = benchmark.stats.stats.median
    return median
