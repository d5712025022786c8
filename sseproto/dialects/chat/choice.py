"""One choice being rebuilt, and the rules for the fields of its deltas.

The accumulator's hot path applies the two commonest fields (``content`` strings and
``tool_calls``) itself and hands everything else here: role, refusal, the three shapes of
reasoning, Mistral's content arrays, the legacy ``function_call`` (and its updates), audio,
logprobs, the finish_reason and vendor extras. Text is kept as lists of pieces, joined once by
:meth:`ChoiceState.build`.

Errors carry JSON paths relative to the choice (``.delta.role``); the accumulator, which knows
where the choice sits in its chunk, prefixes them.
"""

from __future__ import annotations

from typing import Any

from ..kit.errors import InvalidChunkError
from ..kit.text import join_text
from ..kit.updates import ChatUpdate, ChoiceFinished, ContentDelta, ReasoningDelta, RefusalDelta
from .audio import AudioState
from .completion import ChatMessage, Choice
from .extras import copy_extras, merge_extra
from .tool_calls import CallState, ToolCalls, apply_function
from .updates import FunctionCallArgumentsDelta, FunctionCallDone, FunctionCallStarted

__all__ = ["ChoiceState"]


def _wrong_type(key: str, expected: str) -> InvalidChunkError:
    return InvalidChunkError(f"{key} must be {expected}", path=f".delta.{key}")


