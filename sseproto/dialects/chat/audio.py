"""Rebuilding an assistant message's audio from ``delta.audio`` pieces.

OpenAI streams audio output in pieces across chunks: the ``id`` first, then base64 ``data`` and
``transcript`` pieces, and ``expires_at``. The rules: ``data`` and ``transcript`` are concatenated
(kept as lists of pieces, joined once), ``id`` is set once, ``expires_at`` keeps its last non-null
value, and any other field is a vendor extra.
"""

from __future__ import annotations

from typing import Any

from ..kit.errors import InvalidChunkError
from ..kit.text import join_text
from .completion import ChatAudio
from .extras import copy_extras, merge_extra

__all__ = ["AudioState"]

_PATH = ".delta.audio"


class AudioState:
    """The audio of one message being rebuilt."""

    __slots__ = ("data", "expires_at", "extras", "id", "transcript")

    def __init__(self) -> None:
        self.id = ""
        self.data: list[str] | None = None
        self.transcript: list[str] | None = None
        self.expires_at: int | None = None
        self.extras: dict[str, Any] = {}

    def apply(self, audio: Any) -> None:
        """Apply one ``delta.audio`` piece.

        Raises:
            InvalidChunkError: with a path relative to the choice (``.delta.audio.data``).
        """
        if type(audio) is not dict:
            raise InvalidChunkError("audio must be an object or null", path=_PATH)
        for key, value in audio.items():
            if value is None:
                continue
            if key == "data" or key == "transcript":
                if type(value) is not str:
                    raise InvalidChunkError(
                        f"{key} must be a string or null", path=f"{_PATH}.{key}"
                    )
                if key == "data":
                    self.data = _added(self.data, value)
                else:
                    self.transcript = _added(self.transcript, value)
            elif key == "id":
                if type(value) is not str:
                    raise InvalidChunkError("id must be a string or null", path=f"{_PATH}.id")
                if not self.id:
                    self.id = value
            elif key == "expires_at":
                if type(value) is not int:
                    raise InvalidChunkError(
                        "expires_at must be an integer or null", path=f"{_PATH}.expires_at"
                    )
                self.expires_at = value
            else:
                merge_extra(self.extras, key, value)

    def build(self) -> ChatAudio:
        """The audio as rebuilt so far."""
        return ChatAudio(
            id=self.id,
            data=None if self.data is None else join_text(self.data),
            transcript=None if self.transcript is None else join_text(self.transcript),
            expires_at=self.expires_at,
            extras=copy_extras(self.extras),
        )


def _added(pieces: list[str] | None, piece: str) -> list[str]:
    if pieces is None:
        return [piece]
    pieces.append(piece)
    return pieces
