"""The rebuilt Anthropic Message: immutable value objects over the provider's own JSON.

Every part of a Message is kept exactly as the stream carried it, including keys no version of the
API documents yet, so each object holds its rebuilt JSON (``fields``) and reads its attributes from
it; :meth:`AnthropicMessage.to_dict` writes the non-streaming Message, a deep copy each time. The
objects are built once per :meth:`AnthropicAccumulator.snapshot`, never per event.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ...wire.display import mapping_repr

__all__ = [
    "TOOL_INPUT_CLASSES",
    "AnthropicMessage",
    "CompactionBlock",
    "ContentBlock",
    "MCPToolUseBlock",
    "RedactedThinkingBlock",
    "ServerToolUseBlock",
    "TextBlock",
    "ThinkingBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "block_of",
    "json_text",
    "string_field",
]


def string_field(fields: Mapping[str, Any], key: str) -> str:
    """``fields[key]`` when it is a string, else ``""``."""
    value = fields.get(key)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class ContentBlock:
    """One block of a Message's ``content``, of any type (also the types this library does not
    know, kept verbatim).

    Attributes:
        fields: the block's JSON as rebuilt (its start plus its deltas), ``type`` included.
    """

    fields: Mapping[str, Any]

    @property
    def type(self) -> str:
        """The block's ``type`` (``""`` if the stream sent none)."""
        kind = self.fields.get("type")
        return kind if isinstance(kind, str) else ""

    def to_dict(self) -> dict[str, Any]:
        """The block as the non-streaming Message holds it (a deep copy)."""
        return copy.deepcopy(dict(self.fields))

    def __repr__(self) -> str:
        return mapping_repr(type(self).__name__, self.fields)

    def _string(self, key: str) -> str:
        return string_field(self.fields, key)


@dataclass(frozen=True, repr=False)
class TextBlock(ContentBlock):
    """A ``text`` block: answer text, with the citations that support it."""

    @property
    def text(self) -> str:
        """The text."""
        return self._string("text")

    @property
    def citations(self) -> tuple[Any, ...]:
        """The citation objects, in order (empty when the block has none)."""
        citations = self.fields.get("citations")
        return tuple(citations) if isinstance(citations, list) else ()


@dataclass(frozen=True, repr=False)
class ThinkingBlock(ContentBlock):
    """A ``thinking`` block: the model's reasoning and the signature that vouches for it."""

    @property
    def thinking(self) -> str:
        """The reasoning text (may be ``""``: a block can carry only its signature)."""
        return self._string("thinking")

    @property
    def signature(self) -> str:
        """The opaque signature to send back with the block."""
        return self._string("signature")


@dataclass(frozen=True, repr=False)
class RedactedThinkingBlock(ContentBlock):
    """A ``redacted_thinking`` block: encrypted reasoning, complete in its start event."""

    @property
    def data(self) -> str:
        """The encrypted reasoning."""
        return self._string("data")


@dataclass(frozen=True, repr=False)
class _ToolInputBlock(ContentBlock):
    """A block whose ``input`` streams as JSON text (``input_json_delta``).

    Attributes:
        arguments: the input as JSON text, as the stream sent it (``"{}"`` when blank); for a
            block cut before its JSON closed, the raw text, which is then also ``input``.
    """

    arguments: str = "{}"

    @property
    def id(self) -> str:
        """The call id."""
        return self._string("id")

    @property
    def name(self) -> str:
        """The tool's name."""
        return self._string("name")

    @property
    def input(self) -> Any:
        """The parsed input (a string: the raw text, when it did not parse)."""
        return self.fields.get("input")


@dataclass(frozen=True, repr=False)
class ToolUseBlock(_ToolInputBlock):
    """A ``tool_use`` block: a call of the caller's tool, which the caller must run."""


@dataclass(frozen=True, repr=False)
class ServerToolUseBlock(_ToolInputBlock):
    """A ``server_tool_use`` block: a call the API runs itself (web search, code execution, ...);
    its result follows as a ``*_tool_result`` block."""


@dataclass(frozen=True, repr=False)
class MCPToolUseBlock(_ToolInputBlock):
    """An ``mcp_tool_use`` block: a call the API makes to an MCP server."""

    @property
    def server_name(self) -> str:
        """The MCP server's name."""
        return self._string("server_name")


@dataclass(frozen=True, repr=False)
class ToolResultBlock(ContentBlock):
    """The result of a server-run tool (``web_search_tool_result``, ``code_execution_tool_result``,
    ``mcp_tool_result``, ...), complete in its start event."""

    @property
    def tool_use_id(self) -> str:
        """The id of the call it answers."""
        return self._string("tool_use_id")

    @property
    def content(self) -> Any:
        """The result as sent."""
        return self.fields.get("content")


@dataclass(frozen=True, repr=False)
class CompactionBlock(ContentBlock):
    """A ``compaction`` block: the summary that replaces earlier context."""

    @property
    def content(self) -> Any:
        """The compacted content (None until its delta arrived)."""
        return self.fields.get("content")


