"""Every real recorded chat stream, replayed under many read boundaries, rebuilds to the
completion the accumulation rules give, asserted field by field.

The recordings live outside the repository (tests skip without them). Expectations were written
from the rules against each raw stream; long texts are pinned by length, SHA-256 prefix and
opening words rather than copied.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import REAL_FIXTURES, real_fixture_files, require_real_fixtures

from sseproto import ChatCompletion, ChatUpdate, StreamDone, StreamError, iter_chat

# A text as (length, first 16 hex digits of its SHA-256, its first 25 characters) when long.
Text = str | tuple[int, str, str] | None


class Ch(NamedTuple):
    choice: int
    finish_reason: str | None
    content: Text
    refusal: Text
    reasoning: Text
    tools: list[tuple[str, str, str]]
    logprobs: dict[str, int | None] | None
    extras: list[str]
    message_extras: list[str]


class Expected(NamedTuple):
    # (error class name, event_index, byte offset), or None for a complete stream.
    error: tuple[str, int, int] | None
    # (id, model, created, system_fingerprint, service_tier)
    meta: tuple[str, str, int, str | None, str | None]
    usage: int | None  # usage["total_tokens"]
    extras: list[str]
    choices: list[Ch]


EXPECTED: dict[str, Expected] = {
    "openai-chat/gpt41nano-text-obfuscation-multibyte.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0",
            "gpt-4.1-nano-2025-04-14",
            1770933892,
            "fp_de604bd877",
            "default",
        ),
        usage=316,
        extras=["obfuscation"],
        choices=[
            Ch(
                0,
                "stop",
                content=(1724, "53b2d9e583d02b3f", "**Holiday Name:** Harmony"),
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-finish-length.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh",
            "gpt-4o-2024-08-06",
            1727346171,
            "fp_7568d46099",
            None,
        ),
        usage=80,
        extras=[],
        choices=[
            Ch(
                0,
                "length",
                content='{"',
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-json-content-long.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfwCjPMi0ubw56UyMIIeNfJzyogq",
            "gpt-4o-2024-08-06",
            1727346180,
            "fp_5050236cbd",
            None,
        ),
        usage=196,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content=(608, "fd5dc0f04c4dbdf7", '\n  {\n    "location": "San'),
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-json-content.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfw1e5abtU8OwGr15vOreYVb2MiF",
            "gpt-4o-2024-08-06",
            1727346169,
            "fp_5050236cbd",
            None,
        ),
        usage=93,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content='{"city":"San Francisco","temperature":61,"units":"f"}',
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-logprobs-content.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfw5EzoqmfXjnnsXY7Yd8OC6tb3c",
            "gpt-4o-2024-08-06",
            1727346173,
            "fp_5050236cbd",
            None,
        ),
        usage=11,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content="Foo!",
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs={"content": 2, "refusal": None},
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-logprobs-refusal.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfw5GEVqPbLY576l46FZDQoNJ2KC",
            "gpt-4o-2024-08-06",
            1727346173,
            "fp_5050236cbd",
            None,
        ),
        usage=91,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content=None,
                refusal="I'm very sorry, but I can't assist with that.",
                reasoning=None,
                tools=[],
                logprobs={"content": None, "refusal": 11},
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-n3-choices.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfw2KKFuVXmEJgVwYfBvejMAdWtq",
            "gpt-4o-2024-08-06",
            1727346170,
            "fp_b40fb1c6fb",
            None,
        ),
        usage=121,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content='{"city":"San Francisco","temperature":65,"units":"f"}',
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
            Ch(
                1,
                "stop",
                content='{"city":"San Francisco","temperature":61,"units":"f"}',
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
            Ch(
                2,
                "stop",
                content='{"city":"San Francisco","temperature":59,"units":"f"}',
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-refusal.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfw4IfQfCCrcuybFm41wJyxjbkz7",
            "gpt-4o-2024-08-06",
            1727346172,
            "fp_5050236cbd",
            None,
        ),
        usage=90,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content=None,
                refusal="I'm sorry, I can't assist with that request.",
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-text-plain.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL",
            "gpt-4o-2024-08-06",
            1727346168,
            "fp_5050236cbd",
            None,
        ),
        usage=44,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content=(159, "c8fffa3408ca8cdd", "I'm unable to provide rea"),
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-tool-call-nonstrict.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfwERreu9s99xXsVuOWtIB2UOx62",
            "gpt-4o-2024-08-06",
            1727346182,
            "fp_143bb8492c",
            None,
        ),
        usage=60,
        extras=[],
        choices=[
            Ch(
                0,
                "tool_calls",
                content=None,
                refusal=None,
                reasoning=None,
                tools=[
                    ("call_4XzlGBLtUe9dy3GVNV4jhq7h", "get_weather", '{"city":"New York City"}')
                ],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-tool-call-single.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfw8AOXnoa2kzy11vVTSjuQhHCQr",
            "gpt-4o-2024-08-06",
            1727346176,
            "fp_7568d46099",
            None,
        ),
        usage=100,
        extras=[],
        choices=[
            Ch(
                0,
                "tool_calls",
                content=None,
                refusal=None,
                reasoning=None,
                tools=[
                    (
                        "call_c91SqDXlYFuETYv8mUHzz6pp",
                        "GetWeatherArgs",
                        '{"city":"Edinburgh","country":"UK","units":"c"}',
                    )
                ],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-tool-call-strict.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfwCgi41eStOcARjZq97ohCEGBPO",
            "gpt-4o-2024-08-06",
            1727346180,
            "fp_b40fb1c6fb",
            None,
        ),
        usage=67,
        extras=[],
        choices=[
            Ch(
                0,
                "tool_calls",
                content=None,
                refusal=None,
                reasoning=None,
                tools=[
                    (
                        "call_CTf1nWJLqSeRgDqaCG27xZ74",
                        "get_weather",
                        '{"city":"San Francisco","state":"CA"}',
                    )
                ],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4o-tool-calls-parallel.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63",
            "gpt-4o-2024-08-06",
            1727346178,
            "fp_5050236cbd",
            None,
        ),
        usage=209,
        extras=[],
        choices=[
            Ch(
                0,
                "tool_calls",
                content=None,
                refusal=None,
                reasoning=None,
                tools=[
                    (
                        "call_JMW1whyEaYG438VE1OIflxA2",
                        "GetWeatherArgs",
                        '{"city": "Edinburgh", "country": "GB", "units": "c"}',
                    ),
                    (
                        "call_DNYTawLBoN8fj3KN6qU9N1Ou",
                        "get_stock_price",
                        '{"ticker": "AAPL", "exchange": "NASDAQ"}',
                    ),
                ],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4omini-text-obfuscation.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-Dx0Xq5Xx9rHB2ehcHZCRDsnuymUXc",
            "gpt-4o-mini-2024-07-18",
            1782955818,
            "fp_d0469e1700",
            "default",
        ),
        usage=87,
        extras=["obfuscation"],
        choices=[
            Ch(
                0,
                "stop",
                content="The capital of the UK is London.",
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt4omini-tool-call-obfuscation.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-Dx0XpqH8w09uBXwq1zFGYdETjtnEl",
            "gpt-4o-mini-2024-07-18",
            1782955817,
            "fp_d0469e1700",
            "default",
        ),
        usage=68,
        extras=["obfuscation"],
        choices=[
            Ch(
                0,
                "tool_calls",
                content=None,
                refusal=None,
                reasoning=None,
                tools=[("call_ZR5UUuTt3pf61kjwAJIYdVMj", "get_capital", '{"country":"UK"}')],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "openai-chat/gpt5-usage-then-moderation-chunk.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-E4Rjs6IxaJVge9Ntk5keJsaeDy6vS",
            "gpt-5-2025-08-07",
            1784728648,
            None,
            "default",
        ),
        usage=24,
        extras=["moderation", "obfuscation"],
        choices=[
            Ch(
                0,
                "stop",
                content="Paris.",
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/alibaba/qwen3max-tool-call-empty-ids.sse": Expected(
        error=None,
        meta=("chatcmpl-8e243c57-23b3-9db2-a02e-e3c53929c368", "qwen3-max", 1770764938, None, None),
        usage=317,
        extras=[],
        choices=[
            Ch(
                0,
                "tool_calls",
                content=None,
                refusal=None,
                reasoning=None,
                tools=[
                    ("call_eee11723464a4b9eb8cee71d", "weather", '{"location": "San Francisco"}')
                ],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/anthropic-compat/haiku45-tool-index-starts-at-1.sse": Expected(
        error=None,
        meta=("msg_sanitized", "claude-haiku-4-5-20251001", 0, None, None),
        usage=None,
        extras=[],
        choices=[
            Ch(
                0,
                "tool_calls",
                content="Reading it.",
                refusal=None,
                reasoning=None,
                tools=[("toolu_sanitized", "read_file", '{"path": "a.txt"}')],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/azure/gpt5nano-model-router-prompt-filter.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt",
            "gpt-5-nano-2025-08-07",
            1762317021,
            None,
            None,
        ),
        usage=93,
        extras=["obfuscation", "prompt_filter_results"],
        choices=[
            Ch(
                0,
                "stop",
                content="Capital of Denmark.",
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=["content_filter_results"],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/deepseek/reasoner-emoji.sse": Expected(
        error=None,
        meta=(
            "33be18fc-3842-486c-8c29-dd8e578f7f20",
            "deepseek-reasoner",
            1752169304,
            "fp_393bca965e_prod0623_fp8_kvcache",
            None,
        ),
        usage=218,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content="Hello there! 😊 How can I help you today?",
                refusal=None,
                reasoning=(882, "d29146ea4f40dfde", 'Hmm, the user just said "'),
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/deepseek/reasoner-tool-call.sse": Expected(
        error=None,
        meta=(
            "cca85624-4056-401f-b220-d77601d1f70d",
            "deepseek-reasoner",
            1764664568,
            "fp_eaab8d114b_prod0820_fp8_kvcache",
            None,
        ),
        usage=422,
        extras=[],
        choices=[
            Ch(
                0,
                "tool_calls",
                content="",
                refusal=None,
                reasoning=(191, "e9e5190a993cf891", "The user is asking for th"),
                tools=[
                    ("call_00_ioIn7yN9p1ZOMNpDLwd4MgAF", "weather", '{"location": "San Francisco"}')
                ],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/groq/gpt-oss-error-event-midstream.sse": Expected(
        error=("ProviderError", 94, 27741),
        meta=(
            "chatcmpl-4f39f3af-3267-4ac1-a0cf-6aa7451877dc",
            "openai/gpt-oss-120b",
            1771434740,
            "fp_e8236260a9",
            None,
        ),
        usage=None,
        extras=["x_groq"],
        choices=[
            Ch(
                0,
                None,
                content="",
                refusal=None,
                reasoning=(412, "42abcfd444c13a25", "We need to call the tool "),
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=["channel"],
            ),
        ],
    ),
    "other-openai-compatible/groq/gpt-oss-tool-call-reasoning.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-e35442a8-12c0-4fb4-8be4-0e51727ce7b7",
            "openai/gpt-oss-120b",
            1771434740,
            "fp_caa2017b29",
            None,
        ),
        usage=353,
        extras=["x_groq"],
        choices=[
            Ch(
                0,
                "tool_calls",
                content="",
                refusal=None,
                reasoning=(92, "30d4b14ce07615fa", "We need to call the funct"),
                tools=[
                    (
                        "fc_bfb39741-3748-4def-9886-a93fc9c64a90",
                        "get_something_by_name",
                        '{"name":"example"}',
                    )
                ],
                logprobs=None,
                extras=[],
                message_extras=["channel"],
            ),
        ],
    ),
    "other-openai-compatible/groq/llama33-tool-call-one-chunk.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-b610d559-f156-4aca-8827-24b4fe6af54f",
            "llama-3.3-70b-versatile",
            1770770843,
            "fp_f8b414701e",
            None,
        ),
        usage=225,
        extras=["x_groq"],
        choices=[
            Ch(
                0,
                "tool_calls",
                content=None,
                refusal=None,
                reasoning=None,
                tools=[("tk85n1k4m", "weather", "{}")],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/huggingface/novita-llama31-text.sse": Expected(
        error=None,
        meta=(
            "ebafdc26c3296ed027c5cd6565fa1bce",
            "meta-llama/llama-3.1-8b-instruct",
            1786507380,
            "",
            None,
        ),
        usage=42,
        extras=["sla_metrics"],
        choices=[
            Ch(
                0,
                "stop",
                content="Paris",
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/mistral/magistral-thinking-content-array.sse": Expected(
        error=None,
        meta=(
            "9f9d90210f194076abeee223863eaaf0",
            "magistral-medium-latest",
            1764296393,
            None,
            None,
        ),
        usage=242,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content=(607, "e61ff78a68761d94", "To cross the street safel"),
                refusal=None,
                reasoning=(421, "fcab447a2e58f5b6", "Okay, the user is asking "),
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/mistral/small-text.sse": Expected(
        error=None,
        meta=("5319bd0299614c679a0068a4f2c8ffd0", "mistral-small-latest", 1769088720, None, None),
        usage=21,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content="Hello, world! This is a test response.",
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/mistral/small-tool-call-no-index.sse": Expected(
        error=None,
        meta=("b3999b8c93e04e11bcbff7bcab829667", "mistral-small-latest", 1769088854, None, None),
        usage=146,
        extras=[],
        choices=[
            Ch(
                0,
                "tool_calls",
                content="",
                refusal=None,
                reasoning=None,
                tools=[("gSIMJiOkT", "weather", '{"location": "San Francisco"}')],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/openrouter/claude45-reasoning-details.sse": Expected(
        error=None,
        meta=(
            "gen-1765226419-AGrwjunAftQIAgweibL8",
            "anthropic/claude-sonnet-4.5",
            1765226419,
            None,
            None,
        ),
        usage=79,
        extras=["provider"],
        choices=[
            Ch(
                0,
                "stop",
                content="2 + 2 = 4",
                refusal=None,
                reasoning="This is a simple arithmetic question. 2+2 equals 4.",
                tools=[],
                logprobs=None,
                extras=["native_finish_reason"],
                message_extras=["reasoning_details"],
            ),
        ],
    ),
    "other-openai-compatible/openrouter/deepseek-annotations-emoji.sse": Expected(
        error=None,
        meta=(
            "gen-1786680764-gY2YTdjLLLQA6Cd1Wa6J",
            "deepseek/deepseek-chat",
            1786680764,
            None,
            None,
        ),
        usage=2370,
        extras=["provider"],
        choices=[
            Ch(
                0,
                "stop",
                content=(90, "11ddbdd385e1dc4e", "The URL for Pydantic AI's"),
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=["native_finish_reason"],
                message_extras=["annotations"],
            ),
        ],
    ),
    "other-openai-compatible/openrouter/gpt4omini-usage-repeats-finish.sse": Expected(
        error=None,
        meta=("gen-1784878121-HxA00pxmV0n2x1hZAuok", "openai/gpt-4o-mini", 1784878121, None, None),
        usage=962,
        extras=["provider"],
        choices=[
            Ch(
                0,
                "stop",
                content=(109, "62dd65ef46e2efb7", "I recommend naming your P"),
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=["native_finish_reason"],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/openrouter/minimax-error-after-length.sse": Expected(
        error=("ProviderError", 3, 1635),
        meta=(
            "gen-1762179802-UN8pkJI4AGZvryk0kFnb",
            "minimax/minimax-m2:free",
            1762179802,
            None,
            None,
        ),
        usage=53,
        extras=["provider"],
        choices=[
            Ch(
                0,
                "length",
                content="",
                refusal=None,
                reasoning="We need to respond to a greeting. The user",
                tools=[],
                logprobs=None,
                extras=["native_finish_reason"],
                message_extras=["reasoning_details"],
            ),
        ],
    ),
    "other-openai-compatible/perplexity/sonar-citations.sse": Expected(
        error=None,
        meta=("58cb9740-f356-49e9-b71e-a02a1376c1b9", "sonar", 1770768240, None, None),
        usage=346,
        extras=["citations"],
        choices=[
            Ch(
                0,
                "stop",
                content="The current population of **[2][3]",
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/snowflake/claude46-no-finish-reason.sse": Expected(
        error=None,
        meta=("", "claude-sonnet-4-6", 0, "", ""),
        usage=27,
        extras=[],
        choices=[
            Ch(
                0,
                None,
                content="4",
                refusal="",
                reasoning=None,
                tools=[],
                logprobs={"content": None, "refusal": None},
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/vllm/crusoe-llama33-text.sse": Expected(
        error=None,
        meta=(
            "chatcmpl-bcfbe349402eb3d2",
            "meta-llama/Llama-3.3-70B-Instruct",
            1786479604,
            # Sent only in the last chunk, with the usage.
            "vllm-0.24.0-tp4-6d31f84d",
            None,
        ),
        usage=60,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content="1, 2, 3, 4, 5",
                refusal=None,
                reasoning=None,
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/xai/grok3mini-tool-call.sse": Expected(
        error=None,
        meta=(
            "de9d896d-e946-b3a7-bb14-75ab33326930",
            "grok-3-mini",
            1770774064,
            "fp_2a885414fb",
            None,
        ),
        usage=513,
        extras=[],
        choices=[
            Ch(
                0,
                "tool_calls",
                content=None,
                refusal=None,
                reasoning="First, the user is",
                tools=[("call_55117580", "weather", '{"location":"San Francisco"}')],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
    "other-openai-compatible/zai/glm47-reasoning-no-finish-key.sse": Expected(
        error=None,
        meta=("202607010739425543ff9439144b2c", "glm-4.7", 1782862782, None, None),
        usage=577,
        extras=[],
        choices=[
            Ch(
                0,
                "stop",
                content="4",
                refusal=None,
                reasoning=(2173, "960317a214d06504", "\n1.  **Analyze the User's"),
                tools=[],
                logprobs=None,
                extras=[],
                message_extras=[],
            ),
        ],
    ),
}


def _pinned(text: str | None) -> Text:
    if text is None or len(text) <= 70:
        return text
    return (len(text), hashlib.sha256(text.encode()).hexdigest()[:16], text[:25])


def _chunkings(body: bytes) -> dict[str, list[bytes]]:
    out = {
        "whole": [body],
        "bytes": [body[i : i + 1] for i in range(len(body))],
    }
    for size in (3, 61, 1024):
        out[f"size-{size}"] = [body[i : i + size] for i in range(0, len(body), size)]
    for seed in (0, 1, 2):
        rng = random.Random(seed)
        cuts = sorted(rng.sample(range(1, len(body)), k=min(len(body) - 1, 50)))
        bounds = [0, *cuts, len(body)]
        out[f"random-{seed}"] = [body[a:b] for a, b in itertools.pairwise(bounds)]
    return out


def _replay(reads: list[bytes]) -> tuple[list[ChatUpdate], ChatCompletion, StreamError | None]:
    """The updates (through ``iter_chat``, which hands out every update produced before an
    error), the completion, and the error, if any."""
    updates: list[ChatUpdate] = []
    try:
        for update in iter_chat(reads):
            updates.append(update)
    except StreamError as error:
        assert isinstance(error.partial, ChatCompletion)
        return updates, error.partial, error
    last = updates[-1]
    assert isinstance(last, StreamDone)
    assert isinstance(last.completion, ChatCompletion)
    return updates, last.completion, None


def _name(path: Path) -> str:
    return path.relative_to(REAL_FIXTURES).as_posix()


CHAT_STREAMS = real_fixture_files("openai-chat", "other-openai-compatible")


def test_every_recorded_chat_stream_has_an_expectation() -> None:
    require_real_fixtures()
    assert sorted(map(_name, CHAT_STREAMS)) == sorted(EXPECTED)


@pytest.mark.parametrize("path", CHAT_STREAMS, ids=_name)
def test_recorded_stream_rebuilds_under_every_chunking(path: Path) -> None:
    expected = EXPECTED[_name(path)]
    body = path.read_bytes()
    first = None
    for how, reads in _chunkings(body).items():
        updates, completion, error = _replay(reads)
        if expected.error is None:
            assert error is None, how
        else:
            assert error is not None, how
            assert (type(error).__name__, error.event_index, error.offset) == expected.error
        meta = (
            completion.id,
            completion.model,
            completion.created,
            completion.system_fingerprint,
            completion.service_tier,
        )
        assert meta == expected.meta
        assert (completion.usage or {}).get("total_tokens") == expected.usage
        assert sorted(completion.extras) == expected.extras
        assert len(completion.choices) == len(expected.choices)
        for choice, want in zip(completion.choices, expected.choices, strict=True):
            message = choice.message
            assert message.role == "assistant"
            assert (choice.index, choice.finish_reason) == (want.choice, want.finish_reason)
            assert _pinned(message.content) == want.content
            assert _pinned(message.refusal) == want.refusal
            assert _pinned(message.reasoning) == want.reasoning
            tools = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls]
            assert tools == want.tools
            assert all(c.type == "function" for c in message.tool_calls)
            logprobs = choice.logprobs
            assert (
                None
                if logprobs is None
                else {k: None if v is None else len(v) for k, v in logprobs.items()}
            ) == want.logprobs
            assert sorted(choice.extras) == want.extras
            assert sorted(message.extras) == want.message_extras
        # Read boundaries never change what the caller sees.
        if first is None:
            first = (updates, completion)
        else:
            assert (updates, completion) == first, how
