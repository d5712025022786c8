"""Every real recorded Responses stream, replayed under many read boundaries, rebuilds the Response
the rules give; each one cut just before its terminal event rebuilds the partial the rules give.

The recordings live outside the repository (tests skip without them). Two kinds of expectation:

- for every recording, an oracle read straight from the raw events, much simpler than the engine
  (it ignores every delta): a complete stream's result is its first terminal ``response``, and
  a stream cut before the terminal event reports the last lifecycle ``response`` with ``output``
  made of the items of the ``output_item.done`` events (every recording closes its items before
  its terminal event, so the deltas must rebuild exactly those);
- for a few recordings, the Response written out by hand from the rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import REAL_FIXTURES, real_fixture_files, require_real_fixtures

from sseproto import (
    AnnotationAdded,
    ChatUpdate,
    ChoiceFinished,
    ContentDelta,
    HostedToolProgress,
    IncompleteStreamError,
    ProviderError,
    ReasoningDelta,
    ResponsesAccumulator,
    StreamDone,
    StreamError,
    StreamResult,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageUpdate,
    iter_events,
    replay,
)

FILES = real_fixture_files("openai-responses")
BASE = REAL_FIXTURES / "openai-responses"
TERMINALS = ("response.completed", "response.incomplete", "response.failed")
LIFECYCLE = ("response.created", "response.queued", "response.in_progress")
CHUNKINGS: list[Any] = ["whole", "byte", 3, 64, 1000, *[("random", seed) for seed in range(4)]]


def _id(path: Path) -> str:
    return path.name


class Run:
    """What reading a stream gave: every update, the result (or the error's partial), the error."""

    def __init__(self, reads: Any, *, strict: bool = False) -> None:
        accumulator = ResponsesAccumulator(strict=strict)
        self.updates: list[ChatUpdate] = []
        self.error: StreamError | None = None
        try:
            for data in reads:
                self.updates.extend(accumulator.feed(data))
            self.updates.extend(accumulator.close())
            self.result: Any = accumulator.result()
        except StreamError as error:
            self.error = error
            self.result = error.partial

    def outcome(self) -> tuple[str, int | None, int | None] | None:
        if self.error is None:
            return None
        return type(self.error).__name__, self.error.offset, self.error.event_index


def _events(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(byte offset of the event, payload) of every JSON event of a recording."""
    found = []
    offset = 0
    for block in data.split(b"\n\n"):
        start = offset
        offset += len(block) + 2
        lines = [line[6:] for line in block.split(b"\n") if line.startswith(b"data: ")]
        if lines and lines[0] != b"[DONE]":
            found.append((start, json.loads(b"\n".join(lines))))
    return found


def _terminal_position(data: bytes) -> int:
    """The index (among the JSON events) of the first terminal event."""
    return next(i for i, (_, event) in enumerate(_events(data)) if event["type"] in TERMINALS)


def _oracle_partial(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The Response a stream made of ``events`` (no terminal among them) reports, read from its
    lifecycle and output_item.done events only."""
    response: dict[str, Any] = {}
    items: dict[int, Any] = {}
    for event in events:
        if event["type"] in LIFECYCLE:
            response = dict(event["response"])
        elif event["type"] == "response.output_item.done":
            items[event["output_index"]] = event["item"]
    response["output"] = [items[index] for index in sorted(items)]
    return response


# -- every recording -------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_chunking_never_changes_updates_result_or_error(path: Path) -> None:
    whole = Run([path.read_bytes()])
    for chunking in CHUNKINGS:
        if isinstance(chunking, tuple):
            reads = replay(path, chunking="random", seed=chunking[1])
        else:
            reads = replay(path, chunking=chunking)
        run = Run(reads)
        assert run.updates == whole.updates, chunking
        assert run.result.to_dict() == whole.result.to_dict(), chunking
        assert run.outcome() == whole.outcome(), chunking


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_result_is_the_first_terminal_response(path: Path) -> None:
    data = path.read_bytes()
    events = _events(data)
    terminal = events[_terminal_position(data)][1]
    run = Run([data])
    assert run.result.to_dict() == terminal["response"]
    assert run.result.dialect == "responses"
    if run.error is None:
        # Complete: the last update is StreamDone with the result, after the finish reason.
        assert isinstance(run.updates[-1], StreamDone)
        assert run.updates[-1].completion == run.result
        finished = [u for u in run.updates if isinstance(u, ChoiceFinished)]
        assert finished == [ChoiceFinished(0, run.result.finish_reason)]
    else:
        assert isinstance(run.error, ProviderError)


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_cut_before_the_terminal_event_rebuilds_the_partial(path: Path) -> None:
    data = path.read_bytes()
    events = _events(data)
    position = _terminal_position(data)
    offset = events[position][0]
    run = Run([data[:offset]])
    assert run.result.to_dict() == _oracle_partial([event for _, event in events[:position]])
    assert run.result.usage is None
    assert run.result.status in ("in_progress", "queued")
    if any(event["type"] == "error" for _, event in events[:position]):
        # The error event was read; with no terminal event after it, it is still the outcome.
        assert isinstance(run.error, ProviderError)
    else:
        assert isinstance(run.error, IncompleteStreamError)
        assert run.error.offset == offset
        assert run.error.event_index == position


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_updates_add_up_to_the_result(path: Path) -> None:
    run = Run([path.read_bytes()])
    result: StreamResult = run.result
    text = "".join(u.text for u in run.updates if isinstance(u, ContentDelta))
    reasoning = "".join(u.text for u in run.updates if isinstance(u, ReasoningDelta))
    assert text == (result.text or "")
    assert reasoning == (result.reasoning or "")
    started = [(u.index, u.id, u.name) for u in run.updates if isinstance(u, ToolCallStarted)]
    done = [
        (u.index, u.id, u.name, u.arguments) for u in run.updates if isinstance(u, ToolCallDone)
    ]
    calls = result.tool_calls
    assert started == [(i, call.id, call.name) for i, call in enumerate(calls)]
    assert done == [(i, call.id, call.name, call.arguments) for i, call in enumerate(calls)]
    for index, call in enumerate(calls):
        pieces = [
            u.text
            for u in run.updates
            if isinstance(u, ToolCallArgumentsDelta) and u.index == index
        ]
        assert "".join(pieces) == call.arguments
    usage = [u.usage for u in run.updates if isinstance(u, UsageUpdate)]
    assert usage == ([] if run.error is not None else [result.usage])


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_strict_mode_accepts_every_single_response_recording(path: Path) -> None:
    strict = Run([path.read_bytes()], strict=True)
    lenient = Run([path.read_bytes()])
    if path.name == "gpt51codex-reasoning-function-calls.sse":
        # Four responses back to back: strict mode rejects the second response.created.
        assert strict.error is not None
        assert strict.error.event_index == _terminal_position(path.read_bytes()) + 1
        assert "only data: [DONE]" in str(strict.error)
    else:
        assert strict.outcome() == lenient.outcome()
        assert strict.result.to_dict() == lenient.result.to_dict()


# -- written out by hand ---------------------------------------------------------------------

GPT4O_TEXT_HEAD: dict[str, Any] = {
    "id": "resp_67e554a21aa88191b65876ac5e5bbe0406c52f0e511c76ed",
    "object": "response",
    "created_at": 1743082658,
    "status": "in_progress",
    "error": None,
    "incomplete_details": None,
    "instructions": "",
    "max_output_tokens": None,
    "model": "gpt-4o-2024-08-06",
    "output": [],
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": {"effort": None, "generate_summary": None},
    "store": True,
    "temperature": 1.0,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [
        {
            "type": "function",
            "description": None,
            "name": "get_capital",
            "parameters": {
                "additionalProperties": False,
                "properties": {"country": {"type": "string"}},
                "required": ["country"],
                "type": "object",
            },
            "strict": True,
        }
    ],
    "top_p": 1.0,
    "truncation": "disabled",
    "usage": None,
    "user": None,
    "metadata": {},
}
PARIS = "The capital of France is Paris."


def _require(name: str) -> Path:
    require_real_fixtures()
    return BASE / name


def test_gpt4o_text_by_hand() -> None:
    path = _require("gpt4o-text.sse")
    run = Run(replay(path, chunking="byte"))
    message = {
        "type": "message",
        "id": "msg_67e554a28bec8191b56d3e2331eff88006c52f0e511c76ed",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": PARIS, "annotations": []}],
    }
    usage = {
        "input_tokens": 278,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 9,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 287,
    }
    expected = {**GPT4O_TEXT_HEAD, "status": "completed", "output": [message], "usage": usage}
    assert run.error is None
    assert run.result.to_dict() == expected
    assert (run.result.text, run.result.finish_reason, run.result.tool_calls) == (
        PARIS,
        "completed",
        (),
    )
    words = ["The", " capital", " of", " France", " is", " Paris", "."]
    assert run.updates[:-3] == [ContentDelta(0, word) for word in words]
    assert run.updates[-3:-1] == [ChoiceFinished(0, "completed"), UsageUpdate(usage)]

    # Cut before the output_text.done: the part holds the deltas, the item is still open.
    data = path.read_bytes()
    cut = Run([data[: data.index(b"event: response.output_text.done")]])
    open_message = {
        **message,
        "status": "in_progress",
        "content": [{"type": "output_text", "text": PARIS, "annotations": []}],
    }
    assert isinstance(cut.error, IncompleteStreamError)
    assert cut.result.to_dict() == {**GPT4O_TEXT_HEAD, "output": [open_message]}
    assert cut.result.finish_reason == "in_progress"


def test_gpt4o_function_call_by_hand() -> None:
    path = _require("gpt4o-function-call.sse")
    run = Run(replay(path, chunking=5))
    call_id = "call_kL0PCQV7M2WMoVX8V8OtYSAL"
    arguments = '{"country":"France"}'
    tool_updates = [u for u in run.updates if not isinstance(u, ChoiceFinished | UsageUpdate)]
    assert tool_updates[:-1] == [
        ToolCallStarted(0, 0, call_id, "get_capital"),
        ToolCallArgumentsDelta(0, 0, '{"'),
        ToolCallArgumentsDelta(0, 0, "country"),
        ToolCallArgumentsDelta(0, 0, '":"'),
        ToolCallArgumentsDelta(0, 0, "France"),
        ToolCallArgumentsDelta(0, 0, '"}'),
        ToolCallDone(0, 0, call_id, "get_capital", arguments),
    ]
    [call] = run.result.tool_calls
    assert (call.id, call.name, call.arguments, call.type, call.status) == (
        call_id,
        "get_capital",
        arguments,
        "function_call",
        "completed",
    )
    assert call.item_id == "fc_67e554a1de488191af0831d35cbe082e0794405d35281ae2"
    assert run.result.text is None
    assert run.result.usage == {
        "input_tokens": 255,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 16,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 271,
    }

    # Cut before output_item.done: arguments from the .done, status still in_progress, and the
    # call is not reported complete.
    data = path.read_bytes()
    cut = Run([data[: data.index(b"event: response.output_item.done")]])
    assert isinstance(cut.error, IncompleteStreamError)
    assert cut.result.to_dict()["output"] == [
        {
            "type": "function_call",
            "id": "fc_67e554a1de488191af0831d35cbe082e0794405d35281ae2",
            "call_id": call_id,
            "name": "get_capital",
            "arguments": arguments,
            "status": "in_progress",
        }
    ]
    assert not [u for u in cut.updates if isinstance(u, ToolCallDone)]


def test_custom_tool_call_input_is_the_call_arguments() -> None:
    path = _require("gpt56sol-custom-tool-call.sse")
    run = Run([path.read_bytes()])
    source = 'print("hello world")\n'
    [call] = run.result.tool_calls
    assert (call.id, call.name, call.arguments, call.type) == (
        "call_2uz19gRdSuUXcjBsXyPKFlyW",
        "code_exec",
        source,
        "custom_tool_call",
    )
    assert [u.text for u in run.updates if isinstance(u, ToolCallArgumentsDelta)] == [
        "print",
        '("',
        "hello",
        " world",
        '")\n',
    ]
    # obfuscation pads the deltas and never reaches the result.
    assert "obfuscation" not in json.dumps(run.result.to_dict())


def test_openrouter_reasoning_item_open_across_the_message() -> None:
    path = _require("openrouter-gptoss20b-reasoning-data-only.sse")
    data = path.read_bytes()
    reasoning = (
        'The user asks: "What is 2+2?" They expect a straightforward answer: 4. Just answer 4.'
    )
    # Cut before the reasoning_text.done: the reasoning item (index 0) is still open and holds
    # its deltas; the message (index 1) is closed.
    cut = Run([data[: data.index(b'data: {"type":"response.reasoning_text.done"')]])
    assert isinstance(cut.error, IncompleteStreamError)
    assert cut.result.to_dict()["output"] == [
        {
            "type": "reasoning",
            "id": "rs_tmp_2kbe7x16sax",
            "summary": [],
            "content": [{"type": "reasoning_text", "text": reasoning}],
        },
        {
            "type": "message",
            "status": "completed",
            "content": [{"type": "output_text", "text": "4", "annotations": []}],
            "id": "msg_tmp_8cjof4f6zpw",
            "role": "assistant",
        },
    ]
    assert (cut.result.text, cut.result.reasoning) == ("4", reasoning)
    # Complete: the terminal response rotated the reasoning id; it is taken as sent.
    run = Run([data])
    assert run.error is None
    assert run.result.output[0]["id"] == "rs_tmp_ku4i7pagjwn"
    assert run.result.to_dict()["output_text"] == ""
    assert run.result.usage is not None and run.result.usage["cost"] == 0.0000113


def test_error_event_then_response_failed() -> None:
    path = _require("gpt5nano-error-insufficient-quota.sse")
    data = path.read_bytes()
    run = Run([data])
    assert isinstance(run.error, ProviderError)
    assert run.error.error == {
        "type": "insufficient_quota",
        "code": "insufficient_quota",
        "message": (
            "You exceeded your current quota, please check your plan and billing details. "
            "For more information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors."
        ),
        "param": None,
    }
    # It points at the error event; the partial is the response.failed that followed it.
    assert run.error.event_index == 2
    assert run.error.offset == data.index(b"event: error")
    assert run.result.status == "failed"
    assert run.result.error == {
        "code": "insufficient_quota",
        "message": run.error.error["message"],
    }
    assert run.updates == []


def test_incomplete_is_complete_with_its_reason() -> None:
    run = Run([_require("gpt4o-incomplete-max-output-tokens.sse").read_bytes()])
    assert run.error is None
    assert run.result.status == "incomplete"
    assert run.result.finish_reason == "max_output_tokens"
    assert run.result.output[0]["status"] == "incomplete"


def test_hosted_tools_and_annotations() -> None:
    run = Run([_require("gpt4o-web-search-citations.sse").read_bytes()])
    progress = [(u.item_type, u.status) for u in run.updates if isinstance(u, HostedToolProgress)]
    assert progress == [
        ("web_search_call", "in_progress"),
        ("web_search_call", "searching"),
        ("web_search_call", "completed"),
    ]
    annotations = [u for u in run.updates if isinstance(u, AnnotationAdded)]
    assert [(u.output_index, u.content_index, u.annotation_index) for u in annotations] == [
        (1, 0, 0),
        (1, 0, 1),
        (1, 0, 2),
    ]
    assert all(u.annotation["type"] == "url_citation" for u in annotations)
    message = run.result.output[1]
    assert [a["url"] for a in message["content"][0]["annotations"]] == [
        u.annotation["url"] for u in annotations
    ]
    # Only output_item.done carries the search action.
    assert "action" in run.result.output[0]


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_after_every_event_the_snapshot_agrees_with_the_updates(path: Path) -> None:
    """Cut anywhere, the partial holds exactly the text the updates gave so far, and the text
    only grows up to the final one."""
    accumulator = ResponsesAccumulator()
    data = path.read_bytes()
    final = Run([data]).result
    text: list[str] = []
    reasoning: list[str] = []
    for event in iter_events([data]):
        if accumulator.state.value != "streaming":
            break
        try:
            updates = accumulator.feed_event(event)
        except ProviderError:
            break
        text.extend(u.text for u in updates if isinstance(u, ContentDelta))
        reasoning.extend(u.text for u in updates if isinstance(u, ReasoningDelta))
        partial = accumulator.snapshot()
        assert (partial.text or "") == "".join(text)
        assert (partial.reasoning or "") == "".join(reasoning)
        assert (final.text or "").startswith("".join(text))


def test_logprobs_full_precision_until_the_item_closes() -> None:
    path = _require("gpt4omini-logprobs.sse")
    data = path.read_bytes()
    deltas = [event for _, event in _events(data) if event["type"] == "response.output_text.delta"]
    streamed = [entry for event in deltas for entry in event["logprobs"]]
    assert streamed[0]["logprob"] == -1.9361264946837764e-07

    def part_after(cut_before: bytes) -> dict[str, Any]:
        run = Run([data[: data.index(cut_before)]])
        part: dict[str, Any] = run.result.output[0]["content"][0]
        return part

    # The deltas' logprobs, appended; then output_text.done's (the same values); then
    # content_part.done's "logprobs": [] erases nothing.
    assert part_after(b"event: response.output_text.done")["logprobs"] == streamed
    assert part_after(b"event: response.content_part.done")["logprobs"] == streamed
    assert part_after(b"event: response.output_item.done")["logprobs"] == streamed
    # output_item.done and the terminal response carry rounded values: they win.
    complete = Run([data]).result.output[0]["content"][0]["logprobs"]
    assert complete[0]["logprob"] == -0.0
    assert [entry["token"] for entry in complete] == [entry["token"] for entry in streamed]