class ChoiceState:
    """One choice being rebuilt. Text fields are None until the stream sends a string for them.

    Args:
        index: the choice's index in the stream.
        strict: reject what OpenAI's documented stream never does (a role changed, content
            arrays, tool call quirks).
    """

    __slots__ = (
        "audio",
        "content",
        "extras",
        "finish_reason",
        "function_call",
        "index",
        "logprobs",
        "message_extras",
        "reasoning",
        "reasoning_field",
        "refusal",
        "role",
        "strict",
        "tool_calls",
    )

    def __init__(self, index: int, strict: bool) -> None:
        self.index = index
        self.strict = strict
        self.role = ""
        self.content: list[str] | None = None
        self.refusal: list[str] | None = None
        self.reasoning: list[str] | None = None
        self.reasoning_field = "reasoning"
        self.tool_calls = ToolCalls(index, strict)
        self.function_call: CallState | None = None
        self.audio: AudioState | None = None
        self.finish_reason: str | None = None
        # None until a chunk carries logprobs; then {"content": list | None, "refusal": ...}.
        self.logprobs: dict[str, list[Any] | None] | None = None
        self.extras: dict[str, Any] = {}
        self.message_extras: dict[str, Any] = {}

    def build(self) -> Choice:
        """The choice as rebuilt so far (a snapshot: later deltas do not change it)."""
        logprobs = self.logprobs
        return Choice(
            index=self.index,
            message=ChatMessage(
                role=self.role or "assistant",
                content=None if self.content is None else join_text(self.content),
                refusal=None if self.refusal is None else join_text(self.refusal),
                reasoning=None if self.reasoning is None else join_text(self.reasoning),
                reasoning_field=self.reasoning_field,
                tool_calls=self.tool_calls.build(),
                function_call=None if self.function_call is None else self.function_call.function(),
                audio=None if self.audio is None else self.audio.build(),
                extras=copy_extras(self.message_extras),
            ),
            finish_reason=self.finish_reason,
            logprobs=None
            if logprobs is None
            else {key: None if held is None else list(held) for key, held in logprobs.items()},
            extras=copy_extras(self.extras),
        )

    def apply_delta(self, delta: dict[str, Any], updates: list[ChatUpdate] | None) -> None:
        """Apply every field of ``delta`` but ``content`` and ``tool_calls`` (the caller's)."""
        for key, value in delta.items():
            if value is None:
                continue
            if key == "content" or key == "tool_calls":
                continue
            if key == "role":
                if type(value) is not str:
                    raise _wrong_type(key, "a string or null")
                # Set once, never concatenated (vendors resend it on every chunk).
                if not self.role:
                    self.role = value
                elif self.strict and value and value != self.role:
                    raise InvalidChunkError("role is set once per choice", path=".delta.role")
            elif key == "refusal":
                if type(value) is not str:
                    raise _wrong_type(key, "a string or null")
                if self.refusal is None:
                    self.refusal = [value]
                else:
                    self.refusal.append(value)
                if value and updates is not None:
                    updates.append(RefusalDelta(self.index, value))
            elif key == "reasoning_content" or key == "reasoning":
                if type(value) is not str:
                    raise _wrong_type(key, "a string or null")
                # One text whichever field carried it; a delta sending both strings is read
                # once, when its reasoning_content comes up.
                if key == "reasoning" and type(delta.get("reasoning_content")) is str:
                    continue
                also = delta.get("reasoning") if key == "reasoning_content" else None
                if type(also) is not str or also == value:
                    also = ""
                # Nothing received is ever dropped: the usual duplicate (both
                # fields carrying the same text) is read once; an empty reasoning_content next
                # to a non-empty reasoning gives way to it; two different texts are both kept,
                # reasoning_content first.
                if value or not also:
                    if key == "reasoning_content":
                        self.reasoning_field = key
                    self._add_reasoning(value, updates)
                if also:
                    self._add_reasoning(also, updates)
            elif key == "function_call":
                # The legacy single function call, rebuilt by the tool call rules.
                call = self.function_call
                started = call is None
                if call is None:
                    call = self.function_call = CallState(0)
                try:
                    text = apply_function(call, value)
                except InvalidChunkError as exc:
                    where = f".delta.function_call{exc.path}"
                    raise InvalidChunkError(exc.rule, path=where) from None
                if updates is not None:
                    if started:
                        updates.append(FunctionCallStarted(self.index, call.name))
                    if text:
                        updates.append(FunctionCallArgumentsDelta(self.index, text))
            elif key == "audio":
                # OpenAI's audio output, in pieces across chunks.
                if self.audio is None:
                    self.audio = AudioState()
                self.audio.apply(value)
            else:
                merge_extra(self.message_extras, key, value)

    def _add_reasoning(self, text: str, updates: list[ChatUpdate] | None) -> None:
        if self.reasoning is None:
            self.reasoning = [text]
        else:
            self.reasoning.append(text)
        if text and updates is not None:
            updates.append(ReasoningDelta(self.index, text))

    def apply_content_parts(self, parts: Any, updates: list[ChatUpdate] | None) -> None:
        """Content sent as a list of typed parts (Mistral Magistral): ``thinking`` parts are
        reasoning; strings and ``text`` parts are content."""
        path = ".delta.content"
        if type(parts) is not list:
            raise InvalidChunkError("content must be a string, a list of parts or null", path=path)
        if self.strict:
            raise InvalidChunkError("content must be a string or null", path=path)
        for number, part in enumerate(parts):
            part_path = f"{path}[{number}]"
            if type(part) is dict:
                kind = part.get("type")
                if kind == "thinking":
                    self._apply_thinking(part.get("thinking"), part_path, updates)
                    continue
                if kind != "text":
                    raise InvalidChunkError(
                        'a content part must have type "text" or "thinking"', path=part_path
                    )
                part = part.get("text")
                part_path += ".text"
            if type(part) is not str:
                raise InvalidChunkError("a text part must be a string", path=part_path)
            if self.content is None:
                self.content = [part]
            else:
                self.content.append(part)
            if part and updates is not None:
                updates.append(ContentDelta(self.index, part))

    def _apply_thinking(self, thinking: Any, path: str, updates: list[ChatUpdate] | None) -> None:
        path += ".thinking"
        items = [thinking] if type(thinking) is str else thinking
        if type(items) is not list:
            raise InvalidChunkError("thinking must be a string or a list of text parts", path=path)
        for number, item in enumerate(items):
            text = item
            if type(item) is dict and item.get("type") == "text":
                text = item.get("text")
            if type(text) is not str:
                raise InvalidChunkError("a thinking part must be text", path=f"{path}[{number}]")
            self._add_reasoning(text, updates)

    def apply_logprobs(self, logprobs: Any) -> None:
        """The content and refusal token lists of every chunk, concatenated."""
        path = ".logprobs"
        if type(logprobs) is not dict:
            raise InvalidChunkError("logprobs must be an object or null", path=path)
        held = self.logprobs
        if held is None:
            held = self.logprobs = {"content": None, "refusal": None}
        for key in ("content", "refusal"):
            tokens = logprobs.get(key)
            if tokens is None:
                continue
            if type(tokens) is not list:
                raise InvalidChunkError(f"{key} must be a list or null", path=f"{path}.{key}")
            previous = held[key]
            if previous is None:
                held[key] = list(tokens)
            else:
                previous.extend(tokens)

    def complete(self, updates: list[ChatUpdate]) -> None:
        """Report every call of the choice done (once, when the stream completes): its tool
        calls, then its legacy function call."""
        self.tool_calls.complete(updates)
        call = self.function_call
        if call is not None:
            arguments = join_text(call.arguments)
            updates.append(FunctionCallDone(self.index, call.name, arguments))

    def finish(self, reason: Any, updates: list[ChatUpdate] | None) -> None:
        """A non-empty finish_reason different from the one held (the last
        non-empty value counts)."""
        if type(reason) is not str:
            raise InvalidChunkError("finish_reason must be a string or null", path=".finish_reason")
        self.finish_reason = reason
        if updates is not None:
            updates.append(ChoiceFinished(self.index, reason))
