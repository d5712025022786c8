"""Shared test configuration: Hypothesis profiles and the location of the real recorded streams."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from servers import LoopbackServer

# "default" keeps a local run quick; CI selects "ci" (HYPOTHESIS_PROFILE=ci) for a thorough search.
settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The HTTP clients and servers some tests exercise come with the test extra; run without them,
# those test files are left out instead of failing to import.
# servers.py, the loopback servers these files use, runs ASGI apps under uvicorn.
_SERVERS = ("starlette", "uvicorn")
_CLIENTS_NEEDED = {
    "test_adapter_aiohttp.py": ("aiohttp", *_SERVERS),
    "test_adapter_httpx.py": ("httpx", *_SERVERS),
    "test_adapter_openai.py": ("openai", "httpx", *_SERVERS),
    "test_adapter_options.py": ("aiohttp", "httpx", "requests", *_SERVERS),
    "test_adapter_requests.py": ("requests", *_SERVERS),
    "test_adapter_usage.py": ("aiohttp", "httpx", "requests", *_SERVERS),
    "test_cli_record.py": _SERVERS,
    # The documentation's examples use every client and the openai SDK.
    "test_docs.py": ("aiohttp", "httpx", "requests", "openai", "fastapi", *_SERVERS),
    "test_follow.py": ("aiohttp", "httpx", "requests", *_SERVERS),
    "test_guide.py": ("aiohttp", "httpx", "requests", "openai", *_SERVERS),
    "test_readers.py": ("httpx", *_SERVERS),
    "test_relay_browser.py": _SERVERS,
    "test_relay_response.py": ("httpx", "openai", *_SERVERS),
    "test_relay_shutdown.py": ("httpx", *_SERVERS),
    "test_server.py": ("httpx", *_SERVERS),
}
collect_ignore = [
    name
    for name, modules in _CLIENTS_NEEDED.items()
    if any(find_spec(module) is None for module in modules)
]

ROOT = Path(__file__).resolve().parent.parent
# Real third-party recordings live outside the repository; tests using them skip without them.
REAL_FIXTURES = ROOT.parent / "shared" / "fixtures" / "real"
PROJECT_FIXTURES = ROOT / "fixtures"


def real_fixture_files(*subdirs: str) -> list[Path]:
    """The real recorded ``.sse`` streams under the given subdirectories (empty if absent)."""
    found: list[Path] = []
    for sub in subdirs:
        base = REAL_FIXTURES / sub
        if base.is_dir():
            found.extend(sorted(base.rglob("*.sse")))
    return found


def require_real_fixtures() -> None:
    """Skip the calling test when the real recordings are not available."""
    if not REAL_FIXTURES.is_dir():
        pytest.skip("real recorded streams are not available")


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A loopback HTTP server for the adapter tests, stopped after the test."""
    # Imported here: the server helpers themselves import this module.
    from servers import serving

    with serving() as running:
        yield running