_BLOCK_CLASSES: Mapping[str, type[ContentBlock]] = {
    "text": TextBlock,
    "thinking": ThinkingBlock,
    "redacted_thinking": RedactedThinkingBlock,
    "compaction": CompactionBlock,
}
TOOL_INPUT_CLASSES: Mapping[str, type[_ToolInputBlock]] = {
    "tool_use": ToolUseBlock,
    "server_tool_use": ServerToolUseBlock,
    "mcp_tool_use": MCPToolUseBlock,
}
"""The block types whose ``input`` streams as ``input_json_delta``."""


def block_of(fields: dict[str, Any], arguments: str | None = None) -> ContentBlock:
    """The typed block for ``fields`` (a fresh dict the block takes over); ``arguments`` is the
    input's JSON text for the tool-input types."""
    kind = fields.get("type")
    if not isinstance(kind, str):
        return ContentBlock(fields)
    tool = TOOL_INPUT_CLASSES.get(kind)
    if tool is not None:
        if arguments is None:
            arguments = json_text(fields.get("input", {}))
        return tool(fields, arguments)
    known = _BLOCK_CLASSES.get(kind)
    if known is not None:
        return known(fields)
    if kind.endswith("_tool_result"):
        return ToolResultBlock(fields)
    return ContentBlock(fields)


def json_text(value: Any) -> str:
    """``value`` as compact JSON text (a tool input the stream gave whole, not as text)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class AnthropicMessage:
    """A Message rebuilt from an Anthropic Messages stream.

    Attributes:
        fields: every key of the Message except ``content``, as rebuilt (``id``, ``type``,
            ``role``, ``model``, ``stop_reason``, ``stop_sequence``, ``usage`` and any other key the
            stream carried), in the order the stream gave them.
        content: the content blocks in ``index`` order.
    """

    fields: Mapping[str, Any]
    content: tuple[ContentBlock, ...] = ()

    def __repr__(self) -> str:
        return mapping_repr("AnthropicMessage", self.fields, [("content", self.content)])

    @property
    def dialect(self) -> Literal["anthropic"]:
        """Always ``"anthropic"``."""
        return "anthropic"

    @property
    def id(self) -> str:
        """The message id (``""`` if the stream carried none)."""
        return self._string("id")

    @property
    def model(self) -> str:
        """The model that answered (``""`` if unknown)."""
        return self._string("model")

    @property
    def role(self) -> str:
        """The role, ``"assistant"``."""
        return self._string("role")

    @property
    def stop_reason(self) -> str | None:
        """Why the message ended (``end_turn``, ``max_tokens``, ``stop_sequence``, ``tool_use``,
        ``pause_turn``, ``refusal``, ...), verbatim, or None."""
        reason = self.fields.get("stop_reason")
        return reason if isinstance(reason, str) else None

    @property
    def stop_sequence(self) -> str | None:
        """The stop sequence that matched, or None."""
        sequence = self.fields.get("stop_sequence")
        return sequence if isinstance(sequence, str) else None

    @property
    def stop_details(self) -> Any:
        """The ``stop_details`` object (a refusal's category and explanation), or None."""
        return self.fields.get("stop_details")

    @property
    def container(self) -> Any:
        """The code-execution ``container`` (``id``, ``expires_at``), or None."""
        return self.fields.get("container")

    @property
    def context_management(self) -> Any:
        """What context management did (``context_management``), or None."""
        return self.fields.get("context_management")

    # The view every dialect's result shares (``StreamResult``).

    @property
    def text(self) -> str | None:
        """The text blocks joined, or None if there is none."""
        texts = [block.text for block in self.content if isinstance(block, TextBlock)]
        return "".join(texts) if texts else None

    @property
    def reasoning(self) -> str | None:
        """The thinking blocks' text joined, or None if there is none."""
        thoughts = [block.thinking for block in self.content if isinstance(block, ThinkingBlock)]
        return "".join(thoughts) if thoughts else None

    @property
    def tool_calls(self) -> tuple[ToolUseBlock, ...]:
        """The ``tool_use`` blocks: the calls the caller must run."""
        return tuple(block for block in self.content if isinstance(block, ToolUseBlock))

    @property
    def finish_reason(self) -> str | None:
        """``stop_reason``."""
        return self.stop_reason

    @property
    def usage(self) -> Mapping[str, Any] | None:
        """The cumulative ``usage`` object, or None."""
        usage = self.fields.get("usage")
        return usage if isinstance(usage, Mapping) else None

    def to_dict(self) -> dict[str, Any]:
        """The Message ``POST /v1/messages`` returns without streaming (a deep copy)."""
        out: dict[str, Any] = {}
        content = [block.to_dict() for block in self.content]
        for key, value in self.fields.items():
            out[key] = copy.deepcopy(value)
            # Where the API writes it (id, type, role, content, ...); order is cosmetic in JSON.
            if key == "role":
                out["content"] = content
        out.setdefault("content", content)
        return out

    def _string(self, key: str) -> str:
        return string_field(self.fields, key)
