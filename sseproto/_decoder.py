"""The incremental Server-Sent Events decoder: bytes in, events out.

Strategy. The WHATWG algorithm ("Interpreting an event stream") is defined line by line, but only
a *blank line* can make anything observable happen (an event, or the end of a block whose ``id`` /
``retry`` take effect). So the decoder works a block at a time:

1. Each read is brought to a single line-end convention first: CRLF and lone CR become LF (a CR
   that ends one read and the LF that starts the next are one line end, handled by a flag).
2. A read with no blank line in it is only appended to a list of pieces (no copying of a growing
   prefix, so any read size stays linear).
3. A read that completes one or more blocks is cut after its last blank line; the pending pieces
   plus that head are joined once, decoded once (UTF-8 with replacement; a line end never falls
   inside a multi-byte sequence, so whole lines decode exactly as the spec's decoder would), and
   interpreted. The common LLM shape, runs of ``data: ...`` + blank line, is recognised and split in
   C; anything else goes through the plain line-by-line interpretation of the spec.

Offsets are tracked in the caller's stream coordinates (before line-end normalisation) so errors
and :meth:`SSEDecoder.event_offset` can say exactly where an event starts.
"""

from __future__ import annotations

from ._errors import EventTooLargeError
from ._events import ServerSentEvent

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder"]

# 16 MiB: real LLM events reach 1 MiB and more (base64 images, large tool results), so the default
# must be generous; it exists so that a stream that never sends a blank line cannot exhaust memory.
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
_LF = 10
_CR = 13


