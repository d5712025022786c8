"""The project's Gemini fixtures: each rebuilds to its declared response (and error) under every
read boundary, and the generator reproduces the committed files byte for byte."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import PROJECT_FIXTURES

import sseproto
from sseproto import GeminiAccumulator, GeminiResponse, StreamError

HERE = PROJECT_FIXTURES / "gemini"
FIXTURES = sorted(HERE.glob("*.sse"))
CHUNKINGS: list[tuple[sseproto.Chunking, int | None]] = [
    ("whole", None),
    ("byte", None),
    ("random", 0),
    ("random", 1),
    ("random", 2),
    (2, None),
    (7, None),
    (64, None),
]

Outcome = tuple[dict[str, Any], dict[str, Any] | None]


def _generator() -> ModuleType:
    name = "sseproto_gemini_fixtures_generate"
    spec = importlib.util.spec_from_file_location(name, HERE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _replayed(
    path: Path, chunking: sseproto.Chunking, seed: int | None, *, strict: bool = False
) -> Outcome:
    accumulator = GeminiAccumulator(strict=strict)
    try:
        for data in sseproto.replay(path, chunking=chunking, seed=seed):
            accumulator.feed(data)
        accumulator.close()
    except StreamError as error:
        partial = error.partial
        assert isinstance(partial, GeminiResponse)
        assert partial == accumulator.snapshot()
        found = {
            "type": type(error).__name__,
            "offset": error.offset,
            "event_index": error.event_index,
        }
        return partial.to_dict(), found
    return accumulator.result().to_dict(), None


def _expected(path: Path) -> Outcome:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    return expected["response"], expected["error"]


def test_there_are_fixtures_and_each_has_an_expected_response() -> None:
    assert len(FIXTURES) >= 15
    for path in FIXTURES:
        assert path.with_suffix(".expected.json").is_file(), path.name


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_fixture_rebuilds_to_its_expected_response(path: Path) -> None:
    expected = _expected(path)
    for chunking, seed in CHUNKINGS:
        assert _replayed(path, chunking, seed) == expected, (chunking, seed)
    # Every fixture is shaped as the API sends it: strict mode reads it alike.
    assert _replayed(path, "random", 3, strict=True) == expected


def test_generator_reproduces_the_committed_files_byte_for_byte() -> None:
    generated: dict[str, bytes] = _generator().all_files()
    for name, content in generated.items():
        assert (HERE / name).read_bytes() == content, name
    committed = {path.name for path in HERE.iterdir() if path.is_file()}
    assert committed - set(generated) == {"generate.py"}


def test_generator_writes_into_a_directory(tmp_path: Path) -> None:
    written = _generator().write_all(tmp_path)
    assert {path.name for path in written} == {path.name for path in tmp_path.iterdir()}


def test_every_part_kind_finish_reason_and_outcome_is_covered() -> None:
    kinds: set[str] = set()
    reasons: set[str] = set()
    errors: set[str | None] = set()
    candidates = 0
    for path in FIXTURES:
        response, error = _expected(path)
        errors.add(None if error is None else error["type"])
        candidates = max(candidates, len(response.get("candidates", [])))
        for candidate in response.get("candidates", []):
            reasons.add(candidate.get("finishReason"))
            for part in candidate["content"]["parts"]:
                kinds.update(part)
    assert kinds >= {
        "text",
        "thought",
        "thoughtSignature",
        "functionCall",
        "executableCode",
        "codeExecutionResult",
        "inlineData",
        "fileData",
        "toolCall",
        "toolResponse",
        "videoMetadata",
    }
    assert set(_generator().FINISH_REASONS) <= reasons
    assert errors == {None, "IncompleteStreamError", "ProviderError"}
    assert candidates > 1
