"""The incremental Server-Sent Events decoder: bytes in, events out.

Strategy. The WHATWG algorithm ("Interpreting an event stream") is defined line by line, but only
a *blank line* makes anything observable happen (an event is dispatched, or a block's ``id`` takes
effect). So the decoder works a block at a time:

1. A read with no blank line in it is only appended to a list of pieces: no copying of a growing
   prefix, so any read size stays linear. Runs of small reads are merged into one piece, so the
   unfinished block costs about its own size whatever the read sizes (an object per read would
   cost many times a read of a few bytes).
2. A read that completes one or more blocks is cut just after its last blank line. The pending
   pieces plus that head are joined once, decoded once (UTF-8 with replacement: a line end never
   falls inside a multi-byte sequence, so whole lines decode exactly as the spec's decoder would)
   and interpreted, a segment of about 64 KiB of whole blocks at a time when there is more, so
   the temporary objects of one huge read stay bounded. The common LLM shape, runs of
   ``data: ...`` + blank line with LF or CRLF line ends, is recognised and split in C; anything
   else goes through the plain line-by-line interpretation of the spec.
3. A read of that shape (the chat wire) skips the cut: the unfinished block and the read are
   split at once, and the last part is the new unfinished block. A small read that completes
   one block of one data line (what most small reads that complete anything do) is proved so
   by one byte search and decoded without the general machinery.

Bytes are kept as received (line ends are not rewritten), so every position the decoder knows is a
position in the caller's stream: errors and :meth:`SSEDecoder.event_offset` are exact.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

from .display import call_repr
from .errors import EventTooLargeError
from .events import ServerSentEvent

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "MAX_RETRY", "CommentHook", "SSEDecoder", "not_bytes"]

# What the decoder calls with each comment's text (see SSEDecoder); what it returns is ignored.
CommentHook = Callable[[str], object]

# 16 MiB: real LLM events reach 1 MiB and more (base64 images, large tool results), so the default
# must be generous; it exists so that a stream that never sends a blank line cannot exhaust memory.
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024

# The longest reconnection time kept, in milliseconds (about 292 million years): the largest signed
# 64-bit integer, which every client's timer arithmetic holds. A longer all-digit retry is clamped
# to it, so it still says "wait as long as you can" rather than being lost.
MAX_RETRY = 2**63 - 1
# Its digit count: so few digits convert under any int/str digit limit the interpreter may set.
_MAX_RETRY_DIGITS = len(str(MAX_RETRY))

_BOM = b"\xef\xbb\xbf"
_LF = 10
_CR = 13
_D = ord("d")
# An unfinished block's pieces are merged in runs of _MERGED_READS when their reads average under
# _SMALL_READ bytes (see SSEDecoder._merge_small_reads).
_MERGED_READS = 64
_SMALL_READ = 256
# Larger runs of complete blocks are interpreted in segments of about this size: big enough that
# the per-segment cost vanishes, small enough that a segment's temporary objects stay small.
_SEGMENT = 64 * 1024
# Reads from this size up are split whole when they are of the chat wire (see _data_only_read).
# A smaller read completes an event or two: splitting it whole saves nothing, and the reads that
# end inside a blank line, which the split gives back to the cut, made 1-64 byte reads 4% slower.
_WHOLE_READ = 1024
_new_event = ServerSentEvent.__new__
# One line with its line end (spec: CRLF, lone CR or lone LF). Used off the hot path only.
_LINE = re.compile(rb"([^\r\n]*)(?:\r\n|\r|\n)")


def not_bytes(value: object) -> TypeError:
    """The error for a read of a stream that is not bytes-like: a stream's body is bytes, and
    text (``iter_text()``) has lost what decoding needs."""
    if isinstance(value, str):
        hint = "read the body as bytes (response.iter_bytes(), not iter_text() or iter_lines())"
    elif isinstance(value, ServerSentEvent):
        hint = "pass the body's bytes, not the events decoded from them"
    elif isinstance(value, dict):
        hint = "pass the body's bytes, not the payloads parsed from them"
    elif hasattr(value, "model_dump"):
        # A pydantic model: the chunk objects the openai and anthropic SDKs stream.
        hint = (
            "pass the body's bytes, not the objects an SDK parsed from them (the SDK's "
            "with_streaming_response gives the raw body: response.iter_bytes())"
        )
    else:
        hint = "pass the body's bytes"
    return TypeError(
        f"a stream read must be bytes, bytearray or memoryview, not {type(value).__name__}: {hint}"
    )


class SSEDecoder:
    """Incremental, sans-I/O decoder for one ``text/event-stream``.

    Feed it the bytes of a stream in reads of any size with :meth:`feed`, and call :meth:`close` at
    the end of the stream. The events produced never depend on how the bytes were split.

    Args:
        max_event_size: the largest event in bytes: its lines (comments and fields included)
            with their line ends, plus one for the blank line that ends it (one whether it is
            written CR, LF or CRLF, so the size never depends on how the reads were split). A
            larger event, or a line that would make one, raises :class:`EventTooLargeError`
            without being buffered first. ``None`` means no limit.
        on_comment: called with the text of each comment line (``: keep-alive`` gives
            ``"keep-alive"``: what follows the colon, less one leading space, as for a field),
            in stream order, when the block holding it ends (its blank line arrives), during
            the :meth:`feed` that completes it: before that call returns its events. Comments
            dispatch nothing (the spec ignores them); servers send them to keep a connection
            alive, which is what a liveness display wants to see. The hook should not raise:
            an exception it raises propagates from :meth:`feed`, and the events of that read
            are lost.

    Raises:
        ValueError: if ``max_event_size`` is not a positive int or None.
        TypeError: if ``on_comment`` is neither callable nor None.
    """

    __slots__ = (
        "_block_start",
        "_closed",
        "_dispatched",
        "_failure",
        "_guarded",
        "_head",
        "_last",
        "_last_event_id",
        "_limit",
        "_located",
        "_merge_at",
        "_on_comment",
        "_pending",
        "_pieces",
        "_retry",
        "_texts",
    )

    def __init__(
        self,
        *,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        on_comment: CommentHook | None = None,
    ) -> None:
        if on_comment is not None and not callable(on_comment):
            raise TypeError(f"on_comment must be callable or None, not {on_comment!r}")
        self._on_comment = on_comment
        if max_event_size is not None and (
            isinstance(max_event_size, bool) or not isinstance(max_event_size, int)
        ):
            raise ValueError(f"max_event_size must be an int or None, not {max_event_size!r}")
        if max_event_size is not None and max_event_size < 1:
            raise ValueError(f"max_event_size must be positive, not {max_event_size}")
        # An int bound on the hot path; the largest index is as unbounded as memory can be.
        self._limit = sys.maxsize if max_event_size is None else max_event_size
        # Stream-level state of the spec.
        self._last_event_id = ""
        self._retry: int | None = None
        # The first bytes of the stream while they could still be a split BOM.
        self._head = b""
        # True until the BOM is decided, and again once the decoder has failed or closed.
        self._guarded = True
        # The unfinished block: its pieces, their total size and where it starts in the stream;
        # and how many pieces there will be when the latest reads are next merged.
        self._pieces: list[bytes] = []
        self._pending = 0
        self._merge_at = _MERGED_READS
        self._block_start = 0
        self._dispatched = 0
        self._closed = False
        # Set once the decoder cannot go on: an oversized event, or feed() after close().
        self._failure: Exception | None = None
        # The blocks interpreted by the latest feed(), kept so event_offset() can locate their
        # events: (bytes, how many of them are whole blocks (the rest is the unfinished block),
        # stream offset, index of the first event); their events end at _dispatched.
        self._last: tuple[bytes, int, int, int] = (b"", 0, 0, 0)
        # The stream offsets of the events of _last, computed when first asked for.
        self._located: tuple[tuple[bytes, int, int, int], list[int]] = (self._last, [])
        # True once _texts_feed() is called: the data-only fast paths then give texts, not events.
        self._texts = False

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
        """The reconnection time in milliseconds set by the stream, or None if it never set one.

        Like :attr:`last_event_id` it reflects the blocks completed so far; :meth:`close` also
        applies a ``retry`` line of the unfinished block, as the spec does at the end of a stream.
        """
        return self._retry

    @property
    def offset(self) -> int:
        """How many bytes of the stream the decoder has consumed (all those fed, until it fails)."""
        # Every byte is either before the unfinished block, in it, or held back as a BOM prefix.
        return self._block_start + self._pending + len(self._head)

    @property
    def events_dispatched(self) -> int:
        """How many events have been dispatched so far; also the index of the next event."""
        return self._dispatched

    def __repr__(self) -> str:
        # Where the stream is, as a person debugging it asks: the settings only when not the
        # defaults, the state only when the decoder can take no more.
        fields: list[tuple[str, object]] = [
            ("offset", self.offset),
            ("events_dispatched", self._dispatched),
        ]
        if self._last_event_id:
            fields.append(("last_event_id", self._last_event_id))
        if self._retry is not None:
            fields.append(("retry", self._retry))
        if self._pending and self._failure is None:
            fields.append(("buffered", self._pending))  # the unfinished event's bytes
        limit = None if self._limit == sys.maxsize else self._limit
        if limit != DEFAULT_MAX_EVENT_SIZE:
            fields.append(("max_event_size", limit))
        if self._closed:
            fields.append(("state", "closed"))
        elif self._failure is not None:
            fields.append(("state", "failed"))
        return call_repr("SSEDecoder", fields, omit_empty=False)

    def event_offset(self, index: int) -> int | None:
        """The byte offset in the stream where event number ``index`` (counting from 0) starts.

        Available for the events returned by the latest :meth:`feed` call; None for other indexes.
        An event starts at the first line of its block (an ``id:`` or comment line before its
        ``data:`` belongs to it).
        """
        block, end, start, first = self._last
        if not first <= index < self._dispatched:
            return None
        located, starts = self._located
        if located is not self._last:
            # Found once per read on the first question, so asking for every event stays linear.
            starts = [start + at for at, has_data, _ in _blocks(block, end) if has_data]
            self._located = (self._last, starts)
        return starts[index - first]

    def feed(self, data: bytes | bytearray | memoryview) -> list[ServerSentEvent]:
        """Decode the next bytes of the stream and return the events they complete.

        Raises:
            EventTooLargeError: an event or line exceeds ``max_event_size``. The events completed
                before it are returned first; the error is raised by this call when nothing
                precedes it, otherwise by the next call (and by every call after that).
            RuntimeError: if called after :meth:`close`.
            TypeError: ``data`` is not bytes-like (a ``str``, an int, ...).
        """
        if data.__class__ is not bytes:
            if not isinstance(data, bytearray | memoryview):
                raise not_bytes(data)
            data = bytes(data)
        if self._guarded:
            data = self._pass_guard(data)
        if _LF in data or _CR in data:
            if len(data) >= _WHOLE_READ and len(self._pieces) < 2:
                events = self._data_only_read(data)
                if events is not None:
                    return events
            cut = _crlf_blank_line_end(data) if _CR in data else data.rfind(b"\n\n") + 2
            if cut >= 2:
                return self._one_message(data, cut) or self._complete_blocks(data, cut)
            # The blank line may straddle the reads: a line end ending the pending bytes and a
            # second one starting this read (LF then LF or CR, or CR then CR; CR then LF is one
            # CRLF line end, so it needs a third byte, which the search above already saw).
            end = self._pieces[-1][-1] if self._pieces else 0
            first = data[0]
            if (end == _LF and first in (_LF, _CR)) or (end == _CR and first == _CR):
                return self._complete_blocks(data, 2 if data[:2] == b"\r\n" else 1)
        elif not data:
            return []
        # No blank line yet (the usual read when reads are small): keep the bytes for later.
        size = self._pending + len(data)
        if size >= self._limit:
            # Line ends before an event's first line are blank lines, not part of the event; the
            # blank line still to come will add one to its size.
            pending = b"".join(self._pieces)
            skipped = _leading_line_ends(pending)
            if skipped == len(pending):
                skipped += _leading_line_ends(data)
            if size - skipped >= self._limit:
                raise self._fail(self._block_start + skipped)
        pieces = self._pieces
        pieces.append(data)
        self._pending = size
        if len(pieces) >= self._merge_at:
            self._merge_small_reads()
        return []

    def _texts_feed(self) -> Callable[[bytes | bytearray | memoryview], list[Any]]:
        """Make this decoder's :meth:`feed` give, for good, what a reader that needs only the
        data of the commonest events wants, and return it: when the events a read completes are
        all decoded by the data-only fast path (blocks of one ``data:`` line, the chat wire),
        their data as ``str``, each standing for a :class:`ServerSentEvent` of type
        ``"message"`` with the id :attr:`last_event_id` and no retry; otherwise the events, as
        :meth:`feed` returns them. Everything else is as :meth:`feed` does it: the bytes
        consumed, the offsets, the size limit, the ids, the errors.

        Building an event object costs about as much as decoding its data; a reader that reads
        most events' data only (an accumulator) skips that cost. For good, rather than a method
        setting and clearing the mode around each feed: that call and its ``try`` were paid by
        every read, most of them completing a single event when reads are small. Private: an
        engine owns its decoder and asks nothing else of it, and the mixed result is no API to
        promise.
        """
        # The data-only fast paths give texts (_messages, _one_message), all of them or none.
        self._texts = True
        return self.feed

    def _data_only_read(self, data: bytes) -> list[ServerSentEvent] | None:
        """The fast path of a read of a data-only stream with LF or CRLF line ends (the chat
        wire); None when the read and the unfinished block before it are not of that shape.

        They are joined and split at every separator at once: the parts are the values, but the
        last one, which is the new unfinished block (less its "data: ") unless the read ended
        with a blank line. Exact when no part holds a line end but the final blank line: then
        every block is one data line and a blank line, and the unfinished one holds no line
        end yet. Valid UTF-8 is decoded strictly, as on the other fast paths.
        """
        pieces = self._pieces
        # Its first bytes first: another stream's read is refused before anything is copied.
        head = pieces[0] if pieces else data
        if not head.startswith(b"data: ") and not (
            pieces and (head[:6] + data[:6]).startswith(b"data: ")
        ):
            return None
        buffer = head + data if pieces else data
        if len(buffer) > _SEGMENT or len(buffer) >= self._limit:
            return None
        crlf = _CR in buffer
        blank = b"\r\n\r\n" if crlf else b"\n\n"
        values = buffer.split(blank + b"data: ")
        tail = values.pop()
        joined = b"".join(values)
        if _LF in joined or (crlf and _CR in joined):
            return None
        if _LF not in tail and _CR not in tail:
            # Then values is not empty: the read holds a line end, so the tail is not all.
            rest = b"data: " + tail
        else:
            # The read ends after the last blank line, maybe within the separator after it.
            last, found, rest = tail.partition(blank)
            if not found or _LF in last or _CR in last or _LF in rest or _CR in rest:
                return None
            values.append(last)
        values[0] = values[0][6:]
        events = self._messages(values)
        if events is None:
            return None
        start = self._block_start
        self._block_start = start + len(buffer) - len(rest)
        self._pending = len(rest)
        self._pieces = [rest] if rest else []
        self._merge_at = _MERGED_READS
        first = self._dispatched
        self._dispatched = first + len(events)
        self._last = (buffer, len(buffer) - len(rest), start, first)
        return events

    def _one_message(self, data: bytes, cut: int) -> list[Any] | None:
        """The fast path of a read that completes one block of one data line, with LF or CRLF
        line ends (a small read of the chat wire); None for any other. After :meth:`_texts_feed`,
        its data alone.

        ``data[:cut]`` ends with a blank line, so the unfinished block plus it is one such block
        exactly when its first line end is the one its blank line starts with (for CRLF, its
        first CR and its first LF). Anything over the size limit is left to the general path,
        which tells where it fails.
        """
        pieces = self._pieces
        if (pieces[0] if pieces else data)[0] != _D:
            return None  # a block of another stream (event:, id:, a comment): nothing copied
        if pieces:
            pieces.append(data[:cut])
            block = b"".join(pieces)
            del pieces[-1]
        else:
            block = data[:cut]
        size = len(block)
        if block.find(b"\n") == size - 2:
            if _CR in block:
                return None
            end = size - 2
        elif block.find(b"\r") == size - 4 and block.find(b"\n") == size - 3:
            end = size - 4
        else:
            return None
        if block[:6] != b"data: " or size > self._limit:
            return None
        try:
            value = block[6:end].decode()
        except UnicodeDecodeError:
            return None
        rest = data[cut:]
        if len(rest) >= self._limit:
            return None
        pieces.clear()
        if rest:
            pieces.append(rest)
        self._pending = len(rest)
        self._merge_at = _MERGED_READS
        start = self._block_start
        self._block_start = start + size
        first = self._dispatched
        self._dispatched = first + 1
        self._last = (block, size, start, first)
        if self._texts:
            return [value]  # see _texts_feed
        event = _new_event(ServerSentEvent)
        event.event = "message"
        event.data = value
        event.id = self._last_event_id
        event.retry = None
        return [event]

    def _merge_small_reads(self) -> None:
        """Merge the latest _MERGED_READS pieces into one if they are small reads.

        Kept one by one, reads of a few bytes would cost about 40 bytes each beyond their
        content; merged, the unfinished block costs about its own size whatever the read sizes.
        Each read is merged at most once, so this stays linear.
        """
        pieces = self._pieces
        first = len(pieces) - _MERGED_READS
        latest = pieces[first:]
        if sum(map(len, latest)) < _MERGED_READS * _SMALL_READ:
            pieces[first:] = [b"".join(latest)]
        self._merge_at = len(pieces) + _MERGED_READS

    def _pass_guard(self, data: bytes) -> bytes:
        """Handle what only the first reads can meet: a failed decoder, and a leading BOM."""
        if self._failure is not None:
            raise self._failure
        # Spec: one leading BOM is removed, only at the very start of the stream; it may arrive a
        # byte at a time, so hold back a prefix of it until it is decided.
        data = self._head + data
        if len(data) < 3 and _BOM.startswith(data):
            self._head = data
            return b""
        self._guarded = False
        self._head = b""
        if data.startswith(_BOM):
            data = data[3:]
            self._block_start = 3
        return data

    def close(self) -> list[ServerSentEvent]:
        """Signal the end of the stream.

        Spec: an unfinished final block is discarded, so this never dispatches an event; a valid
        ``retry`` on a complete line of that block still sets the reconnection time (the spec
        applies ``retry`` as soon as its line ends). Calling it again does nothing.

        Raises:
            EventTooLargeError: if the decoder already failed with it.
        """
        if self._closed:
            return []
        if self._failure is not None:
            raise self._failure
        self._closed = True
        self._failure = RuntimeError("feed() called after close()")
        self._guarded = True
        self._last = (b"", 0, 0, self._dispatched)
        unfinished = b"".join(self._pieces)
        # Only lines with a line end count (at the end of the stream a final CR is one).
        complete = unfinished[: max(unfinished.rfind(b"\n"), unfinished.rfind(b"\r")) + 1]
        for line in complete.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"):
            name, _, value = line.partition(b":")
            if name == b"retry":
                self._set_retry(_field_value(value.decode("utf-8", "replace")))
        self._pieces = []
        return []

    def _fail(self, offset: int | None) -> EventTooLargeError:
        """Record that an event at ``offset`` is over the limit; the decoder stops there."""
        self._failure = EventTooLargeError(self._limit, offset=offset, event_index=self._dispatched)
        self._guarded = True
        self._pieces = []
        return self._failure

    def _complete_blocks(self, data: bytes, cut: int) -> list[ServerSentEvent]:
        """Interpret the pending pieces plus ``data[:cut]``, which ends with a blank line."""
        if cut == len(data):
            head = data
            rest = b""
        else:
            head = data[:cut]
            rest = data[cut:]
        pieces = self._pieces
        if pieces:
            pieces.append(head)
            block = b"".join(pieces)
            pieces.clear()
            self._merge_at = _MERGED_READS
        else:
            block = head
        block_start = self._block_start
        self._block_start = block_start + len(block)
        self._pending = len(rest)
        first = self._dispatched
        limit = self._limit
        oversized = _find_oversized(block, limit) if len(block) > limit else None
        complete = block if oversized is None else block[:oversized]
        if len(complete) > _SEGMENT:
            events = self._interpret_segments(complete)
        else:
            events = self._interpret(complete)
        self._dispatched = first + len(events)
        self._last = (block, len(block), block_start, first)
        if oversized is None and (
            self._pending < limit or self._pending - _leading_line_ends(rest) < limit
        ):
            if rest:
                pieces.append(rest)
            return events
        if oversized is not None:
            failure = self._fail(block_start + oversized)
        else:
            failure = self._fail(self._block_start + _leading_line_ends(rest))
        # Nothing is lost: the events completed before the oversized one come out first, and
        # the error with the next call.
        if not events:
            raise failure
        return events

    def _interpret_segments(self, block: bytes) -> list[ServerSentEvent]:
        """Interpret a large ``block`` a segment of whole blocks at a time.

        One read can hold a million tiny events; interpreted at once, their temporary lines and
        values would cost many times the read. A segment ends at the first blank line at least
        ``_SEGMENT`` bytes after its start, so it holds one event of any size or many small ones.
        """
        events: list[ServerSentEvent] = []
        size = len(block)
        has_cr = _CR in block
        start = 0
        # Events only, even after _texts_feed(): segments of other shapes would mix them with
        # texts.
        texts, self._texts = self._texts, False
        try:
            while start < size:
                end = _segment_end(block, start + _SEGMENT, has_cr)
                events += self._interpret(block if end - start == size else block[start:end])
                start = end
        finally:
            self._texts = texts
        return events

    def _messages(self, values: list[bytes]) -> list[Any] | None:
        """The events of the values of data-only blocks (:func:`_messages`); after
        :meth:`_texts_feed`, their data alone (its reader knows what they stand for).
        None if one is not valid UTF-8."""
        if not self._texts:
            return _messages(values, self._last_event_id)
        try:
            return list(map(bytes.decode, values))
        except UnicodeDecodeError:
            return None

    def _interpret(self, block: bytes) -> list[ServerSentEvent]:
        """Interpret whole blocks (``block`` ends with a blank line) and return their events."""
        if block.startswith(b"data: "):
            # Fast path: nothing but "data: <value>" + blank line, repeated, all with LF or all
            # with CRLF line ends. Splitting on the separator gives the values (less the first
            # "data: " and the final blank line, sliced off the end values rather than the whole
            # block); it is exact when no value holds a line end (then every event is one data
            # line and a blank line). Each value decodes alone exactly as in the whole block: a
            # line end always ends a UTF-8 sequence. Valid UTF-8 decodes the same strictly, and
            # faster; any invalid byte sends the block to the line-by-line path, which replaces
            # it as the spec does.
            values: list[bytes] = []
            if _CR not in block:
                values = block.split(b"\n\ndata: ")
                blank = 2
            elif block.endswith(b"\r\n\r\n"):
                values = block.split(b"\r\n\r\ndata: ")
                blank = 4
            if values:
                if len(values) == 1:
                    values[0] = block[6:-blank]
                else:
                    values[0] = values[0][6:]
                    values[-1] = values[-1][:-blank]
                joined = b"".join(values)
                if _LF not in joined and (blank == 2 or _CR not in joined):
                    events = self._messages(values)
                    if events is not None:
                        return events
        elif block.startswith(b"event: "):
            typed = self._interpret_typed(block)
            if typed is not None:
                return typed
        return self._interpret_lines(block.decode("utf-8", "replace"))

    def _interpret_typed(self, block: bytes) -> list[ServerSentEvent] | None:
        """Fast path for typed events (the Anthropic and OpenAI Responses wire); None if not.

        The shape: "event: <type>", "data: <value>" and a blank line, repeated, all with LF or
        all with CRLF line ends. Splitting at "<blank line>event: " gives one part per block.
        Counting proves the shape: n parts hold 3n line ends (two in each separator and the
        final blank line) only if the parts hold n between them, and each must hold the one
        that starts its "<line end>data: ", so that is all they hold: every block is exactly
        those two lines. Types and values decode alone exactly as in the whole block (a line
        end or a space always ends a UTF-8 sequence); strictly, as in the data-only path.
        """
        if _CR not in block:
            parts = block[7:-2].split(b"\n\nevent: ")
            separator = b"\ndata: "
            line_ends = block.count(b"\n")
        elif block.endswith(b"\r\n\r\n"):
            parts = block[7:-4].split(b"\r\n\r\nevent: ")
            separator = b"\r\ndata: "
            line_ends = block.count(b"\r\n")
            if not block.count(b"\r") == block.count(b"\n") == line_ends:
                return None  # a lone CR or LF
        else:
            return None
        if line_ends != 3 * len(parts):
            return None
        last_event_id = self._last_event_id
        events: list[ServerSentEvent] = []
        append = events.append
        try:
            for part in parts:
                name, found, value = part.partition(separator)
                if not found:
                    return None
                # Built without calling __init__: a Python-level call costs a tenth of the time
                # of the whole path here. Every slot is set, as __init__ sets them.
                event = _new_event(ServerSentEvent)
                event.event = name.decode() or "message"
                event.data = value.decode()
                event.id = last_event_id
                event.retry = None
                append(event)
        except UnicodeDecodeError:
            return None
        return events

    def _interpret_lines(self, text: str) -> list[ServerSentEvent]:
        """The spec's line-by-line interpretation of whole blocks."""
        events: list[ServerSentEvent] = []
        data: list[str] = []
        event_type = ""
        last_event_id = self._last_event_id
        block_retry: int | None = None
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        lines.pop()  # the empty string after the final line end
        for line in lines:
            if line[:6] == "data: ":  # by far the most common line: skip the general split
                data.append(line[6:])
                continue
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
                # A comment. The fast paths above only take blocks without one, so every
                # comment of the stream passes here.
                if self._on_comment is not None:
                    self._on_comment(_field_value(line[1:]))
                continue
            name, _, value = line.partition(":")
            value = _field_value(value)
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
        """Spec: only a non-empty run of ASCII digits sets the reconnection time.

        Values over :data:`MAX_RETRY` are clamped to it. Only short digit runs reach ``int()``,
        so no digit limit the interpreter may set (``sys.set_int_max_str_digits``) can fail it.
        """
        if not (value.isascii() and value.isdigit()):
            return False
        digits = value.lstrip("0") or "0"
        self._retry = min(int(digits), MAX_RETRY) if len(digits) <= _MAX_RETRY_DIGITS else MAX_RETRY
        return True


