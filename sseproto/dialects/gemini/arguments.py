"""Streamed function-call arguments (Vertex AI ``streamFunctionCallArguments``): ``partialArgs``
addressed by ``jsonPath``, built into the call's final ``args`` object.

A path is ``$`` followed by ``.name``, ``[n]`` or ``['name']`` steps. Missing objects and arrays
are created on the way; array slots never written become ``null``; object keys keep the order
their paths first appear in. ``stringValue`` pieces are appended to the string at their path,
kept as a list of pieces and joined once when the arguments are built, so a long argument sent
in many small pieces costs linear time; ``numberValue``, ``boolValue`` and ``nullValue`` set the
value.
"""

from __future__ import annotations

from typing import Any

from ..kit.text import join_text

__all__ = ["ArgumentsBuilder", "BadPartialArg", "parse_path"]

# A path is at most this many steps deep: building and writing the arguments recurse once per
# level, and no real schema comes near it.
MAX_PATH_DEPTH = 64

# An array index may leave at most this many never-written slots before it, so that one hostile
# index (``$.a[1000000000]``) cannot allocate a huge list; real streams write arrays in order.
MAX_ARRAY_GAP = 1024

_VALUE_FIELDS = ("stringValue", "numberValue", "boolValue", "nullValue")

Step = str | int


class BadPartialArg(Exception):
    """A ``partialArg`` that cannot be applied (the reason is the message). Strict mode reports
    it as an invalid chunk; the default mode skips that ``partialArg``."""


class _Text:
    """A string at a path, as the pieces received so far."""

    __slots__ = ("pieces",)

    def __init__(self, piece: str) -> None:
        self.pieces = [piece]


class _Unset:
    """An array slot no path has written: ``null`` in the arguments, but still free to receive
    a string, unlike an explicit ``nullValue``."""

    __slots__ = ()


_UNSET = _Unset()
# What _current() gives for a key or slot that does not exist.
_ABSENT = object()


def parse_path(path: str) -> tuple[Step, ...]:
    """The steps of a ``jsonPath`` (``$.a[0]['b c']`` gives ``("a", 0, "b c")``).

    Raises:
        BadPartialArg: the path is not ``$`` followed by at least one step, or is too deep.
    """
    if not path.startswith("$"):
        raise BadPartialArg(f"jsonPath {path!r} does not start with $")
    steps: list[Step] = []
    i, end = 1, len(path)
    while i < end:
        char = path[i]
        if char == ".":
            stop = i + 1
            while stop < end and path[stop] not in ".[":
                stop += 1
            if stop == i + 1:
                raise BadPartialArg(f"jsonPath {path!r} has an empty name at {i}")
            steps.append(path[i + 1 : stop])
            i = stop
        elif char == "[" and i + 1 < end and path[i + 1] in "'\"":
            quote = path[i + 1]
            name: list[str] = []
            j = i + 2
            while j < end and path[j] != quote:
                if path[j] == "\\" and j + 1 < end:
                    j += 1
                name.append(path[j])
                j += 1
            if path[j + 1 : j + 2] != "]":
                raise BadPartialArg(f"jsonPath {path!r} has an unclosed name at {i}")
            steps.append("".join(name))
            i = j + 2
        elif char == "[":
            close = path.find("]", i)
            digits = path[i + 1 : close] if close > 0 else ""
            if not (digits.isascii() and digits.isdigit()):
                raise BadPartialArg(f"jsonPath {path!r} has a bad array index at {i}")
            steps.append(int(digits))
            i = close + 1
        else:
            raise BadPartialArg(f"jsonPath {path!r} has an unexpected {char!r} at {i}")
        if len(steps) > MAX_PATH_DEPTH:
            raise BadPartialArg(f"jsonPath {path!r} is deeper than {MAX_PATH_DEPTH} steps")
    if not steps:
        raise BadPartialArg("jsonPath $ addresses the arguments object itself")
    return tuple(steps)


def _value_of(partial_arg: dict[str, Any]) -> Any:
    """The value a ``partialArg`` carries: a ``str`` to append, or the value to set."""
    present = [key for key in _VALUE_FIELDS if key in partial_arg]
    if len(present) != 1:
        raise BadPartialArg(f"a partialArg has exactly one value field, not {present or 'none'}")
    key = present[0]
    value = partial_arg[key]
    if key == "stringValue":
        if type(value) is not str:
            raise BadPartialArg("stringValue must be a string")
    elif key == "numberValue":
        if type(value) is not int and type(value) is not float:
            raise BadPartialArg("numberValue must be a number")
    elif key == "boolValue":
        if type(value) is not bool:
            raise BadPartialArg("boolValue must be a boolean")
    else:
        # NullValue is an enum with one member ("NULL_VALUE"), or null itself.
        value = None
    return value


