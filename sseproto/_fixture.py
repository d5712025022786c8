"""The fixture format: a recorded stream's bytes, and where its reads were split and when.

A fixture ``NAME.sse`` is the exact body received. Beside it, optionally:

- ``NAME.reads.jsonl``, the *sidecar*, JSON Lines:

  1. a header: ``{"format": "sseproto-reads", "version": 1, "length": N, "sha256": "...",
     "status": 200, "headers": [["content-type", "text/event-stream"], ...], "method": "POST",
     "url": "...", "client": "httpx/0.28.1"}`` (the last five may be null);
  2. one line per network read, in order: ``{"offset": 0, "length": 137, "seconds": 0.412}``,
     ``seconds`` counted from the request; the reads tile the body exactly;
  3. a closing line: ``{"end": "eof", "seconds": 1.93}`` when the body ended normally,
     ``{"end": "error", "seconds": ..., "error": {"type": "httpx.ReadTimeout", "message": "..."}}``
     when a transport error ended it, or ``{"end": "closed", "seconds": ...}`` when the reader
     stopped before the end.

- ``NAME.expected.json``: what the stream must rebuild to, ``{"completion": {...}, "error": null}``
  (``completion`` in ``ChatCompletion.to_dict()`` shape; for a failing stream it is the partial
  result and ``error`` is ``{"type": "ProviderError", "offset": ..., "event_index": ...}``).

Headers and URLs are redacted when a recording is written, so a fixture can be committed: secret
values become ``"<redacted>"``.

Reading validates everything: a sidecar that does not describe its body (length or sha256), reads
that do not tile it, or times that go backwards raise :class:`FixtureError` naming the file and
line, never a bare ``KeyError`` or ``JSONDecodeError``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ._errors import FixtureError

__all__ = [
    "FORMAT",
    "VERSION",
    "Ending",
    "Fixture",
    "Read",
    "Recording",
    "expected_path",
    "load_fixture",
    "redact_headers",
    "redact_url",
    "sidecar_lines",
    "sidecar_path",
]

FORMAT = "sseproto-reads"
VERSION = 1
REDACTED = "<redacted>"

SIDECAR_SUFFIX = ".reads.jsonl"
EXPECTED_SUFFIX = ".expected.json"

EndKind = Literal["eof", "error", "closed"]
_END_KINDS: tuple[EndKind, ...] = ("eof", "error", "closed")

# Header and query-parameter names whose values are credentials. Matching is by whole name or by
# suffix, so "x-portkey-api-key" and "x-goog-api-key" are caught without listing every vendor.
_SECRET_NAMES = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "api-key", "key",
     "api_key", "apikey", "token", "access_token", "secret", "password", "signature", "sig"}
)  # fmt: skip
_SECRET_SUFFIXES = ("-key", "_key", "-token", "_token", "-secret", "_secret", "-signature")


class Read(NamedTuple):
    """One network read: ``length`` bytes at ``offset`` of the body, complete ``seconds`` after
    the request was sent."""

    offset: int
    length: int
    seconds: float


class Ending(NamedTuple):
    """How a recorded body ended: ``"eof"``, ``"error"`` (with the transport error's class name
    and message) or ``"closed"`` (the reader stopped first)."""

    kind: EndKind
    seconds: float
    error_type: str | None = None
    error_message: str | None = None


class Recording(NamedTuple):
    """What a sidecar holds besides the body: the exchange's metadata, the reads and the end."""

    reads: tuple[Read, ...]
    ending: Ending
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    method: str | None = None
    url: str | None = None
    client: str | None = None


class Fixture(NamedTuple):
    """A fixture read from disk: the body and, when it has a sidecar, its recording."""

    path: Path
    body: bytes
    recording: Recording | None


def sidecar_path(body_path: str | Path) -> Path:
    """Where the read-boundary sidecar of the body at ``body_path`` lives."""
    return _beside(Path(body_path), SIDECAR_SUFFIX)


def expected_path(body_path: str | Path) -> Path:
    """Where the expected result of the body at ``body_path`` lives."""
    return _beside(Path(body_path), EXPECTED_SUFFIX)


def _beside(body_path: Path, suffix: str) -> Path:
    stem = body_path.name[: -len(".sse")] if body_path.name.endswith(".sse") else body_path.name
    return body_path.with_name(stem + suffix)


def load_fixture(path: str | Path) -> Fixture:
    """Read the body at ``path`` and, when present, its sidecar, checked against each other.

    Raises:
        OSError: a file cannot be read.
        FixtureError: the sidecar is malformed or describes another body.
    """
    body_path = Path(path)
    body = body_path.read_bytes()
    side = sidecar_path(body_path)
    try:
        text = side.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Fixture(body_path, body, None)
    except UnicodeDecodeError as error:
        raise FixtureError("not UTF-8 text", path=str(side)) from error
    return Fixture(body_path, body, _parse_sidecar(text, body, str(side)))


def sidecar_lines(recording: Recording, *, length: int, sha256: str) -> list[str]:
    """The sidecar of a body of ``length`` bytes with that ``sha256`` (hex), as JSON Lines
    (each with its line end), ready to write."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "length": length,
        "sha256": sha256,
        "status": recording.status,
        "headers": [list(pair) for pair in recording.headers],
        "method": recording.method,
        "url": recording.url,
        "client": recording.client,
    }
    lines = [header]
    lines += [
        {"offset": read.offset, "length": read.length, "seconds": read.seconds}
        for read in recording.reads
    ]
    ending: dict[str, Any] = {"end": recording.ending.kind, "seconds": recording.ending.seconds}
    if recording.ending.kind == "error":
        ending["error"] = {
            "type": recording.ending.error_type,
            "message": recording.ending.error_message,
        }
    lines.append(ending)
    return [json.dumps(line, ensure_ascii=False) + "\n" for line in lines]


def redact_headers(headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The headers with every credential's value replaced by ``"<redacted>"``."""
    return tuple((name, REDACTED if _is_secret(name) else value) for name, value in headers)


