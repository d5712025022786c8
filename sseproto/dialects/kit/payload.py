"""Parsing an event's JSON payload, the same way for every dialect.

``json.loads`` accepts ``NaN`` and ``Infinity``, which are not JSON, and turns numbers too large for
a float into ``inf``; this module refuses all three, so no result ever holds a value that cannot be
written back as JSON. Every failure is an :class:`InvalidChunkError`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from .errors import InvalidChunkError

__all__ = ["parse_json", "scan_json"]


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
scan_json: Callable[[str, int], tuple[Any, int]] = vars(_DECODER)["scan_once"]


def parse_json(data: str) -> Any:
    """The JSON value ``data`` holds (surrounding whitespace allowed), or an
    :class:`InvalidChunkError` saying why it is not JSON."""
    try:
        value, end = scan_json(data, 0)
        if end == len(data):
            return value
    except (StopIteration, ValueError, RecursionError):
        pass
    try:
        return _decode_json(data)
    except (ValueError, RecursionError) as exc:
        raise _not_json(exc) from None


def _not_json(exc: Exception) -> InvalidChunkError:
    # ValueError covers malformed JSON, NaN/Infinity, out-of-range floats and over-long
    # integers; RecursionError is how the json module reports nesting deeper than the
    # interpreter allows.
    reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
    return InvalidChunkError(f"the payload is not valid JSON ({reason})")
