"""The project's Responses fixtures: each rebuilds to its declared Response (and error) under every
read boundary, strict mode gives its declared outcome, and the generator reproduces the committed
files byte for byte."""

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
from sseproto import InvalidChunkError, Response, ResponsesAccumulator, StreamError

HERE = PROJECT_FIXTURES / "responses"
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


def generator() -> ModuleType:
    """The fixture generator, imported from its file (it is a script, not a package module)."""
    name = "sseproto_responses_fixtures_generate"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _read(reads: Any, *, strict: bool = False) -> Outcome:
    accumulator = ResponsesAccumulator(strict=strict)
    try:
        for data in reads:
            accumulator.feed(data)
        accumulator.close()
    except StreamError as error:
        partial = error.partial
        assert isinstance(partial, Response)
        assert partial == accumulator.snapshot()
        found = {
            "type": type(error).__name__,
            "offset": error.offset,
            "event_index": error.event_index,
        }
        if isinstance(error, InvalidChunkError):
            found["rule"] = error.rule
        return partial.to_dict(), found
    return accumulator.result().to_dict(), None


def _expected(path: Path) -> dict[str, Any]:
    expected: dict[str, Any] = json.loads(
        path.with_suffix(".expected.json").read_text(encoding="utf-8")
    )
    return expected


def test_there_are_fixtures_and_each_has_an_expected_response() -> None:
    assert len(FIXTURES) >= 35
    for path in FIXTURES:
        assert path.with_suffix(".expected.json").is_file(), path.name


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_fixture_rebuilds_to_its_expected_response(path: Path) -> None:
    expected = _expected(path)
    for chunking, seed in CHUNKINGS:
        found = _read(sseproto.replay(path, chunking=chunking, seed=seed))
        assert found == (expected["response"], expected["error"]), (chunking, seed)


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_fixture_in_strict_mode(path: Path) -> None:
    expected = _expected(path)
    response, error = _read([path.read_bytes()], strict=True)
    rule = expected["strict_error"]
    if rule is None:
        assert (response, error) == (expected["response"], expected["error"])
    else:
        assert error is not None
        assert rule["rule"] in error.pop("rule")
        assert error == {key: rule[key] for key in ("type", "offset", "event_index")}


def test_generator_reproduces_the_committed_files_byte_for_byte() -> None:
    generated: dict[str, bytes] = generator().all_files()
    for name, content in generated.items():
        assert (HERE / name).read_bytes() == content, name
    committed = {path.name for path in HERE.iterdir() if path.is_file()}
    assert committed - set(generated) == {"generate.py"}


def test_generator_writes_into_a_directory(tmp_path: Path) -> None:
    written = generator().write_all(tmp_path)
    assert {path.name for path in written} == {path.name for path in tmp_path.iterdir()}


def test_every_event_item_and_terminal_kind_is_covered() -> None:
    events: set[str] = set()
    items: set[str] = set()
    errors: set[str | None] = set()
    for path in FIXTURES:
        expected = _expected(path)
        errors.add(None if expected["error"] is None else expected["error"]["type"])
        items.update(item["type"] for item in expected["response"]["output"])
        for event in sseproto.iter_events([path.read_bytes()]):
            if event.data.startswith("{"):
                events.add(json.loads(event.data)["type"])
    assert items >= {
        "message",
        "function_call",
        "custom_tool_call",
        "reasoning",
        "web_search_call",
        "file_search_call",
        "code_interpreter_call",
        "image_generation_call",
        "mcp_call",
        "mcp_list_tools",
        "mcp_approval_request",
        "local_shell_call",
        "computer_call",
        "hologram_call",
    }
    assert errors == {None, "IncompleteStreamError", "ProviderError"}
    assert events >= {
        "response.created",
        "response.queued",
        "response.in_progress",
        "response.completed",
        "response.incomplete",
        "response.failed",
        "error",
        "response.output_item.added",
        "response.output_item.done",
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.delta",
        "response.output_text.done",
        "response.output_text.annotation.added",
        "response.refusal.delta",
        "response.refusal.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done",
        "response.image_generation_call.partial_image",
        "keepalive",
    }
    stages = {
        name
        for name in events
        if name.count(".") == 2
        and name.endswith(("in_progress", "searching", "interpreting", "generating", "completed"))
    }
    assert len(stages) >= 12
