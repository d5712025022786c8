"""Benchmark session set-up: pytest-benchmark timing is switched on for this directory.

The project's pytest configuration disables pytest-benchmark so the test suite never times anything;
``pytest benchmarks/`` turns it back on (pass ``--benchmark-disable`` to run each benchmark once, as
a quick smoke test).
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if "--benchmark-disable" not in config.invocation_params.args:
        config.option.benchmark_enable = True
