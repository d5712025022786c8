"""Which Anthropic events a verified template reads (:mod:`..kit.template`), and what reading one
does.

A ``content_block_delta`` of text, thinking or tool input is the same JSON text from one event to
the next but for its string (and the spaces the live API pads it with, which a template fits).
The full path reads nothing else of such an event in the default mode: the block's index, the
delta's type and the string. So a template is learned from one of them whose block takes its
string, and reading another appends the string to the block as the full path does. Strict mode
checks every event, and has no template.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ..kit.template import Leaf, Plan
from ..kit.updates import (
    ChatUpdate,
    ContentDelta,
    HostedToolArgumentsDelta,
    ReasoningDelta,
    ToolCallArgumentsDelta,
)
from .blocks import BlockState

__all__ = ["plan"]


def plan(payload: Any, blocks: dict[int, BlockState]) -> Plan | None:
    """Where the hole of a template of ``payload`` would be (``payload`` just applied by the full
    path of a lenient engine, before the end of the message), or None when it is not a delta
    whose block takes its string."""
    if type(payload) is not dict or payload.get("type") != "content_block_delta":
        return None
    index = payload.get("index")
    if type(index) is not int:
        return None
    block = blocks.get(index)
    delta = payload.get("delta")
    if block is None or type(delta) is not dict:
        return None
    kind = delta.get("type")
    if kind == "text_delta" and block.text_key == "text":
        return Plan(("delta", "text"), Leaf(block.pieces, partial(ContentDelta, 0), True))
    if kind == "thinking_delta" and block.text_key == "thinking":
        return Plan(("delta", "thinking"), Leaf(block.pieces, partial(ReasoningDelta, 0), True))
    if kind == "input_json_delta" and block.tracks_input:
        update: Callable[[str], ChatUpdate]
        if block.tool_index >= 0:
            update = partial(ToolCallArgumentsDelta, 0, block.tool_index)
        else:
            # A call the API runs, named by its block's index.
            update = partial(HostedToolArgumentsDelta, 0, index)
        return Plan(("delta", "partial_json"), Leaf(block.json, update, True))
    return None
