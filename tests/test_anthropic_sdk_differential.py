"""Differential test: the anthropic SDK's own accumulators (``accumulate_event``, non-beta and
beta) against ours, on every real recording and every complete project fixture.

Results compare as JSON values where a missing key equals null. Every disagreement is stated
here, with the side that is right:

1. The SDK writes ``stop_details: null`` into a message whose stream never carried the key; ours
   writes only what the wire sent (the null-equals-missing comparison absorbs it; checked apart).
2. The non-beta path tracks tool input only for ``tool_use`` and ``server_tool_use``: it drops
   all ``mcp_tool_use`` input (``{}``), and, reading ``compaction`` as an unknown block, drops its
   content; it also drops ``context_management`` and ``usage.iterations``. The beta path keeps
   them, as ours does.
3. The SDK re-parses the whole input buffer in partial mode on every ``input_json_delta``
   (quadratic in the input's size): ours parses once, at ``content_block_stop``. For an input cut
   by ``max_tokens`` the SDK keeps a best-effort object (the cut tail lost); ours keeps the raw
   text, a string.

Both SDK paths raise on streams out of order (a block before ``message_start``, a delta for a
block never started), which the default mode here reads; those are strict-mode fixtures, tested
apart.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_FIXTURES, real_fixture_files

from sseproto import AnthropicAccumulator, SSEDecoder

anthropic = pytest.importorskip("anthropic")
httpx = pytest.importorskip("httpx")
jiter = pytest.importorskip("jiter")

from anthropic.lib.streaming._beta_messages import (  # noqa: E402
    accumulate_event as beta_accumulate_event,
)
from anthropic.lib.streaming._messages import accumulate_event  # noqa: E402

Json = dict[str, Any]


def _complete_fixtures() -> list[Path]:
    paths = []
    for path in sorted((PROJECT_FIXTURES / "anthropic").glob("*.sse")):
        expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
        if expected["error"] is None and expected["strict_error"] is None:
            paths.append(path)
    return paths


STREAMS = real_fixture_files("anthropic") + _complete_fixtures()


def _payloads(path: Path) -> list[Json]:
    events = SSEDecoder().feed(path.read_bytes())
    return [json.loads(event.data) for event in events if event.data != "[DONE]"]


def _sdk(payloads: list[Json], beta: bool) -> Json:
    """The message the SDK's accumulator builds from the same payloads, as JSON."""
    snapshot: Any = None
    buffers: dict[int, bytes] = {}
    for event in payloads:
        # The SDK builds its event model from a dict itself.
        payload: Any = event
        if payload["type"] not in {
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
        }:
            continue
        if beta:
            snapshot = beta_accumulate_event(
                event=payload,
                current_snapshot=snapshot,
                json_bufs=buffers,
                request_headers=httpx.Headers(),
            )
        else:
            snapshot = accumulate_event(event=payload, current_snapshot=snapshot, json_bufs=buffers)
    with warnings.catch_warnings():
        # The non-beta models serialise unknown blocks with warnings of their own.
        warnings.simplefilter("ignore")
        result: Json = snapshot.to_dict(mode="json")
    return result


def _ours(path: Path) -> Json:
    accumulator = AnthropicAccumulator()
    accumulator.feed(path.read_bytes())
    return accumulator.result().to_dict()


def _json_value(value: Any) -> Any:
    """``value`` as a JSON value where a missing key equals null."""
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    return value


def _as_the_sdk_reads_it(ours: Json, sdk: Json, beta: bool) -> Json:
    """Our message with the SDK's documented losses applied, so that all else must be equal."""
    expected: Json = json.loads(json.dumps(ours))
    for block, theirs in zip(expected["content"], sdk["content"], strict=True):
        if isinstance(block.get("input"), str):
            # 3: an input cut mid-JSON: raw text here, a best-effort object there.
            assert isinstance(theirs["input"], dict)
            assert all(json.dumps(key) in block["input"] for key in theirs["input"])
            block["input"] = theirs["input"]
        if not beta and block["type"] == "mcp_tool_use":
            block["input"] = {}  # 2
        if not beta and block["type"] == "compaction":
            block["content"] = None  # 2
    if not beta:
        expected.pop("context_management", None)  # 2
        expected["usage"].pop("iterations", None)  # 2
    return expected


@pytest.mark.parametrize("path", STREAMS, ids=[path.name for path in STREAMS])
@pytest.mark.parametrize("beta", [False, True], ids=["messages", "beta"])
def test_the_sdk_rebuilds_the_same_message_but_for_its_documented_losses(
    path: Path, beta: bool
) -> None:
    ours = _ours(path)
    sdk = _sdk(_payloads(path), beta)
    assert _json_value(sdk) == _json_value(_as_the_sdk_reads_it(ours, sdk, beta))


@pytest.mark.parametrize("path", STREAMS, ids=[path.name for path in STREAMS])
def test_the_sdk_writes_stop_details_the_wire_never_sent(path: Path) -> None:
    carried = any(
        "stop_details" in payload.get("message", {}) or "stop_details" in payload.get("delta", {})
        for payload in _payloads(path)
    )
    ours = _ours(path)
    sdk = _sdk(_payloads(path), beta=False)
    assert ("stop_details" in ours) == carried
    assert "stop_details" in sdk
    if not carried:
        assert sdk["stop_details"] is None


def test_the_sdk_reparses_the_input_on_every_delta_ours_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = PROJECT_FIXTURES / "anthropic" / "tool-use.sse"
    payloads = _payloads(path)
    pieces = [
        p["delta"]["partial_json"]
        for p in payloads
        if p["type"] == "content_block_delta" and p["delta"]["type"] == "input_json_delta"
    ]
    calls = {"sdk": 0, "ours": 0}
    real_from_json = jiter.from_json

    def counting_from_json(*args: Any, **kwargs: Any) -> Any:
        calls["sdk"] += 1
        return real_from_json(*args, **kwargs)

    # The SDK imports from_json from jiter at each delta.
    monkeypatch.setattr(jiter, "from_json", counting_from_json)
    _sdk(payloads, beta=False)
    from sseproto.dialects.anthropic import blocks
    from sseproto.dialects.kit.payload import parse_json as real_parse

    def counting_parse(data: str) -> Any:
        calls["ours"] += 1
        return real_parse(data)

    monkeypatch.setattr(blocks, "parse_json", counting_parse)
    _ours(path)
    # The SDK parses once per non-empty delta (its buffer is never empty after the first).
    assert calls["sdk"] == sum(1 for piece in pieces if piece) == 3
    # Ours parses each tool block's input once; a blank one (the second call) is not parsed.
    assert calls["ours"] == 1


@pytest.mark.parametrize(
    "name", ["strict-block-before-start.sse", "strict-delta-unknown-block.sse"]
)
def test_the_sdk_raises_on_streams_out_of_order_that_ours_reads(name: str) -> None:
    path = PROJECT_FIXTURES / "anthropic" / name
    for beta in (False, True):
        with pytest.raises((RuntimeError, IndexError)):
            _sdk(_payloads(path), beta)
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert _ours(path) == expected["message"]