class SSEDecoder:
    """Incremental, sans-I/O decoder for one ``text/event-stream``.

    Feed it the bytes of a stream in reads of any size with :meth:`feed`, and call :meth:`close` at
    the end of the stream. The events produced never depend on how the bytes were split.

    Args:
        max_event_size: the largest event (or line) in bytes that may be buffered; a larger one
            raises :class:`EventTooLargeError` without being buffered first. ``None`` means no
            limit.

    Raises:
        ValueError: if ``max_event_size`` is not a positive int or None.
    """

    __slots__ = (
        "_block_removed",
        "_block_start",
        "_closed",
        "_dispatched",
        "_error",
        "_head",
        "_last",
        "_last_event_id",
        "_limit",
        "_offset",
        "_pending",
        "_pending_ends_lf",
        "_pieces",
        "_retry",
        "_skip_lf",
    )

    def __init__(self, *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE) -> None:
        if max_event_size is not None and (
            isinstance(max_event_size, bool) or not isinstance(max_event_size, int)
        ):
            raise ValueError(f"max_event_size must be an int or None, not {max_event_size!r}")
        if max_event_size is not None and max_event_size < 1:
            raise ValueError(f"max_event_size must be positive, not {max_event_size}")
        self._limit = max_event_size
        # Stream-level state of the spec.
        self._last_event_id = ""
        self._retry: int | None = None
        # The first bytes of the stream while they could still be a split BOM; None once decided.
        self._head: bytes | None = b""
        # The previous read ended with CR: an LF starting the next read completes that CRLF.
        self._skip_lf = False
        # The unfinished block: LF-normalised pieces, their total size, whether they end with LF,
        # where the block starts in the stream and how many CRLF bytes normalisation removed in it.
        self._pieces: list[bytes] = []
        self._pending = 0
        self._pending_ends_lf = False
        self._block_start = 0
        self._block_removed = 0
        self._offset = 0
        self._dispatched = 0
        self._closed = False
        self._error: EventTooLargeError | None = None
        # The block interpreted by the latest feed(), kept so event_offset() can locate its events:
        # (normalised bytes, stream offset, removed CRLF bytes, index of its first event, count).
        self._last: tuple[bytes, int, int, int, int] = (b"", 0, 0, 0, 0)

    @property
    def last_event_id(self) -> str:
        """The last-event-ID in force after the blocks completed so far ("" if none).

        This is what a reconnecting client sends as ``Last-Event-ID``. An ``id`` takes effect when
        its block ends, also for blocks with no data; an ``id`` in a block left unfinished at the
        end of the stream never does (the spec discards that block).
        """
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds set by the stream, or None if it never set one."""
        return self._retry

    @property
    def offset(self) -> int:
        """How many bytes of the stream have been fed so far."""
        return self._offset

    @property
    def events_dispatched(self) -> int:
        """How many events have been dispatched so far; also the index of the next event."""
        return self._dispatched

    def event_offset(self, index: int) -> int | None:
        """The byte offset in the stream where event number ``index`` (counting from 0) starts.

        Available for the events returned by the latest :meth:`feed` call; None for any other
        index, and for a block that mixed CRLF with other line ends (a stream that does that has
        no single mapping from its normalised text back to its bytes).
        """
        block, start, removed, first, count = self._last
        if not first <= index < first + count:
            return None
        return _stream_position(block, start, removed, _locate_event(block, index - first))

    def feed(self, data: bytes | bytearray | memoryview) -> list[ServerSentEvent]:
        """Decode the next bytes of the stream and return the events they complete.

        Raises:
            EventTooLargeError: an event or line exceeds ``max_event_size``. The events completed
                before it are returned first; the error is raised by this call when nothing
                precedes it, otherwise by the next call.
            RuntimeError: if called after :meth:`close`.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            raise RuntimeError("feed() called after close()")
        data = bytes(data)
        start = self._offset
        self._offset = start + len(data)
        if self._head is not None:
            # Spec: one leading BOM is removed, only at the very start of the stream; it may arrive
            # a byte at a time, so hold back a prefix of it until it is decided.
            data = self._head + data
            start -= len(self._head)
            if len(data) < 3 and _BOM.startswith(data):
                self._head = data
                return []
            self._head = None
            if data.startswith(_BOM):
                data = data[3:]
                start += 3
                self._block_start = start
        if not data:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if data[0] == _LF:
                # The second half of a CRLF whose CR ended the previous read (already a line end).
                data = data[1:]
                start += 1
                if self._pieces:
                    self._block_removed += 1
                else:
                    self._block_start = start
                if not data:
                    return []
        if _CR in data:
            # Spec: CRLF, lone CR and lone LF are all line ends; normalising to LF keeps every
            # later step to one convention. A trailing CR may be the first half of a CRLF.
            self._skip_lf = data[-1] == _CR
            text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        else:
            text = data
        blank = text.rfind(b"\n\n")
        if blank >= 0:
            cut = blank + 2
        elif self._pending_ends_lf and text[0] == _LF:
            cut = 1
        else:
            self._append(text, len(data) - len(text))
            return []
        return self._complete_blocks(data, text, cut, start)

    def close(self) -> list[ServerSentEvent]:
        """Signal the end of the stream.

        Spec: an unfinished final block is discarded, so this never dispatches an event; a valid
        ``retry`` on a complete line of that block still sets the reconnection time. Calling it
        again does nothing.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            return []
        self._closed = True
        self._last = (b"", 0, 0, 0, 0)
        if self._pieces:
            # Everything before the last LF is complete lines (a final CR was normalised to LF).
            lines = b"".join(self._pieces).split(b"\n")[:-1]
            for line in lines:
                name, _, value = line.partition(b":")
                if name == b"retry":
                    self._set_retry(value.decode("utf-8", "replace"))
            self._pieces = []
            self._pending = 0
        return []

    def _append(self, text: bytes, removed: int) -> None:
        """Keep an unfinished part of a block, refusing to buffer past the size limit."""
        size = self._pending + len(text)
        if self._limit is not None and size > self._limit:
            self._error = EventTooLargeError(
                self._limit, offset=self._block_start, event_index=self._dispatched
            )
            self._pieces = []
            raise self._error
        self._pieces.append(text)
        self._pending = size
        self._pending_ends_lf = text[-1] == _LF
        self._block_removed += removed

    def _complete_blocks(
        self, data: bytes, text: bytes, cut: int, start: int
    ) -> list[ServerSentEvent]:
        """Interpret the pending pieces plus ``text[:cut]`` (which ends with a blank line)."""
        rest = text[cut:]
        if len(data) == len(text):
            rest_start = start + cut
            removed_in_rest = 0
        else:
            rest_start = start + len(data) - _stream_length(data, rest)
            removed_in_rest = start + len(data) - rest_start - len(rest)
        head = text[:cut]
        if self._pieces:
            self._pieces.append(head)
            block = b"".join(self._pieces)
        else:
            block = head
        block_start = self._block_start
        removed = self._block_removed + (len(data) - len(text)) - removed_in_rest
        first = self._dispatched

        interpreted = block
        too_large = None
        limit = self._limit
        if limit is not None and len(block) > limit:
            oversized = _find_oversized(block, limit)
            if oversized is not None:
                interpreted = block[:oversized]
                too_large = EventTooLargeError(
                    limit, offset=_stream_position(block, block_start, removed, oversized)
                )
        events = self._interpret(interpreted)
        self._dispatched = first + len(events)
        self._last = (block, block_start, removed, first, len(events))

        self._pieces = []
        self._pending = 0
        self._pending_ends_lf = False
        self._block_start = rest_start
        self._block_removed = 0
        try:
            if too_large is not None:
                too_large.event_index = self._dispatched
                self._error = too_large
                raise too_large
            if rest:
                self._append(rest, removed_in_rest)
        except EventTooLargeError:
            # Nothing is lost: the events completed before the oversized one come out first.
            if not events:
                raise
        return events

    def _interpret(self, block: bytes) -> list[ServerSentEvent]:
        """Interpret whole blocks (``block`` ends with a blank line) and return their events."""
        text = block.decode("utf-8", "replace")
        if text.startswith("data: "):
            # Fast path: nothing but "data: <value>" + blank line, repeated. Splitting on the
            # separator is exact when the only LFs are the separators' own.
            values = text[6:-2].split("\n\ndata: ")
            if text.count("\n") == 2 * len(values):
                last_event_id = self._last_event_id
                return [ServerSentEvent("message", value, last_event_id) for value in values]
        return self._interpret_lines(text)

    def _interpret_lines(self, text: str) -> list[ServerSentEvent]:
        """The spec's line-by-line interpretation of whole blocks."""
        events: list[ServerSentEvent] = []
        data: list[str] = []
        event_type = ""
        last_event_id = self._last_event_id
        block_retry: int | None = None
        lines = text.split("\n")
        lines.pop()  # the empty string after the final LF
        for line in lines:
            if not line:
                # Spec "dispatch the event": nothing is fired for an empty data buffer.
                if data:
                    events.append(
                        ServerSentEvent(
                            event_type or "message", "\n".join(data), last_event_id, block_retry
                        )
                    )
                    data = []
                event_type = ""
                block_retry = None
                continue
            if line[0] == ":":
                continue  # a comment
            # Spec: split at the first colon and drop exactly one space after it.
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event_type = value
            elif name == "id":
                if "\0" not in value:
                    last_event_id = value
            elif name == "retry" and self._set_retry(value):
                block_retry = self._retry
        self._last_event_id = last_event_id
        return events

    def _set_retry(self, value: str) -> bool:
        """Spec: only a non-empty run of ASCII digits sets the reconnection time."""
        # Longer digit runs than int() accepts by default (centuries of milliseconds) are ignored.
        if value.isascii() and value.isdigit() and len(value) <= 4000:
            self._retry = int(value)
            return True
        return False


