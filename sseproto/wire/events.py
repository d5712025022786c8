"""The value objects the decoder produces."""

from __future__ import annotations

import json
from typing import Any

from .display import call_repr

__all__ = ["ServerSentEvent"]


class ServerSentEvent:
    """One dispatched Server-Sent Event.

    Attributes:
        event: the event type; ``"message"`` when the block named none.
        data: the data lines joined with LF (one trailing LF removed, as the spec says).
        id: the last-event-ID in force when the event was dispatched (``""`` if none).
        retry: the reconnection time (ms) given by a valid ``retry`` field in this event's own
            block, else None.

    Events compare and hash by value. They are built once per event on the decoder's hot path,
    hence a slotted class rather than a frozen dataclass (about 4x cheaper to construct).
    """

    __slots__ = ("data", "event", "id", "retry")

    def __init__(
        self, event: str = "message", data: str = "", id: str = "", retry: int | None = None
    ) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry

    def json(self) -> Any:
        """Parse ``data`` as JSON (``json.JSONDecodeError`` if it is not)."""
        return json.loads(self.data)

    def _key(self) -> tuple[str, str, str, int | None]:
        return (self.event, self.data, self.id, self.retry)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = (
            ("event", self.event), ("data", self.data), ("id", self.id), ("retry", self.retry)
        )
        return call_repr("ServerSentEvent", fields, omit_empty=False)
