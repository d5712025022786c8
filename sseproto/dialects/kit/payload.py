"""Parsing an event's JSON payload, the same way for every dialect.

``json.loads`` accepts ``NaN`` and ``Infinity``, which are not JSON, and turns numbers too large for
a float into ``inf``; this module refuses all three, so no result ever holds a value that cannot be
written back as JSON. It also bounds the nesting depth at :data:`MAX_DEPTH`, whatever the depth of
the call stack: the ``json`` scanner's own limit is the interpreter's recursion limit minus the
frames already in use, so without a bound of its own a payload accepted here could make a writer
(``json.dumps``, a deep copy, a comparison) raise ``RecursionError`` later, deeper in some call
stack. Every failure is an :class:`InvalidChunkError`.

A payload given already parsed (a dict, or an SDK object with ``model_dump``) is held to the same
rules by :func:`copy_payload`, which also makes it the engine's own: the caller may reuse or change
its dicts afterwards.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from ...partial_json.parser import MAX_DEPTH
from .errors import InvalidChunkError

__all__ = [
    "MAX_DEPTH",
    "SHORT_PAYLOAD",
    "copy_payload",
    "parse_json",
    "scan_json",
    "scan_short_json",
    "scan_string",
    "wire_fields",
]

SHORT_PAYLOAD = 2 * MAX_DEPTH + 1
"""The longest payload that cannot nest deeper than :data:`MAX_DEPTH`: every level costs an
opening and a closing bracket. Most chunks are this short, and need no depth check."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e400 overflows to inf, which to_dict() would write back as Infinity: not JSON.
        raise ValueError(f"{text} is out of the range of a float")
    return value


# The C scanner calls parse_float for each float itself.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
_decode_json = _DECODER.decode
# The C scanner behind decode(): one JSON value at an index. Calling it directly skips the two
# whitespace regex matches and Python-level calls json.loads adds around it (about a third of
# json.loads's time on a typical chunk). Payloads with surrounding whitespace, trailing data or
# errors take the full decoder, which gives the exact json.loads result or error.
# (An instance attribute JSONDecoder.__init__ sets; typeshed does not declare it.)
_scan: Callable[[str, int], tuple[Any, int]] = vars(_DECODER)["scan_once"]

scan_short_json = _scan
"""The scanner of :func:`scan_json` without its depth check, for the hottest paths, and only for
payloads of at most :data:`SHORT_PAYLOAD` characters (which are within the bound by their length):
it saves a Python call per event."""

scan_string: Callable[[str, int], tuple[str, int]] = vars(_DECODER)["parse_string"]
"""How the scanner reads a string: ``scan_string(text, index)`` is the string whose opening quote
is just before ``text[index]``, and the index just past its closing quote (escapes decoded,
UTF-16 surrogate pairs joined, raw control characters refused with ``ValueError``), exactly as
the scanner reads every string of a payload."""

# The rule a payload nested deeper than MAX_DEPTH breaks.
_TOO_DEEP = f"nested too deeply: more than {MAX_DEPTH} levels of arrays and objects"


def _nests_too_deeply(data: str, start: int, end: int, value: Any) -> bool:
    """Whether ``value``, parsed from the JSON text ``data[start:end]``, nests deeper than
    :data:`MAX_DEPTH`."""
    # Cheap first: fewer brackets than the bound in the whole text, strings included.
    if data.count("[", start, end) + data.count("{", start, end) <= MAX_DEPTH:
        return False
    # The value's containers, walked without recursion: a walk of the values is a fraction of
    # a walk of the text, whose strings are most of its characters.
    level: list[Any] = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        depth += 1  # the depth of the containers in level
        if depth > MAX_DEPTH:
            return True
        below = []
        for node in level:
            for child in node.values() if type(node) is dict else node:
                if type(child) is dict or type(child) is list:
                    below.append(child)
        level = below
    return False


