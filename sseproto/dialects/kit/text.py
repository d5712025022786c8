"""Joining the text a stream sent in pieces, the same way for every dialect."""

from __future__ import annotations

from ...wire.text import mend_surrogates

__all__ = ["join_text"]


def join_text(pieces: list[str]) -> str:
    """The pieces of one text joined, with UTF-16 surrogate pairs that the stream split across
    pieces (its JSON escapes them one by one) rejoined and lone surrogates replaced by U+FFFD, so
    the text always encodes to UTF-8 (see :func:`~sseproto.wire.text.mend_surrogates`)."""
    return mend_surrogates("".join(pieces))
