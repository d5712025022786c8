"""One content block being rebuilt: its start, the pieces its deltas brought, whether it stopped.

Text and thinking arrive as pieces appended to a list and joined when a block is built, and tool
input as pieces of JSON text joined and parsed once, when the block stops (or when a snapshot needs
a block still open), so a block of any size costs time linear in its deltas. Joining rejoins a
UTF-16 surrogate pair that the stream split across two deltas (``join_text``).
"""

from __future__ import annotations

from typing import Any

from ..kit.errors import InvalidChunkError
from ..kit.payload import parse_json
from ..kit.text import join_text
from .result import TOOL_INPUT_CLASSES, ContentBlock, block_of, json_text

__all__ = ["BlockState"]

# The key each streamed-text block type appends its deltas to.
_TEXT_KEYS = {"text": "text", "thinking": "thinking"}


class BlockState:
    """What one content block has received so far.

    Attributes:
        fields: the block's JSON: a copy of its ``content_block_start`` object, updated in place
            by the deltas that set whole values (signature, citations, compaction).
        type: the block's ``type`` (``""`` when it sent none).
        text_key: ``"text"`` or ``"thinking"`` for the blocks whose text streams, else None.
        pieces: the streamed text so far, in pieces.
        tracks_input: whether ``input_json_delta`` builds this block's ``input``.
        json: the input's JSON text so far, in pieces.
        tool_index: the position among the message's ``tool_use`` calls, or -1.
        stopped: whether ``content_block_stop`` arrived.
    """

    __slots__ = (
        "_parsed",
        "fields",
        "json",
        "pieces",
        "stopped",
        "text_key",
        "tool_index",
        "tracks_input",
        "type",
    )

    def __init__(self, fields: dict[str, Any], tool_index: int = -1) -> None:
        self.fields = fields
        kind = fields.get("type")
        self.type = kind if isinstance(kind, str) else ""
        self.text_key = _TEXT_KEYS.get(self.type)
        self.pieces: list[str] = []
        if self.text_key is not None:
            start = fields.get(self.text_key)
            if isinstance(start, str) and start:
                self.pieces.append(start)
        self.tracks_input = self.type in TOOL_INPUT_CLASSES
        self.json: list[str] = []
        self.tool_index = tool_index
        self.stopped = False
        # (number of JSON pieces it was computed from, input, arguments text, parsed?)
        self._parsed: tuple[int, Any, str, bool] | None = None

    def add_citation(self, citation: Any) -> None:
        """Append ``citation`` to ``citations`` (created when missing or null)."""
        citations = self.fields.get("citations")
        if citations is None:
            self.fields["citations"] = [citation]
        elif type(citations) is list:
            citations.append(citation)
        else:
            raise InvalidChunkError(
                "a text block's citations must be a list or null", path="$.content_block"
            )

    def tool_input(self) -> tuple[Any, str, bool]:
        """The input (parsed, or the raw text when it does not parse), its JSON text, and
        whether it parsed. A blank text leaves the start's ``input``."""
        pieces = self.json
        cached = self._parsed
        if cached is not None and cached[0] == len(pieces):
            return cached[1:]
        raw = join_text(pieces)
        # Later deltas (lenient mode takes them even after a stop) append to the joined text.
        pieces[:] = [raw] if raw else []
        start = self.fields.get("input", {})
        if not raw.strip():
            result: tuple[Any, str, bool] = (start, json_text(start), True)
        else:
            try:
                result = (parse_json(raw), raw, True)
            except InvalidChunkError:
                result = (raw, raw, False)
        self._parsed = (len(pieces), *result)
        return result

    def build(self) -> ContentBlock:
        """The block as the Message holds it now (a fresh object; open input finalised)."""
        fields = dict(self.fields)
        text_key = self.text_key
        pieces = self.pieces
        if text_key is not None and (pieces or text_key in fields):
            joined = join_text(pieces)
            if len(pieces) > 1:
                pieces[:] = [joined]
            fields[text_key] = joined
        citations = fields.get("citations")
        if type(citations) is list:
            fields["citations"] = list(citations)
        if not self.tracks_input:
            return block_of(fields)
        value, arguments, _ = self.tool_input()
        if self.json or "input" in fields:
            fields["input"] = value
        return block_of(fields, arguments)
