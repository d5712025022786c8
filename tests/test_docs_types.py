"""Every Python example of the documentation passes ``mypy --strict``: users copy them into
strict code bases. One mypy run checks every block, each a module of its own (as test_docs.py
runs each in a fresh namespace), with its cache in a temporary folder."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest
from docblocks import PYTHON_BLOCKS

# The blocks type-checked: all but those whose point is a mistake a type checker reports.
TYPED_BLOCKS = [block for block in PYTHON_BLOCKS if block.marker != "not typed"]

_IMPORTED = re.compile(r"^\s*(?:import|from)\s+(\w+)", re.MULTILINE)


def test_the_typed_blocks_are_found() -> None:
    # A broken parser or marker must not leave the check with nothing to check.
    assert len(TYPED_BLOCKS) >= 40 and len(TYPED_BLOCKS) < len(PYTHON_BLOCKS)


def test_every_python_example_passes_mypy_strict(tmp_path: Path) -> None:
    imported = {name for block in TYPED_BLOCKS for name in _IMPORTED.findall(block.code)}
    missing = sorted(name for name in imported | {"mypy"} if find_spec(name) is None)
    if missing:
        pytest.skip(f"the examples are type-checked with {', '.join(missing)} installed")
    # Module names mypy accepts, each mapped back to the block's page and line.
    names = {f"{block.page.stem}_{block.line}".replace("-", "_"): block for block in TYPED_BLOCKS}
    for name, block in names.items():
        (tmp_path / f"{name}.py").write_text(block.code, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
            *(f"{name}.py" for name in names),
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = re.sub(
        r"^(\w+)\.py:(\d+)",
        lambda found: (
            f"{names[found[1]].page.name}, block at line {names[found[1]].line}, "
            f"its line {found[2]}"
        ),
        result.stdout,
        flags=re.MULTILINE,
    )
    assert result.returncode == 0, report + result.stderr
