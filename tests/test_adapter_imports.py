"""The adapters are optional: ``import sseproto`` (and the relay encoder) load no HTTP library, and
each adapter loads only its own client. Checked in fresh interpreters, since this test session
has imported everything already."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

HTTP_LIBRARIES = ("httpx", "aiohttp", "requests", "urllib3", "starlette", "uvicorn", "openai")


def libraries_loaded_by(statement: str) -> list[str]:
    code = (
        f"import sys\n{statement}\n"
        f"print(__import__('json').dumps([m for m in {HTTP_LIBRARIES!r} if m in sys.modules]))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def test_importing_sseproto_loads_no_http_library() -> None:
    assert libraries_loaded_by("import sseproto, sseproto.server") == []


@pytest.mark.parametrize(
    ("module", "client"),
    [
        ("httpx", "httpx"),
        ("aiohttp", "aiohttp"),
        ("requests", "requests"),
        ("starlette", "starlette"),
    ],
)
def test_each_adapter_loads_only_its_client(module: str, client: str) -> None:
    pytest.importorskip(client)
    loaded = set(libraries_loaded_by(f"import sseproto.{module}"))
    others = {"httpx", "aiohttp", "requests", "starlette", "uvicorn", "openai"} - {client}
    assert client in loaded
    assert not loaded & others
