"""Interleaved timing: the only kind whose ratios mean anything on a shared, noisy machine.

Each repeat (a round) runs every case once, in an order rotated from the previous round, so a burst
of load from elsewhere hits all cases alike; the median of each case's rounds is its time. A ratio
of two cases is taken within each round and the median of those per-round ratios is quoted with
their spread (:class:`Ratio`): a ratio of two medians mixes rounds run under different loads, and
moves far more between runs. Time is the process's CPU time: every case is single-threaded and
does no I/O, so that is its whole cost, and unlike wall time it leaves out the time other programs
take the core away.

The objects alive before timing starts (the workloads and their reads: hundreds of thousands of
small bytes objects) are frozen out of the garbage collector's sight while cases run. Otherwise
every full collection triggered by a case would scan them, charging the case for the size of the
benchmark's own inputs; the objects the cases create are collected as usual.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["Ratio", "Rounds", "bench", "frozen_heap", "interleaved", "peak_memory", "rounds"]

T = TypeVar("T")


@dataclass(frozen=True)
class Ratio:
    """The median of per-round ratios, with the lowest and highest round."""

    median: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.median:.2f}x ({self.low:.2f}-{self.high:.2f})"


@dataclass(frozen=True)
class Rounds:
    """The CPU time in seconds of each case in each round (a limited case has fewer rounds)."""

    times: dict[str, list[float]]

    def median(self, name: str) -> float:
        """The median time of case ``name``."""
        return statistics.median(self.times[name])

    def medians(self) -> dict[str, float]:
        """The median time of every case."""
        return {name: self.median(name) for name in self.times}

    def speedup(self, case: str, baseline: str) -> Ratio:
        """How many times faster ``case`` ran than ``baseline``, round by round.

        Only the rounds both cases ran in count (the first ones, for a limited case).
        """
        ratios = self.ratios(case, baseline)
        return Ratio(statistics.median(ratios), min(ratios), max(ratios))

    def ratios(self, case: str, baseline: str) -> list[float]:
        """How many times faster ``case`` ran than ``baseline`` in each round both ran in."""
        pairs = zip(self.times[baseline], self.times[case], strict=False)
        return [theirs / ours for theirs, ours in pairs]


def rounds(
    cases: dict[str, Callable[[], object]],
    repeats: int,
    *,
    limits: dict[str, int] | None = None,
) -> Rounds:
    """The CPU time of each case in each of ``repeats`` interleaved rounds.

    ``limits`` caps the number of runs of slow cases (they run in the first rounds only).
    """
    limits = limits or {}
    names = list(cases)
    samples: dict[str, list[float]] = {name: [] for name in names}
    with frozen_heap():
        for repeat in range(repeats):
            shift = repeat % len(names)
            for name in names[shift:] + names[:shift]:
                if len(samples[name]) >= limits.get(name, repeats):
                    continue
                run = cases[name]
                gc.collect()
                start = time.process_time()
                run()
                samples[name].append(time.process_time() - start)
    return Rounds(samples)


def interleaved(
    cases: dict[str, Callable[[], object]],
    repeats: int,
    *,
    limits: dict[str, int] | None = None,
) -> dict[str, float]:
    """The median CPU time in seconds of each case over ``repeats`` interleaved rounds."""
    return rounds(cases, repeats, limits=limits).medians()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the objects alive now out of the garbage collector's scans until the block ends."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
    with frozen_heap():
        benchmark.pedantic(function, args=(argument,), rounds=rounds, warmup_rounds=1)
    if benchmark.disabled:
        return None
    median: float = benchmark.stats.stats.median
    return median
