"""Every real recorded Anthropic stream, replayed under many read boundaries, rebuilds to the
Message the accumulation rules give.

The recordings live outside the repository (tests skip without them). For several streams the
whole expected Message is written out below from the rules and the raw stream; for the others the
parts that matter are pinned (long texts by length and opening words).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import REAL_FIXTURES, real_fixture_files, require_real_fixtures

from sseproto import (
    AnthropicAccumulator,
    AnthropicMessage,
    BlockDone,
    ChatUpdate,
    CitationAdded,
    ContentDelta,
    MCPToolUseBlock,
    ReasoningDelta,
    RedactedThinkingBlock,
    ServerToolCallStarted,
    ServerToolUseBlock,
    StreamDone,
    TextBlock,
    ThinkingBlock,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    ToolResultBlock,
    ToolUseBlock,
    UsageUpdate,
)
from sseproto.fixtures.replay import Chunking, replay

BASE = REAL_FIXTURES / "anthropic"
FILES = real_fixture_files("anthropic")
CHUNKINGS: list[tuple[Chunking, int | None]] = [
    ("whole", None),
    ("recorded", None),
    ("byte", None),
    (1 + 6, None),
    *(("random", seed) for seed in range(6)),
]


def _run(path: Path, chunking: Chunking, seed: int | None, strict: bool = False) -> Any:
    accumulator = AnthropicAccumulator(strict=strict)
    updates: list[ChatUpdate] = []
    for data in replay(path, chunking=chunking, seed=seed):
        updates.extend(accumulator.feed(data))
    updates.extend(accumulator.close())
    return updates, accumulator.result()


def _name(path: Path) -> str:
    return path.name


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_the_split_never_changes_the_result(path: Path) -> None:
    first = None
    for chunking, seed in CHUNKINGS:
        for strict in (False, True):
            updates, message = _run(path, chunking, seed, strict)
            outcome = (updates, message, message.to_dict())
            if first is None:
                first = outcome
            else:
                assert outcome == first, (chunking, seed, strict)


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_updates_tell_the_same_story_as_the_result(path: Path) -> None:
    updates, message = _run(path, "whole", None)
    assert isinstance(message, AnthropicMessage)
    assert message.dialect == "anthropic"
    # The last update is the end of the stream, carrying the final message.
    assert isinstance(updates[-1], StreamDone)
    final: object = updates[-1].completion
    assert final == message
    text = "".join(u.text for u in updates if isinstance(u, ContentDelta))
    assert text == (message.text or "")
    reasoning = "".join(u.text for u in updates if isinstance(u, ReasoningDelta))
    assert reasoning == (message.reasoning or "")
    assert all(u.choice == 0 for u in updates if isinstance(u, ContentDelta | ReasoningDelta))
    # Empty text never produces an update.
    assert all(u.text for u in updates if isinstance(u, ContentDelta | ReasoningDelta))
    started = [(u.index, u.id, u.name) for u in updates if isinstance(u, ToolCallStarted)]
    calls = message.tool_calls
    assert started == [(i, call.id, call.name) for i, call in enumerate(calls)]
    done = [(u.index, u.id, u.name, u.arguments) for u in updates if isinstance(u, ToolCallDone)]
    stopped = [c for c in calls if '"' + c.id + '"' not in _open_tool_ids(path)]
    assert done == [(i, c.id, c.name, c.arguments) for i, c in enumerate(stopped)]
    for index, call in enumerate(calls):
        pieces = [
            u.text for u in updates if isinstance(u, ToolCallArgumentsDelta) and u.index == index
        ]
        assert "".join(pieces) in (call.arguments, "")
    citations = [u.citation for u in updates if isinstance(u, CitationAdded)]
    assert citations == [
        c for block in message.content if isinstance(block, TextBlock) for c in block.citations
    ]
    # One BlockDone per stopped block, equal to the block the message holds.
    blocks = {u.index: u.block for u in updates if isinstance(u, BlockDone)}
    for index, block in blocks.items():
        assert message.content[index] == block
    usage = [u.usage for u in updates if isinstance(u, UsageUpdate)]
    assert usage[-1] == message.usage


def _open_tool_ids(path: Path) -> str:
    """The ids of tool blocks a recording never stops (only the max_tokens stream has one)."""
    return '"toolu_01EKqbqmZrGRXy18eN7m9kvY"' if "max-tokens" in path.name else ""


def _message(name: str) -> AnthropicMessage:
    require_real_fixtures()
    message: AnthropicMessage = _run(BASE / name, "byte", None)[1]
    return message


USAGE_45 = {
    "input_tokens": 12,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
    "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
    "output_tokens": 30,
    "service_tier": "standard",
    "inference_geo": "not_available",
}


def test_plain_text_message_written_out() -> None:
    message = _message("sonnet45-text.sse")
    assert message.to_dict() == {
        "model": "claude-sonnet-4-5-20250929",
        "id": "msg_01QC4g3HwBThD4BaNtBckFDJ",
        "type": "message",
        "role": "assistant",
        "content": [
            {
                "type": "text",
                "text": "Hello! I'm doing well, thank you for asking. How are you doing today?"
                " Is there anything I can help you with?",
            }
        ],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        # Start usage, its counts overwritten by the delta's (30 output tokens, not 31).
        "usage": USAGE_45,
    }
    assert "stop_details" not in message.to_dict()
    assert message.finish_reason == "end_turn"
    assert message.tool_calls == ()
    assert message.reasoning is None


def test_text_then_tool_use_written_out() -> None:
    message = _message("sonnet4-text-then-tool-use.sse")
    assert message.to_dict() == {
        "id": "msg_019Q1hrJbZG26Fb9BQhrkHEr",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [
            {"type": "text", "text": "I'll check the current weather in Paris for you."},
            {
                "type": "tool_use",
                "id": "toolu_01NRLabsLyVHZPKxbKvkfSMn",
                "name": "get_weather",
                "input": {"location": "Paris"},
            },
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 377,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 65,
            "service_tier": "standard",
        },
    }
    (call,) = message.tool_calls
    # The arguments as the stream sent them, spaces included.
    assert call.arguments == '{"location": "Paris"}'
    assert isinstance(call, ToolUseBlock)


def test_max_tokens_cuts_the_tool_input_mid_json() -> None:
    message = _message("sonnet37-max-tokens-partial-json.sse")
    raw = (
        '{"filename": "taxes.txt", "lines_of_text": [\n"# COMPREHENSIVE TAX GUIDE FOR'
        ' INDIVIDUALS WITH MULTIPLE W-2s",\n"",\n"## INTRODUCTION",\n"",\n"Filing taxes'
    )
    assert message.to_dict() == {
        "id": "msg_01UdjYBBipA9omjYhicnevgq",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-7-sonnet-20250219",
        "content": [
            {
                "type": "text",
                "text": "I'll create a comprehensive tax guide for someone with multiple W2s and"
                " save it in a file called taxes.txt. Let me do that for you now.",
            },
            # Never stopped: finalised at message_stop, the unclosed JSON kept as raw text.
            {
                "type": "tool_use",
                "id": "toolu_01EKqbqmZrGRXy18eN7m9kvY",
                "name": "make_file",
                "input": raw,
            },
        ],
        "stop_reason": "max_tokens",
        "stop_sequence": None,
        # Old models send only output_tokens in the delta: the start's counts survive.
        "usage": {
            "input_tokens": 450,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 124,
            "service_tier": "standard",
        },
    }
    assert message.tool_calls[0].arguments == raw


def test_parallel_calls_without_arguments_written_out() -> None:
    message = _message("haiku45-parallel-empty-input-tools.sse")
    call = {
        "type": "tool_use",
        "name": "pelican_name_generator",
        "input": {},
        "caller": {"type": "direct"},
    }
    assert message.to_dict() == {
        "model": "claude-haiku-4-5-20251001",
        "id": "msg_01V2noLbAb2NgKnjaNw6Cn3w",
        "type": "message",
        "role": "assistant",
        "content": [
            {**call, "id": "toolu_01LtHJmixrs9NcWQkK8hu8hj"},
            {**call, "id": "toolu_01N8a4jWyf116qKTMqKKmjyt"},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "stop_details": None,
        "usage": {
            "input_tokens": 542,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": 62,
            "service_tier": "standard",
            "inference_geo": "not_available",
        },
    }
    assert [call.arguments for call in message.tool_calls] == ["{}", "{}"]


def test_stop_sequence_written_out() -> None:
    message = _message("haiku45-stop-sequence.sse")
    assert message.to_dict() == {
        "model": "claude-haiku-4-5-20251001",
        "id": "msg_01KozUDYHvRtgs3NLgG7jzN9",
        "type": "message",
        "role": "assistant",
        "content": [
            {
                "type": "text",
                "text": '\ndef pelican():\n    return "A large waterbird with a long bill and a'
                ' throat pouch for catching fish."\n',
            }
        ],
        "stop_reason": "stop_sequence",
        "stop_sequence": "```",
        "stop_details": None,
        "usage": {
            "input_tokens": 16,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": 28,
            "service_tier": "standard",
            "inference_geo": "not_available",
        },
    }
    assert message.stop_sequence == "```"


def test_compaction_written_out() -> None:
    message = _message("sonnet46-compaction-emoji.sse")
    cache = {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}
    assert message.to_dict() == {
        "model": "claude-sonnet-4-6",
        "id": "msg_011CduoCRono7pFKoTWpPAia",
        "type": "message",
        "role": "assistant",
        "content": [
            {
                "type": "compaction",
                "content": "The user provided a very long context consisting entirely of the"
                ' repeated sentence "The quick brown fox jumps over the lazy dog." thousands of'
                ' times, followed by the instruction "Now say hello."\n\nThe task is simply to'
                ' respond to "Now say hello." - i.e., say hello.\n\nNext step: Say hello to the'
                " user.",
            },
            {"type": "text", "text": "Hello! \U0001f44b"},
        ],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "stop_details": None,
        "usage": {
            "input_tokens": 181,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "cache_creation": cache,
            "output_tokens": 8,
            "service_tier": "standard",
            "inference_geo": "global",
            "iterations": [
                {
                    "input_tokens": 100,
                    "output_tokens": 83,
                    "cache_read_input_tokens": 55096,
                    "cache_creation_input_tokens": 0,
                    "cache_creation": cache,
                    "type": "compaction",
                },
                {
                    "input_tokens": 181,
                    "output_tokens": 8,
                    "cache_read_input_tokens": 0,
                    "cache_creation_input_tokens": 0,
                    "cache_creation": cache,
                    "type": "message",
                },
            ],
        },
        "context_management": {"applied_edits": []},
    }
    assert message.context_management == {"applied_edits": []}


def test_web_search_with_citations() -> None:
    message = _message("sonnet4-thinking-web-search-citations.sse")
    kinds = [block.type for block in message.content]
    assert kinds == [
        "thinking",
        "server_tool_use",
        "web_search_tool_result",
        "text",
        "server_tool_use",
        "web_search_tool_result",
        *["text"] * 11,
    ]
    searches = [block for block in message.content if isinstance(block, ServerToolUseBlock)]
    assert [(s.name, s.input) for s in searches] == [
        ("web_search", {"query": "San Francisco weather today"}),
        ("web_search", {"query": "San Francisco weather September 16 2025"}),
    ]
    results = [block for block in message.content if isinstance(block, ToolResultBlock)]
    assert [r.tool_use_id for r in results] == [s.id for s in searches]
    texts = [block for block in message.content if isinstance(block, TextBlock)]
    # 7 citations on 5 of the 12 text blocks; each cited block started with "citations": [].
    assert sum(len(t.citations) for t in texts) == 7
    assert sum(1 for t in texts if t.citations) == 5
    assert all(c["type"] == "web_search_result_location" for t in texts for c in t.citations)
    thinking = message.content[0]
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.signature and thinking.thinking == message.reasoning
    assert message.usage == {
        # Overwritten, not summed: server tools made the input grow from 2068.
        "input_tokens": 22397,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 637,
        "service_tier": "standard",
        "server_tool_use": {"web_search_requests": 2, "web_fetch_requests": 0},
    }


def test_mcp_tool_use_keeps_its_input() -> None:
    message = _message("sonnet45-mcp-tool-use.sse")
    assert [block.type for block in message.content] == [
        "thinking",
        "mcp_tool_use",
        "mcp_tool_result",
        "text",
    ]
    call = message.content[1]
    assert isinstance(call, MCPToolUseBlock)
    assert call.server_name == "deepwiki"
    assert call.input == {
        "repoName": "pydantic/pydantic-ai",
        "question": "What is this repository about? What are its main features and purpose?",
    }
    result = message.content[2]
    assert isinstance(result, ToolResultBlock)
    assert result.tool_use_id == call.id
    assert result.fields["is_error"] is False
    # Calls the API runs are not the caller's tool calls.
    assert message.tool_calls == ()


def test_code_execution_sets_the_container() -> None:
    message = _message("sonnet46-code-execution-container.sse")
    assert message.container == {
        "id": "container_011CaNRFAbjdPf4rmBarZzqQ",
        "expires_at": "2026-04-24T11:13:36.730129Z",
    }
    out = message.to_dict()
    assert out["stop_details"] is None
    assert out["usage"]["input_tokens"] == 4714
    assert out["usage"]["server_tool_use"] == {"web_search_requests": 0, "web_fetch_requests": 0}
    assert out["usage"]["inference_geo"] == "global"
    call = message.content[2]
    assert isinstance(call, ServerToolUseBlock)
    assert call.name == "bash_code_execution"
    assert call.input["command"].startswith('echo "65465-6544 * 6')
    assert message.content[3].type == "bash_code_execution_tool_result"
    assert isinstance(message.content[3], ToolResultBlock)


def test_redacted_thinking_kept_whole() -> None:
    message = _message("sonnet45-redacted-thinking.sse")
    first, second, text = message.content
    assert isinstance(first, RedactedThinkingBlock)
    assert isinstance(second, RedactedThinkingBlock)
    assert first.data.startswith("EqkECkYIBxgCKkA8AZ4noDfV5VcOJe")
    assert second.data.startswith("EtgBCkYIBxgCKkDQfGkwzflEJP5asG")
    assert first.to_dict() == {"type": "redacted_thinking", "data": first.data}
    assert isinstance(text, TextBlock)
    # Redacted thinking is no reasoning text.
    assert message.reasoning is None


def test_thinking_with_signature() -> None:
    message = _message("sonnet4-thinking.sse")
    thinking, text = message.content
    assert isinstance(thinking, ThinkingBlock)
    assert isinstance(text, TextBlock)
    assert sorted(thinking.to_dict()) == ["signature", "thinking", "type"]
    assert thinking.signature.startswith("EvMCCkYICxgCKkCHP2cSuEdcJK/0rFwqES")
    assert thinking.thinking.startswith("This is a straightforward question about pedestrian")
    assert message.reasoning == thinking.thinking
    assert message.text == text.text


def test_server_tool_updates_on_the_web_search_stream() -> None:
    require_real_fixtures()
    updates, message = _run(BASE / "sonnet4-thinking-web-search-citations.sse", "whole", None)
    started = [u for u in updates if isinstance(u, ServerToolCallStarted)]
    assert [(u.index, u.type, u.name) for u in started] == [
        (1, "server_tool_use", "web_search"),
        (4, "server_tool_use", "web_search"),
    ]
    done = [u.index for u in updates if isinstance(u, BlockDone)]
    assert done == list(range(len(message.content)))
    assert not any(isinstance(u, ToolCallStarted) for u in updates)


def test_the_recordings_are_what_these_tests_expect() -> None:
    require_real_fixtures()
    assert sorted(path.name for path in FILES) == sorted(
        [
            "haiku45-parallel-empty-input-tools.sse",
            "haiku45-stop-sequence.sse",
            "sonnet37-max-tokens-partial-json.sse",
            "sonnet4-text-then-tool-use.sse",
            "sonnet4-thinking-web-search-citations.sse",
            "sonnet4-thinking.sse",
            "sonnet45-mcp-tool-use.sse",
            "sonnet45-redacted-thinking.sse",
            "sonnet45-text.sse",
            "sonnet45-tool-no-args.sse",
            "sonnet46-code-execution-container.sse",
            "sonnet46-compaction-emoji.sse",
        ]
    )
    # Every message is JSON, ready for json.dumps.
    for path in FILES:
        json.dumps(_run(path, "whole", None)[1].to_dict())
