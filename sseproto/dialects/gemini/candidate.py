"""What one candidate has received so far, and the rules that merge its parts.

Parts are kept as a list of entries: a :class:`TextRun` (text pieces of one thought-ness, joined
once when built), a :class:`StreamedCall` (a function call whose arguments arrive by JSON path),
or any other part, its dict as sent. A run only ever grows at the end of the list, so merging a
chunk's text costs one append.
"""

from __future__ import annotations

from typing import Any

from ..kit.errors import InvalidChunkError
from ..kit.text import join_text
from ..kit.updates import (
    ChatUpdate,
    ContentDelta,
    ReasoningDelta,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
)
from .arguments import ArgumentsBuilder, BadPartialArg
from .result import GeminiCandidate, GeminiPart, compact_json
from .updates import (
    CodeExecutionResultUpdate,
    ExecutableCodeUpdate,
    GroundingUpdate,
    ToolCallPartialArg,
)

__all__ = ["MAX_PARTS", "CandidateState", "StreamedCall", "TextRun"]

Updates = list[ChatUpdate] | None

# How many parts one candidate may hold. Text merges into few parts; real responses with code
# execution or many calls have dozens. The bound keeps a hostile stream sending a new part in
# every chunk from making each snapshot rebuild an unbounded list.
MAX_PARTS = 4096

# The keys a text part may have; with any other key the part is kept as sent.
_TEXT_KEYS = frozenset({"text", "thought", "thoughtSignature"})
_MISSING = object()


def _invalid(rule: str, path: str) -> InvalidChunkError:
    return InvalidChunkError(rule, path=path)


class TextRun:
    """Consecutive text parts of one thought-ness, merged into one part."""

    __slots__ = ("pieces", "signature", "thought", "thought_key")

    def __init__(self, thought: bool, thought_key: Any, signature: str | None) -> None:
        self.pieces: list[str] = []
        self.thought = thought
        # The ``thought`` value of the part that opened the run, written back as sent.
        self.thought_key = thought_key
        self.signature = signature

    def build(self) -> dict[str, Any]:
        part: dict[str, Any] = {"text": join_text(self.pieces)}
        if self.thought_key is not _MISSING:
            part["thought"] = self.thought_key
        if self.signature is not None:
            part["thoughtSignature"] = self.signature
        return part


class StreamedCall:
    """A function call whose arguments stream as ``partialArgs`` (Vertex AI), from the part that
    opens it to the one that closes it; its part holds the position where it opened."""

    __slots__ = ("arguments", "call_id", "index", "name", "part_fields")

    def __init__(self, index: int, name: str, call_id: Any, part_fields: dict[str, Any]) -> None:
        self.index = index
        self.name = name
        self.call_id = call_id
        # The opening part's keys besides functionCall (thoughtSignature, thought).
        self.part_fields = part_fields
        self.arguments = ArgumentsBuilder()

    def build(self) -> dict[str, Any]:
        call: dict[str, Any] = {}
        if self.call_id is not _MISSING:
            call["id"] = self.call_id
        call["name"] = self.name
        call["args"] = self.arguments.build()
        part: dict[str, Any] = {"functionCall": call}
        part.update(self.part_fields)
        return part


