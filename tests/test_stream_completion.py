"""When a chat stream completes: tool calls reported done with their final arguments, whatever
came after a finish_reason, and a repeated [DONE] that costs nothing."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import pytest

import sseproto
from sseproto import (
    ChatAccumulator,
    ChoiceFinished,
    StreamDone,
    ToolCallDone,
)
from sseproto.dialects.chat.tool_calls import ToolCalls

DONE = b"data: [DONE]\n\n"


def data(*choices: dict[str, Any]) -> bytes:
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    return f"data: {json.dumps({**chunk, 'choices': list(choices)})}\n\n".encode()


def arguments(text: str, *, index: int = 0, finish: str | None = None, **call: Any) -> bytes:
    delta = {"tool_calls": [{"index": 0, "function": {"arguments": text}, **call}]}
    return data({"index": index, "delta": delta, "finish_reason": finish})


def finish(reason: str = "tool_calls", index: int = 0) -> bytes:
    return data({"index": index, "delta": {}, "finish_reason": reason})


def test_argument_deltas_after_a_finish_reason_reach_the_one_tool_call_done() -> None:
    body = arguments('{"a":', id="t1", type="function") + finish() + arguments("1}") + DONE
    updates = list(sseproto.iter_chat([body]))
    done = [u for u in updates if isinstance(u, ToolCallDone)]
    assert done == [ToolCallDone(0, 0, "t1", "", '{"a":1}')]
    # The finish is reported as it comes, the call once the stream says it is complete.
    assert updates.index(ChoiceFinished(0, "tool_calls")) < updates.index(done[0])
    assert isinstance(updates[-1], StreamDone)
    assert updates[-1].completion.tool_calls[0].arguments == '{"a":1}'


@pytest.mark.parametrize("end", [b"", DONE])
def test_tool_calls_are_done_when_the_stream_completes_not_at_the_finish_reason(end: bytes) -> None:
    accumulator = ChatAccumulator()
    updates = accumulator.feed(arguments("{}", id="t1") + finish())
    assert not any(isinstance(u, ToolCallDone) for u in updates)
    # [DONE], or the end of input once every choice finished.
    updates = accumulator.feed(end) + accumulator.close()
    assert [type(u) for u in updates] == [ToolCallDone, StreamDone]


def test_nothing_after_done_changes_a_call_already_reported_done() -> None:
    accumulator = ChatAccumulator()
    first = accumulator.feed(arguments('{"a":', id="t1") + finish() + DONE)
    assert [u for u in first if isinstance(u, ToolCallDone)] == [
        ToolCallDone(0, 0, "t1", "", '{"a":')
    ]
    assert accumulator.feed(arguments("1}") + DONE + arguments(" ", index=1) + DONE) == []
    assert accumulator.close() == []
    assert accumulator.result().tool_calls[0].arguments == '{"a":'


def test_a_reader_gives_the_same_result_wherever_the_reads_split_after_done() -> None:
    # The readers stop reading after the read that carries [DONE]: what follows it in that read
    # must count for as little as what a later read would have brought.
    head = arguments('{"a":1}', id="t1") + finish() + DONE
    late = arguments(" more") + data({"index": 1, "delta": {"content": "x"}})
    together = sseproto.accumulate([head + late], dialect="chat")
    apart = sseproto.accumulate([head, late], dialect="chat")
    assert together == apart
    assert together.tool_calls[0].arguments == '{"a":1}' and len(together.choices) == 1


def test_a_repeated_done_costs_no_walk_over_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    complete = ToolCalls.complete

    def counted(self: ToolCalls, updates: list[Any]) -> None:
        nonlocal calls
        calls += 1
        complete(self, updates)

    monkeypatch.setattr(ToolCalls, "complete", counted)
    choices = 200
    body = b"".join(arguments("{}", index=i, id=f"t{i}") for i in range(choices))
    late = data({"index": 0, "delta": {"content": "x"}}) + DONE
    accumulator = ChatAccumulator()
    updates = accumulator.feed(body + DONE + late * 1000) + accumulator.close()
    # Every choice once, at the first [DONE]; what follows it is ignored.
    assert calls == choices
    assert sum(isinstance(u, StreamDone) for u in updates) == 1


def _peak(pairs: int) -> int:
    piece = data({"index": 0, "delta": {"content": "0123456789"}}) + DONE
    body = data({"index": 0, "delta": {"role": "assistant"}}) + DONE + piece * pairs
    tracemalloc.start()
    try:
        accumulator = ChatAccumulator()
        updates = accumulator.feed(body) + accumulator.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    last = updates[-1]
    assert isinstance(last, StreamDone) and last.completion.text is None
    return peak


def test_chunks_alternating_with_done_stay_linear_in_memory() -> None:
    small, large = _peak(1000), _peak(4000)
    # A completion snapshot per [DONE] once made this grow sixteenfold.
    assert large / small < 6
