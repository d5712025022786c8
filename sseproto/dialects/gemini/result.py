"""The rebuilt Gemini response: a ``GenerateContentResponse`` as ``generateContent`` (the
non-streaming endpoint) returns it.

Built once per snapshot, never per chunk, so plain frozen dataclasses. Each part keeps its JSON
object exactly (``data``: keys as the stream carried them, text runs merged); the attributes read
it. :meth:`GeminiResponse.to_dict` writes the response with deep copies, so the caller may change
what it returns freely.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ...wire.display import dataclass_repr, mapping_repr

__all__ = ["GeminiCandidate", "GeminiFunctionCall", "GeminiPart", "GeminiResponse"]


def _copy(value: Any) -> Any:
    """A deep copy of a JSON value. Through the C encoder and decoder: faster than
    ``copy.deepcopy`` and never deeper in Python frames than the parse that built the value."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def compact_json(value: Any) -> str:
    """``value`` as compact JSON text, as a tool call's ``arguments`` are given."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _no_fields() -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class GeminiFunctionCall:
    """A function call the caller must run (a ``functionCall`` part with a ``name``).

    Attributes:
        id: the call's ``id``, ``""`` when it had none (the Gemini API gives none; Vertex may).
        name: the function's name.
        args: the arguments object, None when the call carried none.
    """

    __repr__ = dataclass_repr

    id: str
    name: str
    args: Mapping[str, Any] | None

    @property
    def arguments(self) -> str:
        """The arguments as compact JSON text (``"{}"`` without ``args``)."""
        return "{}" if self.args is None else compact_json(self.args)


@dataclass(frozen=True)
class GeminiPart:
    """One part of a candidate's content, its JSON object as rebuilt in ``data``.

    Text parts are whole runs (every chunk's text of one thought-ness merged); every other part
    is as the stream sent it, a streamed function call as its built ``args``.
    """

    data: Mapping[str, Any]

    def __repr__(self) -> str:
        return mapping_repr("GeminiPart", self.data)

    @property
    def kind(self) -> str:
        """What the part holds: ``"text"``, ``"functionCall"``, ``"executableCode"``,
        ``"codeExecutionResult"``, ``"inlineData"``, ... (its first key that is not
        ``thought`` or ``thoughtSignature``; ``""`` if it has none)."""
        return next((key for key in self.data if key not in _PART_FLAGS), "")

    @property
    def text(self) -> str | None:
        """The text, if this is a text part."""
        text = self.data.get("text")
        return text if isinstance(text, str) else None

    @property
    def thought(self) -> bool:
        """Whether the part is a thought (a thought summary, or code run while thinking)."""
        return self.data.get("thought") is True

    @property
    def thought_signature(self) -> str | None:
        """The opaque signature to send back with this part, as received."""
        signature = self.data.get("thoughtSignature")
        return signature if isinstance(signature, str) else None

    @property
    def function_call(self) -> GeminiFunctionCall | None:
        """The function call, if this part is one with a ``name``."""
        call = self.data.get("functionCall")
        if not isinstance(call, Mapping) or not isinstance(call.get("name"), str):
            return None
        call_id = call.get("id")
        args = call.get("args")
        return GeminiFunctionCall(
            id=call_id if isinstance(call_id, str) else "",
            name=call["name"],
            args=args if isinstance(args, Mapping) else None,
        )

    @property
    def executable_code(self) -> Mapping[str, Any] | None:
        """The ``executableCode`` object (code the provider ran), if this part is one."""
        return self._object("executableCode")

    @property
    def code_execution_result(self) -> Mapping[str, Any] | None:
        """The ``codeExecutionResult`` object, if this part is one."""
        return self._object("codeExecutionResult")

    @property
    def inline_data(self) -> Mapping[str, Any] | None:
        """The ``inlineData`` object (``mimeType``, base64 ``data``), if this part is one."""
        return self._object("inlineData")

    def _object(self, key: str) -> Mapping[str, Any] | None:
        value = self.data.get(key)
        return value if isinstance(value, Mapping) else None

    def to_dict(self) -> dict[str, Any]:
        """The part as a plain dict (a deep copy)."""
        copied: dict[str, Any] = _copy(self.data)
        return copied


_PART_FLAGS = frozenset({"thought", "thoughtSignature"})


@dataclass(frozen=True)
class GeminiCandidate:
    """One candidate of the response.

    Attributes:
        index: the candidate's ``index`` as the stream carried it, None when it never did (it is
            then candidate 0).
        role: the content's ``role`` (``"model"`` when the stream never said).
        parts: the merged parts, in order.
        fields: every other candidate key as the rules rebuild it (``finishReason``,
            ``finishMessage``, ``safetyRatings``, ``citationMetadata``, ``groundingMetadata``,
            ``avgLogprobs``, ...), in the order they first appeared.
        content_fields: keys of ``content`` other than ``parts`` and ``role``, if any came.
    """

    __repr__ = dataclass_repr

    index: int | None
    role: str
    parts: tuple[GeminiPart, ...]
    fields: Mapping[str, Any] = field(default_factory=_no_fields)
    content_fields: Mapping[str, Any] = field(default_factory=_no_fields)

    @property
    def finish_reason(self) -> str | None:
        """The last ``finishReason`` (``STOP``, ``MAX_TOKENS``, ``SAFETY``, ...), or None."""
        reason = self.fields.get("finishReason")
        return reason if isinstance(reason, str) else None

    @property
    def finish_message(self) -> str | None:
        """The ``finishMessage``, or None."""
        message = self.fields.get("finishMessage")
        return message if isinstance(message, str) else None

    @property
    def grounding_metadata(self) -> Mapping[str, Any] | None:
        """The last non-empty ``groundingMetadata`` (``{}`` if only empty ones came), or None."""
        metadata = self.fields.get("groundingMetadata")
        return metadata if isinstance(metadata, Mapping) else None

    @property
    def text(self) -> str | None:
        """The answer text (every text part that is not a thought), None if there is none."""
        return _join(part.text for part in self.parts if not part.thought)

    @property
    def reasoning(self) -> str | None:
        """The thought-summary text, None if there is none."""
        return _join(part.text for part in self.parts if part.thought)

    @property
    def function_calls(self) -> tuple[GeminiFunctionCall, ...]:
        """The function calls to run, in order."""
        calls = (part.function_call for part in self.parts)
        return tuple(call for call in calls if call is not None)

    def to_dict(self) -> dict[str, Any]:
        """The candidate as ``generateContent`` returns it."""
        content: dict[str, Any] = {"parts": [part.to_dict() for part in self.parts]}
        content["role"] = self.role
        content.update(_copy(dict(self.content_fields)))
        out: dict[str, Any] = {"content": content}
        if self.index is not None:
            out["index"] = self.index
        out.update(_copy(dict(self.fields)))
        return out


def _join(texts: Any) -> str | None:
    found = [text for text in texts if text is not None]
    return "".join(found) if found else None


@dataclass(frozen=True)
class GeminiResponse:
    """The ``GenerateContentResponse`` rebuilt from a Gemini stream.

    Attributes:
        candidates: every candidate, in order of first appearance.
        usage_metadata: the last ``usageMetadata`` (cumulative: never summed), or None.
        prompt_feedback: the last ``promptFeedback`` (``blockReason`` when the prompt was
            blocked), or None.
        model_version: the first ``modelVersion``, or None.
        response_id: the first ``responseId``, or None.
        create_time: the first ``createTime`` (Vertex AI), or None.
        extras: any other top-level key, its last non-null value.
    """

    __repr__ = dataclass_repr

    candidates: tuple[GeminiCandidate, ...] = ()
    usage_metadata: Mapping[str, Any] | None = None
    prompt_feedback: Mapping[str, Any] | None = None
    model_version: str | None = None
    response_id: str | None = None
    create_time: str | None = None
    extras: Mapping[str, Any] = field(default_factory=_no_fields)

    @property
    def dialect(self) -> Literal["gemini"]:
        """Always ``"gemini"``."""
        return "gemini"

    @property
    def first(self) -> GeminiCandidate | None:
        """Candidate 0 (the first in order if none has index 0), or None without candidates."""
        for candidate in self.candidates:
            if not candidate.index:
                return candidate
        return self.candidates[0] if self.candidates else None

    @property
    def text(self) -> str | None:
        """The answer text of candidate 0, None if there is none."""
        first = self.first
        return None if first is None else first.text

    @property
    def reasoning(self) -> str | None:
        """The thought-summary text of candidate 0, None if there is none."""
        first = self.first
        return None if first is None else first.reasoning

    @property
    def tool_calls(self) -> tuple[GeminiFunctionCall, ...]:
        """The function calls of candidate 0, in order."""
        first = self.first
        return () if first is None else first.function_calls

    @property
    def finish_reason(self) -> str | None:
        """The ``finishReason`` of candidate 0, or None."""
        first = self.first
        return None if first is None else first.finish_reason

    @property
    def block_reason(self) -> str | None:
        """``promptFeedback.blockReason`` when the prompt was blocked, else None."""
        reason = None if self.prompt_feedback is None else self.prompt_feedback.get("blockReason")
        return reason if isinstance(reason, str) else None

    @property
    def usage(self) -> Mapping[str, Any] | None:
        """The ``usageMetadata``, or None."""
        return self.usage_metadata

    def to_dict(self) -> dict[str, Any]:
        """The ``GenerateContentResponse`` as the non-streaming endpoint returns it: only the
        keys the stream carried (``candidates`` only if one arrived)."""
        out: dict[str, Any] = {}
        if self.candidates:
            out["candidates"] = [candidate.to_dict() for candidate in self.candidates]
        if self.prompt_feedback is not None:
            out["promptFeedback"] = _copy(self.prompt_feedback)
        if self.usage_metadata is not None:
            out["usageMetadata"] = _copy(self.usage_metadata)
        if self.model_version is not None:
            out["modelVersion"] = self.model_version
        if self.response_id is not None:
            out["responseId"] = self.response_id
        if self.create_time is not None:
            out["createTime"] = self.create_time
        out.update(_copy(dict(self.extras)))
        return out
