"""What every dialect's engine keeps until its stream shows an event of its dialect, so that a
stream of something else is refused saying what it is, in the same words in every dialect.

An engine fed the wrong stream (another dialect's, a JSON error body, an HTML page, a
non-streaming completion) would otherwise read it as an empty or cut stream of its own. So,
until the first event of its dialect, it hands each payload to a :class:`DialectGuard`, which
refuses another dialect's event, a non-streaming chat completion or sseproto's relay output at
once and remembers the first other payload; and it keeps the body's first bytes while no event
has arrived. If the stream ends with no event of the dialect, :meth:`DialectGuard.not_found`
says what came instead, or what the body was (:func:`.detect.no_event_error`).
"""

from __future__ import annotations

from typing import Any

from ...wire.errors import StreamError
from ...wire.reads import BytesLike
from .detect import DIALECT_TITLES, DIALECTS, HEAD_SIZE, Recognition, describe, no_event_error
from .detect import recognise as recognise_payload
from .errors import UnexpectedStreamError
from .result import Dialect

__all__ = ["DialectGuard", "foreign_dialect_error"]


def foreign_dialect_error(
    found: Dialect,
    expected: Dialect,
    payload: Any,
    *,
    offset: int | None = None,
    event_index: int | None = None,
) -> UnexpectedStreamError:
    """The error for a stream read as ``expected`` whose first event, ``payload``, is of
    another dialect, ``found``."""
    return UnexpectedStreamError(
        f"{DIALECT_TITLES[found]}, not {DIALECT_TITLES[expected]}: its first event is "
        f"{describe(payload)} (read it as that dialect, or with dialect='auto')",
        detected=found,
        offset=offset,
        event_index=event_index,
    )


class DialectGuard:
    """The state of one stream until an event of ``dialect`` arrives (see the module).

    Attributes:
        head: the body's first bytes (at most :data:`.detect.HEAD_SIZE`) while no event has
            arrived, None once one has.
    """

    __slots__ = ("_dialect", "_first_other", "head")

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self.head: bytes | None = b""
        # What the first payload that is no event of the dialect was, in words.
        self._first_other: str | None = None

    def keep_head(self, data: BytesLike, events: int) -> None:
        """Take the next read of the body, after which ``events`` events have arrived in all
        (decoded or fed); called while :attr:`head` is not None."""
        head = self.head
        if events or head is None:
            self.head = None
        elif len(head) < HEAD_SIZE:
            self.head = head + bytes(data[: HEAD_SIZE - len(head)])

    def recognise(self, payload: Any) -> Recognition | None:
        """What ``payload``, the parsed data of an event that came before any of the dialect,
        is (:func:`.detect.recognise`); the first that is none of the dialect is remembered.

        Raises:
            UnexpectedStreamError: ``payload`` is another dialect's event, a non-streaming chat
                completion or a relay update.
        """
        recognised = recognise_payload(payload)
        if recognised == self._dialect:
            return recognised
        found = DIALECTS.get(recognised) if recognised is not None else None
        if found is not None:
            raise foreign_dialect_error(found, self._dialect, payload)
        if recognised in ("chat.completion", "relay"):
            raise UnexpectedStreamError(
                f"not {DIALECT_TITLES[self._dialect]}: its first event is {describe(payload)}"
            )
        if self._first_other is None:
            self._first_other = describe(payload)
        return recognised

    def not_found(self, *, offset: int, events: int, fed: bool) -> StreamError:
        """The error for a stream in which no event of the dialect arrived: what came instead,
        or what the body was when no event came at all.

        Args:
            offset: the bytes of the body consumed.
            events: the events received.
            fed: whether events or payloads were fed one by one (then a zero ``offset`` is no
                position and the error's is None).
        """
        if not events and self.head is not None:
            return no_event_error(self.head, offset)
        found = (
            "only data: [DONE] came"
            if self._first_other is None
            else f"no event of the dialect among its {events} events, the first being "
            f"{self._first_other}"
        )
        return UnexpectedStreamError(
            f"not {DIALECT_TITLES[self._dialect]}: {found}",
            offset=None if fed and not offset else offset,
            event_index=events,
        )
