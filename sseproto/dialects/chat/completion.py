"""The rebuilt chat completion: plain, immutable value objects.

These are built once per :meth:`ChatAccumulator.snapshot`, never per chunk, so they are frozen
dataclasses: clarity over construction speed. Their shape follows OpenAI's non-streaming
``chat.completion`` object, and :meth:`ChatCompletion.to_dict` writes exactly that shape. Fields a
vendor sent beyond OpenAI's schema are kept in ``extras`` at the level they arrived at (top level,
choice, message, tool call, audio) and written back at that level by ``to_dict``, after the level's
own keys and never over one of them: an extra named like a key the level writes (a streamed
choice's ``message``) stays in ``extras`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ...wire.display import dataclass_repr

__all__ = ["ChatAudio", "ChatCompletion", "ChatMessage", "Choice", "FunctionCall", "ToolCall"]


def _no_extras() -> Mapping[str, Any]:
    return {}


def _with_extras(
    out: dict[str, Any], extras: Mapping[str, Any], written: frozenset[str]
) -> dict[str, Any]:
    """``out`` with the vendor ``extras`` after its own keys. An extra named like a key the level
    writes (``written``, whether or not this object writes it) never replaces it."""
    for key, value in extras.items():
        if key not in written:
            out[key] = value
    return out


# The keys each level's to_dict writes (some only when present), which no extra may replace.
_TOOL_CALL_KEYS = frozenset({"id", "type", "function"})
_AUDIO_KEYS = frozenset({"id", "data", "expires_at", "transcript"})
_MESSAGE_KEYS = frozenset(
    {
        "role",
        "content",
        "refusal",
        "reasoning",
        "reasoning_content",
        "audio",
        "tool_calls",
        "function_call",
    }
)
_CHOICE_KEYS = frozenset({"index", "message", "logprobs", "finish_reason"})
_COMPLETION_KEYS = frozenset(
    {
        "id",
        "object",
        "created",
        "model",
        "choices",
        "usage",
        "system_fingerprint",
        "service_tier",
    }
)


@dataclass(frozen=True)
class FunctionCall:
    """The function a tool call (or a legacy ``function_call``) invokes.

    Attributes:
        name: the function name (``""`` if the stream never sent one).
        arguments: the arguments as the model wrote them: a JSON text, possibly invalid if the
            model was cut off. Arguments a vendor sent as a JSON object are serialised once.
    """

    __repr__ = dataclass_repr

    name: str
    arguments: str

    def to_dict(self) -> dict[str, Any]:
        """This function call in OpenAI's shape: ``{"name": ..., "arguments": ...}``."""
        return {"name": self.name, "arguments": self.arguments}


@dataclass(frozen=True)
class ToolCall:
    """One complete tool call of an assistant message.

    Attributes:
        id: the call id the tool result must answer (``""`` if the stream never sent one).
        type: the tool type, ``"function"`` when the stream did not say.
        function: the function name and arguments.
        extras: fields a vendor added to the call, beyond OpenAI's schema.
    """

    __repr__ = dataclass_repr

    id: str
    type: str
    function: FunctionCall
    extras: Mapping[str, Any] = field(default_factory=_no_extras)

    @property
    def name(self) -> str:
        """The function's name (the view every dialect's tool calls share)."""
        return self.function.name

    @property
    def arguments(self) -> str:
        """The function's arguments as JSON text."""
        return self.function.arguments

    def to_dict(self) -> dict[str, Any]:
        """This tool call in OpenAI's shape, vendor extras included."""
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "function": self.function.to_dict(),
        }
        return _with_extras(out, self.extras, _TOOL_CALL_KEYS)


@dataclass(frozen=True)
class ChatAudio:
    """The audio of an assistant message (OpenAI's audio output), rebuilt from its pieces.

    Attributes:
        id: the audio's id, to refer to it in a later turn (``""`` if the stream never sent one).
        data: the base64 audio, every piece concatenated, or None if none was sent.
        transcript: the transcript, every piece concatenated, or None if none was sent.
        expires_at: Unix time after which ``id`` can no longer be referred to, or None.
        extras: fields a vendor added to the audio.
    """

    __repr__ = dataclass_repr

    id: str = ""
    data: str | None = None
    transcript: str | None = None
    expires_at: int | None = None
    extras: Mapping[str, Any] = field(default_factory=_no_extras)

    def to_dict(self) -> dict[str, Any]:
        """This audio in OpenAI's shape, vendor extras included."""
        out: dict[str, Any] = {
            "id": self.id,
            "data": self.data,
            "expires_at": self.expires_at,
            "transcript": self.transcript,
        }
        return _with_extras(out, self.extras, _AUDIO_KEYS)


