"""Reprs a person can read in a REPL, shared by the events, the updates and the results.

A value is shown as Python writes it, except that a string longer than :data:`MAX_STRING`
characters shows its start and its length (a tool call's arguments or an event's data can be a
megabyte), containers show their first :data:`MAX_ITEMS` items, and nesting deeper than
:data:`MAX_DEPTH` levels is elided. The results' reprs also leave out the fields that say nothing:
None, empty, or at their default. ``to_dict()`` and the attributes always hold everything.
"""

from __future__ import annotations

import dataclasses
import itertools
import reprlib
from collections.abc import Iterable, Mapping, Sized
from types import MappingProxyType
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_STRING",
    "call_repr",
    "dataclass_repr",
    "mapping_repr",
    "short",
]

MAX_STRING = 200
"""Longer strings are cut in reprs."""
STRING_HEAD = 100
"""How much of a cut string a repr shows."""
MAX_ITEMS = 20
"""Containers show at most this many items."""
MAX_DEPTH = 6
"""Containers nested deeper are shown as ``{...}`` or ``[...]``."""


class _Short(reprlib.Repr):
    """``reprlib`` with cut strings that tell their length, and other objects shown whole (their
    own reprs are the short ones)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = MAX_DEPTH
        self.maxdict = self.maxlist = self.maxtuple = MAX_ITEMS
        self.maxset = self.maxfrozenset = self.maxdeque = self.maxarray = MAX_ITEMS
        self.maxstring = MAX_STRING
        self.maxlong = MAX_STRING

    def repr_str(self, x: str, level: int) -> str:
        if len(x) <= MAX_STRING:
            return repr(x)
        return f"{x[:STRING_HEAD]!r}... ({len(x):,} characters)"

    def repr_dict(self, x: dict[Any, Any], level: int) -> str:
        # In the order the provider sent the keys (reprlib sorts them).
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        items = [
            f"{self.repr1(key, level - 1)}: {self.repr1(value, level - 1)}"
            for key, value in itertools.islice(x.items(), MAX_ITEMS)
        ]
        if len(x) > MAX_ITEMS:
            items.append("...")
        return "{" + ", ".join(items) + "}"

    def repr_mappingproxy(self, x: MappingProxyType[Any, Any], level: int) -> str:
        return self.repr_dict(dict(x), level)

    def repr_instance(self, x: object, level: int) -> str:
        return repr(x)


_SHORT = _Short()


def short(value: object) -> str:
    """``repr(value)`` with long strings cut, long containers and deep nesting elided."""
    return _SHORT.repr(value)


def _says_nothing(value: object) -> bool:
    return value is None or (isinstance(value, Sized) and len(value) == 0)


def call_repr(name: str, fields: Iterable[tuple[str, object]], *, omit_empty: bool) -> str:
    """``name(field=value, ...)`` with each value shortened; with ``omit_empty``, None and empty
    values are left out."""
    shown = ", ".join(
        f"{field}={short(value)}"
        for field, value in fields
        if not (omit_empty and _says_nothing(value))
    )
    return f"{name}({shown})"


def dataclass_repr(instance: Any) -> str:
    """The repr of a result dataclass: its fields in order, values shortened, leaving out those
    that are None, empty or at their default."""
    fields = []
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        if field.default is not dataclasses.MISSING and value == field.default:
            continue
        fields.append((field.name, value))
    return call_repr(type(instance).__name__, fields, omit_empty=True)


def mapping_repr(
    name: str, fields: Mapping[str, Any], then: Iterable[tuple[str, object]] = ()
) -> str:
    """The repr of a result that holds the provider's JSON object: its keys as fields (``type``
    left out: the class name says it), then ``then``; values shortened, None and empty ones left
    out."""
    keys = [(key, value) for key, value in fields.items() if key != "type"]
    return call_repr(name, [*keys, *then], omit_empty=True)
