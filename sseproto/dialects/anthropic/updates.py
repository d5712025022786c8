"""The updates only Anthropic streams give, beside the common ones of the kit.

A streaming UI shows what the common vocabulary has no word for: a citation under the sentence it
supports, a block (a tool result, redacted thinking, a signed thinking block, a compaction) once
it is whole. Same slotted pattern as the kit's updates; ``index`` is always the block's position
in the Message's ``content``. A server or MCP tool's call opening is common to the dialects
(:class:`~sseproto.HostedToolCallStarted`, first named ``ServerToolCallStarted`` here).
"""

from __future__ import annotations

from typing import Any

from ..kit.updates import ChatUpdate, HostedToolCallStarted
from .result import ContentBlock

__all__ = ["BlockDone", "CitationAdded", "ServerToolCallStarted"]


class CitationAdded(ChatUpdate):
    """Text block ``index`` received a citation (the citation object, verbatim). Anthropic sends
    a cited span's citations before its text."""

    __slots__ = ("citation", "index")
    __match_args__ = ("index", "citation")

    def __init__(self, index: int, citation: Any) -> None:
        self.index = index
        self.citation = citation


ServerToolCallStarted = HostedToolCallStarted
"""The name this update had when only Anthropic streams gave it: the same class, common to the
dialects since (``choice`` first and ``server`` last, as every update of the kit has them)."""


class BlockDone(ChatUpdate):
    """Content block ``index`` stopped (``content_block_stop``): ``block`` is the whole block,
    typed, as the Message will hold it (tool input parsed, signature set)."""

    __slots__ = ("block", "index")
    __match_args__ = ("index", "block")

    def __init__(self, index: int, block: ContentBlock) -> None:
        self.index = index
        self.block = block
