"""The project's Anthropic fixtures (``fixtures/anthropic/``): each rebuilds to its declared
Message and error under every chunking, in the default mode and in strict mode, and the generator
reproduces the committed files byte for byte."""

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
from sseproto.fixtures.format import expected_path

DIRECTORY = PROJECT_FIXTURES / "anthropic"
FIXTURES = sorted(DIRECTORY.glob("*.sse"))
CHUNKINGS: list[tuple[sseproto.Chunking, int | None]] = [
    ("whole", None),
    ("byte", None),
    ("random", 0),
    ("random", 1),
    ("random", 2),
    (3, None),
    (64, None),
]

Outcome = tuple[dict[str, Any], dict[str, Any] | None]


def _generator() -> ModuleType:
    """The fixture generator, a script outside the package, loaded as a module."""
    name = "sseproto_anthropic_fixtures_generate"
    spec = importlib.util.spec_from_file_location(name, DIRECTORY / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up in sys.modules while the module runs.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _replayed(path: Path, chunking: sseproto.Chunking, seed: int | None, strict: bool) -> Outcome:
    """The message (the partial one on error) and the error, as expected.json holds them."""
    accumulator = sseproto.AnthropicAccumulator(strict=strict)
    try:
        for data in sseproto.replay(path, chunking=chunking, seed=seed):
            accumulator.feed(data)
        accumulator.close()
    except sseproto.StreamError as error:
        partial: object = error.partial
        assert partial == accumulator.snapshot()
        found: dict[str, Any] = {
            "type": type(error).__name__,
            "offset": error.offset,
            "event_index": error.event_index,
        }
        if isinstance(error, sseproto.InvalidChunkError):
            found["path"] = error.path
        return accumulator.snapshot().to_dict(), found
    return accumulator.result().to_dict(), None


def _expected(path: Path) -> dict[str, Any]:
    expected: dict[str, Any] = json.loads(expected_path(path).read_text(encoding="utf-8"))
    return expected


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
@pytest.mark.parametrize("chunking,seed", CHUNKINGS, ids=[f"{c}-{s}" for c, s in CHUNKINGS])
def test_fixture_rebuilds_to_its_expected_message(
    path: Path, chunking: sseproto.Chunking, seed: int | None
) -> None:
    expected = _expected(path)
    assert _replayed(path, chunking, seed, False) == (expected["message"], expected["error"])


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
@pytest.mark.parametrize("chunking,seed", CHUNKINGS[:3], ids=[f"{c}-{s}" for c, s in CHUNKINGS[:3]])
def test_strict_mode_judges_each_fixture_as_declared(
    path: Path, chunking: sseproto.Chunking, seed: int | None
) -> None:
    expected = _expected(path)
    message, error = _replayed(path, chunking, seed, True)
    if expected["strict_error"] is None:
        assert (message, error) == (expected["message"], expected["error"])
    else:
        assert error == expected["strict_error"]


def test_every_strict_rule_has_a_fixture_that_only_strict_mode_rejects() -> None:
    strict_only = [path for path in FIXTURES if path.stem.startswith("strict-")]
    assert len(strict_only) >= 13
    for path in strict_only:
        expected = _expected(path)
        assert expected["error"] is None, path.name
        assert expected["strict_error"]["type"] == "InvalidChunkError", path.name


def test_every_block_type_stop_reason_and_outcome_is_covered() -> None:
    blocks: set[str] = set()
    reasons: set[str | None] = set()
    errors: set[str] = set()
    for path in FIXTURES:
        expected = _expected(path)
        blocks.update(block["type"] for block in expected["message"]["content"])
        if expected["error"] is not None:
            errors.add(expected["error"]["type"])
        elif expected["strict_error"] is None:
            reasons.add(expected["message"]["stop_reason"])
    assert blocks >= {
        "text",
        "thinking",
        "redacted_thinking",
        "tool_use",
        "server_tool_use",
        "web_search_tool_result",
        "mcp_tool_use",
        "mcp_tool_result",
        "bash_code_execution_tool_result",
        "compaction",
        "x_future_block",
    }
    assert reasons == {
        "end_turn",
        "tool_use",
        "max_tokens",
        "stop_sequence",
        "pause_turn",
        "refusal",
        "model_context_window_exceeded",
    }
    assert errors == {"IncompleteStreamError", "ProviderError"}


def test_provider_error_carries_the_error_object() -> None:
    accumulator = sseproto.AnthropicAccumulator()
    with pytest.raises(sseproto.ProviderError) as caught:
        accumulator.feed((DIRECTORY / "provider-error.sse").read_bytes())
    assert caught.value.error == {
        "type": "overloaded_error",
        "message": "Overloaded",
        "details": None,
    }
    # Every later call raises the same error again.
    with pytest.raises(sseproto.ProviderError) as again:
        accumulator.result()
    assert again.value is caught.value


def test_generator_reproduces_the_committed_files_byte_for_byte() -> None:
    generated: dict[str, bytes] = _generator().all_files()
    for name, content in generated.items():
        assert (DIRECTORY / name).read_bytes() == content, name
    committed = {path.name for path in DIRECTORY.iterdir() if path.is_file()}
    assert committed - set(generated) == {"generate.py"}


def test_generator_writes_into_a_directory(tmp_path: Path) -> None:
    written = _generator().write_all(tmp_path)
    assert {path.name for path in written} == {path.name for path in tmp_path.iterdir()}
