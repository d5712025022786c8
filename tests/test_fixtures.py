"""The project's fixtures: each rebuilds to its declared expected result under every chunking,
and the generator reproduces the committed files byte for byte."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import PROJECT_FIXTURES

import sseproto
from sseproto.fixtures.format import expected_path, sidecar_path

FIXTURES = sorted(PROJECT_FIXTURES.glob("*.sse"))
CHUNKINGS: list[tuple[sseproto.Chunking, int | None]] = [
    ("recorded", None),
    ("whole", None),
    ("byte", None),
    ("random", 0),
    ("random", 1),
    ("random", 2),
    (1, None),
    (2, None),
    (7, None),
    (64, None),
    (4096, None),
]

Outcome = tuple[dict[str, Any], dict[str, Any] | None]


def _generator() -> ModuleType:
    """The fixture generator, a script outside the package, loaded as a module."""
    name = "sseproto_fixtures_generate"
    spec = importlib.util.spec_from_file_location(name, PROJECT_FIXTURES / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up in sys.modules while the module runs.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _replayed(path: Path, chunking: sseproto.Chunking, seed: int | None) -> Outcome:
    """The completion (the partial one on error) and the error, as expected.json holds them:
    as ``accumulate`` gives them, the error placed where the stream stopped even when it is the
    recorded transport error that ended it."""
    try:
        completion = sseproto.accumulate(
            sseproto.replay(path, chunking=chunking, seed=seed), dialect="chat"
        )
    except sseproto.StreamError as error:
        assert error.partial is not None
        found = {
            "type": type(error).__name__,
            "offset": error.offset,
            "event_index": error.event_index,
        }
        return error.partial.to_dict(), found
    return completion.to_dict(), None


def _expected(path: Path) -> Outcome:
    expected = json.loads(expected_path(path).read_text(encoding="utf-8"))
    return expected["completion"], expected["error"]


def test_there_are_fixtures_and_each_has_an_expected_result() -> None:
    assert len(FIXTURES) >= 25
    for path in FIXTURES:
        assert expected_path(path).is_file(), path.name


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
@pytest.mark.parametrize("chunking,seed", CHUNKINGS, ids=[f"{c}-{s}" for c, s in CHUNKINGS])
def test_fixture_rebuilds_to_its_expected_result(
    path: Path, chunking: sseproto.Chunking, seed: int | None
) -> None:
    assert _replayed(path, chunking, seed) == _expected(path)


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_fixture_rebuilds_through_the_async_replay(path: Path) -> None:
    async def rebuild() -> dict[str, Any]:
        accumulator = sseproto.ChatAccumulator()
        try:
            async for data in sseproto.areplay(path, chunking="random", seed=5):
                accumulator.feed(data)
            accumulator.close()
        except sseproto.StreamError:
            pass
        return accumulator.snapshot().to_dict()

    assert asyncio.run(rebuild()) == _expected(path)[0]


def test_fixtures_with_a_sidecar_replay_their_recorded_reads() -> None:
    with_sidecar = [path for path in FIXTURES if sidecar_path(path).is_file()]
    assert with_sidecar, "some fixtures keep their read boundaries"
    for path in with_sidecar:
        reads: list[bytes] = []
        with contextlib.suppress(sseproto.RecordedTransportError):
            reads.extend(sseproto.replay(path, chunking="recorded"))
        assert len(reads) > 1
        assert b"".join(reads) == path.read_bytes()


def test_generator_reproduces_the_committed_files_byte_for_byte() -> None:
    generated: dict[str, bytes] = _generator().all_files()
    for name, content in generated.items():
        assert (PROJECT_FIXTURES / name).read_bytes() == content, name
    # Nothing in fixtures/ is stale or hand-made.
    committed = {path.name for path in PROJECT_FIXTURES.iterdir() if path.is_file()}
    assert committed - set(generated) == {"generate.py", ".gitattributes"}


def test_generator_writes_into_a_directory(tmp_path: Path) -> None:
    written = _generator().write_all(tmp_path)
    assert {path.name for path in written} == {path.name for path in tmp_path.iterdir()}
    committed = (PROJECT_FIXTURES / "chat-text.sse").read_bytes()
    assert (tmp_path / "chat-text.sse").read_bytes() == committed


def test_every_error_kind_and_chat_feature_is_covered() -> None:
    errors = set()
    features: set[str] = set()
    for path in FIXTURES:
        completion, error = _expected(path)
        if error is not None:
            errors.add(error["type"])
        for choice in completion["choices"]:
            message = choice["message"]
            features.update(key for key, value in message.items() if value is not None)
            if choice["logprobs"] is not None:
                features.add("logprobs")
        if completion["usage"] is not None:
            features.add("usage")
        if len(completion["choices"]) > 1:
            features.add("n>1")
    assert errors == {"ProviderError", "IncompleteStreamError", "RecordedTransportError"}
    assert {
        "content", "refusal", "tool_calls", "function_call", "reasoning", "reasoning_content",
        "logprobs", "usage", "n>1",
    } <= features  # fmt: skip