class ArgumentsBuilder:
    """The ``args`` object of one streamed call, built from its ``partialArgs``."""

    __slots__ = ("_paths", "_root")

    def __init__(self) -> None:
        self._root: dict[str, Any] = {}
        # Parsed paths by their text: a call sends the same few paths over and over.
        self._paths: dict[str, tuple[Step, ...]] = {}

    def apply(self, partial_arg: Any) -> tuple[str, Any]:
        """Apply one ``partialArg``; return its ``jsonPath`` and value (a ``str`` is a piece
        appended to the string there; any other value was set).

        Raises:
            BadPartialArg: it cannot be applied; nothing was changed.
        """
        if type(partial_arg) is not dict:
            raise BadPartialArg("a partialArg must be an object")
        path = partial_arg.get("jsonPath")
        if type(path) is not str:
            raise BadPartialArg("a partialArg needs a string jsonPath")
        value = _value_of(partial_arg)
        self.write(path, value)
        return path, value

    def write(self, path: str, value: Any) -> None:
        """Write ``value`` at ``jsonPath`` ``path``: a ``str`` is appended to the string there,
        any other value (number, boolean, None) is set, as :meth:`apply` returned them.

        Raises:
            BadPartialArg: it cannot be written; nothing was changed.
        """
        steps = self._paths.get(path)
        if steps is None:
            steps = parse_path(path)
            self._paths[path] = steps
        self._write(steps, value, path)

    def _write(self, steps: tuple[Step, ...], value: Any, path: str) -> None:
        # Every check comes before the first change, so a rejected partialArg changes nothing.
        current = _current(self._find_parent(steps, path), steps[-1])
        is_text = type(value) is str
        if (
            is_text
            and current is not _ABSENT
            and current is not _UNSET
            and type(current) is not _Text
        ):
            raise BadPartialArg(f"stringValue at {path} targets a non-string")
        parent = self._make_parent(steps)
        if is_text:
            if type(current) is _Text:
                current.pieces.append(value)
                return
            value = _Text(value)
        _store(parent, steps[-1], value)

    def _find_parent(self, steps: tuple[Step, ...], path: str) -> Any:
        """The object or array holding the last step, or None if part of the way does not exist
        yet; raises if the path cannot be written."""
        node: Any = self._root
        for position, step in enumerate(steps):
            if node is None:
                # A container still to be created: empty, of the kind the step needs.
                length = 0
            elif type(step) is int:
                if type(node) is not list:
                    raise BadPartialArg(f"jsonPath {path} indexes a non-array")
                length = len(node)
            elif type(node) is not dict:
                raise BadPartialArg(f"jsonPath {path} names a key of a non-object")
            if type(step) is int and step > length + MAX_ARRAY_GAP:
                raise BadPartialArg(
                    f"jsonPath {path} leaves more than {MAX_ARRAY_GAP} array slots unset"
                )
            if position < len(steps) - 1:
                child = _current(node, step)
                node = None if child is _ABSENT or child is _UNSET else child
        return node

    def _make_parent(self, steps: tuple[Step, ...]) -> Any:
        """The object or array holding the last step, creating what is missing on the way
        (:meth:`_find_parent` has checked that it can)."""
        node: Any = self._root
        for position in range(len(steps) - 1):
            step = steps[position]
            child = _current(node, step)
            if child is _ABSENT or child is _UNSET or child is None:
                child = [] if type(steps[position + 1]) is int else {}
                _store(node, step, child)
            node = child
        return node

    def build(self) -> dict[str, Any]:
        """The arguments as plain JSON values (strings joined)."""
        built: dict[str, Any] = _plain(self._root)
        return built


def _current(node: Any, step: Step) -> Any:
    """The value at ``step`` of ``node``, or ``_ABSENT`` (also when ``node`` is still to be
    created, None)."""
    if node is None:
        return _ABSENT
    if type(step) is int:
        return node[step] if step < len(node) else _ABSENT
    return node.get(step, _ABSENT)


def _store(node: Any, step: Step, value: Any) -> None:
    if type(step) is int:
        if step >= len(node):
            node.extend([_UNSET] * (step + 1 - len(node)))
        node[step] = value
    else:
        node[step] = value


def _plain(node: Any) -> Any:
    kind = type(node)
    if kind is dict:
        return {key: _plain(value) for key, value in node.items()}
    if kind is list:
        return [_plain(value) for value in node]
    if kind is _Text:
        return join_text(node.pieces)
    if node is _UNSET:
        return None
    return node