def _stream_length(data: bytes, normalised_suffix: bytes) -> int:
    """How many bytes at the end of ``data`` normalise to ``normalised_suffix``.

    ``data`` holds CRs; the suffix starts right after a line end. Each CRLF in the original suffix
    is one byte longer than its normalised LF, so grow the guess until it counts its own CRLFs.
    """
    crlfs = 0
    while True:
        length = len(normalised_suffix) + crlfs
        counted = data.count(b"\r\n", len(data) - length)
        if counted == crlfs:
            return length
        crlfs = counted


def _stream_position(block: bytes, start: int, removed: int, position: int) -> int | None:
    """Map ``position`` in a normalised block back to the stream, or None if that is ambiguous.

    ``removed`` bytes (one per CRLF) were dropped from the block when it was normalised. With none,
    positions are unchanged; when every line end was a CRLF, each LF before ``position`` stands for
    two bytes; a mix of CRLF and other line ends cannot be mapped without the original bytes.
    """
    if removed == 0:
        return start + position
    if removed == block.count(b"\n"):
        return start + position + block.count(b"\n", 0, position)
    return None


def _find_oversized(block: bytes, limit: int) -> int | None:
    """Where the first event of ``block`` larger than ``limit`` starts, or None."""
    position = 0
    for part in block.split(b"\n\n"):
        if len(part) > limit:
            return position + len(part) - len(part.lstrip(b"\n"))
        position += len(part) + 2
    return None


def _locate_event(block: bytes, number: int) -> int:
    """The offset in ``block`` where its dispatched event ``number`` (from 0) starts."""
    position = 0
    block_start = 0
    has_data = False
    for line in block.split(b"\n"):
        if not line:
            if has_data:
                if number == 0:
                    return block_start
                number -= 1
            has_data = False
            block_start = position + 1
        elif line.partition(b":")[0] == b"data":
            has_data = True
        position += len(line) + 1
    raise AssertionError("event not in block")
