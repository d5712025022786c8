"""UTF-16 surrogates: JSON escapes decode to them one by one, so a pair split across chunks is
rejoined when text is joined, a lone one becomes U+FFFD, and no writer raises on them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path
from typing import Any

from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

import sseproto
from sseproto import ContentDelta, ServerSentEvent, ToolCallDone, encode_comment, encode_event
from sseproto.server import event_stream

GRIN = "\U0001f600"  # written in JSON as the escaped pair "\ud83d\ude00"
HIGH, LOW = "\ud83d", "\ude00"


def body(*deltas: dict[str, Any], finish: str = "stop", **top: Any) -> bytes:
    """A stream of one choice, one chunk per delta; ``json.dumps`` escapes every surrogate."""
    chunks = [
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": delta}], **top}
        for delta in deltas
    ]
    chunks.append({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    events = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks]
    return ("".join(events) + "data: [DONE]\n\n").encode()


def test_a_pair_split_across_chunks_is_rejoined_in_every_joined_text() -> None:
    call = {"index": 0, "id": "t", "function": {"name": "f", "arguments": '{"s": "a' + HIGH}}
    stream = body(
        {
            "content": "a" + HIGH,
            "refusal": "r" + HIGH,
            "reasoning": "x" + HIGH,
            "tool_calls": [call],
        },
        {
            "content": LOW + "b",
            "refusal": LOW,
            "reasoning": LOW,
            "tool_calls": [{"index": 0, "function": {"arguments": LOW + '"}'}}],
        },
    )
    updates = list(sseproto.iter_chat([stream]))
    message = sseproto.accumulate([stream], dialect="chat").choices[0].message
    assert message.content == f"a{GRIN}b"
    assert message.refusal == f"r{GRIN}"
    assert message.reasoning == f"x{GRIN}"
    assert message.tool_calls[0].function.arguments == f'{{"s": "a{GRIN}"}}'
    done = [update for update in updates if isinstance(update, ToolCallDone)]
    assert [update.arguments for update in done] == [f'{{"s": "a{GRIN}"}}']
    # The updates carry each chunk's text exactly as it came: the two halves.
    texts = [update.text for update in updates if isinstance(update, ContentDelta)]
    assert texts == ["a" + HIGH, LOW + "b"]


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    stream = body({"content": "x" + HIGH}, {"content": "y" + LOW + LOW}, {"content": HIGH})
    content = sseproto.accumulate([stream], dialect="chat").choices[0].message.content
    assert content == "x\ufffdy\ufffd\ufffd\ufffd"
    assert content is not None and content.encode()


@given(st.text(), st.data())
def test_text_split_at_any_utf16_code_unit_comes_back_whole(text: str, data: st.DataObject) -> None:
    units = text.encode("utf-16-le")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(units) // 2), max_size=6)))
    bounds = [0, *(2 * cut for cut in cuts), len(units)]
    pieces = [units[a:b].decode("utf-16-le", "surrogatepass") for a, b in pairwise(bounds)]
    stream = body(*({"content": piece} for piece in pieces))
    assert sseproto.accumulate([stream], dialect="chat").choices[0].message.content == text


def test_encode_event_writes_surrogates_mended() -> None:
    block = encode_event(f"a{HIGH}{LOW}b{HIGH}", event=f"e{LOW}", id=f"i{HIGH}")
    (event,) = sseproto.iter_events([block])
    assert event == ServerSentEvent("e\ufffd", f"a{GRIN}b\ufffd", "i\ufffd")
    assert encode_comment(HIGH) == ":\ufffd\n\n".encode()


def test_the_relay_writes_surrogates_in_strings_events_and_updates() -> None:
    stream = body({"content": "a" + HIGH, "x_extra": HIGH}, {"content": LOW})

    async def items() -> AsyncIterator[Any]:
        yield "text " + HIGH
        yield ServerSentEvent(data="event " + LOW)
        for update in sseproto.iter_chat([stream]):
            yield update

    async def relay() -> bytes:
        return b"".join([block async for block in event_stream(items(), keepalive=None)])

    events = list(sseproto.iter_events([asyncio.run(relay())]))
    assert [event.data for event in events[:2]] == ["text \ufffd", "event \ufffd"]
    # Chat updates are JSON, whose escapes carry each half exactly; a reader joins them.
    contents = [json.loads(event.data)["text"] for event in events if event.event == "content"]
    assert contents == ["a" + HIGH, LOW]
    completion = json.loads(events[-1].data)
    assert completion["choices"][0]["message"]["content"] == f"a{GRIN}"
    assert completion["choices"][0]["message"]["x_extra"] == HIGH


def test_the_command_line_prints_surrogates_without_failing(tmp_path: Path) -> None:
    path = tmp_path / "surrogates.sse"
    path.write_bytes(body({"content": "a" + HIGH, "x_extra": LOW}, {"content": LOW + "b"}))
    for args in ([], ["--json"]):
        result = subprocess.run(
            [sys.executable, "-m", "sseproto", "replay", str(path), *args],
            capture_output=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        assert (result.returncode, result.stderr) == (0, b"")
        output = result.stdout.decode("utf-8")  # strict: valid UTF-8 whatever the text held
        if args:
            written = json.loads(output)["completion"]
            assert written["choices"][0]["message"]["content"] == f"a{GRIN}b"
            assert written["choices"][0]["message"]["x_extra"] == LOW
