"""One output item of a Response while it streams: the item as last set, and the strings its
deltas are building.

Every value comes from an event's payload, owned by the engine (parsed from the wire or copied
from the caller). The item dict is changed in place by the events that replace a part, set a
status or add an annotation; the strings that deltas build are kept apart, as lists of pieces
(the value they started from, then every delta), and joined only when someone reads them, so a
megabyte of arguments in ten-character deltas costs linear time; joining rejoins a UTF-16
surrogate pair split across two deltas. A ``.done`` value, a part
replaced or the item replaced drops the pieces it supersedes: the provider's final word always
wins over what the deltas built.
"""

from __future__ import annotations

from typing import Any

from ..kit.text import join_text
from .tree import copy_tree

__all__ = [
    "CALL_FIELDS",
    "HOSTED_FIELDS",
    "MAX_PART_INDEX",
    "ItemState",
    "Location",
    "part_strings",
    "streamed_strings",
    "string_at",
]

# Where a string lives in an item: (list key, index, field) for a field of a part
# (("content", 0, "text"), ("summary", 2, "text")), ("", 0, field) for a field of the item itself.
Location = tuple[str, int, str]

# The items the caller must run, and the field holding their arguments.
CALL_FIELDS = {"function_call": "arguments", "custom_tool_call": "input"}
# The calls the provider runs whose arguments stream, and the field holding them.
HOSTED_FIELDS = {"mcp_call": "arguments"}

# How far a part, summary or annotation list may be padded with null: a generous bound (real
# messages have a handful of parts, and annotations number in the tens), so that a hostile index
# of 10**9 allocates nothing.
MAX_PART_INDEX = 10_000


def streamed_strings(item: dict[str, Any]) -> list[tuple[Location, str]]:
    """The strings of ``item`` that text updates report, with the kind of update each gives:
    ``"content"`` (output text), ``"refusal"``, ``"reasoning"`` (summary and raw reasoning
    text), ``"arguments"`` (a call's arguments or custom input) or ``"hosted"`` (the arguments
    of a call the provider runs)."""
    kind = item.get("type")
    if type(kind) is str:
        if kind in CALL_FIELDS:
            return [(("", 0, CALL_FIELDS[kind]), "arguments")]
        if kind in HOSTED_FIELDS:
            return [(("", 0, HOSTED_FIELDS[kind]), "hosted")]
    found: list[tuple[Location, str]] = []
    for key in ("summary", "content"):
        parts = item.get(key)
        if type(parts) is list:
            for index, part in enumerate(parts):
                if type(part) is dict:
                    found.extend(part_strings(kind, key, index, part))
    return found


def part_strings(
    item_type: Any, key: str, index: int, part: dict[str, Any]
) -> list[tuple[Location, str]]:
    """The strings of one part that text updates report, as :func:`streamed_strings` gives
    them: a message's ``output_text`` and ``refusal`` parts, a reasoning item's summaries and
    ``reasoning_text`` parts."""
    if item_type == "message" and key == "content":
        part_type = part.get("type")
        if part_type == "output_text":
            return [(("content", index, "text"), "content")]
        if part_type == "refusal":
            return [(("content", index, "refusal"), "refusal")]
    elif item_type == "reasoning" and "text" in part:
        return [((key, index, "text"), "reasoning")]
    return []


def string_at(item: dict[str, Any], location: Location) -> str:
    """The string at ``location`` in ``item`` (``""`` if it is missing)."""
    key, index, field = location
    holder: Any = item
    if key:
        parts = item.get(key)
        holder = parts[index] if type(parts) is list and 0 <= index < len(parts) else None
    value = holder.get(field) if type(holder) is dict else None
    return value if type(value) is str else ""


class ItemState:
    """One output item, at ``index`` (its ``output_index``): ``item`` as last set, ``strings``
    being built by deltas, its place among the tool calls (``call_index``, None if the item is
    not a call the caller runs), and the field of the arguments it streams as a call the
    provider runs (``hosted_field``, else None)."""

    __slots__ = (
        "call_done",
        "call_field",
        "call_index",
        "hosted_field",
        "index",
        "item",
        "strings",
    )

    def __init__(self, item: dict[str, Any], index: int) -> None:
        self.index = index
        self.strings: dict[Location, list[str]] = {}
        self.call_index: int | None = None
        self.call_done = False
        self._take(item)

    def replace(self, item: dict[str, Any]) -> None:
        """Take ``item`` as the whole item (``output_item.added`` / ``.done``)."""
        self.strings.clear()
        self._take(item)

    def _take(self, item: dict[str, Any]) -> None:
        self.item = item
        kind = item.get("type")
        self.call_field: str | None = None
        self.hosted_field: str | None = None
        if type(kind) is str:
            self.call_field = CALL_FIELDS.get(kind)
            self.hosted_field = HOSTED_FIELDS.get(kind)

    def part(self, key: str, index: int) -> dict[str, Any] | None:
        """The part at ``index`` of the list ``key`` (``""``: the item itself), if it exists."""
        if not key:
            return self.item
        parts = self.item.get(key)
        if type(parts) is list and 0 <= index < len(parts):
            part = parts[index]
            if type(part) is dict:
                return part
        return None

    def pieces(self, location: Location) -> list[str] | None:
        """The pieces of the string at ``location``, started from its current value; None if its
        part does not exist."""
        pieces = self.strings.get(location)
        if pieces is None:
            part = self.part(location[0], location[1])
            if part is None:
                return None
            start = part.get(location[2])
            pieces = self.strings[location] = [start if type(start) is str else ""]
        return pieces

    def value(self, location: Location) -> str:
        """The string at ``location`` as built so far (``""`` if it is missing)."""
        pieces = self.strings.get(location)
        if pieces is not None:
            return join_text(pieces)
        part = self.part(location[0], location[1])
        value = part.get(location[2]) if part is not None else None
        return value if type(value) is str else ""

    def has_deltas(self, location: Location) -> bool:
        """Whether at least one delta was appended to the string since it was last set."""
        pieces = self.strings.get(location)
        return pieces is not None and len(pieces) > 1

    def set_string(self, location: Location, value: str) -> None:
        """A ``.done`` value: it replaces whatever the deltas built."""
        part = self.part(location[0], location[1])
        if part is not None:
            part[location[2]] = value
        self.strings.pop(location, None)

    def set_part(self, key: str, index: int, part: dict[str, Any]) -> None:
        """Put ``part`` at ``index`` of the list ``key`` (created when missing or null, padded
        with null past its end); the strings of the part it replaces are dropped."""
        parts = self.item.get(key)
        if type(parts) is not list:
            parts = self.item[key] = []
        if index >= len(parts):
            parts.extend([None] * (index + 1 - len(parts)))
        parts[index] = part
        for location in [loc for loc in self.strings if loc[0] == key and loc[1] == index]:
            del self.strings[location]

    def build(self) -> dict[str, Any]:
        """A copy of the item with every string as built so far."""
        item: dict[str, Any] = copy_tree(self.item)
        for (key, index, field), pieces in self.strings.items():
            if not key:
                item[field] = join_text(pieces)
            else:
                # The part exists: pieces are only created for existing parts, and a part
                # replaced drops its pieces.
                item[key][index][field] = join_text(pieces)
        return item
