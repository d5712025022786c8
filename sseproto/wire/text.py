"""Text that UTF-8 can carry.

A Python string can hold UTF-16 surrogates, which no UTF-8 encoder accepts: JSON escapes decode to
them one by one (``"\\ud83d"``), so a character outside the Basic Multilingual Plane whose escaped
pair a stream splits across two chunks comes out as two lone halves, and a careless server can
send a half that has no partner at all. Every writer sseproto has, and every text a dialect joins
from pieces, passes through :func:`mend_surrogates`.
"""

from __future__ import annotations

import re

__all__ = ["mend_surrogates"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def mend_surrogates(text: str) -> str:
    """``text`` with every UTF-16 surrogate pair joined into the character it encodes and every
    lone surrogate replaced by U+FFFD (REPLACEMENT CHARACTER), as a UTF-8 decoder replaces a
    malformed byte. Text without surrogates (ASCII text is known as such at no cost) is returned
    as it is."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    # UTF-16 is the encoding surrogates belong to: written out as code units, read back, each
    # pair becomes its character and each lone half is malformed input.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