def _messages(values: list[bytes], last_event_id: str) -> list[ServerSentEvent] | None:
    """A "message" event for each value, decoded strictly; None if one is not valid UTF-8."""
    events: list[ServerSentEvent] = []
    append = events.append
    try:
        for value in values:
            # Built without calling __init__: a Python-level call costs a tenth of the time of
            # the whole path here. Every slot is set, as __init__ sets them.
            event = _new_event(ServerSentEvent)
            event.event = "message"
            event.data = value.decode()
            event.id = last_event_id
            event.retry = None
            append(event)
    except UnicodeDecodeError:
        return None
    return events


def _field_value(value: str) -> str:
    """Spec: the value is everything after the first colon, less exactly one leading space."""
    return value[1:] if value[:1] == " " else value


def _leading_line_ends(data: bytes) -> int:
    """How many bytes of blank lines ``data`` starts with (they are not part of the next event)."""
    return len(data) - len(data.lstrip(b"\r\n"))


def _blank_line_end(data: bytes, start: int = 0, stop: int | None = None) -> int:
    """The index just past the last blank line in ``data[start:stop]``, or -1 if none.

    A blank line is two line ends in a row: LF LF, CR CR, or LF CR (CRLF CRLF contains that). The
    second line end starts one byte after the pattern's start; a CR there may be half of a CRLF,
    whose LF (if ``data`` has it) is taken too.
    """
    if stop is None:
        stop = len(data)
    found = data.rfind(b"\n\r", start, stop)
    after = max(found + 1, start)
    found = max(found, data.rfind(b"\n\n", after, stop), data.rfind(b"\r\r", after, stop))
    if found < 0:
        return -1
    end = found + 2
    if data[found + 1] == _CR and data[end : end + 1] == b"\n":
        end += 1
    return end


