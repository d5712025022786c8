"""The updates only Anthropic streams give, beside the common ones of the kit.

A streaming UI shows what the common vocabulary has no word for: a citation under the sentence it
supports, a "searching the web" line while a server tool runs, a block (a tool result, redacted
thinking, a signed thinking block, a compaction) once it is whole. Same slotted pattern as the kit's
updates; ``index`` is always the block's position in the Message's ``content``.
"""

from __future__ import annotations

from typing import Any

from ..kit.live import LiveArguments
from ..kit.updates import ChatUpdate
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


class ServerToolCallStarted(ChatUpdate):
    """Block ``index`` starts a call the API runs itself: ``type`` is ``server_tool_use`` (web
    search, web fetch, code execution, ...) or ``mcp_tool_use``. Its input streams as
    :class:`~sseproto.HostedToolArgumentsDelta` updates of the same ``index`` and is whole in the
    :class:`BlockDone` of the same block; its result is a later block."""

    __slots__ = ("id", "index", "name", "type")
    __match_args__ = ("index", "type", "id", "name")

    def __init__(self, index: int, type: str, id: str, name: str) -> None:
        self.index = index
        self.type = type
        self.id = id
        self.name = name

    def _follow(self, live: LiveArguments) -> None:
        live.hosted_started(0, self.index)


class BlockDone(ChatUpdate):
    """Content block ``index`` stopped (``content_block_stop``): ``block`` is the whole block,
    typed, as the Message will hold it (tool input parsed, signature set)."""

    __slots__ = ("block", "index")
    __match_args__ = ("index", "block")

    def __init__(self, index: int, block: ContentBlock) -> None:
        self.index = index
        self.block = block
