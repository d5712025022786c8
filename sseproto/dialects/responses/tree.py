"""Copying JSON trees without recursion.

The engine owns every dict it rebuilds and hands out copies, so that neither a caller's payload nor
a result given out earlier ever changes under anyone. The copy walks an explicit stack: a payload
nested as deep as the JSON parser allows is copied at any call depth, never raising
``RecursionError``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["copy_tree"]


def copy_tree(value: Any) -> Any:
    """A deep copy of ``value``'s dicts and lists; every other value (strings, numbers, None) is
    shared, being immutable."""
    if type(value) is dict:
        root: Any = {}
    elif type(value) is list:
        root = []
    else:
        return value
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        if type(source) is dict:
            for key, child in source.items():
                target[key] = _shell(child, stack)
        else:
            for child in source:
                target.append(_shell(child, stack))
    return root


def _shell(child: Any, stack: list[tuple[Any, Any]]) -> Any:
    """The copy of ``child``: itself when immutable, else an empty container queued for filling."""
    kind = type(child)
    if kind is dict:
        shell: Any = {}
    elif kind is list:
        shell = []
    else:
        return child
    stack.append((child, shell))
    return shell