def scan_json(data: str, index: int) -> tuple[Any, int]:
    """The JSON value starting at ``data[index]`` and the index just past it (the ``json``
    scanner's contract, for hot paths that parse whole payloads).

    Raises:
        StopIteration, ValueError, RecursionError: as the scanner does; ``ValueError`` also for
            a value nested deeper than :data:`MAX_DEPTH`. A caller gets the exact
            :class:`InvalidChunkError` for any of them from :func:`parse_json`.
    """
    found = _scan(data, index)
    # The scanner's own tuple, passed on as it is: this runs once per event on hot paths.
    end = found[1]
    if end - index > SHORT_PAYLOAD and _nests_too_deeply(data, index, end, found[0]):
        raise ValueError(_TOO_DEEP)
    return found


def parse_json(data: str) -> Any:
    """The JSON value ``data`` holds (surrounding whitespace allowed), or an
    :class:`InvalidChunkError` saying why it is not JSON or why it is refused."""
    try:
        value, end = _scan(data, 0)
    except (StopIteration, ValueError, RecursionError):
        end = -1
    if end != len(data):
        # Surrounding whitespace, trailing data or an error: the full decoder gives the exact
        # json.loads result or error.
        try:
            value = _decode_json(data)
        except (ValueError, RecursionError) as exc:
            # ValueError covers malformed JSON, NaN/Infinity, out-of-range floats and over-long
            # integers; RecursionError is how the json module reports nesting deeper than the
            # interpreter allows (only a call stack already near its limit meets it first).
            reason = _TOO_DEEP if isinstance(exc, RecursionError) else f"not valid JSON: {exc}"
            raise InvalidChunkError(f"the payload is {reason}") from None
    if len(data) > SHORT_PAYLOAD and _nests_too_deeply(data, 0, len(data), value):
        raise InvalidChunkError(f"the payload is {_TOO_DEEP}")
    return value


# Values shared as they are, being immutable and JSON already (ints are checked for their size).
_KEPT = frozenset((str, bool, type(None)))
# Values that are no container, told at once.
_SCALARS = frozenset((str, bool, type(None), int, float))

# An int with fewer bits than this has fewer than 4300 digits, the default limit of int <-> str
# conversion, which json.loads and json.dumps both apply: a larger one is checked by converting it.
_SAFE_INT_BITS = 14_000


# How many values a parsed payload may hold. A payload read from bytes is bounded by the event size
# (16 MiB by default: fewer than 8 million values); a parsed one can share a container many times
# over (x = [x, x], a hundred times: 2**100 values once copied), so the copy counts what it makes.
MAX_VALUES = 16 * 1024 * 1024

# How many values a copy makes before it counts, without copying, how many the whole payload holds
# (each shared container counted once): a payload of a few dozen containers shared over and over
# is refused then, instead of after MAX_VALUES values copied (a minute and a gigabyte). Chunks hold
# far fewer values, so they never pay for the count.
_COUNT_AT = 1 << 16


def wire_fields(payload: Any) -> Any:
    """``payload``, a parsed payload, as the JSON value it stands for, not copied: an object with
    ``model_dump`` (a pydantic model of a provider's SDK) gives the fields the wire carried; any
    other value is itself."""
    model_dump = getattr(payload, "model_dump", None)
    if callable(model_dump):
        # Pydantic fills every field its model knows with None unless told to keep only the
        # fields that were set; warnings=False because vendors send what the SDK's types do not
        # foresee (Mistral's content arrays), which is ours to read, not pydantic's.
        return model_dump(exclude_unset=True, warnings=False)
    return payload


