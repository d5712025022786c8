"""Hypothesis strategies for chat streams: a random ground-truth completion, rendered as a random
``chat.completion.chunk`` stream (random delta splits, random vendor quirks,
n > 1 choices interleaved), encoded as SSE bytes and cut into random reads.

Every quirk is a way real vendors send the *same* completion, so the accumulator must rebuild the
ground truth whatever subset is drawn. Streams drawn without quirks follow OpenAI's documented
schema exactly and must also pass ``strict=True``.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

# Quirks, each as some real vendor sends it (named after a vendor that sends it).
QUIRKS = (
    "role_resent",  # OpenRouter, Z.ai: role on every delta
    "empty_id_continuation",  # Alibaba: id "" (and type) on continuation deltas
    "tool_fields_resent",  # id, type and name resent on every continuation delta
    "no_tool_index",  # Mistral: tool call deltas without index
    "tool_index_from_1",  # Anthropic's gateway: the first call is index 1
    "sparse_tool_index",  # indexes 1, 4, 7, ...
    "reused_tool_index",  # every call at index 0, told apart by its id
    "whole_call",  # Groq, Mistral, xAI: a whole call in one delta
    "no_type",  # Mistral: no type on tool calls
    "arguments_object",  # arguments sent as a JSON object
    "usage_on_last",  # Mistral, DeepSeek: usage on the finish chunk
    "cumulative_usage",  # Perplexity: usage on every chunk
    "second_empty_chunk",  # OpenAI gpt-5: a second choices:[] chunk after usage
    "azure_prompt_filter",  # Azure: a first chunk with id "", object "", prompt_filter_results
    "finish_repeated",  # OpenRouter: the finish repeated in the usage chunk
    "finish_then_null",  # OpenRouter: a later chunk with finish_reason null
    "finish_with_content",  # the last content delta carries the finish_reason
    "done_object",  # Perplexity: the last chunk's object is "chat.completion.done"
    "obfuscation",  # OpenAI: random padding on every chunk
    "comments",  # OpenRouter: ": OPENROUTER PROCESSING" keep-alives
    "no_done",  # Groq, some proxies: no [DONE] (every choice finishes)
    "no_finish_key",  # Z.ai, xAI: no finish_reason key until the end
    "crlf",  # CRLF line ends
    "reasoning_field",  # reasoning as "reasoning" (OpenRouter, Groq) instead of reasoning_content
    "thinking_parts",  # Mistral Magistral: reasoning as thinking parts of a content array
    "null_fields",  # vLLM, Snowflake: explicit nulls for absent fields
)

# Text that stresses the encoders: multi-byte, emoji, quotes, escapes, U+2028 (not a line end).
_TEXT = st.text(
    alphabet=st.sampled_from(
        [*"abc xyz,.{}[]\"'\\:", "\n", "\r", "\t", "é", "東", "😀", "\u2028", "\u00a0"]
    ),
    max_size=40,
)


@dataclass
class TruthCall:
    id: str
    name: str
    arguments: str
    # The object form of the arguments, when "arguments_object" may send it as an object.
    arguments_object: dict[str, Any] | None = None


@dataclass
class TruthChoice:
    index: int
    content: str | None
    refusal: str | None
    reasoning: str | None
    tool_calls: list[TruthCall]
    finish_reason: str
    # The legacy function_call (OpenAI's deprecated functions parameter), in a choice without
    # tool calls; its id is unused.
    function_call: TruthCall | None = None


@dataclass
class Truth:
    """The completion a rendered stream must rebuild to."""

    id: str
    model: str
    created: int
    system_fingerprint: str | None
    choices: list[TruthChoice]
    usage: dict[str, Any] | None


@dataclass
class RenderedStream:
    truth: Truth
    quirks: frozenset[str]
    chunks: list[dict[str, Any]] = field(default_factory=list)
    body: bytes = b""
    reads: list[bytes] = field(default_factory=list)


@st.composite
def tool_calls(draw: st.DrawFn, count: int) -> list[TruthCall]:
    ids = draw(
        st.lists(
            st.from_regex(r"call_[A-Za-z0-9]{1,8}", fullmatch=True),
            min_size=count,
            max_size=count,
            unique=True,
        )
    )
    calls = []
    for call_id in ids:
        name = draw(st.from_regex(r"[a-z_]{1,10}", fullmatch=True))
        if draw(st.booleans()):
            obj = draw(st.dictionaries(st.text(max_size=5), _TEXT | st.integers(), max_size=3))
            calls.append(TruthCall(call_id, name, json.dumps(obj, ensure_ascii=False), obj))
        else:
            calls.append(TruthCall(call_id, name, draw(_TEXT)))
    return calls


@st.composite
def truths(draw: st.DrawFn) -> Truth:
    """A random ground-truth completion (1 to 3 choices)."""
    choices = []
    for index in range(draw(st.integers(1, 3))):
        calls = draw(tool_calls(draw(st.integers(0, 3))))
        function_call = None
        if not calls and draw(st.integers(0, 3)) == 0:
            function_call = draw(tool_calls(1))[0]
        if calls:
            finish_reason = "tool_calls"
        elif function_call is not None:
            finish_reason = "function_call"
        else:
            finish_reason = draw(st.sampled_from(["stop", "length"]))
        choices.append(
            TruthChoice(
                index=index,
                content=draw(st.none() | _TEXT),
                refusal=draw(st.none() | _TEXT.filter(bool)),
                reasoning=draw(st.none() | _TEXT.filter(bool)),
                tool_calls=calls,
                finish_reason=finish_reason,
                function_call=function_call,
            )
        )
    usage = draw(
        st.none()
        | st.builds(
            lambda p, c: {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
            st.integers(0, 10**6),
            st.integers(0, 10**6),
        )
    )
    return Truth(
        id=draw(st.from_regex(r"chatcmpl-[A-Za-z0-9]{1,10}", fullmatch=True)),
        model=draw(st.sampled_from(["gpt-4o", "deepseek-reasoner", "mistral-small"])),
        created=draw(st.integers(1, 2**31)),
        system_fingerprint=draw(st.none() | st.just("fp_1234")),
        choices=choices,
        usage=usage,
    )


def _pieces(rng: random.Random, text: str) -> list[str]:
    """``text`` cut at random places (non-empty pieces; at least one piece, maybe "")."""
    if not text:
        return [text]
    cuts = sorted(rng.sample(range(1, len(text)), k=rng.randint(0, len(text) - 1)))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


class _Renderer:
    """Turns one ground truth into chunks, by the rules and the chosen quirks."""

    def __init__(self, truth: Truth, quirks: frozenset[str], rng: random.Random) -> None:
        self.truth = truth
        self.quirks = quirks
        self.rng = rng

    def _reasoning_delta(self, text: str) -> dict[str, Any]:
        if "thinking_parts" in self.quirks:
            return {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": text}]}]}
        key = "reasoning" if "reasoning_field" in self.quirks else "reasoning_content"
        return {key: text}

    def _wire_index(self, number: int) -> int:
        if "reused_tool_index" in self.quirks:
            return 0
        if "sparse_tool_index" in self.quirks:
            return 1 + 3 * number
        if "tool_index_from_1" in self.quirks:
            return number + 1
        return number

    def _tool_deltas(self, number: int, call: TruthCall) -> list[dict[str, Any]]:
        quirks = self.quirks
        first: dict[str, Any] = {"id": call.id, "function": {"name": call.name}}
        if "no_type" not in quirks:
            first["type"] = "function"
        if "whole_call" in quirks or (
            "arguments_object" in quirks and call.arguments_object is not None
        ):
            if "arguments_object" in quirks and call.arguments_object is not None:
                first["function"]["arguments"] = call.arguments_object
            else:
                first["function"]["arguments"] = call.arguments
            deltas = [first]
        else:
            first["function"]["arguments"] = ""
            deltas = [first]
            for piece in _pieces(self.rng, call.arguments):
                more: dict[str, Any] = {"function": {"arguments": piece}}
                if "tool_fields_resent" in quirks:
                    more["id"] = call.id
                    more["type"] = "function"
                    more["function"]["name"] = call.name
                if "empty_id_continuation" in quirks:
                    more["id"] = ""
                    more["type"] = "function"
                deltas.append(more)
        if "no_tool_index" not in quirks:
            for delta in deltas:
                delta["index"] = self._wire_index(number)
        return [{"tool_calls": [delta]} for delta in deltas]

    def _function_deltas(self, call: TruthCall) -> list[dict[str, Any]]:
        """The legacy function_call as OpenAI sends it: the name with arguments "", then the
        arguments in pieces (whole with the name in "whole_call", an object in
        "arguments_object", as those vendors send tool calls)."""
        quirks = self.quirks
        if "arguments_object" in quirks and call.arguments_object is not None:
            return [{"function_call": {"name": call.name, "arguments": call.arguments_object}}]
        if "whole_call" in quirks:
            return [{"function_call": {"name": call.name, "arguments": call.arguments}}]
        deltas = [{"function_call": {"name": call.name, "arguments": ""}}]
        for piece in _pieces(self.rng, call.arguments):
            deltas.append({"function_call": {"arguments": piece}})
        return deltas

    def choice_deltas(self, choice: TruthChoice) -> list[dict[str, Any]]:
        """The deltas of one choice, in order (without the finish)."""
        first: dict[str, Any] = {"role": "assistant"}
        if choice.content is not None and not choice.content:
            first["content"] = ""
        deltas = [first]
        if choice.reasoning is not None:
            deltas += [self._reasoning_delta(p) for p in _pieces(self.rng, choice.reasoning)]
        if choice.content:
            deltas += [{"content": piece} for piece in _pieces(self.rng, choice.content)]
        if choice.refusal is not None:
            deltas += [{"refusal": piece} for piece in _pieces(self.rng, choice.refusal)]
        for number, call in enumerate(choice.tool_calls):
            deltas += self._tool_deltas(number, call)
        if choice.function_call is not None:
            deltas += self._function_deltas(choice.function_call)
        if "role_resent" in self.quirks:
            for delta in deltas:
                delta["role"] = "assistant"
        if "null_fields" in self.quirks:
            for delta in deltas:
                for key in ("content", "refusal", "tool_calls"):
                    delta.setdefault(key, None)
        return deltas

    def chunk(self, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        truth = self.truth
        chunk: dict[str, Any] = {
            "id": truth.id,
            "object": "chat.completion.chunk",
            "created": truth.created,
            "model": truth.model,
            "system_fingerprint": truth.system_fingerprint,
            "choices": choices,
        }
        if "obfuscation" in self.quirks:
            chunk["obfuscation"] = "x" * self.rng.randint(1, 12)
        if "null_fields" in self.quirks:
            chunk["usage"] = None
        chunk.update(extra)
        return chunk

    def choice(
        self, index: int, delta: dict[str, Any], finish: str | None = None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"index": index, "delta": delta}
        if finish is not None or "no_finish_key" not in self.quirks:
            out["finish_reason"] = finish
        if "null_fields" in self.quirks:
            out["logprobs"] = None
        return out

    def render(self) -> list[dict[str, Any]]:
        truth, quirks, rng = self.truth, self.quirks, self.rng
        chunks: list[dict[str, Any]] = []
        if "azure_prompt_filter" in quirks:
            chunks.append(
                {
                    "id": "",
                    "object": "",
                    "created": 0,
                    "model": "",
                    "choices": [],
                    "prompt_filter_results": [{"prompt_index": 0}],
                }
            )
        # Interleave the choices' deltas at random, keeping each choice's own order.
        queues = {c.index: self.choice_deltas(c) for c in truth.choices}
        body: list[dict[str, Any]] = []
        while queues:
            index = rng.choice(sorted(queues))
            delta = queues[index].pop(0)
            if not queues[index]:
                del queues[index]
                finish = truth.choices[index].finish_reason
                if "finish_with_content" in quirks and "content" in delta:
                    body.append(self.choice(index, delta, finish))
                    continue
                body.append(self.choice(index, delta))
                delta = {"role": "assistant"} if "role_resent" in quirks else {}
                body.append(self.choice(index, delta, finish))
                continue
            body.append(self.choice(index, delta))
        for number, choice in enumerate(body):
            extra: dict[str, Any] = {}
            if "cumulative_usage" in quirks and truth.usage is not None:
                extra["usage"] = {"total_tokens": number}
            if "done_object" in quirks and number == len(body) - 1:
                extra["object"] = "chat.completion.done"
            chunks.append(self.chunk([choice], **extra))
        if truth.usage is not None:
            if "usage_on_last" in quirks or "cumulative_usage" in quirks:
                chunks[-1]["usage"] = truth.usage
            else:
                repeated = []
                if "finish_repeated" in quirks:
                    repeated = [self.choice(c.index, {}, c.finish_reason) for c in truth.choices]
                chunks.append(self.chunk(repeated, usage=truth.usage))
        if "finish_then_null" in quirks:
            chunks.append(self.chunk([self.choice(c.index, {}) for c in truth.choices]))
        if "second_empty_chunk" in quirks:
            chunks.append(self.chunk([], moderation={"flagged": False}))
        return chunks


def encode(chunks: list[dict[str, Any]], quirks: frozenset[str], rng: random.Random) -> bytes:
    """The SSE body: one ``data:`` event per chunk, then ``[DONE]`` unless the quirk drops it."""
    end = "\r\n" if "crlf" in quirks else "\n"
    parts = []
    for chunk in chunks:
        if "comments" in quirks and rng.random() < 0.3:
            parts.append(f": OPENROUTER PROCESSING{end}{end}")
        parts.append(f"data: {json.dumps(chunk, ensure_ascii=False)}{end}{end}")
    if "no_done" not in quirks:
        parts.append(f"data: [DONE]{end}{end}")
    return "".join(parts).encode("utf-8")


def split(body: bytes, rng: random.Random) -> list[bytes]:
    """``body`` cut into random reads (sometimes single bytes, sometimes whole)."""
    if not body:
        return []
    style = rng.choice(["whole", "bytes", "random", "random"])
    if style == "whole":
        return [body]
    if style == "bytes":
        return [body[i : i + 1] for i in range(len(body))]
    count = rng.randint(1, min(len(body), 40))
    cuts = sorted(rng.sample(range(1, len(body)), k=count - 1)) if len(body) > 1 else []
    bounds = [0, *cuts, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(bounds)]


@st.composite
def rendered_streams(draw: st.DrawFn, *, quirks: bool = True) -> RenderedStream:
    """A ground truth rendered as a stream with a random subset of quirks (none if ``quirks``
    is False: then the stream follows OpenAI's documented schema exactly)."""
    truth = draw(truths())
    chosen = frozenset(draw(st.sets(st.sampled_from(QUIRKS)))) if quirks else frozenset()
    rng = draw(st.randoms(use_true_random=False))
    stream = RenderedStream(truth, chosen)
    stream.chunks = _Renderer(truth, chosen, rng).render()
    stream.body = encode(stream.chunks, chosen, rng)
    stream.reads = split(stream.body, rng)
    return stream
