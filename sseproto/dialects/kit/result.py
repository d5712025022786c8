"""The view every dialect's result gives, whatever the provider's own shape.

Each dialect rebuilds the provider's own non-streaming object (``to_dict()`` writes it exactly), and
also answers the same few questions the same way, so that code printing the text and running the
tools works on any stream unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = ["Dialect", "StreamResult", "ToolCallView"]

Dialect = Literal["chat", "anthropic", "responses", "gemini"]
"""The streaming dialects sseproto reads."""


@runtime_checkable
class ToolCallView(Protocol):
    """A tool call the caller must run, in any dialect (``isinstance`` tells one)."""

    @property
    def id(self) -> str:
        """The call's id (``""`` when the dialect gave none)."""

    @property
    def name(self) -> str:
        """The tool's name."""

    @property
    def arguments(self) -> str:
        """The arguments as JSON text, as the stream sent them."""


@runtime_checkable
class StreamResult(Protocol):
    """What every rebuilt result answers, in any dialect (``isinstance`` tells one, by the
    presence of these attributes)."""

    @property
    def dialect(self) -> Dialect:
        """Which dialect the stream was."""

    @property
    def text(self) -> str | None:
        """The answer text of the first choice or candidate, None if there is none."""

    @property
    def reasoning(self) -> str | None:
        """The reasoning text of the first choice or candidate, None if there is none."""

    @property
    def tool_calls(self) -> tuple[ToolCallView, ...]:
        """The client tool calls of the first choice or candidate, in order."""

    @property
    def finish_reason(self) -> str | None:
        """Why the first choice or candidate ended, in the dialect's own words, or None."""

    @property
    def usage(self) -> Mapping[str, Any] | None:
        """The dialect's own usage object, or None."""

    def to_dict(self) -> dict[str, Any]:
        """The provider's own non-streaming object, as a plain dict ready for ``json.dumps``."""
