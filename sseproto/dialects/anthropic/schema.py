"""Strict mode: the grammar of an Anthropic Messages stream, checked event by event.

::

    stream := message_start ( ping | block )* message_delta+ message_stop
    block  := content_block_start(i) ( ping | content_block_delta(i) )* content_block_stop(i)

Each rule raises an :class:`InvalidChunkError` naming it. Unknown event, delta and block types are
never rejected: the API adds them without notice. Every real recording passes these rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kit.errors import InvalidChunkError
from .blocks import BlockState

__all__ = ["TOKEN_LIMIT_STOPS", "StrictChecker"]

TOKEN_LIMIT_STOPS = frozenset({"max_tokens", "model_context_window_exceeded"})
"""The stop reasons under which the API leaves the last block open, its JSON unclosed."""

# The block types each known delta type fits; a tool-input block is any that tracks input.
_DELTA_FITS = {
    "text_delta": "text",
    "citations_delta": "text",
    "thinking_delta": "thinking",
    "signature_delta": "thinking",
    "compaction_delta": "compaction",
}


class StrictChecker:
    """The grammar state of one stream: what strict mode needs to know beyond the message."""

    __slots__ = ("_blocks_started", "_deltas", "_started", "_unparsable")

    def __init__(self) -> None:
        self._started = False
        self._blocks_started = 0
        self._deltas = 0
        # Blocks stopped with input that does not parse: an error unless the stop reason is a
        # token limit, which only message_delta tells.
        self._unparsable: list[int] = []

    def event_name(self, name: str, payload: Any) -> None:
        """The SSE event name, when present, equals the payload's ``type``."""
        if name != "message" and (type(payload) is not dict or payload.get("type") != name):
            kind = payload.get("type") if type(payload) is dict else None
            raise InvalidChunkError(
                f"the SSE event name {name!r} must equal the payload's type {kind!r}", path="$.type"
            )

    def known_event(self, kind: str) -> None:
        """Every event of the grammar comes after ``message_start``."""
        if not self._started:
            raise InvalidChunkError(
                f"the first event must be message_start, not {kind}", path="$.type"
            )

    def message_start(self) -> None:
        """``message_start`` is sent once."""
        if self._started:
            raise InvalidChunkError("message_start is sent once", path="$.type")
        self._started = True

    def block_start(self, index: int) -> None:
        """Blocks start in ``index`` order, 0, 1, ..., before ``message_delta``."""
        self.known_event("content_block_start")
        if self._deltas:
            raise InvalidChunkError("no block starts after message_delta", path="$.type")
        if index != self._blocks_started:
            raise InvalidChunkError(
                f"content_block_start index must be {self._blocks_started}, the number of blocks"
                " started so far",
                path="$.index",
            )
        self._blocks_started += 1

    def missing_block(self, index: int) -> None:
        """A delta names a block that was never started."""
        self.known_event("content_block_delta")
        raise InvalidChunkError(
            f"content_block_delta names block {index}, never started", path="$.index"
        )

    def block_delta(self, index: int, block: BlockState, kind: Any) -> None:
        """A delta names an open block, and a known delta type fits that block's type."""
        self.known_event("content_block_delta")
        if block.stopped:
            raise InvalidChunkError(
                f"content_block_delta names block {index}, already stopped", path="$.index"
            )
        if kind == "input_json_delta":
            fits = block.tracks_input
        else:
            wanted = _DELTA_FITS.get(kind) if isinstance(kind, str) else None
            fits = wanted is None or wanted == block.type
        if not fits:
            raise InvalidChunkError(
                f"a {kind} does not fit a {block.type or 'untyped'} block", path="$.delta.type"
            )

    def block_stop(self, index: int, block: BlockState | None) -> None:
        """``content_block_stop`` names a block started and not yet stopped."""
        self.known_event("content_block_stop")
        if block is None or block.stopped:
            state = "never started" if block is None else "already stopped"
            raise InvalidChunkError(
                f"content_block_stop names block {index}, {state}", path="$.index"
            )

    def unparsable_input(self, index: int) -> None:
        """Block ``index`` stopped with tool input that is not JSON."""
        self._unparsable.append(index)

    def message_delta(self, blocks: Mapping[int, BlockState], stop_reason: Any) -> None:
        """Every block stopped before ``message_delta``, but the last under a token limit."""
        self.known_event("message_delta")
        self._deltas += 1
        open_blocks = [index for index, block in blocks.items() if not block.stopped]
        if not open_blocks:
            return
        if stop_reason in TOKEN_LIMIT_STOPS and open_blocks == [max(blocks)]:
            return
        raise InvalidChunkError(
            f"block {open_blocks[0]} is still open at message_delta (stop_reason {stop_reason!r})",
            path="$.delta.stop_reason",
        )

    def message_stop(self, stop_reason: Any) -> None:
        """``message_delta`` precedes ``message_stop``, and tool input parsed unless a token
        limit stopped the message."""
        self.known_event("message_stop")
        if not self._deltas:
            raise InvalidChunkError("message_delta must precede message_stop", path="$.type")
        if self._unparsable and stop_reason not in TOKEN_LIMIT_STOPS:
            raise InvalidChunkError(
                f"the tool input of block {self._unparsable[0]} is not valid JSON (stop_reason"
                f" {stop_reason!r})",
                path="$.type",
            )