def _crlf_blank_line_end(data: bytes) -> int:
    """:func:`_blank_line_end` of ``data``, found at the cost of one search when, as in a CRLF
    stream, the last line ends of ``data`` are CRLF CRLF with no line end after them."""
    end = data.rfind(b"\r\n\r\n") + 4
    if end >= 4 and data.find(b"\n", end) < 0 and data.find(b"\r", end) < 0:
        return end
    return _blank_line_end(data)


def _segment_end(block: bytes, position: int, has_cr: bool) -> int:
    """The end of a blank line in ``block`` (which ends with one) at or after ``position``.

    Any blank line will do, so the search reads each byte about once: LF by LF (a memchr) when
    the block has no CR, else in windows that double in size.
    """
    size = len(block)
    if position > size - 2:
        return size
    if not has_cr:
        while True:
            found = block.find(b"\n", position)
            if block[found + 1] == _LF:
                return found + 2
            position = found + 1
    width = _SEGMENT
    while True:
        stop = position + width
        if stop >= size:
            return size
        end = _blank_line_end(block, position, stop)
        if end >= 0:
            return end
        position, width = stop, width * 2


def _blocks(block: bytes, end: int | None = None) -> Iterator[tuple[int, bool, int]]:
    """Yield (start, has_data, blank) for each blank-line-terminated block in ``block[:end]``.

    The block's lines run from ``start`` to ``blank``, where its blank line starts. A lone blank
    line is a block with ``start == blank``.
    """
    start = 0
    has_data = False
    # Bounded by end, not by slicing: an unfinished line after it is never searched (the line
    # pattern fails on it at every position, quadratic in its length).
    for match in _LINE.finditer(block, 0, len(block) if end is None else end):
        line = match.group(1)
        if not line:
            yield start, has_data, match.start()
            start = match.end()
            has_data = False
        elif line.partition(b":")[0] == b"data":
            has_data = True


def _find_oversized(block: bytes, limit: int) -> int | None:
    """Where the first event in ``block`` larger than ``limit`` bytes starts, or None."""
    for start, _, blank in _blocks(block):
        if blank - start + 1 > limit:  # see SSEDecoder: the blank line counts as one byte
            return start
    return None