def redact_url(url: str) -> str:
    """The URL with any password and every credential-named query value redacted."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", f":{REDACTED}@", 1)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_is_secret(name) for name, _ in pairs):
            query = urlencode(
                [(name, REDACTED if _is_secret(name) else value) for name, value in pairs],
                safe="<>",
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_NAMES or lowered.endswith(_SECRET_SUFFIXES)


def _parse_sidecar(text: str, body: bytes, where: str) -> Recording:
    # Split at LF only: ensure_ascii=False leaves U+2028 and friends raw inside JSON strings, and
    # str.splitlines() would cut there.
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if len(lines) < 2:
        raise FixtureError("a sidecar needs a header line and a closing line", path=where)
    records = [_json_object(line, where, number) for number, line in enumerate(lines, 1)]
    if records[-1].get("end") not in _END_KINDS:
        raise FixtureError(
            f"line {len(lines)}: the last line must be the end (eof, error or closed)", path=where
        )
    header = records[0]
    _check_header(header, body, where)
    reads = []
    offset = 0
    seconds = 0.0
    for number, record in enumerate(records[1:-1], 2):
        read = Read(
            _field(record, "offset", int, where, number),
            _field(record, "length", int, where, number),
            _seconds(record, where, number),
        )
        if read.offset != offset or read.length < 0:
            raise FixtureError(
                f"line {number}: reads must tile the body; expected offset {offset}, got "
                f"offset {_shown(read.offset)} with length {_shown(read.length)}",
                path=where,
                offset=offset,
            )
        if read.seconds < seconds:
            raise FixtureError(f"line {number}: read times go backwards", path=where)
        reads.append(read)
        offset += read.length
        seconds = read.seconds
    if offset != len(body):
        raise FixtureError(
            f"the reads cover {_shown(offset)} bytes but the body has {len(body)}", path=where
        )
    ending = _ending(records[-1], seconds, where, len(lines))
    return Recording(
        reads=tuple(reads),
        ending=ending,
        status=_optional(header, "status", int, where),
        headers=_headers(header, where),
        method=_optional(header, "method", str, where),
        url=_optional(header, "url", str, where),
        client=_optional(header, "client", str, where),
    )


def _check_header(header: Mapping[str, Any], body: bytes, where: str) -> None:
    if header.get("format") != FORMAT:
        raise FixtureError(f"line 1: not an {FORMAT} sidecar", path=where)
    if header.get("version") != VERSION:
        raise FixtureError(
            f"line 1: unsupported version {header.get('version')!r} (this reads {VERSION})",
            path=where,
        )
    length = _field(header, "length", int, where, 1)
    if length != len(body):
        raise FixtureError(
            f"the sidecar describes a body of {_shown(length)} bytes, but the body has {len(body)}",
            path=where,
        )
    if _field(header, "sha256", str, where, 1) != hashlib.sha256(body).hexdigest():
        raise FixtureError("the body's sha256 differs from the sidecar's", path=where)


def _ending(record: Mapping[str, Any], last: float, where: str, number: int) -> Ending:
    kind = record["end"]
    seconds = _seconds(record, where, number)
    if seconds < last:
        raise FixtureError(f"line {number}: the end comes before the last read", path=where)
    if kind != "error":
        return Ending(kind, seconds)
    error = _field(record, "error", dict, where, number)
    return Ending(
        kind,
        seconds,
        _field(error, "type", str, where, number),
        _field(error, "message", str, where, number),
    )


def _headers(header: Mapping[str, Any], where: str) -> tuple[tuple[str, str], ...]:
    pairs = _field(header, "headers", list, where, 1)
    if not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        for pair in pairs
    ):
        raise FixtureError("line 1: headers must be a list of [name, value] strings", path=where)
    return tuple((name, value) for name, value in pairs)


def _json_object(line: str, where: str, number: int) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError) as error:
        raise FixtureError(f"line {number}: not JSON ({error})", path=where) from error
    if not isinstance(value, dict):
        raise FixtureError(f"line {number}: not a JSON object", path=where)
    return value


def _field(record: Mapping[str, Any], name: str, kind: type[Any], where: str, number: int) -> Any:
    value = record.get(name)
    # bool is an int in Python, never in this format.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise FixtureError(
            f"line {number}: {name!r} must be {kind.__name__}, not {_shown(value)}", path=where
        )
    return value


def _optional(record: Mapping[str, Any], name: str, kind: type[Any], where: str) -> Any:
    return None if record.get(name) is None else _field(record, name, kind, where, 1)


def _seconds(record: Mapping[str, Any], where: str, number: int) -> float:
    value = record.get("seconds")
    # bool is an int in Python, never in this format.
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except OverflowError:  # an int beyond any float: no finite time
            seconds = math.inf
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    raise FixtureError(
        f"line {number}: 'seconds' must be a finite number >= 0, not {_shown(value)}", path=where
    )


def _shown(value: object) -> str:
    """``value`` for a message, cut short: a sidecar's number may have hundreds of digits."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
