"""Parsing an event's JSON payload, the same way for every dialect.

``json.loads`` accepts ``NaN`` and ``Infinity``, which are not JSON, and turns numbers too large for
a float into ``inf``; this module refuses all three, so no result ever holds a value that cannot be
written back as JSON. It also bounds the nesting depth at :data:`MAX_DEPTH`, whatever the depth of
the call stack: the ``json`` scanner's own limit is the interpreter's recursion limit minus the
frames already in use, so without a bound of its own a payload accepted here could make a writer
(``json.dumps``, a deep copy, a comparison) raise ``RecursionError`` later, deeper in some call
stack. Every failure is an :class:`InvalidChunkError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from .errors import InvalidChunkError

__all__ = ["MAX_DEPTH", "SHORT_PAYLOAD", "parse_json", "scan_json", "scan_short_json"]

MAX_DEPTH = 256
"""The deepest nesting of arrays and objects a payload may have (the top-level value is depth 1).

Real payloads nest a dozen levels at most. The bound keeps every writer far from Python's default
recursion limit of 1000, wherever it runs: ``json.dumps`` (either encoder) and comparisons spend
one frame per level, ``copy.deepcopy`` two, and a rebuilt result nests a payload a few levels
deeper than it came. It is also the most a payload of 513 characters can nest, so the usual chunk
(200 to 400 characters) is known to be within it from its length alone."""

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

# What decides the nesting depth: a string (skipped whole, brackets inside it do not count), an
# opening bracket, a closing one.
_STRUCTURE = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[{]|[\]}]')


# The rule a payload nested deeper than MAX_DEPTH breaks.
_TOO_DEEP = f"nested too deeply: more than {MAX_DEPTH} levels of arrays and objects"


def _nests_too_deeply(data: str) -> bool:
    """Whether valid JSON text ``data`` nests deeper than :data:`MAX_DEPTH`."""
    # Cheap first: fewer brackets than the bound in the whole text, strings included.
    if data.count("[") + data.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    for match in _STRUCTURE.finditer(data):
        token = match[0]
        if token == "[" or token == "{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif token == "]" or token == "}":
            depth -= 1
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
    if end - index > SHORT_PAYLOAD and _nests_too_deeply(data[index:end]):
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
    if len(data) > SHORT_PAYLOAD and _nests_too_deeply(data):
        raise InvalidChunkError(f"the payload is {_TOO_DEEP}")
    return value
