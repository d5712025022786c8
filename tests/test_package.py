"""The package as its users meet it: what importing it costs, and what it says it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import sseproto
import sseproto.wire

# What `import sseproto` must never load: asyncio drags in ssl and concurrent.futures (tens of
# milliseconds), and the HTTP clients belong to the optional adapters.
# Nor socket (with email.utils, which reading a Retry-After date needs, loaded only then).
_HEAVY = (
    "asyncio", "ssl", "concurrent", "socket", "httpx", "aiohttp", "requests", "starlette", "openai",
)  # fmt: skip


def test_importing_sseproto_loads_no_asyncio_ssl_or_http_client() -> None:
    code = "import sys, sseproto; print('\\n'.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    heavy = [name for name in loaded if name.split(".")[0] in _HEAVY]
    assert heavy == []


def test_the_version_is_the_one_the_package_metadata_declares() -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        declared = version("sseproto")
    except PackageNotFoundError:
        pytest.skip("sseproto is run from its source tree, not installed")
    assert sseproto.__version__ == declared


def test_the_command_line_prints_the_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sseproto", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out == f"sseproto {sseproto.__version__}\n"


def test_the_wire_layer_speaks_of_no_method_of_the_dialect_layer() -> None:
    # The wire knows no dialect: its errors and documents name only its own surface.
    for path in Path(sseproto.wire.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in ("feed_event", "feed_chunk", "feed_done"):
            assert name not in text, f"{path.name} speaks of {name}()"
