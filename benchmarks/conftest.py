"""Benchmark session set-up: pytest-benchmark switched on here, timing CPU time by default.

The project's pytest configuration disables pytest-benchmark so the test suite never times anything;
``pytest benchmarks/`` turns it back on (pass ``--benchmark-disable`` to run each benchmark once, as
a quick smoke test). The default timer is the process's CPU time: every benchmark is
single-threaded and does no I/O, so CPU time is what it costs, and unlike wall time it does not
count the time other programs on a shared machine take the core away
(``--benchmark-timer`` still overrides it).
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Enable pytest-benchmark and time CPU time, unless the command line says otherwise."""
    given = config.invocation_params.args
    if "--benchmark-disable" not in given:
        config.option.benchmark_enable = True
    if not any(str(arg).startswith("--benchmark-timer") for arg in given):
        config.option.benchmark_timer = "time.process_time"
