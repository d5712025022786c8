"""Strict mode's checks of a Responses stream's order: event names, ``sequence_number`` and
``response.created``.

The checks that concern items and parts (indexes appended without gaps, events addressing what
exists, ``.done`` strings equal to their deltas, one terminal event) sit in the engine beside the
rule they guard. Ids are never checked: providers rotate them (GitHub Copilot gives every event a
new ``item_id``, OpenRouter re-issues a reasoning id in ``response.completed``).
"""

from __future__ import annotations

from typing import Any

from ..kit.errors import InvalidChunkError

__all__ = ["StreamOrder"]


class StreamOrder:
    """The order of a stream's events, checked one event at a time."""

    __slots__ = ("_events", "_next_number", "_numbered")

    def __init__(self) -> None:
        self._events = 0
        # Whether the stream numbers its events (decided by the first event; streams recorded in
        # early 2025 have no sequence_number at all) and the number the next event must carry.
        self._numbered = False
        self._next_number: int | None = None

    def check(self, payload: dict[str, Any], event_name: str | None) -> None:
        """Check one event's payload (``event_name``: its SSE event name, None when unknown).

        Raises:
            InvalidChunkError: the event breaks the stream's order.
        """
        kind = payload.get("type")
        if event_name is not None and event_name != "message" and event_name != kind:
            raise InvalidChunkError(
                f"the SSE event name {event_name!r} differs from the payload's type", path="$.type"
            )
        if kind == "response.created" and self._events:
            raise InvalidChunkError("response.created comes first, once", path="$.type")
        number = payload.get("sequence_number")
        if self._events == 0:
            self._numbered = number is not None
        elif (number is not None) != self._numbered:
            raise InvalidChunkError(
                "sequence_number is on every event or on none", path="$.sequence_number"
            )
        if number is not None:
            if type(number) is not int or number < 0:
                raise InvalidChunkError(
                    "sequence_number must be a non-negative integer", path="$.sequence_number"
                )
            if kind == "response.created" and number != 0:
                raise InvalidChunkError(
                    "response.created has sequence_number 0", path="$.sequence_number"
                )
            if self._next_number is not None and number != self._next_number:
                raise InvalidChunkError(
                    f"sequence_number must be {self._next_number}, one more than the previous",
                    path="$.sequence_number",
                )
            self._next_number = number + 1
        self._events += 1
