"""Which Responses events a verified template reads (:mod:`..kit.template`), and what reading one
does.

A ``response.output_text.delta`` or ``response.function_call_arguments.delta`` is the same JSON
text from one event to the next but for three values: its ``sequence_number``, its ``delta`` and
OpenAI's ``obfuscation`` pad. The engine's hot path reads nothing of such an event in the
default mode but its type, its indexes, its delta and (for text) that it carries no logprobs:
``sequence_number`` is checked by strict mode only, ``item_id`` and the pad are not kept. So a
template is learned from a delta the hot path has just appended, with a number hole at its
``sequence_number``, a leaf at its ``delta`` and a hole at its pad that keeps nothing, and reading
another appends the delta as the hot path does. Strict mode checks every event, and has no
template.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ..kit.template import Leaf, Path, Plan
from ..kit.updates import (
    ChatUpdate,
    ContentDelta,
    HostedToolArgumentsDelta,
    ToolCallArgumentsDelta,
)
from .items import ItemState

__all__ = ["plan"]

_LEAF: Path = ("delta",)
_PAD: Path = ("obfuscation",)
_NUMBER: Path = ("sequence_number",)


def plan(payload: dict[str, Any], pieces: list[str], state: ItemState, text: bool) -> Plan:
    """Where the holes of a template of ``payload`` would be: a text delta (``text``) or an
    argument delta that the hot path has just appended to ``pieces``, the strings of ``state``.
    A ``sequence_number`` or a pad that is missing (other vendors send neither) or not of its
    type makes no hole: its text must then be the same in every event read."""
    update: Callable[[str], ChatUpdate] | None
    if text:
        update = partial(ContentDelta, 0)
    elif state.call_field == "arguments":
        update = None
        if state.call_index is not None:
            update = partial(ToolCallArgumentsDelta, 0, state.call_index)
    elif state.hosted_field == "arguments":
        # A call the provider runs (an MCP call), named by its output index.
        update = partial(HostedToolArgumentsDelta, 0, state.index)
    else:
        update = None
    pad = _PAD if type(payload.get("obfuscation")) is str else None
    number = _NUMBER if type(payload.get("sequence_number")) is int else None
    return Plan(_LEAF, Leaf(pieces, update, True), pad, number)