@dataclass(frozen=True)
class ChatMessage:
    """The assistant message of one choice.

    Attributes:
        role: the role the stream announced (``"assistant"`` if it never sent one).
        content: the text, or None if the stream never sent a string for it (``""`` stays ``""``).
        refusal: the refusal text, or None.
        reasoning: the reasoning text, or None, whichever vendor shape carried it
            (``reasoning_content``, ``reasoning``, or ``thinking`` parts of a content array).
        reasoning_field: the field name :meth:`to_dict` writes ``reasoning`` under:
            ``"reasoning_content"`` when the stream used that name, else ``"reasoning"``.
        tool_calls: the tool calls, in order of first appearance (empty if none).
        function_call: the legacy ``function_call``, or None.
        audio: the audio output, or None if the stream sent none.
        extras: fields a vendor added to the deltas (e.g. ``annotations``, ``reasoning_details``).
    """

    __repr__ = dataclass_repr

    role: str = "assistant"
    content: str | None = None
    refusal: str | None = None
    reasoning: str | None = None
    reasoning_field: str = "reasoning"
    tool_calls: tuple[ToolCall, ...] = ()
    function_call: FunctionCall | None = None
    audio: ChatAudio | None = None
    extras: Mapping[str, Any] = field(default_factory=_no_extras)

    def to_dict(self) -> dict[str, Any]:
        """This message in OpenAI's shape; ``tool_calls``, ``function_call``, ``audio`` and the
        reasoning field appear only when present, as in a non-streaming response."""
        out: dict[str, Any] = {"role": self.role, "content": self.content, "refusal": self.refusal}
        if self.reasoning is not None:
            out[self.reasoning_field] = self.reasoning
        if self.audio is not None:
            out["audio"] = self.audio.to_dict()
        if self.tool_calls:
            out["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.function_call is not None:
            out["function_call"] = self.function_call.to_dict()
        return _with_extras(out, self.extras, _MESSAGE_KEYS)


@dataclass(frozen=True)
class Choice:
    """One choice of the completion (``n > 1`` gives several, each with its own ``index``).

    Attributes:
        index: the choice index the stream used.
        message: the rebuilt assistant message.
        finish_reason: why the choice ended (``"stop"``, ``"length"``, ``"tool_calls"``, ...), or
            None if the stream never said it finished.
        logprobs: None unless some chunk carried logprobs; then ``{"content": [...] | None,
            "refusal": [...] | None}`` with the token lists of every chunk concatenated.
        extras: fields a vendor added to the choice (e.g. ``content_filter_results``).
    """

    __repr__ = dataclass_repr

    index: int
    message: ChatMessage
    finish_reason: str | None = None
    logprobs: Mapping[str, Any] | None = None
    extras: Mapping[str, Any] = field(default_factory=_no_extras)

    def to_dict(self) -> dict[str, Any]:
        """This choice in OpenAI's non-streaming shape, vendor extras included."""
        out: dict[str, Any] = {
            "index": self.index,
            "message": self.message.to_dict(),
            "logprobs": None if self.logprobs is None else dict(self.logprobs),
            "finish_reason": self.finish_reason,
        }
        return _with_extras(out, self.extras, _CHOICE_KEYS)


@dataclass(frozen=True)
class ChatCompletion:
    """A chat completion rebuilt from a ``chat.completion.chunk`` stream.

    Attributes:
        id: the completion id (``""`` if no chunk carried one).
        model: the model that answered (``""`` if unknown).
        created: Unix time of creation (0 if unknown).
        choices: the choices ordered by index.
        usage: the last non-null ``usage`` object the stream sent, verbatim, or None.
        system_fingerprint: as sent, or None.
        service_tier: as sent, or None.
        extras: top-level fields a vendor added (e.g. ``citations``, ``prompt_filter_results``,
            ``x_groq``), each with the last non-null value sent.
    """

    __repr__ = dataclass_repr

    id: str = ""
    model: str = ""
    created: int = 0
    choices: tuple[Choice, ...] = ()
    usage: Mapping[str, Any] | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    extras: Mapping[str, Any] = field(default_factory=_no_extras)

    # The view every dialect's result shares (``StreamResult``): the first choice answers.

    @property
    def dialect(self) -> Literal["chat"]:
        """Always ``"chat"``."""
        return "chat"

    @property
    def text(self) -> str | None:
        """The first choice's content, or None."""
        return self.choices[0].message.content if self.choices else None

    @property
    def reasoning(self) -> str | None:
        """The first choice's reasoning, or None."""
        return self.choices[0].message.reasoning if self.choices else None

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The first choice's tool calls."""
        return self.choices[0].message.tool_calls if self.choices else ()

    @property
    def finish_reason(self) -> str | None:
        """The first choice's finish_reason, or None."""
        return self.choices[0].finish_reason if self.choices else None

    def to_dict(self) -> dict[str, Any]:
        """This completion as OpenAI's non-streaming ``chat.completion`` object (a plain dict
        ready for ``json.dumps``), vendor extras included at the level they arrived at."""
        out: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [choice.to_dict() for choice in self.choices],
            "usage": None if self.usage is None else dict(self.usage),
            "system_fingerprint": self.system_fingerprint,
            "service_tier": self.service_tier,
        }
        return _with_extras(out, self.extras, _COMPLETION_KEYS)
