"""The package as its users meet it: what importing it costs, and what it says it is."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sseproto
import sseproto.wire

# What `import sseproto` must never load: asyncio drags in ssl and concurrent.futures (tens of
# milliseconds), and the HTTP clients belong to the optional adapters.
# Nor socket (with email.utils, which reading a Retry-After date needs, loaded only then), nor
# what recording and replaying need: hashlib, random, and pathlib's urllib.parse and ipaddress.
_HEAVY = (
    "asyncio", "ssl", "concurrent", "socket", "httpx", "aiohttp", "requests", "starlette", "openai",
    "hashlib", "random", "urllib", "ipaddress",
)  # fmt: skip


def test_importing_sseproto_loads_no_asyncio_ssl_http_client_or_fixture_machinery() -> None:
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


# Every CPython the package declares (requires-python >= 3.10) that this machine has, on PATH or
# installed by pyenv: the code must not use what only a later one accepts (possessive regex
# quantifiers, new syntax).
def _other_pythons() -> list[str]:
    found: dict[tuple[int, int], str] = {}
    pyenv = shutil.which("pyenv")
    if pyenv:
        listed = subprocess.run([pyenv, "root"], capture_output=True, text=True)
        for python in sorted(Path(listed.stdout.strip()).glob("versions/3.*/bin/python3")):
            minor = python.parent.parent.name.split(".")[1]
            if minor.isdigit():
                found.setdefault((3, int(minor)), str(python))
    for number in range(10, 14):
        on_path = shutil.which(f"python3.{number}")
        if on_path and "shims" not in Path(on_path).parts:
            found.setdefault((3, number), on_path)
    return [
        python
        for version, python in sorted(found.items())
        if version >= (3, 10) and version != sys.version_info[:2]
    ]


OTHER_PYTHONS = _other_pythons()


@pytest.mark.skipif(not OTHER_PYTHONS, reason="no other CPython 3.10+ on PATH")
@pytest.mark.parametrize("python", OTHER_PYTHONS)
def test_the_package_imports_and_reads_a_stream_on_every_supported_python(python: str) -> None:
    program = (
        "import sseproto; "
        "print(sseproto.accumulate([b'data: {\"choices\": [{\"index\": 0, "
        "\"delta\": {\"content\": \"hi\"}}]}\\n\\n', b'data: [DONE]\\n\\n']).text)"
    )
    root = Path(__file__).resolve().parent.parent
    # -I ignores the environment's site-packages; the package is put on the path by hand.
    done = subprocess.run(
        [python, "-I", "-c", f"import sys; sys.path.insert(0, {str(root)!r}); {program}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hi"