class CandidateState:
    """One candidate being rebuilt (keyed by its ``index``; missing means 0)."""

    __slots__ = (
        "content_fields",
        "entries",
        "fields",
        "index",
        "key",
        "open_call",
        "role",
        "run",
        "strict",
        "tool_calls",
    )

    def __init__(self, key: int, strict: bool) -> None:
        self.key = key
        self.strict = strict
        # The index as the stream carried it; written back only if some chunk did.
        self.index: int | None = None
        self.role: str | None = None
        self.entries: list[TextRun | StreamedCall | dict[str, Any]] = []
        # The text run at the end of entries, if the last entry is one.
        self.run: TextRun | None = None
        self.open_call: StreamedCall | None = None
        self.tool_calls = 0
        self.fields: dict[str, Any] = {}
        self.content_fields: dict[str, Any] = {}

    @property
    def finish_reason(self) -> Any:
        return self.fields.get("finishReason")

    def apply(self, candidate: dict[str, Any], updates: Updates) -> None:
        """Take one chunk's view of this candidate (its ``index`` already read)."""
        run = self.run
        content = candidate.get("content")
        if (
            run is not None
            and type(content) is dict
            and not run.thought
            and len(candidate) - ("index" in candidate) == 1
            and len(content) - ("role" in content) == 1
        ):
            # The hot path: the next piece of answer text, alone in its chunk.
            parts = content.get("parts")
            if type(parts) is list and len(parts) == 1:
                part = parts[0]
                role = content.get("role")
                if type(part) is dict and len(part) == 1 and (role is None or role == self.role):
                    text = part.get("text")
                    if type(text) is str:
                        run.pieces.append(text)
                        if text and updates is not None:
                            updates.append(ContentDelta(self.key, text))
                        return
        for key, value in candidate.items():
            if key == "content":
                if type(value) is dict:
                    self._apply_content(value, updates)
                elif value is not None:
                    raise _invalid("content must be an object", ".content")
            elif key == "groundingMetadata":
                # Grounded streams send {} on every chunk and the whole object on the last:
                # {} never replaces what came before.
                if value or (value is not None and key not in self.fields):
                    if type(value) is not dict:
                        raise _invalid("groundingMetadata must be an object", ".groundingMetadata")
                    self.fields[key] = value
                    if value and updates is not None:
                        updates.append(GroundingUpdate(self.key, value))
            elif key == "finishReason":
                if value is not None:
                    if type(value) is not str:
                        raise _invalid("finishReason must be a string", ".finishReason")
                    self.fields[key] = value
            elif value is not None and key != "index":
                # Every other candidate key: its last non-null value.
                self.fields[key] = value

    def _apply_content(self, content: dict[str, Any], updates: Updates) -> None:
        for key, value in content.items():
            if key == "parts":
                if value is not None:
                    self.add_parts(value, updates)
            elif key == "role":
                if value:
                    if type(value) is not str:
                        raise _invalid("role must be a string", ".content.role")
                    self.role = value
            elif value is not None:
                self.content_fields[key] = value

    # -- parts ------------------------------------------------------------------------------

    def add_parts(self, parts: Any, updates: Updates) -> None:
        if type(parts) is not list:
            raise _invalid("parts must be a list", ".content.parts")
        for position, part in enumerate(parts):
            try:
                if type(part) is not dict:
                    raise _invalid("a part must be an object", "")
                text = part.get("text")
                if type(text) is str and _TEXT_KEYS.issuperset(part):
                    self._add_text(part, text, updates)
                elif "functionCall" in part:
                    self._add_call(part, updates)
                elif part:
                    self._append(part)
                    if updates is not None:
                        self._announce(part, updates)
                # An empty part {} carries nothing.
            except InvalidChunkError as error:
                raise _invalid(error.rule, f".content.parts[{position}]{error.path}") from None

    def _add_text(self, part: dict[str, Any], text: str, updates: Updates) -> None:
        thought_key = part.get("thought", _MISSING)
        if thought_key is not _MISSING and type(thought_key) is not bool:
            raise _invalid("thought must be a boolean", ".thought")
        thought = thought_key is True
        signature = part.get("thoughtSignature")
        if signature is not None and type(signature) is not str:
            raise _invalid("thoughtSignature must be a string", ".thoughtSignature")
        if not text and signature is None:
            # An empty text part carries nothing: it neither starts nor splits a run.
            return
        run = self.run
        if (
            run is None
            or run.thought is not thought
            or (signature is not None and run.signature is not None)
        ):
            run = TextRun(thought, thought_key, signature)
            self._append(run)
            self.run = run
        else:
            if signature is not None:
                run.signature = signature
        run.pieces.append(text)
        if text and updates is not None:
            if thought:
                updates.append(ReasoningDelta(self.key, text))
            else:
                updates.append(ContentDelta(self.key, text))

    def _append(self, entry: TextRun | StreamedCall | dict[str, Any]) -> None:
        entries = self.entries
        if len(entries) >= MAX_PARTS:
            raise _invalid(f"a candidate has at most {MAX_PARTS} parts", "")
        entries.append(entry)
        self.run = None

    def _announce(self, part: dict[str, Any], updates: list[ChatUpdate]) -> None:
        """The updates of a part kept as sent."""
        text = part.get("text")
        if type(text) is str and text:
            # Text beside other keys is a part of its own, but still text to show.
            if part.get("thought") is True:
                updates.append(ReasoningDelta(self.key, text))
            else:
                updates.append(ContentDelta(self.key, text))
        code = part.get("executableCode")
        if type(code) is dict:
            updates.append(ExecutableCodeUpdate(self.key, code))
        result = part.get("codeExecutionResult")
        if type(result) is dict:
            updates.append(CodeExecutionResultUpdate(self.key, result))

    # -- function calls ---------------------------------------------------------------------

    def _add_call(self, part: dict[str, Any], updates: Updates) -> None:
        call = part["functionCall"]
        if type(call) is not dict:
            raise _invalid("functionCall must be an object", ".functionCall")
        name = call.get("name")
        if name is not None and type(name) is not str:
            raise _invalid("functionCall.name must be a string", ".functionCall.name")
        more = call.get("willContinue")
        if more is not None and type(more) is not bool:
            raise _invalid("willContinue must be a boolean", ".functionCall.willContinue")
        args = call.get("args")
        if args is not None and type(args) is not dict:
            raise _invalid("functionCall.args must be an object", ".functionCall.args")
        partial_args = call.get("partialArgs")
        if partial_args is not None and type(partial_args) is not list:
            raise _invalid("partialArgs must be a list", ".functionCall.partialArgs")
        if name is not None:
            if self.open_call is not None:
                # A new named call closes the one still open.
                self._close_call(updates)
            if more is True or partial_args is not None:
                self._open_call(part, call, name, updates)
                self._continue_call(partial_args, more is True, updates)
            else:
                self._whole_call(part, call, name, updates)
        elif self.open_call is not None:
            self._continue_call(partial_args, more is True, updates)
        elif call:
            if self.strict:
                raise _invalid(
                    "a functionCall without name comes only while a streamed call is open",
                    ".functionCall",
                )
            self._append(part)
        # With no call open, the terminator {} carries nothing.

    def _new_call_index(self) -> int:
        index = self.tool_calls
        self.tool_calls = index + 1
        return index

    def _whole_call(
        self, part: dict[str, Any], call: dict[str, Any], name: str, updates: Updates
    ) -> None:
        self._append(part)
        index = self._new_call_index()
        if updates is not None:
            call_id = call.get("id")
            call_id = call_id if type(call_id) is str else ""
            args = call.get("args")
            arguments = "{}" if args is None else compact_json(args)
            updates.append(ToolCallStarted(self.key, index, call_id, name))
            updates.append(ToolCallArgumentsDelta(self.key, index, arguments))
            updates.append(ToolCallDone(self.key, index, call_id, name, arguments))

    def _open_call(
        self, part: dict[str, Any], call: dict[str, Any], name: str, updates: Updates
    ) -> None:
        call_id = call.get("id", _MISSING)
        fields = {key: value for key, value in part.items() if key != "functionCall"}
        streamed = StreamedCall(self._new_call_index(), name, call_id, fields)
        self._append(streamed)
        self.open_call = streamed
        if updates is not None:
            shown_id = call_id if type(call_id) is str else ""
            updates.append(ToolCallStarted(self.key, streamed.index, shown_id, name))

    def _continue_call(self, partial_args: Any, more: bool, updates: Updates) -> None:
        call = self.open_call
        assert call is not None
        if partial_args:
            builder = call.arguments
            for position, partial_arg in enumerate(partial_args):
                try:
                    path, value = builder.apply(partial_arg)
                except BadPartialArg as error:
                    if self.strict:
                        raise _invalid(
                            str(error), f".functionCall.partialArgs[{position}]"
                        ) from None
                    continue
                if updates is not None:
                    updates.append(ToolCallPartialArg(self.key, call.index, path, value))
        if not more:
            self._close_call(updates)

    def _close_call(self, updates: Updates) -> None:
        call = self.open_call
        assert call is not None
        self.open_call = None
        if updates is not None:
            call_id = call.call_id if type(call.call_id) is str else ""
            arguments = compact_json(call.arguments.build())
            updates.append(ToolCallArgumentsDelta(self.key, call.index, arguments))
            updates.append(ToolCallDone(self.key, call.index, call_id, call.name, arguments))

    # -- the rest of the candidate ----------------------------------------------------------

    def build(self) -> GeminiCandidate:
        parts = []
        for entry in self.entries:
            if type(entry) is dict:
                parts.append(GeminiPart(entry))
            else:
                assert isinstance(entry, (TextRun, StreamedCall))
                parts.append(GeminiPart(entry.build()))
        return GeminiCandidate(
            index=self.index,
            role=self.role or "model",
            parts=tuple(parts),
            fields=dict(self.fields),
            content_fields=dict(self.content_fields),
        )
