"""Which chat chunks a verified template reads (:mod:`..kit.template`), and what reading one does.

A chunk read by a template skips the full path, so a template is only learned from a chunk whose
every field but its holes would have no effect left to have if it came again at once: the
metadata (read once the stream's id is known), ``system_fingerprint``, ``service_tier`` and
vendor extras at the top level (each a value set again), a ``role`` (set once), explicit nulls,
vendor extras of the choice and its delta that are not lists (set again; lists are
concatenated), a ``finish_reason`` of null or ``""``. What such a chunk changes is one string, its
*leaf*: the text of ``content``, ``refusal``, ``reasoning_content`` or ``reasoning``, or the
``arguments`` of a tool call delta carrying nothing else; and, in OpenAI's streams, the
``obfuscation`` pad beside it, a vendor extra whose last value is kept. Usage, logprobs, a
finish_reason, a second choice or any other field make the chunk the full path's.

The engine drops its template whenever a chunk takes the full path (or the stream moves on), so
"again at once" holds: between the chunk a template was learned from and the chunks it reads,
nothing else has changed the stream's state.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ..kit.template import Leaf, Path, Plan
from ..kit.updates import (
    ChatUpdate,
    ContentDelta,
    ReasoningDelta,
    RefusalDelta,
    ToolCallArgumentsDelta,
)
from .choice import ChoiceState

__all__ = ["plan"]

# The delta fields whose string is a leaf, and the update a piece of each makes.
_TEXT_UPDATES: dict[str, Callable[[int, str], ChatUpdate]] = {
    "content": ContentDelta,
    "refusal": RefusalDelta,
    "reasoning_content": ReasoningDelta,
    "reasoning": ReasoningDelta,
}
# Where the pieces of each leaf's text are kept.
_TEXT_PIECES: dict[str, Callable[[ChoiceState], list[str] | None]] = {
    "content": lambda state: state.content,
    "refusal": lambda state: state.refusal,
    "reasoning_content": lambda state: state.reasoning,
    "reasoning": lambda state: state.reasoning,
}
# Delta fields with a rule of their own that is not "set again" (besides the leaves).
_DELTA_RULES = frozenset({"tool_calls", "function_call", "audio"})
_CHOICE_FIELDS = frozenset({"index", "delta", "finish_reason", "logprobs"})
_PAD: Path = ("obfuscation",)


def plan(chunk: dict[str, Any], states: dict[int, ChoiceState]) -> Plan | None:
    """Where the holes of a template of ``chunk`` would be (``chunk`` just applied by the full
    path of a lenient engine whose stream's metadata is known), or None when the module's rules
    allow none. Cheap: no parsing."""
    if "error" in chunk or chunk.get("usage") is not None:
        return None
    choices = chunk.get("choices")
    if type(choices) is not list or len(choices) != 1:
        return None
    choice = choices[0]
    if type(choice) is not dict or choice.get("logprobs") is not None:
        return None
    if choice.get("finish_reason") not in (None, ""):
        return None
    if any(key not in _CHOICE_FIELDS and type(choice[key]) is list for key in choice):
        return None
    delta = choice.get("delta")
    if type(delta) is not dict:
        return None
    index = choice.get("index")
    state = states.get(0 if index is None else index)
    if state is None:
        return None
    found: tuple[Path, Leaf] | None = None
    for key, value in delta.items():
        if value is None or (key == "role" and type(value) is str):
            continue
        if key not in _TEXT_UPDATES and key not in _DELTA_RULES:
            if type(value) is list:
                return None
            # A vendor extra of the delta, set again.
            continue
        if found is not None:
            # A second leaf.
            return None
        if key == "tool_calls":
            found = _arguments(value, state)
        elif key in _TEXT_UPDATES and type(value) is str:
            pieces = _TEXT_PIECES[key](state)
            if pieces is not None:
                update = partial(_TEXT_UPDATES[key], state.index)
                found = (("choices", 0, "delta", key), Leaf(pieces, update, True))
        if found is None:
            return None
    if found is None:
        return None
    return Plan(*found, _PAD if type(chunk.get("obfuscation")) is str else None)


def _arguments(calls: Any, state: ChoiceState) -> tuple[Path, Leaf] | None:
    """The leaf of a ``tool_calls`` delta carrying only more arguments for a known call."""
    if type(calls) is not list or len(calls) != 1:
        return None
    call = calls[0]
    if type(call) is not dict or len(call) != 2:
        return None
    wire = call.get("index")
    function = call.get("function")
    if type(wire) is not int or type(function) is not dict or len(function) != 1:
        return None
    if type(function.get("arguments")) is not str:
        return None
    continued = state.tool_calls.continued(wire)
    if continued is None:
        return None
    pieces, position = continued
    leaf: Path = ("choices", 0, "delta", "tool_calls", 0, "function", "arguments")
    # Empty arguments are not kept (the full path's rule for tool calls).
    return leaf, Leaf(pieces, partial(ToolCallArgumentsDelta, state.index, position), False)
