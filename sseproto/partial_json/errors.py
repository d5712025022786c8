"""The error a JSON text that cannot be parsed raises."""

from __future__ import annotations

from ..wire.errors import StreamError

__all__ = ["InvalidJSONError"]


class InvalidJSONError(StreamError):
    """A JSON text fed to :class:`~sseproto.PartialJSONParser` is not valid JSON, breaks one of
    the rules sseproto holds every JSON value to, or ended before its value did.

    ``offset`` is the index, in the whole text fed (every feed counted), of the first character
    no valid JSON text could have there; the length of the text for a text that ended too soon;
    the first character of the value for a value refused whole (a number too large, an opening
    bracket nested too deep).

    Attributes:
        rule: what is wrong, in words.
    """

    def __init__(self, rule: str, *, offset: int) -> None:
        super().__init__(f"invalid JSON: {rule}", offset=offset)
        self.rule = rule

    def __str__(self) -> str:
        # The offset counts characters of the JSON text, not bytes of a stream.
        return f"{self.message} (at character {self.offset})"