def copy_payload(payload: Any) -> Any:
    """A copy of ``payload``, a parsed payload: a JSON value as ``json.loads`` gives it (a
    ``Mapping`` for an object, a list or tuple for an array), or an object with ``model_dump``
    such as a pydantic model of a provider's SDK (read with ``model_dump(exclude_unset=True)``,
    so only the fields the wire carried count).

    The copy is held to :func:`parse_json`'s rules, with its wording: at most :data:`MAX_DEPTH`
    levels of nesting (a cycle nests without end) and :data:`MAX_VALUES` values, no ``NaN`` or
    infinite float, no int too long to write; and it holds only JSON values (plain ``dict``,
    ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``, subclasses turned into these), so
    it writes back as JSON. It
    shares no container with ``payload`` and is built without recursion, at any call depth.

    Raises:
        InvalidChunkError: ``payload`` breaks one of these rules.
    """
    payload = wire_fields(payload)
    stack: list[tuple[Any, Any, int]] = []
    root = payload if type(payload) in _KEPT else _copy_value(payload, 1, stack)
    values = 1
    limit = min(_COUNT_AT, MAX_VALUES)
    while stack:
        source, target, depth = stack.pop()
        depth += 1
        values += len(source)
        if values > limit:
            if limit == MAX_VALUES:
                raise InvalidChunkError(f"the payload holds more than {MAX_VALUES} values")
            _check_size(payload)
            limit = MAX_VALUES
        if type(target) is dict:
            for key, child in source.items():
                if type(key) is not str:
                    key = _copy_key(key)
                target[key] = child if type(child) in _KEPT else _copy_value(child, depth, stack)
        else:
            for child in source:
                target.append(child if type(child) in _KEPT else _copy_value(child, depth, stack))
    return root


def _check_size(payload: Any) -> None:
    """Refuse ``payload`` if its copy would hold more than :data:`MAX_VALUES` values, or never
    end (a cycle), counting without copying: each container once, its count remembered for
    every other place it is shared in.

    Raises:
        InvalidChunkError: as :func:`copy_payload` words it.
    """
    counts: dict[int, int] = {}  # id -> the values a container stands for, once counted
    open_: set[int] = set()  # the containers whose contents are being counted
    # A container to count, with None; or counted, with the containers it holds.
    stack: list[tuple[Any, list[Any] | None]] = [(payload, None)]
    while stack:
        node, inner = stack.pop()
        key = id(node)
        if inner is not None:
            open_.discard(key)
            total = len(node)
            for child in inner:
                total += counts[id(child)]
            if total > MAX_VALUES:
                raise InvalidChunkError(f"the payload holds more than {MAX_VALUES} values")
            counts[key] = total
        elif key in open_:
            # A container inside itself: its copy would nest without end.
            raise InvalidChunkError(f"the payload is {_TOO_DEEP}")
        elif key not in counts:
            open_.add(key)
            inner = [
                child
                for child in (node.values() if isinstance(node, Mapping) else node)
                if type(child) not in _SCALARS and isinstance(child, (list, dict, tuple, Mapping))
            ]
            stack.append((node, inner))
            stack.extend((child, None) for child in inner)


def _copy_value(value: Any, depth: int, stack: list[tuple[Any, Any, int]]) -> Any:
    """The copy of ``value``, found at nesting ``depth``: a JSON scalar, or an empty container
    queued on ``stack`` to be filled."""
    if isinstance(value, (Mapping, list, tuple)):
        if depth > MAX_DEPTH:
            raise InvalidChunkError(f"the payload is {_TOO_DEEP}")
        shell: Any = {} if isinstance(value, Mapping) else []
        stack.append((value, shell, depth))
        return shell
    if isinstance(value, int):
        if value.bit_length() >= _SAFE_INT_BITS:
            try:
                str(value)
            except ValueError as exc:
                raise InvalidChunkError(f"the payload is not valid JSON: {exc}") from None
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            # The words parse_json uses for the text json.dumps would write for it.
            name = "NaN" if value != value else "Infinity" if value > 0 else "-Infinity"
            raise InvalidChunkError(f"the payload is not valid JSON: {name} is not valid JSON")
        return float(value)
    if isinstance(value, str):
        # Exactly the characters, whatever a subclass's __str__ says.
        return str.__str__(value)
    raise InvalidChunkError(
        f"the payload is not a JSON value: it holds a value of type {type(value).__name__}"
    )


def _copy_key(key: Any) -> str:
    """An object key as a plain ``str``; JSON has no other kind of key."""
    if isinstance(key, str):
        return str.__str__(key)
    raise InvalidChunkError(
        f"the payload is not a JSON value: an object key of type {type(key).__name__}"
    )
