"""A plain, line-by-line reading of WHATWG "Interpreting an event stream", used as a test oracle.

It takes the whole stream at once and follows the specification step by step, with no buffering
tricks and no attention to speed, so that it can be checked against the text by reading it:

1. the bytes are decoded as UTF-8 with replacement, and one leading BOM is stripped;
2. the text is cut into lines ending in CRLF, a lone LF or a lone CR; the unterminated remainder at
   the end of the stream is discarded;
3. each line is processed as the specification says (dispatch, comment, field with value, field
   without value), and the dispatch step fires an event only when the data buffer is non-empty.

Alongside the events it records where each dispatched event's block starts in the byte stream (the
first byte of the first line after the previous empty line), computed from a separate scan of the
raw bytes: CR and LF are ASCII, so a replacement decode never creates, removes or moves them, and
the byte lines and the text lines correspond one to one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sseproto import MAX_RETRY, ServerSentEvent

__all__ = ["ReferenceResult", "reference_decode", "split_lines"]

BOM_BYTES = b"\xef\xbb\xbf"


@dataclass
class ReferenceResult:
    """Everything the oracle derives from a complete stream."""

    events: list[ServerSentEvent] = field(default_factory=list)
    # Byte offset (in the stream as received, BOM included) of the block of each event.
    event_offsets: list[int] = field(default_factory=list)
    # The event source's last event ID string: the ID buffer as it was at the last dispatch step
    # (every empty line, with or without data). An ID in a block the stream never finished is
    # therefore not in force. The reconnection time is set as soon as a valid retry line ends.
    last_event_id: str = ""
    retry: int | None = None


def split_lines(text: str) -> list[str]:
    """Cut ``text`` at CRLF, LF or CR; the unterminated remainder is not returned.

    A CR immediately followed by LF is one line end. A CR at the very end of the text ends a line.
    """
    lines: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\r":
            lines.append("".join(current))
            current = []
            if i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
        elif char == "\n":
            lines.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    return lines


def _line_start_offsets(stream: bytes, first: int) -> list[int]:
    """Byte offset where each complete line starts, scanning the raw bytes from ``first``."""
    starts: list[int] = []
    start = first
    i = first
    while i < len(stream):
        byte = stream[i]
        if byte == 0x0D:
            starts.append(start)
            if i + 1 < len(stream) and stream[i + 1] == 0x0A:
                i += 1
            start = i + 1
        elif byte == 0x0A:
            starts.append(start)
            start = i + 1
        i += 1
    return starts


def _is_ascii_digits(value: str) -> bool:
    return value != "" and all("0" <= char <= "9" for char in value)


def reference_decode(stream: bytes) -> ReferenceResult:
    """Decode a complete event stream exactly as the specification describes."""
    text = stream.decode("utf-8", "replace")
    # "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any."
    if text.startswith("\ufeff"):
        text = text[1:]
        first_byte = len(BOM_BYTES)
    else:
        first_byte = 0

    lines = split_lines(text)
    starts = _line_start_offsets(stream, first_byte)

    result = ReferenceResult()
    data_buffer = ""
    event_type_buffer = ""
    last_event_id_buffer = ""
    block_retry: int | None = None
    block_start: int | None = None

    for line, start in zip(lines, starts, strict=True):
        if line == "":
            # Dispatch the event. Step 1: the ID buffer becomes the last event ID string.
            result.last_event_id = last_event_id_buffer
            if data_buffer != "":
                if data_buffer.endswith("\n"):
                    data_buffer = data_buffer[:-1]
                assert block_start is not None
                result.events.append(
                    ServerSentEvent(
                        event=event_type_buffer or "message",
                        data=data_buffer,
                        id=last_event_id_buffer,
                        retry=block_retry,
                    )
                )
                result.event_offsets.append(block_start)
            data_buffer = ""
            event_type_buffer = ""
            block_retry = None
            block_start = None
            continue

        if block_start is None:
            block_start = start
        if line.startswith(":"):
            continue
        if ":" in line:
            name, value = line.split(":", 1)
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""

        if name == "event":
            event_type_buffer = value
        elif name == "data":
            data_buffer += value + "\n"
        elif name == "id":
            if "\x00" not in value:
                last_event_id_buffer = value
        elif name == "retry" and _is_ascii_digits(value):
            # "Interpret the field value as an integer in base ten": sseproto bounds it.
            result.retry = block_retry = min(int(value), MAX_RETRY)
        # Any other field name is ignored.

    return result
